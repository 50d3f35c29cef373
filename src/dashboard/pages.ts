/**
 * The dashboard's pages, rendered on the server from read.ts: the queues (their counts, the
 * suspension banner and a chart of every queue's jobs per minute), a list of a queue (a page of
 * ids at a time, filtered by job id or function name), a job in full, and the workers. A queue's
 * own page is queue-page.ts's, the rate limits limits.ts'. routes.ts says which address shows
 * which; views.ts holds the parts they share.
 */
import { Worker, getThroughput, isSuspended, type Job, type WorkerInfo } from '../index.js';
import { pageNumber, type Context, type Page } from './context.js';
import { html, type Markup } from './html.js';
import { LISTS, fetchJob, jobDetail, jobsCalling, listCount, listHas, listIds, listNamed, queueOverviews, readJobs, type JobRow, type ListName, type QueueOverview } from './read.js';
import { SPANS, spanOf, spanSelector, throughputChart } from './throughput-charts.js';
import { LABELS, actionForm, jobActions, jobAddress, listAddress, pager, pretty, queueAddress, queueNav, time } from './views.js';

/** `/`: every queue's counts and actions, the suspension banner, and the chart of every queue's jobs over the span asked for. */
export async function queuesPage(context: Context): Promise<Page> {
  const { connection } = context;
  const span = spanOf(context.url);
  const [queues, suspended, throughput] = await Promise.all([queueOverviews(connection), isSuspended({ connection }), getThroughput({ connection, minutes: SPANS[span]! })]);
  const rows = queues.map((queue) => queueRow(context, queue));
  return {
    title: 'Queues',
    main: html`
      ${suspended ? html`<p class="banner">Workers are suspended: no job starts until they are resumed.</p>` : ''}
      ${context.readOnly ? '' : actionForm(context, suspended ? 'resume' : 'suspend', {}, suspended ? 'Resume workers' : 'Suspend workers', suspended ? 'Resume every worker?' : 'Suspend every worker? Running jobs finish; no new job starts.')}
      <table class="queues">
        <thead><tr><th>Queue</th>${LISTS.map((list) => html`<th>${LABELS[list]}</th>`)}${context.readOnly ? '' : html`<th></th>`}</tr></thead>
        <tbody>${rows.length > 0 ? rows : html`<tr><td colspan="9">No queues (nothing in rq:queues).</td></tr>`}</tbody>
      </table>
      <h2>Jobs per minute, all queues</h2>
      ${spanSelector(context, '/', span)}
      ${throughputChart(throughput, 'throughput', 'all queues')}`,
  };
}

function queueRow(context: Context, queue: QueueOverview): Markup {
  return html`<tr>
      <th scope="row"><a href="${queueAddress(context, queue.name)}">${queue.name}</a></th>
      ${LISTS.map((list) => html`<td class="count"><a href="${listAddress(context, queue.name, list)}" data-count="${queue.name}:${list}">${queue.counts[list]}</a></td>`)}
      ${context.readOnly ? '' : html`<td class="actions">
        ${actionForm(context, 'empty', { queue: queue.name }, 'Empty', `Remove the ${queue.counts.queued} waiting jobs of ${queue.name}?`)}
        ${queue.counts.failed > 0 ? actionForm(context, 'requeue-all', { queue: queue.name }, 'Requeue failed', `Requeue the ${queue.counts.failed} failed jobs of ${queue.name}?`) : ''}
      </td>`}
    </tr>`;
}

