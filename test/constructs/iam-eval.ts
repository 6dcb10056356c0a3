/**
 * A small IAM evaluator for synthesized policies, to test what a principal may and may not do without an AWS
 * account: identity-policy statements only (no resource policies, boundaries or conditions), an explicit Deny wins,
 * otherwise an Allow must match both the action (case-insensitive) and the resource (case-sensitive), where `*`
 * matches any run of characters and `?` one character.
 */

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** What references in a template stand for, to turn its policies into plain ARN strings. */
export interface Concrete {
  readonly refs: Readonly<Record<string, string>>;
  readonly arns: Readonly<Record<string, string>>;
}

/** Concrete values for a synthesized template: tables by their names, buckets by their logical ids. */
export function concreteValues(
  template: { Resources: Record<string, { Type: string; Properties?: any }> },
  env: { account: string; region: string },
): Concrete {
  const arns: Record<string, string> = {};
  const refs: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': env.region, 'AWS::AccountId': env.account, 'AWS::URLSuffix': 'amazonaws.com' };
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::DynamoDB::Table') {
      arns[id] = `arn:aws:dynamodb:${env.region}:${env.account}:table/${resource.Properties.TableName}`;
      refs[id] = resource.Properties.TableName;
    }
    if (resource.Type === 'AWS::S3::Bucket') {
      const name = `bucket-${id.toLowerCase()}`;
      arns[id] = `arn:aws:s3:::${name}`;
      refs[id] = name;
    }
  }
  return { refs, arns };
}

/** A resolved CloudFormation value as a plain string. */
export function render(value: unknown, concrete: Concrete): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, any>;
  if (Array.isArray(node['Fn::Join'])) return (node['Fn::Join'][1] as unknown[]).map((part) => render(part, concrete)).join(node['Fn::Join'][0]);
  if (typeof node.Ref === 'string') return known(concrete.refs[node.Ref], `Ref ${node.Ref}`);
  if (Array.isArray(node['Fn::GetAtt']) && node['Fn::GetAtt'][1] === 'Arn')
    return known(concrete.arns[node['Fn::GetAtt'][0]], `GetAtt ${node['Fn::GetAtt'][0]}.Arn`);
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

function known(value: string | undefined, what: string): string {
  if (value === undefined) throw new Error(`no concrete value for ${what}`);
  return value;
}

/** The statements with every resource rendered to a string. */
export function renderStatements(statements: readonly Statement[], concrete: Concrete): Array<Statement & { Action: string[]; Resource: string[] }> {
  return statements.map((s) => ({
    ...s,
    Action: Array.isArray(s.Action) ? s.Action : [s.Action],
    Resource: (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map((r) => render(r, concrete)),
  }));
}

function pattern(glob: string, flags: string): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, flags);
}

function matches(statement: { Action: string[]; Resource: string[] }, action: string, resource: string): boolean {
  return statement.Action.some((a) => pattern(a, 'i').test(action)) && statement.Resource.some((r) => pattern(r, '').test(resource));
}

/** Whether the statements allow `action` on `resource`. */
export function allows(statements: ReadonlyArray<{ Effect: string; Action: string[]; Resource: string[] }>, action: string, resource: string): boolean {
  if (statements.some((s) => s.Effect === 'Deny' && matches(s, action, resource))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s, action, resource));
}
