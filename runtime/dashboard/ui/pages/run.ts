/** One run: its status live, a job's progress bar, attempts, the error with its stack, input and result, its logs; cancel and retry. */
import { post } from '../api.js';
import { h, json, runHref, statusBadge, time } from '../dom.js';
import type { RunDetail } from '../types.js';
import { logPanel } from './logs.js';
import { live, type Page, type PageContext, progressCell, runDuration } from '../view.js';

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'PAUSED', 'SKIPPED']);
const RETRYABLE = new Set(['FAILED', 'CANCELLED', 'TIMED_OUT']);

export function runPage(context: PageContext): Page {
  const { route, root, notice, refresh } = context;
  const id = decodeURIComponent(route.path[1] ?? '');
  const act = async (button: HTMLButtonElement, action: 'cancel' | 'retry') => {
    button.disabled = true;
    try {
      const answer = await post<{ id: string; status?: string; newId?: string }>(`/api/runs/${encodeURIComponent(id)}/${action}`);
      if (action === 'cancel') notice(`Cancel sent: the run is ${answer.status}.`, 'ok');
      else {
        notice(`Retried as a new run: ${answer.newId}.`, 'ok');
        location.hash = runHref(answer.newId!);
      }
      refresh();
    } catch (error) {
      notice((error as Error).message, 'error');
      button.disabled = false;
    }
  };
  const body = h('div', { class: 'live' }, h('p', { class: 'loading' }, 'Loading…'));
  root.append(h('h1', null, 'Run ', h('span', { class: 'mono' }, id)), body);
  const section = live<RunDetail>(
    body,
    () => `/api/runs/${encodeURIComponent(id)}`,
    (run) => {
      // Scheduled runs too: a waiting fire time ends at once, a running one's signal fires.
      const canCancel = !FINISHED.has(run.status) && run.status !== 'CANCELLING';
      const canRetry = run.kind !== 'schedule' && RETRYABLE.has(run.status);
      const cancel = h('button', { type: 'button', class: 'danger', 'data-action': 'cancel' }, 'Cancel');
      cancel.addEventListener('click', () => act(cancel, 'cancel'));
      const retry = h('button', { type: 'button', 'data-action': 'retry' }, 'Retry');
      retry.addEventListener('click', () => act(retry, 'retry'));
      return [
        h('div', { class: 'actions' }, statusBadge(run.status), canCancel ? cancel : '', canRetry ? retry : ''),
        run.kind === 'job' && run.progress !== undefined
          ? h(
              'section',
              { class: 'card', 'aria-labelledby': 'progress-title' },
              h('h2', { id: 'progress-title' }, 'Progress'),
              progressCell(run),
              h('details', { open: !run.progressBar }, h('summary', null, 'Latest value yielded'), h('pre', null, json(run.progress))),
            )
          : '',
        h(
          'dl',
          { class: 'facts card' },
          fact('Definition', run.name),
          fact('Kind', run.kind + (run.trigger ? ` (${run.trigger})` : '')),
          fact('Attempts', run.maxAttempts ? `${run.attempts} of ${run.maxAttempts}` : String(run.attempts)),
          fact('Runs on', run.placement),
          run.scheduledTime ? fact('Scheduled for', time(run.scheduledTime)) : '',
          fact('Created', time(run.createdAt)),
          fact('Started', time(run.startedAt)),
          fact('Ended', time(run.endedAt)),
          fact('Duration', runDuration(run)),
          run.deadline ? fact('Times out at', time(run.deadline)) : '',
          run.heartbeatAt ? fact('Last heartbeat', time(run.heartbeatAt)) : '',
          run.cancelRequestedAt ? fact('Cancel asked at', time(run.cancelRequestedAt)) : '',
          run.batchJobId ? fact('Batch job', h('code', null, run.batchJobId)) : '',
        ),
        run.error
          ? h(
              'section',
              { class: 'card', 'aria-labelledby': 'error-title' },
              h('h2', { id: 'error-title' }, 'Error'),
              h('p', null, h('strong', null, run.error.type), `: ${run.error.message}`),
              run.error.stack ? h('pre', { class: 'stack' }, run.error.stack) : '',
            )
          : '',
        'input' in run ? h('section', { class: 'card' }, h('h2', null, 'Input'), h('pre', null, json(run.input))) : '',
        'result' in run ? h('section', { class: 'card' }, h('h2', null, 'Result'), h('pre', null, json(run.result))) : '',
      ];
    },
  );
  const logs = logPanel({ runId: id }, 'Logs of this run');
  root.append(logs.element);
  return { refresh: () => section.refresh(), dispose: () => logs.stop() };
}

function fact(label: string, value: Node | string | undefined | ReturnType<typeof runDuration>): Node[] {
  if (value === undefined || value === '') return [];
  return [h('dt', null, label), h('dd', null, value as Node | string)];
}
