/**
 * The secrets of an app in AWS: one Secrets Manager secret per declared secret, named from the prefix
 * (`<prefix>/<name>`), created without a value (values are set with PutSecretValue, never in the template), or an
 * existing secret given for a name. Each definition reads exactly the secrets it declares:
 *
 * - a Lambda-placed definition that declares secrets runs with a role of its own (the app's access, its logs, and
 *   `secretsmanager:GetSecretValue` on exactly its secrets); definitions without secrets share the app's Lambda role;
 * - a Batch-placed one gets them as container `secrets`, which ECS reads with an execution role of the job
 *   definition's own, allowed to read exactly those; the container sees each as `MULTINODE_SECRET_<name>`.
 *
 * Per-definition roles rather than one role with conditions: IAM cannot tell two functions of one role apart in a
 * secret's policy, so least privilege per definition needs a principal per definition. Only definitions with secrets
 * get one, so an app without secrets has the same resources as before.
 */
import { type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ResourceNames } from '../lib/naming.js';
import { secretIdEnv } from '../runtime/settings/environment.js';
import { SynthError } from './errors.js';
import { closest } from '../lib/format.js';
import { acknowledge } from './nag.js';

export interface AppSecretsProps {
  /** The app's name, for descriptions. Required. */
  readonly appName: string;
  /** The app's physical names (`secret(name)`). Required. */
  readonly names: ResourceNames;
  /** The names of the secrets the app declares. Required. */
  readonly secrets: readonly string[];
  /**
   * Existing secrets to use instead of creating them, by secret name; each must hold its value as text
   * (SecretString). A customer-managed KMS key the secret knows (`encryptionKey`) is granted for decryption too.
   *
   * @default - every secret is created
   */
  readonly existing?: Readonly<Record<string, secretsmanager.ISecret>>;
  /**
   * What happens to the created secrets when the stack goes (or they leave the app).
   *
   * @default - CloudFormation's default: deleted (Secrets Manager keeps a deleted secret, and its name, for its recovery window)
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class AppSecrets extends Construct {
  /** The secret of each declared secret name (created here, or given). */
  readonly secrets: Readonly<Record<string, secretsmanager.ISecret>>;
  readonly #names: ResourceNames;
  /** The names whose secret was created here (named by the prefix, so the runtime finds it without help). */
  readonly #created = new Set<string>();

  constructor(scope: Construct, id: string, props: AppSecretsProps) {
    super(scope, id);
    this.#names = props.names;
    const existing = props.existing ?? {};
    for (const name of Object.keys(existing)) {
      if (props.secrets.includes(name)) continue;
      const suggestion = closest(name, props.secrets);
      throw new SynthError(
        `secrets names "${name}", which the app does not declare${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; its secrets are: ` +
          `${props.secrets.join(', ') || '(none)'}.`,
        this,
      );
    }
    const secrets: Record<string, secretsmanager.ISecret> = {};
    for (const name of props.secrets) {
      const given = existing[name];
      if (given) secrets[name] = given;
      else {
        secrets[name] = this.#create(name, props);
        this.#created.add(name);
      }
    }
    this.secrets = secrets;
  }

  /**
   * Allows `grantee` exactly `secretsmanager:GetSecretValue` on the named secrets (and `kms:Decrypt` through Secrets
   * Manager on the customer keys of given secrets that have one). Nothing for an empty list.
   */
  grantValues(grantee: iam.IGrantable, names: readonly string[]): iam.Grant {
    const secrets = names.map((name) => this.#secret(name));
    if (secrets.length === 0) return iam.Grant.drop(grantee, 'no secrets');
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: secrets.map(policyArn) });
    const keys = secrets.flatMap((s) => (s.encryptionKey ? [s.encryptionKey.keyArn] : []));
    if (keys.length === 0) return grant;
    return grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:Decrypt'],
        resourceArns: keys,
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }

  /**
   * What the runtime needs in a Lambda function's environment to read the named secrets: for a given secret that is
   * not named by the prefix, `MULTINODE_SECRET_ID_<name>` (its ARN, never a value). Empty for created secrets.
   */
  environment(names: readonly string[]): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of names) {
      const secret = this.#secret(name);
      if (this.#created.has(name)) continue;
      env[secretIdEnv(name)] = secret.secretFullArn ?? secret.secretName;
    }
    return env;
  }

  /** The named secrets as Batch container secrets, by variable name; ECS's execution role gets exactly GetSecretValue on them. */
  containerSecrets(names: readonly string[], variable: (name: string) => string): Record<string, batch.Secret> {
    return Object.fromEntries(names.map((name) => [variable(name), new ContainerSecret(this, this.#secret(name), name)]));
  }

  #secret(name: string): secretsmanager.ISecret {
    const secret = this.secrets[name];
    if (!secret) throw new SynthError(`the app has no secret "${name}"; its secrets are: ${Object.keys(this.secrets).join(', ') || '(none)'}.`, this);
    return secret;
  }

  #create(name: string, props: AppSecretsProps): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, name, {
      secretName: this.#names.secret(name),
      description: `Secret ${name} of the multinode app ${props.appName}. Its value is set with PutSecretValue, never by the stack.`,
      ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
    });
    // The Secret construct generates a random value unless told otherwise; without SecretString and
    // GenerateSecretString, CloudFormation creates the secret with no value, and no deploy ever replaces the one set
    // (docs/aws-behaviour.md, "Secrets in CloudFormation").
    (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
    acknowledge(
      secret,
      'AwsSolutions-SMG4',
      "The secret holds a third party's credential that the app's owner sets (PutSecretValue); there is no rotation function that could change it.",
    );
    return secret;
  }
}

/**
 * The ARN that matches a secret in a policy: its full ARN, or, for a secret known by name or partial ARN, that ARN
 * followed by "-??????" (the six characters Secrets Manager adds).
 */
function policyArn(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn ?? `${secret.secretArn}-??????`;
}

/** A Batch container secret whose grant is exactly GetSecretValue (aws-cdk-lib's also allows DescribeSecret). */
class ContainerSecret extends batch.Secret {
  readonly arn: string;
  readonly hasField = false;

  constructor(
    private readonly owner: AppSecrets,
    secret: secretsmanager.ISecret,
    private readonly name: string,
  ) {
    super();
    this.arn = secret.secretFullArn ?? secret.secretArn;
  }

  grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.owner.grantValues(grantee, [this.name]);
  }
}
