/**
 * A gzipped tar archive of a folder: how a Batch container receives the bundle with its native modules (the
 * container's bootstrap unpacks it with node:zlib and a few lines of its own, runtime/batch/bootstrap.ts; the
 * public Node.js image has no tar to rely on). POSIX ustar entries (files, folders, symbolic links), with a pax
 * header only for a path or link target too long for ustar's fields. The archive is reproducible: entries sorted,
 * times, owners and the gzip header zeroed, so the same folder gives the same bytes (and the same CDK asset).
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export type TarEntry =
  | { readonly type: 'file'; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly type: 'directory'; readonly path: string }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, length, 'utf8');
}

function octal(header: Buffer, offset: number, length: number, value: number): void {
  field(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** ustar keeps a path as prefix (155 bytes) + "/" + name (100 bytes); undefined when it cannot be split so. */
function splitPath(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let at = name.indexOf('/'); at >= 0; at = name.indexOf('/', at + 1)) {
    const prefix = name.slice(0, at);
    const rest = name.slice(at + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { prefix, name: rest };
  }
  return undefined;
}

function header(name: string, prefix: string, type: string, size: number, mode: number, target = ''): Buffer {
  const block = Buffer.alloc(BLOCK);
  field(block, 0, 100, name);
  octal(block, 100, 8, mode);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, 0);
  field(block, 156, 1, type);
  field(block, 157, 100, target);
  field(block, 257, 6, 'ustar\0');
  field(block, 263, 2, '00');
  field(block, 345, 155, prefix);
  // The checksum is computed with its own field as spaces.
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  field(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

function padded(data: Uint8Array): Buffer[] {
  const rest = data.length % BLOCK;
  return rest === 0 ? [Buffer.from(data)] : [Buffer.from(data), Buffer.alloc(BLOCK - rest)];
}

/** A pax record: "<length> <key>=<value>\n", the length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return `${length}${body}`;
}

/** The tar bytes of `entries`, in the order given. */
export function tar(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const name = entry.type === 'directory' ? `${entry.path.replace(/\/+$/, '')}/` : entry.path;
    const target = entry.type === 'symlink' ? entry.target : '';
    const split = splitPath(name);
    const pax = [...(split ? [] : [paxRecord('path', name)]), ...(Buffer.byteLength(target) > 100 ? [paxRecord('linkpath', target)] : [])].join('');
    if (pax) blocks.push(header('pax', '', 'x', Buffer.byteLength(pax), 0o644), ...padded(Buffer.from(pax)));
    const { prefix, name: short } = split ?? { prefix: '', name: name.slice(-100) };
    const shortTarget = Buffer.byteLength(target) > 100 ? '' : target;
    if (entry.type === 'file') blocks.push(header(short, prefix, '0', entry.data.length, entry.mode ?? 0o644), ...padded(entry.data));
    else if (entry.type === 'directory') blocks.push(header(short, prefix, '5', 0, 0o755));
    else blocks.push(header(short, prefix, '2', 0, 0o777, shortTarget));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

/** `tar` gzipped, with the gzip header's time left at zero. */
export function tarGzip(entries: readonly TarEntry[]): Buffer {
  return gzipSync(tar(entries), { level: 6 });
}

/**
 * The entries of the files under `root`, as `<under>/<relative path>`, sorted: files (executable ones keep 0755),
 * folders and symbolic links (kept as links).
 */
export function folderEntries(root: string, under: string): TarEntry[] {
  const entries: TarEntry[] = [];
  const walk = (dir: string, relative: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      const inArchive = `${relative}/${name}`;
      const stat = lstatSync(file);
      if (stat.isSymbolicLink()) entries.push({ type: 'symlink', path: inArchive, target: readlinkSync(file) });
      else if (stat.isDirectory()) {
        entries.push({ type: 'directory', path: inArchive });
        walk(file, inArchive);
      } else if (stat.isFile()) entries.push({ type: 'file', path: inArchive, data: readFileSync(file), mode: stat.mode & 0o111 ? 0o755 : 0o644 });
    }
  };
  entries.push({ type: 'directory', path: under });
  walk(root, under);
  return entries;
}
