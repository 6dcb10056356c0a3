/**
 * Which subnets Batch jobs run in, and whether Fargate containers get a public IP. Jobs need a route out: Fargate
 * pulls the public Node.js image and fetches the bundle from S3, and GPU hosts register with their ECS cluster.
 * Private subnets with egress (a NAT gateway) come first, public subnets with a public IP otherwise; isolated
 * subnets have no route out, so a job placed there would wait in RUNNABLE (or fail to start) for ever.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import { SynthError } from './errors.js';

export interface JobNetwork {
  /** The subnets of the compute environments. */
  readonly subnets: ec2.SubnetSelection;
  /** Whether Fargate containers get a public IP (they run in public subnets). */
  readonly assignPublicIp: boolean;
}

/** The subnets for jobs in `vpc`: `given` checked, or the best the VPC has. `gpu`: EC2 hosts will start there too. */
export function jobNetwork(scope: IConstruct, vpc: ec2.IVpc, given: ec2.SubnetSelection | undefined, { gpu }: { gpu: boolean }): JobNetwork {
  const subnets = given ?? defaultSelection(scope, vpc);
  const selected = vpc.selectSubnets(subnets).subnets;
  const ids = (list: readonly ec2.ISubnet[]) => new Set(list.map((s) => s.subnetId));
  const isolated = ids(vpc.isolatedSubnets);
  const publicIds = ids(vpc.publicSubnets);
  const noRoute = selected.filter((s) => isolated.has(s.subnetId));
  if (noRoute.length > 0) {
    throw new SynthError(
      `vpcSubnets selects isolated subnets, which have no route out: ${noRoute.map((s) => s.node.path).join(', ')}. Batch jobs there could not ` +
        'pull their image, fetch the app from S3 or (GPU hosts) join their cluster; select private subnets with egress (a NAT gateway) or public subnets.',
      scope,
    );
  }
  const inPublic = selected.filter((s) => publicIds.has(s.subnetId));
  if (gpu) {
    // EC2 hosts take their public IP from the subnet's setting; without one they cannot reach ECS from a public subnet.
    const withoutIp = inPublic.filter((s) => s instanceof ec2.Subnet && (s.node.defaultChild as ec2.CfnSubnet).mapPublicIpOnLaunch === false);
    if (withoutIp.length > 0) {
      throw new SynthError(
        `GPU instances would start without a public IP in public subnets that do not assign one (${withoutIp.map((s) => s.node.path).join(', ')}), ` +
          'so they could not join their cluster; turn on mapPublicIpOnLaunch or use private subnets with egress.',
        scope,
      );
    }
  }
  return { subnets, assignPublicIp: inPublic.length > 0 };
}

function defaultSelection(scope: IConstruct, vpc: ec2.IVpc): ec2.SubnetSelection {
  if (vpc.privateSubnets.length > 0) return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  if (vpc.publicSubnets.length > 0) return { subnetType: ec2.SubnetType.PUBLIC };
  throw new SynthError(
    `the VPC ${vpc.node.path} has no subnet with a route out (${vpc.isolatedSubnets.length > 0 ? 'only isolated subnets' : 'no subnets it describes'}): ` +
      'Batch jobs could not pull their image, fetch the app from S3 or (GPU hosts) join their cluster. Give it a NAT gateway (private subnets with ' +
      'egress) or public subnets, or choose subnets with vpcSubnets.',
    scope,
  );
}