/** `/queues/<queue>/<list>`: a page of the list, or the jobs matching a filter. */
export async function listPage(context: Context, queue: string, listText: string): Promise<Page> {
  const list = listNamed(listText);
  const { url } = context;
  const idFilter = url.searchParams.get('id')?.trim() ?? '';
  const funcFilter = url.searchParams.get('func')?.trim() ?? '';
  const total = await listCount(list, queue, context.connection);
  const { rows, note, pages } = await listRows(context, queue, list, total, idFilter, funcFilter);
  const filters = { id: idFilter || undefined, func: funcFilter || undefined };
  return {
    title: `${queue}: ${LABELS[list]}`,
    main: html`
      ${queueNav(context, queue, list)}
      <form method="get" class="filter" action="${listAddress(context, queue, list).split('?')[0]}">
        ${context.instanceIndex !== undefined ? html`<input type="hidden" name="i" value="${context.instanceIndex}">` : ''}
        <label>Job id <input name="id" value="${idFilter}"></label>
        <label>Function <input name="func" value="${funcFilter}"></label>
        <button type="submit">Filter</button>
      </form>
      <p class="summary">${total} jobs${note ? html` · ${note}` : ''}</p>
      <table class="jobs">
        <thead><tr><th>Job</th><th>Function</th><th>Status</th><th>Created</th><th>Enqueued</th><th>Ended</th>${context.readOnly ? '' : html`<th></th>`}</tr></thead>
        <tbody>${rows.length > 0 ? rows.map((row) => jobRow(context, row, queue, list)) : html`<tr><td colspan="7">No jobs.</td></tr>`}</tbody>
      </table>
      ${pager(context, `/queues/${encodeURIComponent(queue)}/${list}`, pageNumber(url), pages, filters)}`,
  };
}

/** The rows a list page shows: the job with the id asked for, the jobs calling the function asked for, or a page of the list. */
async function listRows(context: Context, queue: string, list: ListName, total: number, idFilter: string, funcFilter: string): Promise<{ rows: JobRow[]; note: Markup | string; pages: number }> {
  const { connection, pageSize } = context;
  const page = pageNumber(context.url);
  if (idFilter !== '') {
    const inList = await listHas(list, queue, connection, idFilter);
    return { rows: inList ? await readJobs([idFilter], connection) : [], note: inList ? '' : html`No job ${idFilter} in this list.`, pages: 1 };
  }
  if (funcFilter !== '') {
    const { matches, scanned } = await jobsCalling(list, queue, connection, funcFilter, total);
    return {
      rows: matches.slice((page - 1) * pageSize, page * pageSize),
      note: html`${matches.length} jobs calling a function named like “${funcFilter}” among ${scanned === total ? 'all' : `the first ${scanned} of`} ${total}.`,
      pages: Math.max(1, Math.ceil(matches.length / pageSize)),
    };
  }
  const rows = await readJobs(await listIds(list, queue, connection, (page - 1) * pageSize, pageSize), connection);
  return { rows, note: '', pages: Math.max(1, Math.ceil(total / pageSize)) };
}

function jobRow(context: Context, row: JobRow, queue: string, list: ListName): Markup {
  const job = row.job;
  if (!job) {
    const remove = context.readOnly ? '' : html`<td class="actions">${actionForm(context, 'delete', { id: row.id, queue, list }, 'Delete', `Delete job ${row.id} and take it out of this list?`)}</td>`;
    return html`<tr><td><a href="${jobAddress(context, row.id)}">${row.id}</a></td><td colspan="5" class="error">${row.error}</td>${remove}</tr>`;
  }
  return html`<tr>
    <td><a href="${jobAddress(context, job.id)}">${job.id}</a></td>
    <td><code>${job.funcName}</code></td>
    <td><span class="status ${job.status ?? ''}">${job.status ?? '?'}</span></td>
    <td>${time(job.createdAt)}</td><td>${time(job.enqueuedAt)}</td><td>${time(job.endedAt)}</td>
    ${context.readOnly ? '' : html`<td class="actions">${jobActions(context, job, queue, list)}</td>`}
  </tr>`;
}

