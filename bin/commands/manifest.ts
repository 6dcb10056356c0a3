import path from 'node:path';
import { formatManifestTable } from '../../lib/manifest.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../io.js';
import type { Command } from './types.js';

/** The entry as the user wrote it when they run from the working directory, so messages show their path. */
export function entryPath(cwd: string, entry: string): string {
  const absolute = path.resolve(cwd, entry);
  const relative = path.relative(process.cwd(), absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

export const manifestCommand: Command = {
  summary: 'print the manifest of an app: its definitions, placement and resources',
  usage: `Usage: multinode manifest <entry> [--json]

Loads the app module <entry> (bundled with esbuild, run in a child process) and prints its
definitions as a table, or the manifest JSON with --json.

Options:
  --json   print the manifest JSON
  --help   show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('manifest', argv, { json: { type: 'boolean' }, help: { type: 'boolean' } });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0
          ? 'missing <entry>: the app module, e.g. src/app.ts.'
          : `expected one <entry>, got ${positionals.length}: ${positionals.join(' ')}.`,
        'manifest',
      );
    const { manifest, logs } = await loadManifest(entryPath(io.cwd, positionals[0]!));
    if (logs) io.stderr(logs);
    io.stdout(values.json ? `${JSON.stringify(manifest, null, 2)}\n` : formatManifestTable(manifest));
    return 0;
  },
};
