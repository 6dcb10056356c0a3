/**
 * `multinode logs`: a run's, a definition's or the whole app's log lines, from CloudWatch Logs (in AWS, and the local
 * cloud's own for a running `multinode dev`), through the control plane's log source; `--follow` streams them until
 * Ctrl-C.
 */
import { MultinodeError } from '../../lib/errors.js';
import type { ControlLogQuery } from '../../runtime/control/logs.js';
import { RUN_ID_FORMS } from '../../runtime/control/errors.js';
import { formatCloudLog } from '../../runtime/local/log-format.js';
import type { LogEntry } from '../../runtime/logs/entries.js';
import { LOG_READER_DEFAULTS } from '../../runtime/logs/reader.js';
import { RUN_ID_PATTERN } from '../../runtime/state/ids.js';
import { TARGET_USAGE } from '../app-target.js';
import { expectArguments, parseCount, parseTimeFlag } from '../args.js';
import { UsageError } from '../io.js';
import { operatingCommand } from '../operate.js';
import { isoTime, toJson } from '../output.js';

const DEFAULT_LINES = 1000;
const MAX_LINES = 100_000;
/** Kinds of definitions that write logs. */
const LOGGING_KINDS = ['function', 'job', 'schedule', 'service'];

export const logsCommand = operatingCommand({
  name: 'logs',
  summary: "print a run's log lines, a definition's or the whole app's; --follow streams them",
  usage: `Usage: multinode logs [<entry>] [<run-id> | <name>] [--follow] [--since 1h] [--until T]
                      [--filter PATTERN] [--limit K] [--json] [--stack NAME ...]

Prints log lines oldest first, read from CloudWatch Logs (the deployed app's, or the local
CloudWatch Logs of a running multinode dev): one run's lines (<run-id>: a started run's or job's id,
or <task>@<scheduled time>), the lines of the function, job, scheduled task or service <name>, or,
with neither, every line of the app. Each line shows its time, then as multinode dev prints it:
[definition run-id #attempt] LEVEL message {fields}.

${TARGET_USAGE}

Options:
  --follow          keep printing lines as they come, until Ctrl-C
  --since T         from T: a duration back from now (30m, 1h, 2d) or an ISO date-time; default:
                    a minute before the run's creation, else 24 hours ago (--follow: now)
  --until T         up to T (same forms)
  --filter PATTERN  a CloudWatch Logs filter pattern: terms (ERROR "timed out") or JSON
                    ('{ $.level = "ERROR" }')
  --limit K         at most K lines, 1 to ${MAX_LINES} (default ${DEFAULT_LINES}); not with --follow
  --json            one JSON object per line (JSON Lines): { "id", "time", "group", "stream",
                    "definition", "type", "level", "message", "fields", "runId", "attempt", "kind",
                    "error", "requestId", "text", "raw" } (see docs/operate.md)
  --help            show this help`,
  options: {
    follow: { type: 'boolean' },
    since: { type: 'string' },
    until: { type: 'string' },
    filter: { type: 'string' },
    limit: { type: 'string' },
  },
  parse(args, flags) {
    const [what] = expectArguments('logs', args, ['run-id | name'], 1);
    if (flags.follow && flags.limit !== undefined)
      throw new UsageError('--limit reads a number of lines; --follow prints them until Ctrl-C: give one.', 'logs');
    const now = Date.now();
    const since = parseTimeFlag('logs', 'since', flags.since, now);
    const until = parseTimeFlag('logs', 'until', flags.until, now);
    if (since !== undefined && until !== undefined && until < since) throw new UsageError('--until is before --since.', 'logs');
    if (flags.filter !== undefined && flags.filter.trim() === '') throw new UsageError('--filter must not be empty.', 'logs');
    const query: ControlLogQuery = {
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(flags.filter !== undefined ? { filter: flags.filter } : {}),
    };
    return { what, query, limit: parseCount('logs', 'limit', flags.limit, DEFAULT_LINES, MAX_LINES), follow: flags.follow === true };
  },
  async run({ io, plane, request, json }) {
    const query: ControlLogQuery = { ...request.query, ...which(request.what, plane.context.manifest.definitions) };
    const print = (entry: LogEntry) => io.stdout(`${json ? toJson(logJson(entry), 0) : formatEntry(entry)}\n`);
    if (request.follow) {
      // Until Ctrl-C: the signal ends the iterator.
      for await (const entry of plane.followLogs({ ...query, ...(io.signal ? { signal: io.signal } : {}) })) print(entry);
      return 0;
    }
    let printed = 0;
    let cursor: string | undefined;
    do {
      const page = await plane.logs({ ...query, limit: Math.min(LOG_READER_DEFAULTS.maxLimit, request.limit - printed), ...(cursor ? { cursor } : {}) });
      for (const entry of page.entries) print(entry);
      printed += page.entries.length;
      cursor = page.cursor;
    } while (cursor && printed < request.limit);
    if (cursor) io.stderr(`Stopped after ${printed} lines (--limit); narrow the lines with --since, --until or --filter, or raise --limit.\n`);
    else if (printed === 0) io.stderr('No log lines.\n');
    return 0;
  },
});

/** A run id (a started run's or job's id, or `<task>@<time>`), or the name of a definition with logs. */
function which(what: string | undefined, definitions: ReadonlyArray<{ name: string; kind: string }>): Pick<ControlLogQuery, 'runId' | 'definition'> {
  if (what === undefined) return {};
  if (RUN_ID_PATTERN.test(what) || what.includes('@')) return { runId: what };
  const found = definitions.find((d) => d.name === what);
  if (found && LOGGING_KINDS.includes(found.kind)) return { definition: what };
  const names = definitions.filter((d) => LOGGING_KINDS.includes(d.kind)).map((d) => d.name);
  throw new MultinodeError(
    `"${what}" is neither a run id nor a definition with logs${found ? ` (it is a ${found.kind}, which writes none)` : ''}. Give a run id (${RUN_ID_FORMS}) ` +
      `or one of the app's functions, jobs, scheduled tasks and services: ${names.join(', ') || '(none)'}.`,
  );
}

/** `2024-01-01T23:00:02.114Z [buildReport 01h..x9k2 #1] INFO computing {"country":"UK"}` */
function formatEntry(entry: LogEntry): string {
  const batch = entry.group.startsWith('/aws/batch/');
  const source = `${entry.definition ?? entry.group}${batch ? ' (batch)' : ''}`;
  return `${isoTime(entry.time)} ${formatCloudLog(source, entry.raw)}`;
}

/** An entry for `--json`: its time in ISO, without the parsed record (its fields are the entry's own). */
function logJson(entry: LogEntry): Record<string, unknown> {
  const { record: _record, id, time, ...rest } = entry as LogEntry & { record?: unknown };
  return { id, time: new Date(time).toISOString(), ...rest };
}
