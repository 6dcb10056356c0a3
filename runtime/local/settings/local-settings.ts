/**
 * The values of an app's secrets and config settings in the local cloud: its `.env` file (the app's folder's, or the
 * one given with `--env-file`), read again whenever it changes, so the file is the one place values live locally
 * (nothing is copied into the state directory). The local Secrets Manager endpoint serves the secrets from here, and
 * the config settings reach the local Lambda workers and Batch containers as `MULTINODE_CONFIG_<name>`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, statSync, unwatchFile, watchFile } from 'node:fs';
import type { Manifest } from '../../../lib/manifest.js';
import { resourceNames } from '../../../lib/naming.js';
import { SECRET_VALUE_MAX_BYTES, secretValueProblem } from '../../../lib/settings/limits.js';
import { configEnvironment } from '../../settings/environment.js';
import { EnvFileError, type EnvFile, readEnvFile, removeEnvValue, setEnvValue } from './env-file.js';

/** The most a Secrets Manager secret holds (lib/settings/limits.ts). */
export const SECRET_VALUE_LIMIT_BYTES = SECRET_VALUE_MAX_BYTES;

export interface SecretStatus {
  readonly name: string;
  readonly hasValue: boolean;
}

export interface ConfigStatus {
  readonly name: string;
  /** Where its value comes from: the `.env` file, the default in the code, or nowhere (reading it fails). */
  readonly source: 'env-file' | 'default' | 'none';
}

export interface SettingsStatus {
  /** The `.env` file values come from. */
  readonly envFile: string;
  readonly secrets: readonly SecretStatus[];
  readonly config: readonly ConfigStatus[];
  /** Names set in the file that the app declares neither as a secret nor as a config setting. */
  readonly undeclared: readonly string[];
}

export interface LocalSecret {
  /** The setting's name (`OPENAI_API_KEY`). */
  readonly name: string;
  /** The Secrets Manager secret's name (`<prefix>/OPENAI_API_KEY`). */
  readonly secretName: string;
  readonly arn: string;
}

export class LocalSettings {
  readonly envFile: string;
  readonly #region: string;
  readonly #accountId: string;
  #manifest: Manifest;
  #prefix: string;
  #parsed: { signature: string; file: EnvFile } | undefined;
  /** A version id per value seen (random: a hash of a value would tell something about it). */
  readonly #versions = new Map<string, { value: string; versionId: string; createdAt: Date }>();
  /** The six characters Secrets Manager adds to a secret's ARN, one per secret for the life of this cloud. */
  readonly #suffixes = new Map<string, string>();
  #watching: (() => void) | undefined;

  constructor(options: { envFile: string; manifest: Manifest; prefix: string; region: string; accountId?: string }) {
    this.envFile = options.envFile;
    this.#manifest = options.manifest;
    this.#prefix = options.prefix;
    this.#region = options.region;
    this.#accountId = options.accountId ?? '000000000000';
  }

  /** The app was rebuilt: its declared secrets and settings may have changed. */
  setManifest(manifest: Manifest): void {
    this.#manifest = manifest;
  }

  /** Reads the file (when it changed) and checks it: a malformed line or an oversized secret is an EnvFileError. */
  check(): EnvFile {
    const file = this.#read();
    for (const { name } of this.#manifest.secrets) {
      const entry = file.get(name);
      const problem = entry?.value ? secretValueProblem(name, entry.value) : undefined;
      if (problem) throw new EnvFileError(file.file, entry!.line, `${problem}.`);
    }
    return file;
  }

