/**
 * Watches the files an app bundle is built from, with esbuild's own watch mode. esbuild knows every input of the
 * bundle (the entry, what it imports from any folder, packages), follows imports an edit adds or removes, and
 * polls the files' contents, so a file saved in place and one replaced by renaming a temporary file over it (what
 * `sed -i` and many editors do) are both seen. Node's recursive `fs.watch` on Linux loses a file once it has been
 * replaced. This only detects changes: the caller rebuilds (the local cloud builds into a new folder each time).
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { appBuildOptions, checkEntry } from './bundle.js';

export interface InputWatcher {
  close(): Promise<void>;
}

/**
 * Calls `onChange` after each change of the bundle's inputs, with the absolute paths of the inputs that changed
 * (empty when they cannot be told, e.g. after a failed build).
 */
export async function watchAppInputs(entry: string, onChange: (changed: string[]) => void): Promise<InputWatcher> {
  const absoluteEntry = checkEntry(entry);
  const workingDir = process.cwd();
  let stamps: Map<string, string> | undefined;
  let learned!: () => void;
  const firstBuild = new Promise<void>((resolve) => (learned = resolve));
  const context = await esbuild.context({
    ...appBuildOptions(absoluteEntry, { outDir: os.tmpdir() }),
    absWorkingDir: workingDir,
    write: false,
    metafile: true,
    plugins: [
      {
        name: 'multinode-input-watch',
        setup(build) {
          build.onEnd((result) => {
            const next = result.metafile ? stampsOf(Object.keys(result.metafile.inputs), workingDir) : undefined;
            // The first build (at watch start) only learns the inputs.
            if (stamps === undefined) {
              stamps = next ?? new Map();
              learned();
              return;
            }
            const changed = next ? [...next].filter(([file, stamp]) => stamps!.get(file) !== stamp).map(([file]) => file) : [];
            if (next) stamps = next;
            onChange(changed);
          });
        },
      },
    ],
  });
  await context.watch();
  // Until the first build has ended, an edit would become part of what it learned and go unseen: resolve after it.
  await firstBuild;
  return { close: () => context.dispose() };
}

/** Modification time, size and inode of each input file: a rename-save changes the inode, an in-place save the time. */
function stampsOf(inputs: readonly string[], workingDir: string): Map<string, string> {
  const stamps = new Map<string, string>();
  for (const input of inputs) {
    const file = path.resolve(workingDir, input);
    try {
      const stat = statSync(file);
      stamps.set(file, `${stat.mtimeMs}:${stat.size}:${stat.ino}`);
    } catch {
      // Not a file on disk (esbuild's stdin, a namespace of a plugin).
    }
  }
  return stamps;
}
