/** The archive Batch containers unpack: a reproducible gzipped tar that GNU tar reads as written. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { folderEntries, tarGzip } from '../../runtime/build/tar.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'multinode-tar-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const longName = `${'n'.repeat(120)}.json`;
const longTarget = `/${'t'.repeat(150)}/module`;

function sampleFolder(): string {
  const root = path.join(work, `folder-${Math.random().toString(36).slice(2)}`);
  mkdirSync(path.join(root, 'pkg', 'lib'), { recursive: true });
  writeFileSync(path.join(root, 'pkg', 'package.json'), '{"name":"pkg"}');
  writeFileSync(path.join(root, 'pkg', 'lib', 'tool.sh'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(path.join(root, 'pkg', 'lib', longName), '{}');
  symlinkSync(longTarget, path.join(root, 'linked'));
  symlinkSync('pkg', path.join(root, 'alias'));
  return root;
}

describe('tarGzip', () => {
  it('writes what GNU tar lists: folders, files with their modes, links, and long paths through pax headers', () => {
    const root = sampleFolder();
    const archive = path.join(work, 'sample.tar.gz');
    writeFileSync(archive, tarGzip(folderEntries(root, 'node_modules')));
    const listing = execFileSync('tar', ['-tvzf', archive], { encoding: 'utf8' }).trim().split('\n');
    const byName = (suffix: string) => listing.find((line) => line.endsWith(suffix)) ?? `(no entry ending ${suffix})`;
    expect(byName('node_modules/pkg/lib/tool.sh')).toMatch(/^-rwxr-xr-x /);
    expect(byName('node_modules/pkg/package.json')).toMatch(/^-rw-r--r-- /);
    expect(byName('node_modules/pkg/lib/')).toMatch(/^drwxr-xr-x /);
    expect(byName(`node_modules/pkg/lib/${longName}`)).toMatch(/^-rw-r--r-- /);
    expect(byName(`node_modules/linked -> ${longTarget}`)).toMatch(/^lrwxrwxrwx /);
    expect(byName('node_modules/alias -> pkg')).toMatch(/^lrwxrwxrwx /);
    const out = path.join(work, 'unpacked');
    mkdirSync(out);
    execFileSync('tar', ['-xzf', archive, '-C', out]);
    expect(readFileSync(path.join(out, 'node_modules/pkg/package.json'), 'utf8')).toBe('{"name":"pkg"}');
  });

  it('gives the same bytes for the same folder (the CDK asset hash stays the same)', () => {
    const root = sampleFolder();
    const first = tarGzip(folderEntries(root, 'node_modules'));
    const again = tarGzip(folderEntries(root, 'node_modules'));
    expect(first.equals(again)).toBe(true);
    expect(first.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});
