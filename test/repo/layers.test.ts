/**
 * The layers of the code and which way imports point (docs/architecture.md): the model imports no other folder; the
 * runtime never imports the local cloud, the constructs or the CLI; inside the runtime, `core` imports no capability
 * and no capability imports the entry points. Checked on the sources, so a wrong import fails `npm test`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((entry) => {
    const relative = path.join(dir, entry);
    if (statSync(path.join(ROOT, relative)).isDirectory()) return sources(relative);
    return /\.(ts|mts)$/.test(entry) && !entry.endsWith('.d.ts') ? [relative] : [];
  });
}

/** The repository-relative files `file` imports (relative specifiers only; packages are not layers). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => m[1]!);
  return specifiers.map((spec) => path.normalize(path.join(path.dirname(file), spec)));
}

/** Files under `from` that import a file under one of `forbidden` (folder prefixes). */
function violations(from: string, forbidden: readonly string[], except: readonly string[] = []): string[] {
  return sources(from)
    .filter((file) => !except.some((prefix) => file.startsWith(prefix)))
    .flatMap((file) =>
      importsOf(file)
        .filter((target) => forbidden.some((prefix) => target.startsWith(prefix)))
        .map((target) => `${file} -> ${target}`),
    );
}

const CAPABILITIES = [
  'runtime/functions/',
  'runtime/jobs/',
  'runtime/schedules/',
  'runtime/services/',
  'runtime/dicts/',
  'runtime/locks/',
  'runtime/settings/',
];

describe('imports point one way', () => {
  it('lib/ (the model) imports no other folder', () => {
    expect(violations('lib', ['runtime/', 'constructs/', 'bin/'])).toEqual([]);
  });

  it('runtime/ never imports the local cloud, the constructs or the CLI', () => {
    expect(violations('runtime', ['runtime/local/', 'constructs/', 'bin/'], ['runtime/local/'])).toEqual([]);
  });

  it('runtime/core imports no capability and no entry point', () => {
    expect(violations('runtime/core', [...CAPABILITIES, 'runtime/entry/', 'runtime/build/'])).toEqual([]);
  });

  it('no capability imports an entry point', () => {
    expect(CAPABILITIES.flatMap((dir) => violations(dir, ['runtime/entry/']))).toEqual([]);
  });

  it('the control plane sits on top: the runtime it is built on never imports it', () => {
    const below = ['runtime/core', 'runtime/state', 'runtime/batch', 'runtime/entry', 'runtime/build', ...CAPABILITIES.map((dir) => dir.slice(0, -1))];
    expect(below.flatMap((dir) => violations(dir, ['runtime/control/']))).toEqual([]);
  });

  it('the dashboard sits on the control plane: nothing else in the runtime imports it', () => {
    expect(violations('runtime', ['runtime/dashboard/'], ['runtime/dashboard/'])).toEqual([]);
  });

  it('the local cloud and the constructs never import the CLI', () => {
    expect([...violations('runtime/local', ['bin/']), ...violations('constructs', ['bin/', 'runtime/local/'])]).toEqual([]);
  });

  it('finds a wrong import (the check can fail)', () => {
    expect(importsOf('runtime/entry/lambda-handler.ts')).toContain(path.normalize('runtime/functions/call-event.ts').replace('.ts', '.js'));
  });
});
