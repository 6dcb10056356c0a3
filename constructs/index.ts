/**
 * multinode/constructs: AWS CDK constructs that deploy a multinode app (MultinodeApp) and each concept on its own.
 * Built in the constructs issue.
 */
export {};
