/**
 * Checks a synthesized CloudFormation template against CloudFormation's resource schemas, as the
 * `@aws-cdk/aws-service-spec` package holds them (the database aws-cdk-lib's L1 classes are generated from): resource
 * types, property names, required properties, property types (down into nested types, arrays and maps), enum
 * values, and the targets of `Ref`, `Fn::GetAtt`, `Fn::Sub` and `DependsOn`, with the attribute names each type has.
 *
 * A value made by an intrinsic function is checked for its references, not for its type: its value is only known at
 * deploy time. Custom resources (`Custom::*`) take any properties but need a `ServiceToken`, and have any attribute.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource, SpecDatabase, TypeDefinition } from '@aws-cdk/service-spec-types';

/** Pseudo parameters a `Ref` may name. */
const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

/** Types CloudFormation accepts that are not resource schemas: CDK's metadata, and custom resources. */
const CDK_METADATA = 'AWS::CDK::Metadata';
const isCustom = (type: string) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Parameters?: Record<string, unknown>;
  readonly Outputs?: Record<string, { Value: unknown }>;
  readonly Conditions?: Record<string, unknown>;
}

let database: SpecDatabase | undefined;
/** The schema database, loaded once per process (about a second). */
function specDatabase(): SpecDatabase {
  database ??= loadAwsServiceSpecSync();
  return database;
}

/** Every problem of `template`, one line each (`Resources.Queue.Properties.MessageRetentionPeriod: ...`); empty when valid. */
export function schemaProblems(template: CfnTemplate): string[] {
  return new TemplateChecker(specDatabase(), template).problems();
}

class TemplateChecker {
  private readonly found: string[] = [];
  private readonly schemas = new Map<string, Resource | undefined>();

  constructor(
    private readonly db: SpecDatabase,
    private readonly template: CfnTemplate,
  ) {}

  problems(): string[] {
    for (const [id, resource] of Object.entries(this.template.Resources ?? {})) this.checkResource(`Resources.${id}`, resource);
    for (const [id, output] of Object.entries(this.template.Outputs ?? {})) this.checkIntrinsics(`Outputs.${id}.Value`, output.Value);
    return this.found;
  }

  private report(path: string, message: string): void {
    this.found.push(`${path}: ${message}`);
  }

  private schema(type: string): Resource | undefined {
    if (!this.schemas.has(type)) this.schemas.set(type, this.db.lookup('resource', 'cloudFormationType', 'equals', type)[0]);
    return this.schemas.get(type);
  }

  private checkResource(path: string, resource: CfnResource): void {
    for (const target of [resource.DependsOn ?? []].flat()) {
      if (!this.template.Resources[target]) this.report(`${path}.DependsOn`, `names "${target}", which is not a resource of the template`);
    }
    const properties = resource.Properties ?? {};
    if (resource.Type === CDK_METADATA) return;
    if (isCustom(resource.Type)) {
      if (!('ServiceToken' in properties)) this.report(`${path}.Properties`, 'a custom resource needs a ServiceToken');
      for (const [name, value] of Object.entries(properties)) this.checkIntrinsics(`${path}.Properties.${name}`, value);
      return;
    }
    const schema = this.schema(resource.Type);
    if (!schema) {
      this.report(`${path}.Type`, `"${resource.Type}" is not a CloudFormation resource type`);
      return;
    }
    this.checkObject(`${path}.Properties`, properties, schema.properties);
  }

