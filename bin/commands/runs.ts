/** `multinode runs`: runs, jobs and scheduled runs, newest first (the control plane's `runs()`), or one run (`run(id)`). */
import { NAME_PATTERN } from '../../lib/options/fields.js';
import { RUNS_LIMIT } from '../../runtime/control/run-listing.js';
import { RUN_ID_PATTERN } from '../../runtime/state/ids.js';
import { RUN_KINDS, RUN_STATUSES, type RunDetail, type RunSummary, type RunsQuery } from '../../runtime/control/types.js';
import { TARGET_USAGE, targetJson } from '../app-target.js';
import { expectArguments, parseChoices, parseCount, parseTimeFlag } from '../args.js';
import { type CliIO, UsageError } from '../io.js';
import { operatingCommand } from '../operate.js';
import { duration, oneLine, plural, printJson, table, toJson, when } from '../output.js';

/** The most rows one `runs` prints (pages of the control plane's at most 100 are read until then). */
const MAX_ROWS = 1000;
const DEFAULT_ROWS = 50;

export const runsCommand = operatingCommand({
  name: 'runs',
  summary: 'list runs, jobs and scheduled runs, newest first (by definition, status, time), or show one run',
  usage: `Usage: multinode runs [<entry>] [--name N] [--kind K] [--status S] [--since 1h] [--until T]
                      [--limit K] [--cursor C] [--json] [--stack NAME ...]
       multinode runs [<entry>] <run-id> [--json]

Lists the app's runs newest first: started runs of functions, jobs and scheduled runs, with their
status, attempts, time, duration and error. With a <run-id>, shows that run: its input, result, error
with the remote stack, progress, attempts and times. Run ids: a started run's or job's id (26
characters), or a scheduled run's <task>@<scheduled time>.

${TARGET_USAGE}

Options:
  --name N      only the runs of the function, job or scheduled task N
  --kind K      only runs of one kind: ${RUN_KINDS.join(', ')}
  --status S    only runs in status S, or any of several (comma-separated): ${RUN_STATUSES.join(', ')}
  --since T     created (scheduled runs: scheduled) at or after T: a duration back from now (30m, 1h,
                7d) or an ISO date-time (2024-03-30T00:00Z; without an offset: UTC)
  --until T     created (scheduled) at or before T (same forms)
  --limit K     at most K runs, 1 to ${MAX_ROWS} (default ${DEFAULT_ROWS})
  --cursor C    continue a listing: the cursor printed after its last page (same --name, --kind and
                --status)
  --json        print { "where", "items": [run, ...], "cursor"? }; with <run-id>, { "where", "run" }
                (see docs/operate.md)
  --help        show this help`,
  options: {
    name: { type: 'string' },
    kind: { type: 'string' },
    status: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  },
  parse(args, flags): { id: string } | { query: RunsQuery; limit: number } {
    const [id] = expectArguments('runs', args, ['run-id'], 1);
    if (id !== undefined) {
      const listing = (['name', 'kind', 'status', 'since', 'until', 'limit', 'cursor'] as const).filter((flag) => flags[flag] !== undefined);
      if (listing.length > 0) throw new UsageError(`--${listing[0]} filters a listing; with a <run-id> the command shows that one run.`, 'runs');
      // A plain name is no run id of either form: most likely the definition whose runs were wanted.
      if (NAME_PATTERN.test(id) && !RUN_ID_PATTERN.test(id)) {
        throw new UsageError(
          `"${id}" is not a run id (a started run's or job's 26-character id, or <task>@<scheduled time>); ` +
            `the runs of a definition: multinode runs --name ${id}.`,
          'runs',
        );
      }
      return { id };
    }
    const now = Date.now();
    const kinds = parseChoices('runs', 'kind', flags.kind, RUN_KINDS);
    if (kinds && kinds.length > 1) throw new UsageError(`--kind takes one kind: ${RUN_KINDS.join(', ')}.`, 'runs');
    const statuses = parseChoices('runs', 'status', flags.status, RUN_STATUSES);
    const since = parseTimeFlag('runs', 'since', flags.since, now);
    const until = parseTimeFlag('runs', 'until', flags.until, now);
    if (since !== undefined && until !== undefined && until < since) throw new UsageError('--until is before --since.', 'runs');
    const query: RunsQuery = {
      ...(flags.name !== undefined ? { name: flags.name } : {}),
      ...(kinds ? { kind: kinds[0]! } : {}),
      ...(statuses ? { status: statuses } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
    };
    return { query, limit: parseCount('runs', 'limit', flags.limit, DEFAULT_ROWS, MAX_ROWS) };
  },
  async run({ io, plane, target, request, json }) {
    if ('id' in request) {
      const run = await plane.run(request.id);
      if (json) printJson(io, { where: targetJson(target), run });
      else io.stdout(formatDetail(run, Date.now()));
      return 0;
    }
    const items: RunSummary[] = [];
    let cursor = request.query.cursor;
    do {
      const page = await plane.runs({ ...request.query, limit: Math.min(RUNS_LIMIT.max, request.limit - items.length), ...(cursor ? { cursor } : {}) });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor && items.length < request.limit);
    if (json) printJson(io, { where: targetJson(target), items, ...(cursor ? { cursor } : {}) });
    else printRuns(io, items, cursor);
    return 0;
  },
});

function printRuns(io: CliIO, items: readonly RunSummary[], cursor: string | undefined): void {
  const now = Date.now();
  if (items.length === 0) io.stdout('No runs.\n');
  else {
    io.stdout(
      table(
        ['ID', 'NAME', 'KIND', 'STATUS', 'ATTEMPTS', 'TIME', 'DURATION', 'ERROR'],
        items.map((run) => [
          run.id,
          run.name,
          run.trigger !== undefined && run.trigger !== 'scheduled' ? `${run.kind} (${run.trigger})` : run.kind,
          run.status,
          String(run.attempts),
          when(run.scheduledTime ?? run.createdAt, now),
          duration(run.durationMs),
          run.error ? oneLine(`${run.error.type}: ${run.error.message}`, 60).replace(/^"|"$/g, '') : '',
        ]),
      ),
    );
  }
  if (cursor) io.stderr(`More runs: add --cursor ${cursor}\n`);
}

function formatDetail(run: RunDetail, now: number): string {
  const rows: Array<[string, string | undefined]> = [
    ['status', `${run.status} after ${plural(run.attempts, 'attempt')}${run.maxAttempts ? ` of ${run.maxAttempts}` : ''}`],
    ['trigger', run.trigger],
    ['scheduled', run.scheduledTime && when(run.scheduledTime, now)],
    ['created', when(run.createdAt, now)],
    ['started', run.startedAt && when(run.startedAt, now)],
    ['ended', run.endedAt && when(run.endedAt, now)],
    ['duration', run.durationMs === undefined ? undefined : duration(run.durationMs)],
    ['deadline', run.deadline && when(run.deadline, now)],
    ['heartbeat', run.heartbeatAt && when(run.heartbeatAt, now)],
    ['lease until', run.leaseUntil && when(run.leaseUntil, now)],
    ['cancel asked', run.cancelRequestedAt && when(run.cancelRequestedAt, now)],
    ['placement', run.placement],
    ['batch job', run.batchJobId],
    ['input', 'input' in run ? toJson(run.input) : undefined],
    ['progress', 'progress' in run ? toJson(run.progress) : undefined],
    ['result', 'result' in run ? toJson(run.result) : undefined],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  // A value's later lines (JSON over several lines) under its first.
  const indent = `\n${' '.repeat(width + 4)}`;
  const lines = [`${run.kind} ${run.name}, run ${run.id}`];
  for (const [label, value] of rows) if (value !== undefined) lines.push(`  ${label.padEnd(width)}  ${value.split('\n').join(indent)}`);
  if (run.error) {
    lines.push(`  ${'error'.padEnd(width)}  ${run.error.type}: ${run.error.message}`);
    if (run.error.stack) lines.push(...run.error.stack.split('\n').map((line) => `${' '.repeat(width + 6)}${line.trim()}`));
  }
  return `${lines.join('\n')}\n`;
}
