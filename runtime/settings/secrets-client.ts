/**
 * The Secrets Manager client, loaded and made on first use: most invocations never read a secret, and those that do
 * read each one once per process, so neither the client's module nor its sockets cost anything at a cold start.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig } from '../core/clients.js';
import type { RuntimeConfig } from '../core/config.js';
import { secretsManagerSdk } from '../core/sdk-modules.js';

/** The Secrets Manager calls the runtime makes. */
export interface SecretsReader {
  getSecretString(secretId: string): Promise<GetSecretValueCommandOutput>;
  destroy(): void;
}

/** A reader whose client (and its module) is created at the first call. */
export function lazySecretsReader(config: RuntimeConfig): SecretsReader {
  let made: Promise<{ client: SecretsManagerClient; get: (secretId: string) => Promise<GetSecretValueCommandOutput> }> | undefined;
  const make = () =>
    (made ??= secretsManagerSdk().then(({ SecretsManagerClient, GetSecretValueCommand }) => {
      const client = new SecretsManagerClient(secretsClientConfig(config));
      return { client, get: (secretId: string) => client.send(new GetSecretValueCommand({ SecretId: secretId })) };
    }));
  return {
    async getSecretString(secretId) {
      return (await make()).get(secretId);
    },
    destroy() {
      void made?.then(({ client }) => client.destroy());
    },
  };
}

/**
 * The runtime's client configuration for Secrets Manager, without keep-alive: a process reads a secret once, and an
 * idle kept-alive socket would hold a finished Batch container's process open.
 */
export function secretsClientConfig(config: RuntimeConfig) {
  const agentOptions = { keepAlive: false };
  return {
    ...clientConfig(config, 'secretsmanager'),
    requestHandler: { httpAgent: new HttpAgent(agentOptions), httpsAgent: new HttpsAgent(agentOptions), requestTimeout: 10_000 },
  };
}
