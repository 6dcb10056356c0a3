/**
 * Where a definition was declared in user code. Definitions are named from their export only after the module has
 * loaded, so errors raised while the module loads point at this call site instead (and at the variable it is
 * assigned to, when the line shows one).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CallSite {
  /** Absolute path of the source file (after source maps). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

const FRAME = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?\s*$/;

/**
 * A call site captured cheaply and read only when needed. V8 formats a captured stack on first access, and with
 * `--enable-source-maps` that first access parses the bundle's whole source map: doing it for every definition at
 * load would slow every cold start, so the stack is read only when a message needs the site.
 */
export class SourceSite {
  #holder: { stack?: string } | undefined;
  #resolved: CallSite | null | undefined;

  constructor(holder: { stack?: string }) {
    this.#holder = holder;
  }

  /** The site, or undefined when the stack shows none. */
  resolve(): CallSite | undefined {
    if (this.#resolved === undefined) {
      this.#resolved = parseFirstFrame(this.#holder?.stack ?? '') ?? null;
      this.#holder = undefined;
    }
    return this.#resolved ?? undefined;
  }
}

/** The call site of the caller of `api` (the user's line calling `fn(...)`, `dict(...)`, ...). */
export function callerSite(api: (...args: never[]) => unknown): SourceSite {
  const holder: { stack?: string } = {};
  const previousLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(previousLimit, 4);
  try {
    Error.captureStackTrace(holder, api);
  } finally {
    Error.stackTraceLimit = previousLimit;
  }
  return new SourceSite(holder);
}

function parseFirstFrame(stack: string): CallSite | undefined {
  for (const line of stack.split('\n').slice(1)) {
    const match = FRAME.exec(line.trim());
    if (!match) continue;
    let file = match[1]!;
    if (file.startsWith('node:')) continue;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/** `src/app.ts:12:28`, relative to the working directory when inside it. */
export function formatSite(source: SourceSite | undefined): string {
  const site = source?.resolve();
  if (!site) return 'unknown location';
  const relative = path.relative(process.cwd(), site.file);
  const shown = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : site.file;
  return `${shown.split(path.sep).join('/')}:${site.line}:${site.column}`;
}

/**
 * Best effort: the variable a definition is assigned to, read from the source line of its call site
 * (`export const buildReport = mn.fn(` -> `buildReport`). Only used to label errors; never to name definitions.
 */
export function assignedName(source: SourceSite | undefined): string | undefined {
  const site = source?.resolve();
  if (!site) return undefined;
  let lines: string[];
  try {
    lines = readFileSync(site.file, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const current = (lines[site.line - 1] ?? '').slice(0, Math.max(0, site.column - 1));
  const text = `${lines[site.line - 2] ?? ''}\n${current}`;
  const match = /([A-Za-z_$][\w$]*)\s*(?::[^=\n]+)?=\s*(?:await\s+)?(?:[A-Za-z_$][\w$]*\s*\.\s*)*$/.exec(text);
  return match?.[1];
}
