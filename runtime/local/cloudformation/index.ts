/** The local CloudFormation endpoint (for tests of finding a deployed app) and what seeds its stacks. */
export { LOCAL_CLOUDFORMATION_ACCOUNT, startLocalCloudFormation } from './server.js';
export type { CloudFormationTemplate, LocalCloudFormation, LocalCloudFormationOptions, LocalStack, LocalStackStatus } from './server.js';
export { evaluate } from './intrinsics.js';
export type { TemplateValues } from './intrinsics.js';
export { localCloudOutputs } from './local-cloud-outputs.js';
export type { LocalCloudConnection } from './local-cloud-outputs.js';
