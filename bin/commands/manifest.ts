import path from 'node:path';
import { formatManifestTable } from '../../lib/manifest.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { parseCommandArgs } from '../args.js';
import { chooseApp, entryAndArguments } from '../app-target.js';
import type { Command } from './types.js';

/** The entry as the user wrote it when they run from the working directory, so messages show their path. */
export function entryPath(cwd: string, entry: string): string {
  const absolute = path.resolve(cwd, entry);
  const relative = path.relative(process.cwd(), absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

export const manifestCommand: Command = {
  summary: 'print the manifest of an app: its definitions, placement and resources',
  usage: `Usage: multinode manifest [<entry>] [--json]

Loads the app module <entry> (bundled with esbuild, run in a child process) and prints its
definitions as a table, or the manifest JSON with --json. Without <entry>: the app whose multinode dev
runs in this folder's package, else the package's only app.

Options:
  --json   print the manifest JSON
  --help   show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('manifest', argv, { json: { type: 'boolean' }, help: { type: 'boolean' } });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    const split = entryAndArguments('manifest', positionals, io.cwd, []);
    const { entry } = await chooseApp('manifest', { ...(split.entry !== undefined ? { entry: split.entry } : {}), cwd: io.cwd });
    const { manifest, logs } = await loadManifest(entryPath(io.cwd, entry));
    if (logs) io.stderr(logs);
    io.stdout(values.json ? `${JSON.stringify(manifest, null, 2)}\n` : formatManifestTable(manifest));
    return 0;
  },
};