  /** The app's secrets as Secrets Manager names them here. */
  secrets(): LocalSecret[] {
    const names = resourceNames(this.#prefix);
    return this.#manifest.secrets.map(({ name }) => {
      const secretName = names.secret(name);
      return { name, secretName, arn: this.arn(secretName) };
    });
  }

  /** The local ARN of a Secrets Manager secret name. */
  arn(secretName: string): string {
    let suffix = this.#suffixes.get(secretName);
    if (!suffix) this.#suffixes.set(secretName, (suffix = arnSuffix()));
    return `arn:aws:secretsmanager:${this.#region}:${this.#accountId}:secret:${secretName}-${suffix}`;
  }

  /** A secret's current value and version, or undefined when it has none (absent, or `NAME=` with nothing after). */
  secretValue(name: string): { value: string; versionId: string; createdAt: Date } | undefined {
    const value = this.check().get(name)?.value;
    if (!value) return undefined;
    const known = this.#versions.get(name);
    if (known?.value === value) return known;
    const version = { value, versionId: randomUUID(), createdAt: new Date() };
    this.#versions.set(name, version);
    return version;
  }

  /** Sets a secret's value in the file (its line replaced, or appended); the secret must be declared. */
  putSecret(name: string, value: string): { versionId: string; createdAt: Date } {
    this.#requireSecret(name);
    const problem = secretValueProblem(name, value);
    if (problem) throw new EnvFileError(this.envFile, undefined, `${problem}.`);
    setEnvValue(this.envFile, name, value);
    const version = this.secretValue(name);
    if (!version) throw new EnvFileError(this.envFile, undefined, `the value of ${name} did not read back after writing it.`);
    return version;
  }

  /** Removes a secret's value (its line) from the file; false when it had none. */
  removeSecret(name: string): boolean {
    this.#requireSecret(name);
    return removeEnvValue(this.envFile, name);
  }

  /** The environment that gives the config settings their `.env` values (settings without one are left out). */
  configEnvironment(): Record<string, string> {
    const file = this.check();
    const values: Record<string, string> = {};
    for (const { name } of this.#manifest.config) {
      const value = file.get(name)?.value;
      if (value) values[name] = value;
    }
    return configEnvironment(values);
  }

  /** Which secrets have values, where each config setting's value comes from, and names the app does not declare. */
  status(): SettingsStatus {
    const file = this.check();
    const declared = new Set([...this.#manifest.secrets.map((s) => s.name), ...this.#manifest.config.map((c) => c.name)]);
    return {
      envFile: this.envFile,
      secrets: this.#manifest.secrets.map(({ name }) => ({ name, hasValue: Boolean(file.get(name)?.value) })),
      config: this.#manifest.config.map(({ name, default: fallback }) => ({
        name,
        source: file.get(name)?.value ? 'env-file' : fallback !== null ? 'default' : 'none',
      })),
      undeclared: file.entries.map((e) => e.name).filter((name) => !declared.has(name)),
    };
  }

  /**
   * Calls `onChange` when the file's contents change (polling its status, which works whichever way an editor
   * saves, and for a file created later). One watcher at a time; `unwatch` stops it.
   */
  watch(onChange: () => void, intervalMs = 250): void {
    this.unwatch();
    let last = this.#signature();
    const listener = () => {
      const now = this.#signature();
      if (now === last) return;
      last = now;
      onChange();
    };
    watchFile(this.envFile, { interval: intervalMs, persistent: false }, listener);
    this.#watching = () => unwatchFile(this.envFile, listener);
  }

  unwatch(): void {
    this.#watching?.();
    this.#watching = undefined;
  }

  #requireSecret(name: string): void {
    if (!this.#manifest.secrets.some((s) => s.name === name)) {
      const known = this.#manifest.secrets.map((s) => s.name);
      throw new EnvFileError(this.envFile, undefined, `the app declares no secret "${name}"; its secrets: ${known.join(', ') || '(none)'}.`);
    }
  }

  #signature(): string {
    if (!existsSync(this.envFile)) return 'absent';
    const stat = statSync(this.envFile);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  }

  #read(): EnvFile {
    const signature = this.#signature();
    if (this.#parsed?.signature !== signature) this.#parsed = { signature, file: readEnvFile(this.envFile) };
    return this.#parsed.file;
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Six letters and digits, as Secrets Manager ends an ARN (no "-" inside, so the name before it can be found). */
function arnSuffix(): string {
  return [...randomBytes(6)].map((byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}
