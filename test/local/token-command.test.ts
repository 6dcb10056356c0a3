/**
 * `multinode token <entry> <service>`: prints a JWT signed with the app's local key (kept in the state directory),
 * which `multinode dev` of the app accepts on a service with JWT auth; bad input exits 2 (the command line) or 1
 * (a service the app does not have, or one without JWT auth), saying what is wrong.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';

const repo = path.resolve(import.meta.dirname, '../..');
const entry = path.join(import.meta.dirname, 'fixtures/auth-app/src/app.ts');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-token-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('multinode token', () => {
  it('prints a token that multinode dev of the app accepts, with the claims asked for', async () => {
    const stateDir = path.join(scratch, 'state');
    const printed = await runCli(
      ['token', entry, 'members', '--sub', 'alice', '--claims', '{"groups":["admin"]}', '--expires', '5m', '--state-dir', stateDir],
      repo,
    );
    expect(printed.stderr).not.toMatch(/multinode:/);
    expect(printed.code).toBe(0);
    const token = printed.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = claimsOf(token);
    expect(claims).toMatchObject({ iss: 'https://auth.example.com/', aud: 'members-api', sub: 'alice', groups: ['admin'] });
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    // The key stays in the state directory, readable by its owner only.
    expect(statSync(path.join(stateDir, 'token-key.json')).mode & 0o077).toBe(0);

    const dev = startCli(['dev', entry, '--port', '0', '--no-schedules', '--state-dir', stateDir], repo);
    try {
      const [, url] = await dev.waitFor(/service members: (http:\/\/127\.0\.0\.1:\d+)/);
      expect((await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${url}/me`)).status).toBe(401);
      // A token printed while dev runs is signed with the same key.
      const again = await runCli(['token', entry, 'members', '--state-dir', stateDir], repo);
      expect(again.code).toBe(0);
      expect(claimsOf(again.stdout.trim())).toMatchObject({ sub: 'multinode-local-user' });
      expect((await fetch(`${url}/me`, { headers: { authorization: again.stdout.trim() } })).status).toBe(200);
    } finally {
      dev.stop();
      expect(await dev.exit).toBe(0);
    }
  });

  it('exits 1 naming the services with JWT auth, for an unknown service or one without JWT auth', async () => {
    const stateDir = path.join(scratch, 'bad');
    const unknown = await runCli(['token', entry, 'nope', '--state-dir', stateDir], repo);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /multinode: The app has no service named "nope"; its services: open, privateApi, members\. Services with JWT auth: members\./,
    );
    const iam = await runCli(['token', entry, 'privateApi', '--state-dir', stateDir], repo);
    expect(iam.code).toBe(1);
    expect(iam.stderr).toMatch(/multinode: The service "privateApi" has auth "iam", not a JWT authorizer.*Services with JWT auth: members\./);
    expect(iam.stdout).toBe('');
  });

  it('exits 2 on a wrong command line, saying what is wrong', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['token', entry], /missing <service> \(the service with JWT auth\)/],
      [['token', entry, 'members', '--claims', '[1]'], /--claims must be a JSON object.*got an array/],
      [['token', entry, 'members', '--claims', 'role=admin'], /--claims must be a JSON object, such as/],
      [['token', entry, 'members', '--expires', 'soon'], /--expires must be a duration from 1s to 30d.*got "soon"/],
      [['token', entry, 'members', '--expires', '31d'], /--expires must be a duration from 1s to 30d/],
      [['token', entry, 'members', '--audience', 'x'], /Unknown option '--audience'/],
    ];
    for (const [argv, message] of cases) {
      const result = await runCli(argv, repo);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/See "multinode token --help"/);
    }
  });
});
