/**
 * Acknowledgments for rule findings (cdk-nag's AwsSolutions pack, run by users through aws-cdk-lib's Validations).
 * Every acknowledgment carries the reason the finding is acceptable here. We only record metadata through
 * aws-cdk-lib's own `Validations` API, so the constructs do not depend on cdk-nag.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges IAM5 (wildcard permission) findings for each resource string of `resources` that holds a `*`.
 * A finding names the resource as the rule pack prints it: the resolved CloudFormation value flattened to one
 * string, `Ref`s written `<Name>`, `Fn::GetAtt`s written `<Name.Attribute>`.
 */
export function acknowledgeWildcards(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    const flat = flatten(stack.resolve(resource));
    if (flat.includes('*')) acknowledge(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
  }
}

/** Acknowledges IAM5 findings for actions ending in `*` (only used where a service has no finer action names). */
export function acknowledgeWildcardActions(scope: IConstruct, actions: readonly string[], reason: string): void {
  for (const action of actions) if (action.includes('*')) acknowledge(scope, `AwsSolutions-IAM5[Action::${action}]`, reason);
}

function flatten(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(separator);
    }
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if ('Ref' in node) return `<${flatten(node.Ref)}>`;
    if ('Fn::Sub' in node) return flatten(node['Fn::Sub']);
    if ('Fn::ImportValue' in node) return flatten(node['Fn::ImportValue']);
  }
  return JSON.stringify(value);
}
