/**
 * The parts every page of the dashboard is made of: the layout around a page's main part, links to
 * jobs and lists, the action forms (each a POST with the page's token and its way back), the
 * pager, and how times and JSON values are shown. Everything goes through the escaping template
 * of html.ts.
 */
import type { Job } from '../index.js';
import type { Context, Page } from './context.js';
import { html, raw, type Markup } from './html.js';
import { LISTS, type ListName } from './read.js';

/** Each list's name on the page. */
export const LABELS: Record<ListName, string> = { queued: 'Queued', started: 'Started', deferred: 'Deferred', scheduled: 'Scheduled', finished: 'Finished', failed: 'Failed', canceled: 'Canceled' };

/** The address of a job's page. */
export function jobAddress(context: Context, id: string): string {
  return context.link(`/jobs/${encodeURIComponent(id)}`);
}

/** The address of a queue's page: its charts and its statistics by function. */
export function queueAddress(context: Context, queue: string, params?: Record<string, string | number | undefined>): string {
  return context.link(`/queues/${encodeURIComponent(queue)}`, params);
}

/** Links to a queue's page and to each of its lists, the `current` one marked; each list with its count when `counts` are given. */
export function queueNav(context: Context, queue: string, current: ListName | 'overview', counts?: Readonly<Record<ListName, number>>): Markup {
  const mark = (name: ListName | 'overview') => (name === current ? 'current' : '');
  return html`<nav class="lists">
      <a href="${queueAddress(context, queue)}" class="${mark('overview')}">Charts and statistics</a>
      ${LISTS.map((list) => html`<a href="${listAddress(context, queue, list)}" class="${mark(list)}">${LABELS[list]}${counts ? ` (${counts[list]})` : ''}</a>`)}
    </nav>`;
}

/** The address of a list's page (a queue's waiting jobs or one of its registries). */
export function listAddress(context: Context, queue: string, list: ListName, params?: Record<string, string | number | undefined>): string {
  return context.link(`/queues/${encodeURIComponent(queue)}/${list}`, params);
}

/** A button that POSTs `action` with `fields`, the token and this page as the way back, after asking `confirm`. */
export function actionForm(context: Context, action: string, fields: Record<string, string>, label: string, confirm: string): Markup {
  const back = context.here;
  return html`<form method="post" action="${context.link(`/actions/${action}`)}" class="action" data-confirm="${confirm}">
    <input type="hidden" name="csrf" value="${context.token}">
    <input type="hidden" name="back" value="${back}">
    ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
    <button type="submit">${label}</button>
  </form>`;
}

/** What can be done to a job in its state: requeue, stop, cancel, delete. */
export function jobActions(context: Context, job: Job, queue: string, list: ListName | undefined): Markup[] {
  const actions: Markup[] = [];
  const id = { id: job.id, queue };
  if (job.status === 'failed' || job.status === 'stopped' || list === 'failed') actions.push(actionForm(context, 'requeue', id, 'Requeue', `Requeue job ${job.id}?`));
  if (job.status === 'started' && job.workerName) actions.push(actionForm(context, 'stop', { ...id, worker: job.workerName }, 'Stop', `Stop job ${job.id} on ${job.workerName}?`));
  if (job.status !== 'canceled' && job.status !== 'started' && job.status !== 'finished') actions.push(actionForm(context, 'cancel', id, 'Cancel', `Cancel job ${job.id}?`));
  actions.push(actionForm(context, 'delete', id, 'Delete', `Delete job ${job.id}?`));
  return actions;
}

/** Links to the newer and older pages of a list, with its filters. */
export function pager(context: Context, to: string, page: number, pages: number, filters: Record<string, string | undefined>): Markup {
  if (pages <= 1) return html``;
  return html`<nav class="pager">
    ${page > 1 ? html`<a href="${context.link(to, { ...filters, page: page - 1 })}" rel="prev">← Newer</a>` : ''}
    <span>Page ${page} of ${pages}</span>
    ${page < pages ? html`<a href="${context.link(to, { ...filters, page: page + 1 })}" rel="next">Older →</a>` : ''}
  </nav>`;
}

/** A time as `YYYY-MM-DD HH:MM:SS` (UTC) in a `<time>` element; nothing for none. */
export function time(date: Date | undefined): Markup | string {
  if (!date || date.getTime() === 0) return '';
  return html`<time datetime="${date.toISOString()}">${date.toISOString().replace('T', ' ').slice(0, 19)}</time>`;
}

/** A value as indented JSON, for `<pre>`. */
export function pretty(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? 'null';
  } catch {
    return String(value);
  }
}

/** The whole document around a page: header, instance selector, the main part, the script. */
export function layout(page: Page, context: Context): Markup {
  const { link, base, instances } = context;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · rq-ts</title><link rel="stylesheet" href="${base}/static/app.css"></head>
<body data-refresh="${context.refreshSeconds}">
<header><a class="brand" href="${link('/')}">rq-ts</a>
<nav><a href="${link('/')}">Queues</a><a href="${link('/workers')}">Workers</a><a href="${link('/limits')}">Rate limits</a></nav>
${instances.length > 1
    ? html`<form method="get" action="${base}/" class="instance"><select name="i" data-autosubmit>${instances.map((instance, index) => html`<option value="${index}" ${instance === context.instance ? raw('selected') : ''}>${instance.name}</option>`)}</select></form>`
    : html`<span class="instance">${context.instance.name}</span>`}
${context.readOnly ? html`<span class="badge">read-only</span>` : ''}
</header>
<h1>${page.title}</h1>
<main id="main">${page.main}</main>
<script src="${base}/static/app.js"></script>
</body></html>`;
}
