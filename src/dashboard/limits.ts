/**
 * The dashboard's rate limits (rate-limit.ts, docs/limits.md): `/limits` lists every limit Redis
 * knows (`rq:rl-keys`) with its slots in use, its rate's window, its hold and its waiting jobs (the
 * oldest first, a page of them, each linked to its job page, where it can be canceled or deleted);
 * `/api/limits` answers the same as JSON. Reads are counts and one page of ids: never a whole set.
 */
import { RateLimitRegistry, type RateLimitState } from '../index.js';
import type { Context, Page } from './context.js';
import { html, type Markup } from './html.js';
import { readJobs } from './read.js';
import { jobActions, jobAddress, time } from './views.js';

/** A limit's state and the first page of its waiting jobs' ids. */
interface LimitView extends RateLimitState {
  readonly firstWaiting: string[];
}

async function readLimits(context: Context): Promise<LimitView[]> {
  const registries = await RateLimitRegistry.all({ connection: context.connection });
  return Promise.all(registries.map(async (registry) => ({ ...(await registry.state()), firstWaiting: await registry.getRateLimitedJobIds(0, context.pageSize) })));
}

/** `/api/limits`: every rate limit, its counts, and the first page of its waiting jobs' ids. */
export async function limitsJson(context: Context): Promise<unknown> {
  return { limits: await readLimits(context) };
}

/** "7 of 10 per 1 s", or "" without a rate. */
function rateText(limit: RateLimitState): string {
  if (limit.max === undefined) return '';
  const per = limit.duration! % 1000 === 0 ? `${limit.duration! / 1000} s` : `${limit.duration} ms`;
  return `${limit.admittedInWindow} of ${limit.max} per ${per}`;
}

/** `/limits`: every rate limit, then the waiting jobs of each that has some. */
export async function limitsPage(context: Context): Promise<Page> {
  const limits = await readLimits(context);
  const row = (limit: LimitView) => html`<tr>
    <th scope="row"><a href="#limit-${limit.key}">${limit.key}</a></th>
    <td class="count" data-count="${limit.key}:holding">${limit.holding}${limit.concurrency !== undefined ? ` of ${limit.concurrency}` : ''}</td>
    <td>${rateText(limit)}</td>
    <td class="count" data-count="${limit.key}:waiting">${limit.waiting}</td>
    <td>${limit.heldUntil ? time(limit.heldUntil) : ''}</td>
  </tr>`;
  const sections = await Promise.all(limits.filter((limit) => limit.waiting > 0).map((limit) => waitingSection(context, limit)));
  return {
    title: 'Rate limits',
    main: html`<table class="limits">
      <thead><tr><th>Key</th><th>Slots in use</th><th>Rate</th><th>Waiting</th><th>Held until</th></tr></thead>
      <tbody>${limits.length > 0 ? limits.map(row) : html`<tr><td colspan="5">No rate limits (nothing in rq:rl-keys).</td></tr>`}</tbody>
    </table>
    ${sections}`,
  };
}

async function waitingSection(context: Context, limit: LimitView): Promise<Markup> {
  const rows = await readJobs(limit.firstWaiting, context.connection);
  return html`<h2 id="limit-${limit.key}">${limit.key}: waiting, oldest first${limit.waiting > rows.length ? ` (the first ${rows.length} of ${limit.waiting})` : ''}</h2>
    <table class="jobs">
      <thead><tr><th>Job</th><th>Function</th><th>Queue</th><th>Created</th>${context.readOnly ? '' : html`<th></th>`}</tr></thead>
      <tbody>${rows.map(({ id, job }) => html`<tr>
        <td><a href="${jobAddress(context, id)}">${id}</a></td>
        <td>${job ? html`<code>${job.funcName}</code>` : ''}</td><td>${job?.origin ?? ''}</td><td>${time(job?.createdAt)}</td>
        ${context.readOnly || !job ? '' : html`<td class="actions">${jobActions(context, job, job.origin ?? '', undefined)}</td>`}
      </tr>`)}</tbody>
    </table>`;
}
