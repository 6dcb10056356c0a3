import { parseDurationSeconds } from '../../lib/units/duration.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { prepareStateDir } from '../../runtime/local/state-dir.js';
import { jwtAuthOf, LocalTokenIssuer } from '../../runtime/local/tokens.js';
import { parseCommandArgs } from '../args.js';
import { chooseApp, entryAndArguments } from '../app-target.js';
import { UsageError } from '../io.js';
import { printJson } from '../output.js';
import type { Command } from './types.js';

/** The longest a local token may live. */
const MAX_EXPIRES_SECONDS = 30 * 24 * 3600;

export const tokenCommand: Command = {
  summary: 'print a JWT that the local gateway of a service with JWT auth accepts',
  usage: `Usage: multinode token [<entry>] <service> [--sub S] [--claims JSON] [--expires DURATION] [--state-dir DIR] [--json]

Prints a JSON Web Token for <service>, a service of the app <entry> declared with
auth: { jwt: { issuer, audience } }. It is signed with the app's local key (kept in the state
directory) for the service's issuer and first audience, and "multinode dev" of the app accepts it:

  curl -H "Authorization: Bearer $(multinode token src/app.ts api)" http://127.0.0.1:3000/me

Locally only this key is trusted: a token of the real issuer is refused by multinode dev, and a
token printed here is refused in AWS. Without <entry>: the app whose multinode dev runs in this
folder's package, else the package's only app.

Options:
  --sub S             the sub claim; default multinode-local-user
  --claims JSON       more claims, as a JSON object, applied last: '{"groups":["admin"]}'
                      (an iss, aud or exp given here replaces the service's, to try a refusal)
  --expires DURATION  how long the token is valid: 90s, 30m, 1h, 7d; default 1h, at most 30d
  --state-dir DIR     the app's data and token key; default <app>/.multinode/<entry> next to the
                      app's package.json
  --json              print { "token", "service", "expiresAt" }
  --help              show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('token', argv, {
      sub: { type: 'string' },
      claims: { type: 'string' },
      expires: { type: 'string' },
      'state-dir': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    const split = entryAndArguments('token', positionals, io.cwd, ['service: the service with JWT auth']);
    const claims = parseClaims(values.claims);
    const expiresInSeconds = parseExpires(values.expires);
    if (values.sub !== undefined && values.sub.trim() === '') throw new UsageError('--sub must not be empty.', 'token');
    const service = split.rest[0]!;
    const { entry, stateDir } = await chooseApp('token', {
      ...(split.entry !== undefined ? { entry: split.entry } : {}),
      ...(values['state-dir'] !== undefined ? { stateDir: values['state-dir'] } : {}),
      cwd: io.cwd,
      opensState: true,
    });

    const { manifest, logs } = await loadManifest(entry);
    if (logs) io.stderr(logs);
    const auth = jwtAuthOf(manifest, service);
    const layout = await prepareStateDir(stateDir, manifest.app.name, entry);
    const tokens = await LocalTokenIssuer.load(layout.root);
    const token = await tokens.issue(auth, { ...(values.sub !== undefined ? { subject: values.sub } : {}), claims, expiresInSeconds });
    if (values.json) printJson(io, { token, service, expiresAt: new Date(Date.now() + expiresInSeconds * 1000).toISOString() });
    else io.stdout(`${token}\n`);
    return 0;
  },
};

function parseClaims(value: string | undefined): Record<string, unknown> {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--claims must be a JSON object, such as '{"groups":["admin"]}': ${(error as Error).message}.`, 'token');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(
      `--claims must be a JSON object, such as '{"groups":["admin"]}'; got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}.`,
      'token',
    );
  }
  return parsed as Record<string, unknown>;
}

function parseExpires(value: string | undefined): number {
  if (value === undefined) return 3600;
  const parsed = parseDurationSeconds(value);
  if ('problem' in parsed || parsed.seconds < 1 || parsed.seconds > MAX_EXPIRES_SECONDS) {
    throw new UsageError(`--expires must be a duration from 1s to 30d, such as 90s, 30m, 1h or 7d; got "${value}".`, 'token');
  }
  return Math.ceil(parsed.seconds);
}
