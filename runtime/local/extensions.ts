/**
 * Local services beyond DynamoDB, S3 and Lambda (the local Batch endpoint), listed in the local cloud's
 * `LOCAL_SERVICES`. They start after DynamoDB and S3 and before the Lambda workers, so the endpoints they return
 * reach every worker's environment.
 */
import type { Manifest } from '../../lib/manifest.js';
import type { RuntimeConfig, Service } from '../core/config.js';
import type { LocalLogs } from './logs/index.js';
import type { LocalSettings } from './settings/local-settings.js';

export interface LocalServiceContext {
  readonly manifest: Manifest;
  /** The app's configuration, with the endpoints started so far (DynamoDB, S3, Lambda). */
  readonly config: RuntimeConfig;
  /** Absolute path of the app bundle. */
  readonly bundle: string;
  /** The persisted state directory, when there is one. */
  readonly stateDir?: string;
  readonly log: (source: string, line: string) => void;
  /** The local CloudWatch Logs, for services whose output goes to log groups. */
  readonly cloudLogs: LocalLogs;
  /** The app's secrets and config settings (their local ARNs, the config environment). */
  readonly settings?: LocalSettings;
}

export interface LocalServiceInstance {
  readonly endpoints?: Partial<Record<Service, string>>;
  /** The app was rebuilt (or its settings changed): later work uses the new bundle, manifest and settings. */
  replaceBundle?(bundle: string, manifest: Manifest): void | Promise<void>;
  close(): Promise<void>;
}

export interface LocalServiceExtension {
  readonly name: string;
  /** Starts the service for this app, or returns undefined when the app does not need it. */
  start(context: LocalServiceContext): Promise<LocalServiceInstance | undefined>;
}
