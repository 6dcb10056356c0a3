/**
 * How the local CloudWatch Logs store persists under the state directory: one folder per log group
 * (`<hash>/group.json` holding its name and creation time) and one JSON-lines file per stream (`<hash>.jsonl`: a
 * header line with the stream's name and creation time, then one line per event). Names are hashed for the file
 * system: log group and stream names may be 512 characters and contain `/`, `[`, `$`.
 *
 * Writes are appends, coalesced per file and never awaited by the caller: a burst of events becomes one write.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface PersistedEvent {
  readonly timestamp: number;
  readonly ingestionTime: number;
  readonly seq: number;
  readonly message: string;
}

export interface PersistedStream {
  readonly name: string;
  readonly creationTime: number;
  readonly events: PersistedEvent[];
}

export interface PersistedGroup {
  readonly name: string;
  readonly creationTime: number;
  readonly streams: PersistedStream[];
}

const fileName = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 24);

export class LogFiles {
  readonly #pending = new Map<string, string>();
  readonly #writing = new Map<string, Promise<void>>();
  #failure: Error | undefined;
  #writes = 0;

  constructor(
    readonly directory: string,
    private readonly onError: (error: Error) => void,
  ) {
    mkdirSync(directory, { recursive: true });
  }

  /** Everything persisted so far. A line that does not parse (a write cut short by a crash) is skipped. */
  load(): PersistedGroup[] {
    const groups: PersistedGroup[] = [];
    for (const folder of readdirSync(this.directory)) {
      const groupFile = path.join(this.directory, folder, 'group.json');
      if (!existsSync(groupFile)) continue;
      const meta = parseLine(readFileSync(groupFile, 'utf8')) as { name?: unknown; creationTime?: unknown } | undefined;
      if (typeof meta?.name !== 'string' || typeof meta.creationTime !== 'number') continue;
      const streams: PersistedStream[] = [];
      for (const file of readdirSync(path.join(this.directory, folder))) {
        if (!file.endsWith('.jsonl')) continue;
        const lines = readFileSync(path.join(this.directory, folder, file), 'utf8').split('\n');
        const header = parseLine(lines[0] ?? '') as { stream?: unknown; creationTime?: unknown } | undefined;
        if (typeof header?.stream !== 'string' || typeof header.creationTime !== 'number') continue;
        const events: PersistedEvent[] = [];
        for (const line of lines.slice(1)) {
          const event = parseLine(line) as { t?: unknown; i?: unknown; s?: unknown; m?: unknown } | undefined;
          if (typeof event?.t === 'number' && typeof event.i === 'number' && typeof event.s === 'number' && typeof event.m === 'string') {
            events.push({ timestamp: event.t, ingestionTime: event.i, seq: event.s, message: event.m });
          }
        }
        streams.push({ name: header.stream, creationTime: header.creationTime, events });
      }
      groups.push({ name: meta.name, creationTime: meta.creationTime, streams });
    }
    return groups;
  }

  createGroup(name: string, creationTime: number): void {
    const folder = path.join(this.directory, fileName(name));
    mkdirSync(folder, { recursive: true });
    this.#track(writeFile(path.join(folder, 'group.json'), `${JSON.stringify({ name, creationTime })}\n`));
  }

  createStream(group: string, name: string, creationTime: number): void {
    this.#append(this.#streamFile(group, name), `${JSON.stringify({ stream: name, creationTime })}\n`);
  }

  appendEvents(group: string, stream: string, events: readonly PersistedEvent[]): void {
    let text = '';
    for (const e of events) text += `${JSON.stringify({ t: e.timestamp, i: e.ingestionTime, s: e.seq, m: e.message })}\n`;
    this.#append(this.#streamFile(group, stream), text);
  }

  /** Waits until every write so far is on disk. */
  async flush(): Promise<void> {
    while (this.#writing.size > 0) await Promise.all([...this.#writing.values()]);
  }

  #streamFile(group: string, stream: string): string {
    return path.join(this.directory, fileName(group), `${fileName(stream)}.jsonl`);
  }

  #append(file: string, text: string): void {
    this.#pending.set(file, (this.#pending.get(file) ?? '') + text);
    if (this.#writing.has(file)) return;
    const run = (async () => {
      try {
        // Appends that arrive while one is on its way wait in #pending and go out together in the next one.
        while (this.#pending.has(file)) {
          const chunk = this.#pending.get(file)!;
          this.#pending.delete(file);
          await appendFile(file, chunk);
        }
      } finally {
        // In the same step as the last check of #pending: an append arriving later starts a new writer.
        this.#writing.delete(file);
      }
    })();
    this.#writing.set(
      file,
      run.catch((error: Error) => this.#report(error)),
    );
  }

  #track(write: Promise<void>): void {
    const key = `#${++this.#writes}`;
    this.#writing.set(
      key,
      write.catch((error: Error) => this.#report(error)).finally(() => this.#writing.delete(key)),
    );
  }

  /** Reports the first failure only: a full disk would otherwise report every append. */
  #report(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.onError(error);
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
