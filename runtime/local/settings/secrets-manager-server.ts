/**
 * The local Secrets Manager endpoint: Secrets Manager's JSON API (`POST /` with `X-Amz-Target:
 * secretsmanager.<Operation>`, awsJson1_1) on 127.0.0.1, so the runtime's real `SecretsManagerClient` reads secrets
 * with nothing but a different endpoint. It serves the app's declared secrets, with their values from the `.env` file
 * (local-settings.ts): GetSecretValue, PutSecretValue (which writes the file) and DescribeSecret.
 *
 * As Secrets Manager does (docs/aws-behaviour.md, "Secrets Manager values"): a secret is named by its name, its full
 * ARN or its ARN without the six-character suffix; one without a value answers GetSecretValue with
 * ResourceNotFoundException "can't find the specified secret value for staging label: AWSCURRENT"; DescribeSecret
 * shows its versions (none without a value) and never a value; a value is 1 to 65,536 bytes of text.
 */
import type http from 'node:http';
import { readBody, startLocalServer } from '../http-server.js';
import { EnvFileError } from './env-file.js';
import { type LocalSecret, type LocalSettings, SECRET_VALUE_LIMIT_BYTES } from './local-settings.js';

export interface LocalSecretsManager {
  /** For `new SecretsManagerClient({ endpoint })` (and `AWS_ENDPOINT_URL_SECRETS_MANAGER`). */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** A request body is at most a value (64 KiB) as JSON with its fields; larger bodies are refused unread. */
const BODY_LIMIT = 512 * 1024;
const TARGET_PREFIX = 'secretsmanager.';

/** A Secrets Manager error: its type (`__type`) and status. */
class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Operation = (settings: LocalSettings, body: Record<string, unknown>) => unknown;

const OPERATIONS: Record<string, Operation> = {
  GetSecretValue(settings, body) {
    const secret = find(settings, body.SecretId);
    const stage = body.VersionStage;
    if (stage !== undefined && stage !== 'AWSCURRENT') {
      throw new ServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${String(stage)}`);
    }
    const version = current(settings, secret);
    if (!version) {
      throw new ServiceError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: AWSCURRENT (${secret.name} has no value in ${settings.envFile})`,
      );
    }
    if (body.VersionId !== undefined && body.VersionId !== version.versionId) {
      throw new ServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${String(body.VersionId)}`);
    }
    return {
      ARN: secret.arn,
      Name: secret.secretName,
      VersionId: version.versionId,
      SecretString: version.value,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: version.createdAt.getTime() / 1000,
    };
  },
  PutSecretValue(settings, body) {
    const secret = find(settings, body.SecretId);
    if (body.SecretBinary !== undefined) throw new ServiceError('InvalidRequestException', 'multinode secrets hold text: pass SecretString, not SecretBinary.');
    const value = body.SecretString;
    if (typeof value !== 'string') throw new ServiceError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes < 1 || bytes > SECRET_VALUE_LIMIT_BYTES) {
      const bound = bytes < 1 ? 'greater than or equal to 1' : `less than or equal to ${SECRET_VALUE_LIMIT_BYTES}`;
      throw new ServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    if (body.VersionStages !== undefined)
      throw new ServiceError('InvalidRequestException', 'The local Secrets Manager keeps one version: leave out VersionStages.');
    const version = settings.putSecret(secret.name, value);
    return { ARN: secret.arn, Name: secret.secretName, VersionId: version.versionId, VersionStages: ['AWSCURRENT'] };
  },
  DescribeSecret(settings, body) {
    const secret = find(settings, body.SecretId);
    const version = current(settings, secret);
    return {
      ARN: secret.arn,
      Name: secret.secretName,
      Description: `multinode secret ${secret.name} (local: ${settings.envFile})`,
      ...(version ? { VersionIdsToStages: { [version.versionId]: ['AWSCURRENT'] }, LastChangedDate: version.createdAt.getTime() / 1000 } : {}),
    };
  },
};

export async function startLocalSecretsManager(settings: LocalSettings, options: { port?: number } = {}): Promise<LocalSecretsManager> {
  const server = await startLocalServer((request, response) => void handle(settings, request, response), {
    name: 'the local Secrets Manager endpoint',
    ...(options.port ? { port: options.port } : {}),
  });
  return { endpoint: server.url, close: server.close };
}

async function handle(settings: LocalSettings, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const reply = (status: number, body: unknown, type?: string) => {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(type ? { 'x-amzn-errortype': type } : {}) });
    response.end(JSON.stringify(body));
  };
  try {
    const target = String(request.headers['x-amz-target'] ?? '');
    const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const operation = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
    const body = await readBody(request, { limit: BODY_LIMIT, over: 'drain' });
    if (request.method !== 'POST' || !operation) {
      throw new ServiceError(
        'UnknownOperationException',
        `The local Secrets Manager answers ${Object.keys(OPERATIONS).join(', ')} (POST / with X-Amz-Target: secretsmanager.<Operation>).`,
      );
    }
    if (body.overLimit) throw new ServiceError('ValidationException', `The request is ${body.size} bytes; the largest accepted is ${BODY_LIMIT}.`);
    let parsed: unknown;
    try {
      parsed = body.size === 0 ? {} : JSON.parse(body.bytes.toString('utf8'));
    } catch {
      throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
    reply(200, operation(settings, parsed as Record<string, unknown>));
  } catch (error) {
    if (error instanceof ServiceError) return reply(error.status, { __type: error.type, message: error.message }, error.type);
    // A broken .env file: the request was fine, the value cannot be read; its message names file and line, never a value.
    if (error instanceof EnvFileError) return reply(400, { __type: 'InvalidRequestException', message: error.message }, 'InvalidRequestException');
    reply(500, { __type: 'InternalServiceError', message: `The local Secrets Manager failed: ${(error as Error).message}` }, 'InternalServiceError');
  }
}

/** The declared secret named by `secretId`: its name, its full ARN, or its ARN without the suffix. */
function find(settings: LocalSettings, secretId: unknown): LocalSecret {
  if (typeof secretId !== 'string' || secretId === '') throw new ServiceError('InvalidParameterException', 'SecretId is required: a secret name or ARN.');
  const found = settings.secrets().find((s) => secretId === s.secretName || secretId === s.arn || secretId === s.arn.slice(0, s.arn.lastIndexOf('-')));
  if (!found) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  return found;
}

function current(settings: LocalSettings, secret: LocalSecret): ReturnType<LocalSettings['secretValue']> {
  return settings.secretValue(secret.name);
}
