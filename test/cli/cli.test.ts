import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const run = (...argv: string[]) => runCli(argv);

const packageVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('multinode CLI', () => {
  it('prints help with --help (exit 0) and without arguments (exit 2)', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: multinode <command> \[<entry>\] \[arguments\] \[options\]/);
    expect(help.stdout).toMatch(/manifest +print the manifest of an app/);
    expect((await run()).code).toBe(2);
  });

  it('lists every command in the help, and each has its own --help', async () => {
    const help = (await run('--help')).stdout;
    const names = ['dev', 'run', 'status', 'runs', 'logs', 'cancel', 'retry', 'schedules', 'dict', 'secrets', 'manifest', 'cdk', 'token'];
    for (const name of names) {
      expect(help).toMatch(new RegExp(`\\n  ${name} +\\S`));
      const own = await run(name, '--help');
      expect(own.code, name).toBe(0);
      expect(own.stdout, name).toMatch(new RegExp(`^Usage: multinode ${name} \\[<entry>\\]`));
      expect(own.stdout, name).toMatch(/--json/);
    }
  });

  it('prints the package version', async () => {
    expect(await run('--version')).toEqual({ code: 0, stdout: `${packageVersion}\n`, stderr: '' });
  });

  it('refuses an unknown command with a suggestion', async () => {
    const result = await run('manifst');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^multinode: unknown command "manifst" \(did you mean "manifest"\?\)\. Commands: .*manifest/);
    expect(result.stderr).toContain('See "multinode --help".');
  });

  it('manifest: prints a table of definitions', async () => {
    const result = await run('manifest', 'examples/tweet-summaries/src/app.ts');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^App: tweet-summaries\n\nNAME +KIND +PLACEMENT +RESOURCES\n/);
    expect(result.stdout).toMatch(/\ntweet_summaries +dict +- +-\n/);
    expect(result.stdout).toMatch(/\nextractSummaries +schedule +lambda +Lambda 256 MB, timeout 15m/);
    expect(result.stdout).toMatch(/\napi +service +lambda +Lambda 256 MB, timeout 29s, auth none\n/);
  });

  it('manifest --json: prints the manifest JSON', async () => {
    const result = await run('manifest', 'examples/daily-16cpu/src/app.ts', '--json');
    expect(result.code).toBe(0);
    const manifest = JSON.parse(result.stdout);
    expect(manifest.manifestVersion).toBe(1);
    expect(manifest.app.name).toBe('daily-16cpu');
    expect(manifest.definitions.map((d: { name: string }) => d.name)).toEqual(['daily_runs', 'dailyAt23', 'weekdaysAt23']);
  });

  it.each([
    [
      ['manifest'],
      2,
      /missing <entry>: the app module, e\.g\. src\/app\.ts \(no app has run in .* yet to find it from: .*\)\.\nSee "multinode manifest --help"\./,
    ],
    [['manifest', 'a.ts', 'b.ts'], 2, /unexpected argument: b\.ts\./],
    [['manifest', 'x.ts', '--yaml'], 2, /Unknown option '--yaml'/],
    [['manifest', 'missing/app.ts'], 1, /^multinode: The app entry missing\/app\.ts does not exist/],
  ])('manifest %j fails with exit %d', async (argv, code, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('manifest --help', async () => {
    const result = await run('manifest', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: multinode manifest \[<entry>\] \[--json\]/);
  });

  it('the built executable runs (npm test builds dist first)', () => {
    const result = spawnSync(process.execPath, ['dist/bin/multinode.js', 'manifest', 'examples/country-report/src/app.ts', '--json'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).app.name).toBe('country-report');
    const bad = spawnSync(process.execPath, ['dist/bin/multinode.js', 'manifest', 'nope.ts'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/The app entry nope\.ts does not exist/);
  });
});
