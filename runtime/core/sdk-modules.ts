/**
 * The AWS SDK packages the runtime loads at first use rather than when the app bundle loads: Lambda, S3 and Batch
 * (and Secrets Manager, CloudFormation and EventBridge Scheduler, which few processes use).
 * The bundle is split at these `import()`s (runtime/build/bundle.ts), so a function that only uses dicts never reads
 * or evaluates their code: its cold start pays for DynamoDB alone. DynamoDB is loaded with the bundle: every runtime
 * action reads or writes the state table or a dict.
 *
 * Each package is imported once; later callers share the promise (a resolved promise costs one microtask).
 */
type LambdaSdk = typeof import('@aws-sdk/client-lambda');
type S3Sdk = typeof import('@aws-sdk/client-s3');
type BatchSdk = typeof import('@aws-sdk/client-batch');
type SecretsManagerSdk = typeof import('@aws-sdk/client-secrets-manager');
type CloudFormationSdk = typeof import('@aws-sdk/client-cloudformation');
type SchedulerSdk = typeof import('@aws-sdk/client-scheduler');

/**
 * The exports of a CommonJS package imported with `import()`: its namespace's `default`, which is `module.exports`
 * both in Node and in the split bundle (whose chunk of a CommonJS package exports only a default; its named exports
 * are undefined there). The namespace itself if the package is ever resolved as ESM, which has no default.
 */
function exportsOf<T>(namespace: T): T {
  return (namespace as { default?: T }).default ?? namespace;
}

/** A loader that imports its package at the first call; later calls share the promise. */
function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().then(exportsOf);
    return loaded;
  };
}

// Each import() names its package literally: esbuild splits the bundle at these calls.
/** `@aws-sdk/client-lambda`, loaded on the first call. */
export const lambdaSdk: () => Promise<LambdaSdk> = loadOnce(() => import('@aws-sdk/client-lambda'));
/** `@aws-sdk/client-s3`, loaded on the first call. */
export const s3Sdk: () => Promise<S3Sdk> = loadOnce(() => import('@aws-sdk/client-s3'));
/** `@aws-sdk/client-batch`, loaded on the first call. */
export const batchSdk: () => Promise<BatchSdk> = loadOnce(() => import('@aws-sdk/client-batch'));
/** `@aws-sdk/client-secrets-manager`, loaded on the first call. */
export const secretsManagerSdk: () => Promise<SecretsManagerSdk> = loadOnce(() => import('@aws-sdk/client-secrets-manager'));
/** `@aws-sdk/client-cloudformation`, loaded on the first call. */
export const cloudFormationSdk: () => Promise<CloudFormationSdk> = loadOnce(() => import('@aws-sdk/client-cloudformation'));
/** `@aws-sdk/client-scheduler`, loaded on the first call. */
export const schedulerSdk: () => Promise<SchedulerSdk> = loadOnce(() => import('@aws-sdk/client-scheduler'));

/** A client made at its first use (its SDK package loaded then), once; `destroy` closes it if it was made. */
export class LazyClient<C extends { destroy(): void }> {
  #made: Promise<C> | undefined;

  constructor(private readonly make: () => Promise<C>) {}

  get(): Promise<C> {
    this.#made ??= this.make();
    return this.#made;
  }

  /** Closes the client's sockets (once it is made, if it is being made); a later `get` makes a new one. */
  destroy(): void {
    const made = this.#made;
    this.#made = undefined;
    void made?.then(
      (client) => client.destroy(),
      () => undefined,
    );
  }
}