  /** An object of named properties (a resource's, or a nested type's) against their schemas. */
  private checkObject(path: string, value: Record<string, unknown>, properties: Resource['properties']): void {
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) this.report(path, `the required property ${name} is missing`);
    }
    for (const [name, item] of Object.entries(value)) {
      const property = properties[name];
      if (!property) {
        const known = Object.keys(properties).sort();
        this.report(`${path}.${name}`, `no such property; allowed: ${known.join(', ') || '(none)'}`);
        this.checkIntrinsics(`${path}.${name}`, item);
        continue;
      }
      this.checkValue(`${path}.${name}`, item, property.type);
    }
  }

  private checkValue(path: string, value: unknown, type: PropertyType): void {
    if (isIntrinsic(value)) {
      this.checkIntrinsics(path, value);
      return;
    }
    const problem = this.typeProblem(path, value, type);
    if (problem) this.report(path, problem);
  }

  /** Why `value` is not of `type` (nested problems are reported on their own paths), or undefined. */
  private typeProblem(path: string, value: unknown, type: PropertyType): string | undefined {
    switch (type.type) {
      case 'string':
      case 'date-time':
        if (typeof value !== 'string') return `${JSON.stringify(value)} is not of type string`;
        if (type.type === 'string' && type.allowedValues && !type.allowedValues.includes(value)) {
          return `"${value}" is not one of the allowed values ${type.allowedValues.join(', ')}`;
        }
        return undefined;
      case 'number':
      case 'integer': {
        const number = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
        if (Number.isNaN(number)) return `${JSON.stringify(value)} is not of type ${type.type}`;
        if (type.type === 'integer' && !Number.isInteger(number)) return `${JSON.stringify(value)} is not of type integer`;
        if (type.type === 'integer' && type.allowedValues && !type.allowedValues.includes(number)) {
          return `${number} is not one of the allowed values ${type.allowedValues.join(', ')}`;
        }
        return undefined;
      }
      case 'boolean':
        return typeof value === 'boolean' || value === 'true' || value === 'false' ? undefined : `${JSON.stringify(value)} is not of type boolean`;
      case 'json':
        this.checkIntrinsics(path, value);
        return undefined;
      case 'null':
        return value === null ? undefined : `${JSON.stringify(value)} is not null`;
      case 'tag':
        if (!isRecord(value)) return `${JSON.stringify(value)} is not a tag ({ Key, Value })`;
        this.checkObject(path, value, { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } });
        return undefined;
      case 'array':
        if (!Array.isArray(value)) return `${JSON.stringify(value)} is not an array`;
        for (const [index, item] of value.entries()) this.checkValue(`${path}[${index}]`, item, type.element);
        return undefined;
      case 'map':
        if (!isRecord(value)) return `${JSON.stringify(value)} is not an object`;
        for (const [key, item] of Object.entries(value)) this.checkValue(`${path}.${key}`, item, type.element);
        return undefined;
      case 'ref': {
        if (!isRecord(value)) return `${JSON.stringify(value)} is not an object`;
        const definition = this.db.get('typeDefinition', type.reference) as TypeDefinition;
        this.checkObject(path, value, definition.properties);
        return undefined;
      }
      case 'union':
        return this.unionProblem(path, value, type.types);
      default:
        return `has a type this checker does not know (${JSON.stringify(type)})`;
    }
  }

  /** A value of a union type is valid when it is valid as one of the types (checked without reporting). */
  private unionProblem(path: string, value: unknown, types: readonly PropertyType[]): string | undefined {
    for (const type of types) {
      const trial = new TemplateChecker(this.db, this.template);
      const problem = trial.typeProblem(path, value, type);
      if (!problem && trial.found.length === 0) {
        this.typeProblem(path, value, type); // report its references and nested problems, if any, once
        return undefined;
      }
    }
    return `${JSON.stringify(value)} is none of ${types.map((t) => t.type).join(', ')}`;
  }

  /** The references inside a value: Ref, Fn::GetAtt and Fn::Sub targets, at any depth. */
  private checkIntrinsics(path: string, value: unknown): void {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) this.checkIntrinsics(`${path}[${index}]`, item);
      return;
    }
    if (!isRecord(value)) return;
    if (isIntrinsic(value)) {
      const [name, argument] = Object.entries(value)[0]!;
      if (name === 'Ref') this.checkRef(path, argument);
      else if (name === 'Fn::GetAtt') this.checkGetAtt(path, argument);
      else if (name === 'Fn::Sub') this.checkSub(path, argument);
      else if (name === 'Condition') {
        if (!this.template.Conditions?.[argument as string]) this.report(path, `Condition names "${String(argument)}", which the template does not define`);
      }
      if (name !== 'Ref' && name !== 'Fn::GetAtt') this.checkIntrinsics(`${path}.${name}`, argument);
      return;
    }
    for (const [key, item] of Object.entries(value)) this.checkIntrinsics(`${path}.${key}`, item);
  }

  private checkRef(path: string, target: unknown): void {
    if (typeof target !== 'string') this.report(path, `Ref takes a name, got ${JSON.stringify(target)}`);
    else if (!PSEUDO_PARAMETERS.has(target) && !this.template.Resources[target] && !this.template.Parameters?.[target]) {
      this.report(path, `Ref names "${target}", which is no resource, parameter or pseudo parameter of the template`);
    }
  }

  private checkGetAtt(path: string, argument: unknown): void {
    const [id, attribute] = typeof argument === 'string' ? splitOnce(argument, '.') : ((argument ?? []) as unknown[]);
    if (typeof id !== 'string' || typeof attribute !== 'string') {
      this.report(path, `Fn::GetAtt takes [resource, attribute], got ${JSON.stringify(argument)}`);
      return;
    }
    const resource = this.template.Resources[id];
    if (!resource) {
      this.report(path, `Fn::GetAtt names "${id}", which is not a resource of the template`);
      return;
    }
    if (isCustom(resource.Type)) return;
    const attributes = this.schema(resource.Type)?.attributes ?? {};
    if (!(attribute in attributes)) {
      this.report(path, `${resource.Type} has no attribute "${attribute}" for Fn::GetAtt; it has: ${Object.keys(attributes).sort().join(', ') || '(none)'}`);
    }
  }

  private checkSub(path: string, argument: unknown): void {
    const [text, variables] = typeof argument === 'string' ? [argument, {}] : ((argument ?? []) as [unknown, Record<string, unknown>?]);
    if (typeof text !== 'string') {
      this.report(path, `Fn::Sub takes a string, got ${JSON.stringify(argument)}`);
      return;
    }
    for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
      const name = match[1]!;
      if (variables && name in variables) continue;
      if (name.includes('.')) this.checkGetAtt(path, name);
      else this.checkRef(path, name);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ Ref: ... }`, `{ "Fn::...": ... }` or `{ Condition: ... }`: a value CloudFormation computes. */
function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::') || keys[0] === 'Condition');
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}
