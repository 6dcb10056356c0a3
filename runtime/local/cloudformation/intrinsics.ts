/**
 * Evaluating a template's values as CloudFormation does at deploy time, for the intrinsic functions CDK writes in
 * outputs: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split. The local CloudFormation endpoint's stacks
 * get their outputs this way, so a wrong output expression shows in tests as it would in AWS.
 */
import { LocalCloudError } from '../errors.js';

/** What references stand for. */
export interface TemplateValues {
  /** `Ref` of a resource or parameter, by logical id. */
  readonly refs?: Readonly<Record<string, string>>;
  /** `Fn::GetAtt`, by `<logical id>.<attribute>`. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Pseudo parameters (`AWS::Region`, ...). */
  readonly pseudo?: Readonly<Record<string, string>>;
}

/** A template's value as a string; `where` names it in errors (`Outputs.Url.Value`). */
export function evaluate(value: unknown, values: TemplateValues, where: string): string {
  const result = evaluateAny(value, values, where);
  if (typeof result !== 'string') throw new LocalCloudError(`${where} is a list, not a string.`);
  return result;
}

function evaluateAny(value: unknown, values: TemplateValues, where: string): string | string[] {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((item, i) => evaluate(item, values, `${where}[${i}]`));
  if (typeof value !== 'object' || value === null) throw new LocalCloudError(`${where}: ${JSON.stringify(value)} is no template value.`);
  const keys = Object.keys(value);
  const node = value as Record<string, unknown>;
  if (keys.length !== 1) throw new LocalCloudError(`${where}: an object is an intrinsic function of one key, got ${JSON.stringify(keys)}.`);
  const fn = keys[0]!;
  const arg = node[fn];
  switch (fn) {
    case 'Ref':
      return lookUp(String(arg), values, where);
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
      return attributeOf(`${id}.${attribute}`, values, where);
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown];
      const list = evaluateAny(parts, values, `${where}.Fn::Join`);
      return (Array.isArray(list) ? list : [list]).join(separator);
    }
    case 'Fn::Sub': {
      const [text, variables] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
      return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
        if (Object.hasOwn(variables, name)) return evaluate(variables[name], values, `${where}.Fn::Sub.${name}`);
        return name.includes('.') && !name.startsWith('AWS::') ? attributeOf(name, values, where) : lookUp(name, values, where);
      });
    }
    case 'Fn::Select': {
      const [index, list] = arg as [unknown, unknown];
      const items = evaluateAny(list, values, `${where}.Fn::Select`);
      const chosen = Array.isArray(items) ? items[Number(evaluate(index, values, where))] : undefined;
      if (chosen === undefined) throw new LocalCloudError(`${where}: Fn::Select index out of range.`);
      return chosen;
    }
    case 'Fn::Split': {
      const [separator, text] = arg as [string, unknown];
      return evaluate(text, values, `${where}.Fn::Split`).split(separator);
    }
    default:
      throw new LocalCloudError(`${where}: the local CloudFormation endpoint does not evaluate ${fn}.`);
  }
}

function lookUp(name: string, values: TemplateValues, where: string): string {
  const found = name.startsWith('AWS::') ? values.pseudo?.[name] : values.refs?.[name];
  if (found === undefined) throw new LocalCloudError(`${where}: no value given for Ref ${name}.`);
  return found;
}

function attributeOf(name: string, values: TemplateValues, where: string): string {
  const found = values.attributes?.[name];
  if (found === undefined) throw new LocalCloudError(`${where}: no value given for Fn::GetAtt ${name}.`);
  return found;
}
