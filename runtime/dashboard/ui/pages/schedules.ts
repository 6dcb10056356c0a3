/** Scheduled tasks: when each runs (in words, its time zone, the next five times), its last runs, and run now / pause / resume. */
import { post } from '../api.js';
import { h, statusBadge, time } from '../dom.js';
import type { ScheduleView } from '../types.js';
import { hrefWith, live, type Page, type PageContext, runsTable } from '../view.js';

export function schedulesPage(context: PageContext): Page {
  const { root } = context;
  const body = h('div', { class: 'live' }, h('p', { class: 'loading' }, 'Loading…'));
  root.append(h('h1', null, 'Scheduled tasks'), body);
  return live<{ schedules: ScheduleView[] }>(
    body,
    () => '/api/schedules',
    ({ schedules }) =>
      schedules.length === 0 ? h('p', { class: 'muted' }, 'The app has no scheduled tasks.') : schedules.map((task) => taskCard(task, context)),
  );
}

function taskCard(task: ScheduleView, { notice, refresh }: PageContext): HTMLElement {
  const act = async (button: HTMLButtonElement, action: string, body: unknown, done: (answer: Record<string, unknown>) => string) => {
    button.disabled = true;
    try {
      notice(done(await post(`/api/schedules/${encodeURIComponent(task.name)}/${action}`, body)), 'ok');
      refresh();
    } catch (error) {
      notice((error as Error).message, 'error');
    } finally {
      button.disabled = false;
    }
  };
  const reasonId = `reason-${task.name}`;
  const reason = h('input', { id: reasonId, type: 'text', maxlength: 256, placeholder: 'optional' });
  const runNow = h('button', { type: 'button', 'data-action': 'trigger' }, 'Run now');
  runNow.addEventListener('click', () => act(runNow, 'trigger', {}, (a) => `${task.name}: a manual run was sent (${String(a.id)}).`));
  const toggle = task.paused
    ? h('button', { type: 'button', class: 'secondary', 'data-action': 'resume' }, 'Resume')
    : h('button', { type: 'button', class: 'secondary', 'data-action': 'pause' }, 'Pause');
  toggle.addEventListener('click', () =>
    task.paused
      ? act(toggle, 'resume', {}, () => `${task.name} resumed: its next fire times run.`)
      : act(toggle, 'pause', reason.value ? { reason: reason.value } : {}, () => `${task.name} paused: its fire times are recorded PAUSED and do not run.`),
  );
  return h(
    'section',
    { class: 'card schedule', 'aria-labelledby': `task-${task.name}`, 'data-task': task.name },
    h('h2', { id: `task-${task.name}` }, task.name, ' ', task.paused ? statusBadge('PAUSED') : ''),
    h(
      'div',
      { class: 'schedule-grid' },
      h(
        'div',
        null,
        h(
          'dl',
          { class: 'facts' },
          h('dt', null, 'When'),
          h('dd', { class: 'words' }, task.words),
          h('dt', null, 'Time zone'),
          h('dd', null, task.timezone),
          h('dt', null, 'Schedule'),
          h('dd', null, h('code', null, task.description)),
          h('dt', null, 'Runs on'),
          h('dd', null, task.resources ?? task.placement ?? ''),
          task.paused
            ? [
                h('dt', null, 'Paused'),
                h(
                  'dd',
                  null,
                  time(task.paused.pausedAt),
                  task.paused.pausedBy ? ` by ${task.paused.pausedBy}` : '',
                  task.paused.reason ? `: ${task.paused.reason}` : '',
                ),
              ]
            : '',
        ),
        h('h3', null, 'Next 5 fire times'),
        task.next.length === 0
          ? h('p', { class: 'muted' }, 'It never fires again.')
          : h(
              'ol',
              { class: 'times' },
              task.next.map((n) =>
                h('li', null, h('time', { datetime: n.time, title: n.time }, n.local), task.paused ? h('span', { class: 'muted' }, ' (paused)') : ''),
              ),
            ),
        h('div', { class: 'actions' }, runNow, toggle, task.paused ? '' : h('label', { for: reasonId }, 'Reason for a pause', reason)),
      ),
      h(
        'div',
        null,
        runsTable(`Last runs of ${task.name}`, task.lastRuns, { empty: 'No runs yet.', scheduled: true }),
        h('p', null, h('a', { href: hrefWith('#/runs', { name: task.name }) }, `All runs of ${task.name} →`)),
      ),
    ),
  );
}
