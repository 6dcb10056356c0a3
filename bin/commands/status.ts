/** `multinode status`: the app at a glance (the control plane's `status()`). */
import type { AppStatus, RunSummary, ScheduleStatus } from '../../runtime/control/types.js';
import { type AppTarget, TARGET_USAGE, targetJson } from '../app-target.js';
import { expectArguments, parseTimeFlag } from '../args.js';
import type { CliIO } from '../io.js';
import { operatingCommand } from '../operate.js';
import { printJson, table, when } from '../output.js';

export const statusCommand = operatingCommand({
  name: 'status',
  summary: "the app at a glance: definitions, services' URLs, schedules' next and last runs, running and failed counts",
  usage: `Usage: multinode status [<entry>] [--failed-since 24h] [--json] [--stack NAME ...]

Prints the app's definitions (kind, where they run, their resources), its services' URLs, each
scheduled task's next fire time, last run and pause, and how many runs are waiting, running, and
failed (FAILED or TIMED_OUT) since --failed-since, in all and per definition.

${TARGET_USAGE}

Options:
  --failed-since T  the window of the failed counts: a duration back from now (30m, 24h, 7d) or an
                    ISO date-time; default 24h
  --json            print { "where", "app", "at", "definitions", "services", "schedules",
                    "failedSince", "runs", "runsByDefinition" } (see docs/operate.md)
  --help            show this help`,
  options: { 'failed-since': { type: 'string' } },
  parse(args, flags) {
    expectArguments('status', args, []);
    return { failedSince: parseTimeFlag('status', 'failed-since', flags['failed-since'], Date.now()) };
  },
  async run({ io, plane, target, request, json }) {
    const status = await plane.status(request.failedSince === undefined ? {} : { failedSince: request.failedSince });
    if (json) printJson(io, { where: targetJson(target), ...status });
    else printStatus(io, target, status);
    return 0;
  },
});

function printStatus(io: CliIO, target: AppTarget, status: AppStatus): void {
  const now = status.at.getTime();
  const { runs } = status;
  const blocks: string[] = [
    `App ${status.app}: ${target.description}\n` +
      `Runs: ${runs.pending} pending, ${runs.running} running, ${runs.failed} failed since ${when(status.failedSince, now)}\n`,
  ];
  if (status.services.length > 0) {
    blocks.push(
      `Services\n${table(
        ['NAME', 'URL'],
        status.services.map((s) => [s.name, s.url]),
      )}`,
    );
  }
  if (status.schedules.length > 0) {
    blocks.push(
      `Scheduled tasks\n${table(
        ['NAME', 'NEXT FIRE', 'LAST RUN', 'PAUSED'],
        status.schedules.map((s) => [s.name, s.nextFireTime ? when(s.nextFireTime, now) : 'never', lastRun(s.lastRun, now), paused(s, now)]),
      )}`,
    );
  }
  blocks.push(
    `Definitions\n${table(
      ['NAME', 'KIND', 'RESOURCES', 'PENDING', 'RUNNING', 'FAILED'],
      status.definitions.map((d) => {
        const counts = status.runsByDefinition[d.name];
        const what = d.schedule ? `${d.resources ?? '-'}; ${d.schedule.description}` : (d.resources ?? d.url ?? '-');
        return [d.name, d.kind, what, ...(counts ? [String(counts.pending), String(counts.running), String(counts.failed)] : ['', '', ''])];
      }),
    )}`,
  );
  io.stdout(`${blocks.join('\n')}`);
}

function lastRun(run: RunSummary | undefined, now: number): string {
  if (!run) return '-';
  const time = run.scheduledTime ?? run.createdAt;
  return `${run.status} ${when(time, now)}${run.trigger === 'manual' ? ' manual' : ''}`;
}

function paused(schedule: ScheduleStatus, now: number): string {
  const pause = schedule.paused;
  if (!pause) return '-';
  return `since ${when(pause.pausedAt, now)}${pause.pausedBy ? ` by ${pause.pausedBy}` : ''}${pause.reason ? `: ${pause.reason}` : ''}`;
}
