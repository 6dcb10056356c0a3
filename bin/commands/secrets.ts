/**
 * `multinode secrets list | set <NAME> | delete <NAME>`: the values of the app's secrets, where they live: a running
 * `multinode dev` (through its local Secrets Manager, which writes its `.env` file), the app's `.env` file when no dev
 * runs, or the deployed app's Secrets Manager secrets (`--stack`). A thin layer over runtime/local/settings/manage.ts:
 * `set` reads the value from standard input (without echo on a terminal), never from an argument; nothing prints a
 * value, only names and whether each has one.
 */
import { MultinodeError } from '../../lib/errors.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { defaultEnvFile } from '../../runtime/local/settings/env-file.js';
import { deployedSecrets, devSecrets, envFileSecrets, readSecretValue, type SecretsTarget } from '../../runtime/local/settings/manage.js';
import { checkTargetFlags, chooseApp, findTarget, meantAsEntry, shownPath, splitEntry, TARGET_OPTIONS, TARGET_USAGE, withAwsProfile } from '../app-target.js';
import { expectArguments, parseCommandArgs } from '../args.js';
import { type CliIO, UsageError } from '../io.js';
import { printJson, table } from '../output.js';
import { entryPath } from './manifest.js';
import { envFileFlag } from './settings-flags.js';
import type { Command } from './types.js';

const ACTIONS = ['list', 'set', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

export const secretsCommand: Command = {
  summary: "list the app's secrets (whether each has a value), set one from standard input, or delete one",
  usage: `Usage: multinode secrets [<entry>] list [--json]
       multinode secrets [<entry>] set <NAME> [--json]      (the value on standard input)
       multinode secrets [<entry>] delete <NAME> [--json]
       ... [--state-dir DIR] [--env-file FILE] [--stack NAME [--app PREFIX] [--region R] [--profile P]]

The values of the secrets the app declares (secret("NAME")), where they live:
  - a running multinode dev of the app: set through its local Secrets Manager, which writes its .env
    file (new invocations read the new value);
  - no dev running: the app's .env file (next to its package.json, or --env-file);
  - --stack NAME: the deployed app's Secrets Manager secrets (<prefix>/<NAME>); set is PutSecretValue.
    A deployed secret's value can be replaced but not removed (delete refuses, saying why).

list shows each secret's name and whether it has a value, never a value. set reads the value from
standard input, never from an argument: typed on a terminal (not shown; Enter ends it), or piped
(echo "$KEY" | multinode secrets set API_KEY; a final line break is dropped). Nothing prints it.

${TARGET_USAGE}
  --env-file FILE   without a running dev or --stack: the file holding the values (default: .env
                    next to the app's package.json)

Options:
  --json   list: { "store", "secrets": [{ "name", "hasValue", "where", "exists" }] }; set: { "store",
           "name", "set": true }; delete: { "store", "name", "deleted" } ("store" says where the
           values are, in words; each secret's "where" is its Secrets Manager id or its .env file)
  --help   show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('secrets', argv, {
      ...TARGET_OPTIONS,
      'env-file': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    checkTargetFlags('secrets', values);
    if (values.stack !== undefined && values['env-file'] !== undefined)
      throw new UsageError('--env-file names the local values; --stack the deployed ones: give one.', 'secrets');
    const [first] = positionals;
    const args = first !== undefined && meantAsEntry(first, io.cwd) ? positionals.slice(1) : positionals;
    const action = (args[0] ?? '') as Action;
    if (!ACTIONS.includes(action)) {
      throw new UsageError(
        args[0] === undefined ? `missing the action: ${ACTIONS.join(', ')}.` : `unknown action "${args[0]}": give one of ${ACTIONS.join(', ')}.`,
        'secrets',
      );
    }
    const [, name] = expectArguments('secrets', args, action === 'list' ? ['list'] : [action, 'NAME: the name of a secret the app declares']);
    const { entry } = splitEntry(positionals, io.cwd);
    return withAwsProfile(values.profile, async () => {
      const target = await secretsTarget(io, values, entry);
      try {
        return await act(io, target, action, name, values.json === true);
      } finally {
        target.close();
      }
    });
  },
};

type Flags = Parameters<typeof checkTargetFlags>[1] & { readonly 'env-file'?: string };

/** Where the values are: the deployed app, a running dev, or the app's .env file. */
async function secretsTarget(io: CliIO, flags: Flags, entry: string | undefined): Promise<SecretsTarget> {
  if (flags.stack !== undefined) {
    const target = await findTarget('secrets', { flags, cwd: io.cwd });
    return deployedSecrets({ manifest: target.manifest, prefix: target.config.prefix, config: { region: target.config.region } });
  }
  const envFile = envFileFlag('secrets', flags['env-file'], io.cwd);
  const chosen = await chooseApp('secrets', {
    ...(entry !== undefined ? { entry } : {}),
    ...(flags['state-dir'] !== undefined ? { stateDir: flags['state-dir'] } : {}),
    cwd: io.cwd,
  });
  if (chosen.running) {
    if (!chosen.running.envFile)
      throw new MultinodeError(`The running multinode dev of ${shownPath(chosen.entry, io.cwd)} is of an earlier version: restart it.`);
    if (envFile) io.stderr(`multinode secrets: multinode dev is running for this app and uses its own file; --env-file ${flags['env-file']} is not used.\n`);
    return devSecrets({ config: chosen.running.config, manifest: chosen.running.manifest, envFile: chosen.running.envFile });
  }
  const { manifest, logs } = await loadManifest(entryPath(io.cwd, chosen.entry));
  if (logs) io.stderr(logs);
  return envFileSecrets({ manifest, envFile: envFile ?? defaultEnvFile(chosen.entry) });
}

async function act(io: CliIO, target: SecretsTarget, action: Action, name: string | undefined, json: boolean): Promise<number> {
  const store = target.description;
  switch (action) {
    case 'list': {
      const secrets = await target.list();
      if (json) printJson(io, { store, secrets });
      else if (secrets.length === 0) io.stdout(`The app declares no secrets (${store}).\n`);
      else {
        io.stdout(`Secrets of ${store}:\n`);
        io.stdout(
          table(
            ['NAME', 'VALUE', 'WHERE'],
            secrets.map((s) => [s.name, s.hasValue ? 'set' : s.exists ? 'no value' : 'no such secret (deploy the app)', s.where]),
          ),
        );
      }
      return 0;
    }
    case 'set': {
      if (!io.stdin) throw new MultinodeError('multinode secrets set reads the value from standard input, and there is none.');
      if (io.stdin.isTTY) io.stderr(`Value of ${name} (not shown; Enter ends it): `);
      const value = await readSecretValue(io.stdin);
      if (io.stdin.isTTY) io.stderr('\n');
      await target.set(name!, value);
      if (json) printJson(io, { store, name, set: true });
      else io.stdout(`Set ${name} in ${store}.\n`);
      return 0;
    }
    case 'delete': {
      const deleted = await target.delete(name!);
      if (json) printJson(io, { store, name, deleted });
      else io.stdout(deleted ? `Deleted the value of ${name} from ${store}.\n` : `${name} had no value in ${store}.\n`);
      return 0;
    }
  }
}