/** `/jobs/<id>`: the job in full, its results and its actions. */
export async function jobPage(context: Context, id: string): Promise<Page> {
  const job = await fetchJob(id, context.connection);
  const detail = await jobDetail(job);
  const jobLink = (other: string) => html`<a href="${jobAddress(context, other)}">${other}</a> `;
  return {
    title: `Job ${job.id}`,
    main: html`
      ${context.readOnly ? '' : html`<div class="actions">${jobActions(context, job, job.origin ?? '', undefined)}</div>`}
      <table class="fields">
        <tr><th>Function</th><td><code>${job.funcName}</code></td></tr>
        <tr><th>Description</th><td>${job.description}</td></tr>
        <tr><th>Status</th><td><span class="status ${job.status ?? ''}">${job.status ?? '?'}</span></td></tr>
        <tr><th>Queue</th><td>${job.origin ? html`<a href="${queueAddress(context, job.origin)}">${job.origin}</a>` : ''}</td></tr>
        <tr><th>Arguments</th><td><pre>${pretty(job.args)}</pre></td></tr>
        <tr><th>Keyword arguments</th><td><pre>${pretty(job.kwargs)}</pre></td></tr>
        ${progressRow(job)}
        <tr><th>Meta</th><td><pre>${pretty(job.meta)}</pre></td></tr>
        <tr><th>Created</th><td>${time(job.createdAt)}</td></tr>
        <tr><th>Enqueued</th><td>${time(job.enqueuedAt)}</td></tr>
        <tr><th>Started</th><td>${time(job.startedAt)}</td></tr>
        <tr><th>Ended</th><td>${time(job.endedAt)}</td></tr>
        <tr><th>Worker</th><td>${job.workerName ?? ''}</td></tr>
        ${job.rateLimitKey ? html`<tr><th>Rate limit</th><td><a href="${context.link('/limits')}#limit-${job.rateLimitKey}">${job.rateLimitKey}</a></td></tr>` : ''}
        <tr><th>Depends on</th><td>${job.dependencyIds.map(jobLink)}</td></tr>
        <tr><th>Dependents</th><td>${(detail['dependentIds'] as string[]).map(jobLink)}</td></tr>
      </table>
      <h2>Results</h2>
      ${resultsTable(detail['results'] as Awaited<ReturnType<Job['results']>>)}`,
  };
}

/** The job's progress (`meta.progress`): a bar for a percentage, the object for anything else; nothing without. */
function progressRow(job: Job): Markup | string {
  const progress = job.meta['progress'];
  if (typeof progress === 'number') {
    const percent = Math.max(0, Math.min(100, progress));
    return html`<tr><th>Progress</th><td><progress max="100" value="${percent}" data-progress="${progress}"></progress> ${progress}%</td></tr>`;
  }
  if (typeof progress === 'object' && progress !== null) return html`<tr><th>Progress</th><td><pre data-progress="object">${pretty(progress)}</pre></td></tr>`;
  return '';
}

function resultsTable(results: Awaited<ReturnType<Job['results']>>): Markup {
  if (results.length === 0) return html`<p>No result yet.</p>`;
  return html`<table class="results"><thead><tr><th>When</th><th>Outcome</th><th>Value or error</th></tr></thead><tbody>
          ${results.map((result) => html`<tr><td>${time(result.createdAt)}</td><td>${result.type === 1 ? 'finished' : result.type === 2 ? 'failed' : `type ${result.type}`}</td><td><pre>${result.type === 1 ? pretty(result.returnValue) : (result.excString ?? '')}</pre></td></tr>`)}
        </tbody></table>`;
}

/** `/workers`: every live worker (each slot of a concurrent rq-ts worker is one). */
export async function workersPage(context: Context): Promise<Page> {
  const workers = await Worker.all({ connection: context.connection, cleanup: false });
  const row = (worker: WorkerInfo) => html`<tr>
    <th scope="row">${worker.name}</th>
    <td><span class="state ${worker.state}">${worker.state}</span></td>
    <td>${worker.queueNames.map((queue) => html`<a href="${queueAddress(context, queue)}">${queue}</a> `)}</td>
    <td>${worker.currentJobId ? html`<a href="${jobAddress(context, worker.currentJobId)}">${worker.currentJobId}</a>` : ''}</td>
    <td>${worker.pid ?? ''}</td><td>${worker.hostname}</td>
    <td class="count">${worker.successfulJobCount}</td><td class="count">${worker.failedJobCount}</td><td class="count">${worker.totalWorkingTime.toFixed(1)} s</td>
    <td>${time(worker.birth)}</td><td>${time(worker.lastHeartbeat)}</td>
  </tr>`;
  return {
    title: 'Workers',
    main: html`<table class="workers">
      <thead><tr><th>Worker</th><th>State</th><th>Queues</th><th>Current job</th><th>PID</th><th>Host</th><th>Finished</th><th>Failed</th><th>Working time</th><th>Birth</th><th>Last heartbeat</th></tr></thead>
      <tbody>${workers.length > 0 ? workers.map(row) : html`<tr><td colspan="11">No live workers.</td></tr>`}</tbody>
    </table>`,
  };
}
