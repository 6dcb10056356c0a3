/**
 * A local container credentials endpoint: what the ECS agent serves on 169.254.170.2 inside a Batch container.
 * Each container gets its own path and authorization token; the endpoint answers
 * `GET <path>` (with `Authorization: <token>`) with the task role's credentials in the ECS JSON shape
 * (`AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`, `RoleArn`). Containers find it through the standard
 * `AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN` variables, which the bootstrap and the
 * AWS SDK both read (loopback URLs are allowed over plain HTTP).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { startLocalServer } from '../http-server.js';

export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface ContainerCredentialsOptions {
  /** What every container receives; default the local S3's key pair (S3RVER / S3RVER). */
  credentials?: StaticCredentials;
  /** Lifetime advertised in `Expiration`; default 1 hour. */
  ttlMs?: number;
  clock?: () => number;
}

export interface ContainerCredentialsEndpoint {
  readonly url: string;
  /** Registers a container; returns the environment variables that point it at its credentials. */
  register(roleArn: string): { env: Record<string, string>; revoke(): void };
  close(): Promise<void>;
}

/** Task-role credentials are temporary, so they always carry a session token (the SDK requires `Token`). */
export const LOCAL_CREDENTIALS: StaticCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: 'multinode-local-session' };

export async function startContainerCredentials(options: ContainerCredentialsOptions = {}): Promise<ContainerCredentialsEndpoint> {
  const credentials = options.credentials ?? LOCAL_CREDENTIALS;
  const ttlMs = options.ttlMs ?? 3600_000;
  const clock = options.clock ?? Date.now;
  const grants = new Map<string, { token: string; roleArn: string }>();

  const server = await startLocalServer(
    (request, response) => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      const grant = grants.get(request.url ?? '');
      if (request.method !== 'GET' || !grant) return reply(404, { message: 'no credentials at this path' });
      if (request.headers.authorization !== grant.token) return reply(401, { message: 'missing or wrong authorization token' });
      reply(200, {
        AccessKeyId: credentials.accessKeyId,
        SecretAccessKey: credentials.secretAccessKey,
        Token: credentials.sessionToken ?? LOCAL_CREDENTIALS.sessionToken,
        Expiration: new Date(clock() + ttlMs).toISOString(),
        RoleArn: grant.roleArn,
      });
    },
    { name: 'the container credentials endpoint' },
  );
  const url = server.url;

  return {
    url,
    register(roleArn) {
      const path = `/v2/credentials/${randomUUID()}`;
      const token = randomBytes(24).toString('base64url');
      grants.set(path, { token, roleArn });
      return {
        env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${url}${path}`, AWS_CONTAINER_AUTHORIZATION_TOKEN: token },
        revoke: () => void grants.delete(path),
      };
    },
    close: server.close,
  };
}
