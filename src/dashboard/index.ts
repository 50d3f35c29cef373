/**
 * `rq-ts/dashboard`: a web dashboard for any RQ-layout Redis (rq-ts' or Python RQ's), as a request
 * handler for node:http that mounts under a path prefix in an existing server (node:http, Express,
 * Fastify or Hono through their Node adapters), or runs on its own with `rq dashboard`.
 *
 * Pages are rendered on the server from the public read API, every value escaped (html.ts); a small
 * script (no inline code: the Content-Security-Policy allows none) refreshes the page's main part
 * every few seconds. Actions are POSTs carrying a per-dashboard token and refused from other
 * origins; a read-only dashboard renders and accepts none. Lists read ranges, never whole sets.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CanceledJobRegistry,
  DeferredJobRegistry,
  DeserializationError,
  FailedJobRegistry,
  FinishedJobRegistry,
  InvalidArgumentError,
  InvalidJobOperationError,
  Job,
  NoSuchJobError,
  Queue,
  ScheduledJobRegistry,
  StartedJobRegistry,
  Worker,
  cancelJob,
  getThroughput,
  isSuspended,
  resume,
  sendStopJobCommand,
  suspend,
  type JobRegistry,
  type RedisConnection,
  type ThroughputPoint,
  type WorkerInfo,
} from '../index.js';
import { deleteJob } from '../job.js';
import { html, raw, type Markup } from './html.js';
import { CLIENT_CSS, CLIENT_JS } from './assets.js';

/** One Redis the dashboard shows. */
export interface DashboardInstance {
  /** What the instance selector shows (never a password: mask URLs). */
  readonly name: string;
  readonly connection: RedisConnection;
}

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The Redis to show, or several, selectable in the page (as rq-dashboard allows). */
  readonly instances: readonly DashboardInstance[];
  /** Show no action, and refuse every POST. @default false */
  readonly readOnly?: boolean;
  /**
   * Ask for these credentials (HTTP basic auth). Both must be non-empty: a password read from an
   * unset environment variable is refused when the dashboard is created, never accepted as
   * `undefined`.
   */
  readonly auth?: { readonly username: string; readonly password: string };
  /**
   * The path the dashboard answers under, for node:http (`'/rq'`). Express and others that strip
   * their mount path and set `req.baseUrl` need none. @default ''
   */
  readonly prefix?: string;
  /** Jobs per list page. @default 50 */
  readonly pageSize?: number;
  /** Seconds between the page's refreshes. @default 3 */
  readonly refreshSeconds?: number;
}

/** A request handler: `(req, res, next?)`. `next` is called for paths outside the prefix. */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** The lists of a queue: its waiting jobs and its six registries. */
export const LISTS = ['queued', 'started', 'deferred', 'scheduled', 'finished', 'failed', 'canceled'] as const;
export type ListName = (typeof LISTS)[number];

const REGISTRY_CLASSES = {
  started: StartedJobRegistry,
  deferred: DeferredJobRegistry,
  scheduled: ScheduledJobRegistry,
  finished: FinishedJobRegistry,
  failed: FailedJobRegistry,
  canceled: CanceledJobRegistry,
} as const;

/** Most ids a function-name filter reads through before it stops and says so. */
const FILTER_SCAN_LIMIT = 2000;

/** A page's answer: its status, title and main part. */
interface Page {
  readonly status?: number;
  readonly title: string;
  readonly main: Markup;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A dashboard request handler.
 * @example
 * import { createServer } from 'node:http';
 * import { createDashboard } from 'rq-ts/dashboard';
 * const dashboard = createDashboard({ instances: [{ name: 'main', connection }], prefix: '/rq' });
 * createServer((req, res) => dashboard(req, res, () => { res.statusCode = 404; res.end(); })).listen(8080, '127.0.0.1');
 */
export function createDashboard(options: DashboardOptions): DashboardHandler {
  if (options.instances.length === 0) throw new TypeError('createDashboard needs at least one Redis instance.');
  if (options.auth !== undefined) checkAuth(options.auth);
  const token = randomBytes(24).toString('base64url');
  const pageSize = options.pageSize ?? 50;
  const refreshSeconds = options.refreshSeconds ?? 3;

  return (req, res, next) => {
    handle(req, res, next).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `Dashboard error: ${(error as Error).message}`);
      else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const prefix = (options.prefix ?? '').replace(/\/+$/, '');
    if (prefix !== '' && url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
      if (next) return next();
      return send(res, 404, 'text/plain; charset=utf-8', 'Not found');
    }
    const path = url.pathname.slice(prefix.length) || '/';
    const base = `${(req as IncomingMessage & { baseUrl?: string }).baseUrl ?? ''}${prefix}`;
    setSecurityHeaders(res);
    if (options.auth && !authorized(req, options.auth)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="rq-ts dashboard", charset="UTF-8"');
      return send(res, 401, 'text/plain; charset=utf-8', 'Authentication required');
    }
    if (path === '/static/app.js') return send(res, 200, 'text/javascript; charset=utf-8', CLIENT_JS, 'public, max-age=300');
    if (path === '/static/app.css') return send(res, 200, 'text/css; charset=utf-8', CLIENT_CSS, 'public, max-age=300');

    const selected = url.searchParams.get('i') ?? '0';
    const instance = /^\d{1,4}$/.test(selected) ? options.instances[Number(selected)] : undefined;
    if (!instance) return send(res, 404, 'text/plain; charset=utf-8', `No Redis instance ${selected}: there are ${options.instances.length}.`);
    const link = (to: string, params: Record<string, string | number | undefined> = {}) => {
      const query = new URLSearchParams();
      if (options.instances.length > 1) query.set('i', String(options.instances.indexOf(instance)));
      for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(key, String(value));
      const text = query.toString();
      return `${base}${to}${text ? `?${text}` : ''}`;
    };
    const instanceIndex = options.instances.length > 1 ? options.instances.indexOf(instance) : undefined;
    const search = new URLSearchParams(url.searchParams);
    search.delete('partial');
    const here = `${base}${path}${search.size > 0 ? `?${search}` : ''}`;
    const context: Context = { connection: instance.connection, link, url, readOnly: options.readOnly ?? false, token, pageSize, instanceIndex, base, here };

    try {
      if (req.method === 'POST') {
        if (!path.startsWith('/actions/')) throw new HttpError(404, 'Not found');
        const target = await act(req, context, path.slice('/actions/'.length));
        res.statusCode = 303;
        res.setHeader('Location', target);
        return void res.end();
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `Method ${req.method} not allowed`);
      if (path.startsWith('/api/')) return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(await api(context, path.slice(4))));
      const page = await route(context, path);
      const body = url.searchParams.get('partial') === '1' ? page.main.text : layout(page, context, options.instances, instance, base, refreshSeconds).text;
      return send(res, page.status ?? 200, 'text/html; charset=utf-8', body);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : isRedisDown(error) ? 503 : 500;
      const message = status === 503 ? `Redis (${instance.name}) cannot be reached: ${(error as Error).message}` : (error as Error).message;
      if (path.startsWith('/api/')) return send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }));
      const page = { status, title: status === 404 ? 'Not found' : 'Error', main: html`<p class="error">${message}</p>` };
      return send(res, status, 'text/html; charset=utf-8', url.searchParams.get('partial') === '1' ? page.main.text : layout(page, context, options.instances, instance, base, refreshSeconds).text);
    }
  }
}

/** What a page or an action needs. */
interface Context {
  readonly connection: RedisConnection;
  readonly link: (to: string, params?: Record<string, string | number | undefined>) => string;
  readonly url: URL;
  readonly readOnly: boolean;
  readonly token: string;
  readonly pageSize: number;
  /** The selected instance's index, when there are several. */
  readonly instanceIndex: number | undefined;
  /** Where the dashboard is mounted (the prefix, after a framework's mount path). */
  readonly base: string;
  /** This page's own address, as the browser sees it: where an action goes back to. */
  readonly here: string;
}

function send(res: ServerResponse, status: number, type: string, body: string, cache = 'no-store'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', cache);
  res.end(body);
}

function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
}

/**
 * Refuses credentials that would let anyone in: a missing or empty user name or password (such
 * as `process.env.RQ_DASHBOARD_PASSWORD!` while the variable is unset).
 * @throws {InvalidArgumentError}
 */
function checkAuth(auth: { readonly username: unknown; readonly password: unknown }): void {
  for (const field of ['username', 'password'] as const) {
    const value = auth[field];
    if (typeof value !== 'string' || value === '') {
      throw new InvalidArgumentError(
        `createDashboard: auth.${field} is ${value === '' ? 'empty' : `missing (${String(value)})`}: give a non-empty ${field}, or leave auth out for no login. (Is the variable it comes from set?)`,
      );
    }
  }
  if ((auth.username as string).includes(':')) throw new InvalidArgumentError("createDashboard: auth.username cannot contain ':' (HTTP basic auth splits user and password there).");
}

function authorized(req: IncomingMessage, auth: { username: string; password: string }): boolean {
  const header = req.headers.authorization ?? '';
  if (!/^basic /i.test(header)) return false;
  const given = Buffer.from(Buffer.from(header.slice(6), 'base64').toString('utf8'));
  const expected = Buffer.from(`${auth.username}:${auth.password}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function isRedisDown(error: unknown): boolean {
  const { name = '', message = '', code = '' } = (error ?? {}) as { name?: string; message?: string; code?: string };
  return (
    name === 'MaxRetriesPerRequestError' ||
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE)$/.test(code) ||
    /ECONNREFUSED|ECONNRESET|Connection is closed|max retries per request|Stream isn't writeable|enableOfflineQueue/i.test(message)
  );
}

/** A path segment of the URL, decoded; a malformed one is the client's error. */
function segment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, `Malformed address: ${text}`);
  }
}

// --- Reading -------------------------------------------------------------------------------------

/** A queue's counts, as the queues page shows them. */
export interface QueueOverview {
  readonly name: string;
  readonly counts: Record<ListName, number>;
}

async function queueOverviews(connection: RedisConnection): Promise<QueueOverview[]> {
  const queues = await Queue.all({ connection });
  return Promise.all(
    queues.map(async (queue) => {
      // Plain LLEN and ZCARD: a dashboard reads, it never cleans (that would act on abandoned jobs).
      const values = await Promise.all(LISTS.map((list) => (list === 'queued' ? queue.count() : registryOf(list, queue.name, connection).count({ cleanup: false }))));
      return { name: queue.name, counts: Object.fromEntries(LISTS.map((list, index) => [list, values[index]!])) as Record<ListName, number> };
    }),
  );
}

function registryOf(list: Exclude<ListName, 'queued'>, queue: string, connection: RedisConnection): JobRegistry {
  return new REGISTRY_CLASSES[list](queue, { connection });
}

/** A job as a list shows it; `error` when its data cannot be read (pickle, corrupt). */
interface JobRow {
  readonly id: string;
  readonly job: Job | undefined;
  readonly error: string | undefined;
}

async function readJobs(ids: readonly string[], connection: RedisConnection): Promise<JobRow[]> {
  const settled = await Promise.allSettled(ids.map((id) => Job.fetch(id, { connection })));
  return settled.map((outcome, index) => {
    if (outcome.status === 'fulfilled') return { id: ids[index]!, job: outcome.value, error: undefined };
    const error = outcome.reason as Error;
    return { id: ids[index]!, job: undefined, error: error instanceof NoSuchJobError ? 'gone (expired or deleted)' : `unreadable: ${error.message}` };
  });
}

/** Ids of a list, one page: the queue in run order; registries newest first (scheduled: soonest due first). */
async function listIds(list: ListName, queue: string, connection: RedisConnection, start: number, count: number): Promise<string[]> {
  if (list === 'queued') return new Queue(queue, { connection }).getJobIds(start, count);
  return registryOf(list, queue, connection).getJobIds(start, start + count - 1, { order: list === 'scheduled' ? 'asc' : 'desc', cleanup: false });
}

async function listCount(list: ListName, queue: string, connection: RedisConnection): Promise<number> {
  return list === 'queued' ? new Queue(queue, { connection }).count() : registryOf(list, queue, connection).count({ cleanup: false });
}

// --- JSON API ------------------------------------------------------------------------------------

async function api(context: Context, path: string): Promise<unknown> {
  const { connection } = context;
  if (path === '/queues') return { suspended: await isSuspended({ connection }), queues: await queueOverviews(connection) };
  if (path === '/workers') return { workers: await Worker.all({ connection, cleanup: false }) };
  if (path === '/throughput') {
    const queue = context.url.searchParams.get('queue') ?? undefined;
    const asked = context.url.searchParams.get('minutes') ?? '360';
    const minutes = /^\d{1,4}$/.test(asked) ? Number(asked) : 360;
    return { queue: queue ?? null, points: await getThroughput({ connection, minutes, ...(queue !== undefined && { queue }) }) };
  }
  const list = /^\/queues\/([^/]+)\/([a-z]+)$/.exec(path);
  if (list) {
    const [name, listName] = [segment(list[1]!), list[2] as ListName];
    if (!LISTS.includes(listName)) throw new HttpError(404, `No list '${listName}': use one of ${LISTS.join(', ')}`);
    const page = pageNumber(context.url);
    const ids = await listIds(listName, name, connection, (page - 1) * context.pageSize, context.pageSize);
    return { queue: name, list: listName, page, total: await listCount(listName, name, connection), jobs: (await readJobs(ids, connection)).map(jobSummary) };
  }
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job) return jobDetail(await fetchJob(segment(job[1]!), connection));
  throw new HttpError(404, 'Not found');
}

function jobSummary(row: JobRow): Record<string, unknown> {
  const job = row.job;
  return job
    ? { id: row.id, func: job.funcName, status: job.status, origin: job.origin, createdAt: job.createdAt, enqueuedAt: job.enqueuedAt, endedAt: job.endedAt, description: job.description }
    : { id: row.id, error: row.error };
}

async function jobDetail(job: Job): Promise<Record<string, unknown>> {
  return {
    ...jobSummary({ id: job.id, job, error: undefined }),
    args: job.args,
    kwargs: job.kwargs,
    meta: job.meta,
    startedAt: job.startedAt,
    workerName: job.workerName,
    dependencyIds: job.dependencyIds,
    dependentIds: await job.getDependentIds(),
    results: await job.results(),
  };
}

async function fetchJob(id: string, connection: RedisConnection): Promise<Job> {
  try {
    return await Job.fetch(id, { connection });
  } catch (error) {
    if (error instanceof NoSuchJobError) throw new HttpError(404, `No job ${id}: it does not exist (never created, expired, or deleted).`);
    if (error instanceof DeserializationError) throw new HttpError(422, `Job ${id} cannot be read: ${error.message}`);
    throw error;
  }
}

function pageNumber(url: URL): number {
  const text = url.searchParams.get('page') ?? '1';
  const page = /^\d{1,9}$/.test(text) ? Number(text) : 1;
  return page >= 1 ? page : 1;
}

// --- Pages ---------------------------------------------------------------------------------------

async function route(context: Context, path: string): Promise<Page> {
  if (path === '/') return queuesPage(context);
  if (path === '/workers') return workersPage(context);
  const list = /^\/queues\/([^/]+)\/([a-z]+)$/.exec(path);
  if (list) return listPage(context, segment(list[1]!), list[2] as ListName);
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job) return jobPage(context, segment(job[1]!));
  throw new HttpError(404, `No page ${path}`);
}

const LABELS: Record<ListName, string> = { queued: 'Queued', started: 'Started', deferred: 'Deferred', scheduled: 'Scheduled', finished: 'Finished', failed: 'Failed', canceled: 'Canceled' };

async function queuesPage(context: Context): Promise<Page> {
  const { connection, link } = context;
  const [queues, suspended, throughput] = await Promise.all([queueOverviews(connection), isSuspended({ connection }), getThroughput({ connection, minutes: CHART_MINUTES })]);
  const rows = queues.map(
    (queue) => html`<tr>
      <th scope="row">${queue.name}</th>
      ${LISTS.map((list) => html`<td class="count"><a href="${link(`/queues/${encodeURIComponent(queue.name)}/${list}`)}" data-count="${queue.name}:${list}">${queue.counts[list]}</a></td>`)}
      ${context.readOnly ? '' : html`<td class="actions">
        ${actionForm(context, 'empty', { queue: queue.name }, 'Empty', `Remove the ${queue.counts.queued} waiting jobs of ${queue.name}?`)}
        ${queue.counts.failed > 0 ? actionForm(context, 'requeue-all', { queue: queue.name }, 'Requeue failed', `Requeue the ${queue.counts.failed} failed jobs of ${queue.name}?`) : ''}
      </td>`}
    </tr>`,
  );
  return {
    title: 'Queues',
    main: html`
      ${suspended ? html`<p class="banner">Workers are suspended: no job starts until they are resumed.</p>` : ''}
      ${context.readOnly ? '' : actionForm(context, suspended ? 'resume' : 'suspend', {}, suspended ? 'Resume workers' : 'Suspend workers', suspended ? 'Resume every worker?' : 'Suspend every worker? Running jobs finish; no new job starts.')}
      <table class="queues">
        <thead><tr><th>Queue</th>${LISTS.map((list) => html`<th>${LABELS[list]}</th>`)}${context.readOnly ? '' : html`<th></th>`}</tr></thead>
        <tbody>${rows.length > 0 ? rows : html`<tr><td colspan="9">No queues (nothing in rq:queues).</td></tr>`}</tbody>
      </table>
      <h2>Jobs per minute, last ${CHART_MINUTES / 60} hours</h2>
      ${throughputChart(throughput)}`,
  };
}

/** Minutes the queues page's chart covers. */
const CHART_MINUTES = 360;

/**
 * Finished and failed jobs per minute as an SVG drawn on the server (no script, no library): two
 * lines over the minutes, the largest count as the scale. Counted by rq-ts workers only.
 */
function throughputChart(points: readonly ThroughputPoint[]): Markup {
  const width = 720;
  const height = 160;
  const peak = Math.max(0, ...points.map((point) => Math.max(point.finished, point.failed)));
  const max = Math.max(1, peak);
  const x = (index: number) => ((index / Math.max(1, points.length - 1)) * width).toFixed(1);
  const y = (value: number) => (height - (value / max) * height).toFixed(1);
  const line = (kind: 'finished' | 'failed') => points.map((point, index) => `${x(index)},${y(point[kind])}`).join(' ');
  const total = (kind: 'finished' | 'failed') => points.reduce((sum, point) => sum + point[kind], 0);
  const first = points[0]?.minute;
  const last = points.at(-1)?.minute;
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="chart-title">
      <title id="chart-title">Finished and failed jobs per minute</title>
      <line class="axis" x1="0" y1="${height}" x2="${width}" y2="${height}"></line>
      <polyline class="finished" points="${line('finished')}"></polyline>
      <polyline class="failed" points="${line('failed')}"></polyline>
    </svg>
    <figcaption>
      <span class="legend finished">finished: ${total('finished')}</span>
      <span class="legend failed">failed: ${total('failed')}</span>
      <span>peak ${peak} a minute · ${first ? time(first) : ''} to ${last ? time(last) : ''} · counted by rq-ts workers</span>
    </figcaption>
  </figure>`;
}

async function listPage(context: Context, queue: string, list: ListName): Promise<Page> {
  if (!LISTS.includes(list)) throw new HttpError(404, `No list '${list}': use one of ${LISTS.join(', ')}`);
  const { connection, link, url, pageSize } = context;
  const page = pageNumber(url);
  const idFilter = url.searchParams.get('id')?.trim() ?? '';
  const funcFilter = url.searchParams.get('func')?.trim() ?? '';
  const total = await listCount(list, queue, connection);
  let rows: JobRow[];
  let note: Markup | string = '';
  let pages = Math.max(1, Math.ceil(total / pageSize));
  if (idFilter !== '') {
    const inList = list === 'queued' ? (await connection.lpos(new Queue(queue, { connection }).key, idFilter)) !== null : await registryOf(list, queue, connection).contains(idFilter);
    rows = inList ? await readJobs([idFilter], connection) : [];
    pages = 1;
    if (!inList) note = html`No job ${idFilter} in this list.`;
  } else if (funcFilter !== '') {
    const matches: JobRow[] = [];
    let scanned = 0;
    while (scanned < Math.min(total, FILTER_SCAN_LIMIT)) {
      const ids = await listIds(list, queue, connection, scanned, Math.min(200, FILTER_SCAN_LIMIT - scanned));
      if (ids.length === 0) break;
      scanned += ids.length;
      for (const row of await readJobs(ids, connection)) if (row.job?.funcName.includes(funcFilter)) matches.push(row);
    }
    pages = Math.max(1, Math.ceil(matches.length / pageSize));
    rows = matches.slice((page - 1) * pageSize, page * pageSize);
    note = html`${matches.length} jobs calling a function named like “${funcFilter}” among ${scanned === total ? 'all' : `the first ${scanned} of`} ${total}.`;
  } else {
    rows = await readJobs(await listIds(list, queue, connection, (page - 1) * pageSize, pageSize), connection);
  }
  const filters = { id: idFilter || undefined, func: funcFilter || undefined };
  return {
    title: `${queue}: ${LABELS[list]}`,
    main: html`
      <nav class="lists">${LISTS.map((other) => html`<a href="${link(`/queues/${encodeURIComponent(queue)}/${other}`)}" class="${other === list ? 'current' : ''}">${LABELS[other]}</a>`)}</nav>
      <form method="get" class="filter" action="${link(`/queues/${encodeURIComponent(queue)}/${list}`).split('?')[0]}">
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
      ${pager(context, `/queues/${encodeURIComponent(queue)}/${list}`, page, pages, filters)}`,
  };
}

function jobRow(context: Context, row: JobRow, queue: string, list: ListName): Markup {
  const { link } = context;
  const job = row.job;
  if (!job) {
    const remove = context.readOnly ? '' : html`<td class="actions">${actionForm(context, 'delete', { id: row.id, queue, list }, 'Delete', `Delete job ${row.id} and take it out of this list?`)}</td>`;
    return html`<tr><td><a href="${link(`/jobs/${encodeURIComponent(row.id)}`)}">${row.id}</a></td><td colspan="5" class="error">${row.error}</td>${remove}</tr>`;
  }
  return html`<tr>
    <td><a href="${link(`/jobs/${encodeURIComponent(job.id)}`)}">${job.id}</a></td>
    <td><code>${job.funcName}</code></td>
    <td><span class="status ${job.status ?? ''}">${job.status ?? '?'}</span></td>
    <td>${time(job.createdAt)}</td><td>${time(job.enqueuedAt)}</td><td>${time(job.endedAt)}</td>
    ${context.readOnly ? '' : html`<td class="actions">${jobActions(context, job, queue, list)}</td>`}
  </tr>`;
}

function jobActions(context: Context, job: Job, queue: string, list: ListName | undefined): Markup[] {
  const actions: Markup[] = [];
  const id = { id: job.id, queue };
  if (job.status === 'failed' || job.status === 'stopped' || list === 'failed') actions.push(actionForm(context, 'requeue', id, 'Requeue', `Requeue job ${job.id}?`));
  if (job.status === 'started' && job.workerName) actions.push(actionForm(context, 'stop', { ...id, worker: job.workerName }, 'Stop', `Stop job ${job.id} on ${job.workerName}?`));
  if (job.status !== 'canceled' && job.status !== 'started' && job.status !== 'finished') actions.push(actionForm(context, 'cancel', id, 'Cancel', `Cancel job ${job.id}?`));
  actions.push(actionForm(context, 'delete', id, 'Delete', `Delete job ${job.id}?`));
  return actions;
}

async function jobPage(context: Context, id: string): Promise<Page> {
  const job = await fetchJob(id, context.connection);
  const detail = await jobDetail(job);
  const { link } = context;
  const jobLink = (other: string) => html`<a href="${link(`/jobs/${encodeURIComponent(other)}`)}">${other}</a> `;
  const results = detail['results'] as Awaited<ReturnType<Job['results']>>;
  return {
    title: `Job ${job.id}`,
    main: html`
      ${context.readOnly ? '' : html`<div class="actions">${jobActions(context, job, job.origin ?? '', undefined)}</div>`}
      <table class="fields">
        <tr><th>Function</th><td><code>${job.funcName}</code></td></tr>
        <tr><th>Description</th><td>${job.description}</td></tr>
        <tr><th>Status</th><td><span class="status ${job.status ?? ''}">${job.status ?? '?'}</span></td></tr>
        <tr><th>Queue</th><td>${job.origin ? html`<a href="${link(`/queues/${encodeURIComponent(job.origin)}/queued`)}">${job.origin}</a>` : ''}</td></tr>
        <tr><th>Arguments</th><td><pre>${pretty(job.args)}</pre></td></tr>
        <tr><th>Keyword arguments</th><td><pre>${pretty(job.kwargs)}</pre></td></tr>
        <tr><th>Meta</th><td><pre>${pretty(job.meta)}</pre></td></tr>
        <tr><th>Created</th><td>${time(job.createdAt)}</td></tr>
        <tr><th>Enqueued</th><td>${time(job.enqueuedAt)}</td></tr>
        <tr><th>Started</th><td>${time(job.startedAt)}</td></tr>
        <tr><th>Ended</th><td>${time(job.endedAt)}</td></tr>
        <tr><th>Worker</th><td>${job.workerName ?? ''}</td></tr>
        <tr><th>Depends on</th><td>${job.dependencyIds.map(jobLink)}</td></tr>
        <tr><th>Dependents</th><td>${(detail['dependentIds'] as string[]).map(jobLink)}</td></tr>
      </table>
      <h2>Results</h2>
      ${results.length === 0
        ? html`<p>No result yet.</p>`
        : html`<table class="results"><thead><tr><th>When</th><th>Outcome</th><th>Value or error</th></tr></thead><tbody>
          ${results.map((result) => html`<tr><td>${time(result.createdAt)}</td><td>${result.type === 1 ? 'finished' : result.type === 2 ? 'failed' : `type ${result.type}`}</td><td><pre>${result.type === 1 ? pretty(result.returnValue) : (result.excString ?? '')}</pre></td></tr>`)}
        </tbody></table>`}`,
  };
}

async function workersPage(context: Context): Promise<Page> {
  const workers = await Worker.all({ connection: context.connection, cleanup: false });
  const { link } = context;
  const row = (worker: WorkerInfo) => html`<tr>
    <th scope="row">${worker.name}</th>
    <td><span class="state ${worker.state}">${worker.state}</span></td>
    <td>${worker.queueNames.map((queue) => html`<a href="${link(`/queues/${encodeURIComponent(queue)}/queued`)}">${queue}</a> `)}</td>
    <td>${worker.currentJobId ? html`<a href="${link(`/jobs/${encodeURIComponent(worker.currentJobId)}`)}">${worker.currentJobId}</a>` : ''}</td>
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

function pager(context: Context, to: string, page: number, pages: number, filters: Record<string, string | undefined>): Markup {
  if (pages <= 1) return html``;
  return html`<nav class="pager">
    ${page > 1 ? html`<a href="${context.link(to, { ...filters, page: page - 1 })}" rel="prev">← Newer</a>` : ''}
    <span>Page ${page} of ${pages}</span>
    ${page < pages ? html`<a href="${context.link(to, { ...filters, page: page + 1 })}" rel="next">Older →</a>` : ''}
  </nav>`;
}

function actionForm(context: Context, action: string, fields: Record<string, string>, label: string, confirm: string): Markup {
  const back = context.here;
  return html`<form method="post" action="${context.link(`/actions/${action}`)}" class="action" data-confirm="${confirm}">
    <input type="hidden" name="csrf" value="${context.token}">
    <input type="hidden" name="back" value="${back}">
    ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
    <button type="submit">${label}</button>
  </form>`;
}

function time(date: Date | undefined): Markup | string {
  if (!date || date.getTime() === 0) return '';
  return html`<time datetime="${date.toISOString()}">${date.toISOString().replace('T', ' ').slice(0, 19)}</time>`;
}

function pretty(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? 'null';
  } catch {
    return String(value);
  }
}

function layout(page: Page, context: Context, instances: readonly DashboardInstance[], current: DashboardInstance, base: string, refreshSeconds: number): Markup {
  const { link } = context;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · rq-ts</title><link rel="stylesheet" href="${base}/static/app.css"></head>
<body data-refresh="${refreshSeconds}">
<header><a class="brand" href="${link('/')}">rq-ts</a>
<nav><a href="${link('/')}">Queues</a><a href="${link('/workers')}">Workers</a></nav>
${instances.length > 1
    ? html`<form method="get" action="${base}/" class="instance"><select name="i" data-autosubmit>${instances.map((instance, index) => html`<option value="${index}" ${instance === current ? raw('selected') : ''}>${instance.name}</option>`)}</select></form>`
    : html`<span class="instance">${current.name}</span>`}
${context.readOnly ? html`<span class="badge">read-only</span>` : ''}
</header>
<h1>${page.title}</h1>
<main id="main">${page.main}</main>
<script src="${base}/static/app.js"></script>
</body></html>`;
}

// --- Actions -------------------------------------------------------------------------------------

/** Reads a small urlencoded form body. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new HttpError(413, 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Where an action sends the browser back: a page of this dashboard only, in plain characters. */
function safeBack(back: string, context: Context): string {
  const home = context.link('/');
  if (!/^\/[A-Za-z0-9/_.~%?=&+:@-]*$/.test(back) || back.startsWith('//')) return home;
  if (context.base !== '' && back !== context.base && !back.startsWith(`${context.base}/`) && !back.startsWith(`${context.base}?`)) return home;
  return back;
}

/** Runs an action; resolves to where the browser goes next. */
async function act(req: IncomingMessage, context: Context, action: string): Promise<string> {
  if (context.readOnly) throw new HttpError(403, 'This dashboard is read-only: it takes no action.');
  // Refused from other sites: the browser says where a request comes from (Sec-Fetch-Site, and
  // Origin where it sends no Sec-Fetch-Site), and only our pages hold the token. Behind a proxy
  // that rewrites Host, Sec-Fetch-Site: same-origin is what tells.
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) {
    if (site !== 'same-origin' && site !== 'none') throw new HttpError(403, 'Cross-site request refused.');
  } else if (req.headers.origin !== undefined && req.headers.origin !== 'null') {
    let host: string;
    try {
      host = new URL(req.headers.origin).host;
    } catch {
      throw new HttpError(403, 'Malformed Origin: request refused.');
    }
    if (host !== req.headers.host) throw new HttpError(403, 'Cross-origin request refused.');
  }
  const form = await readForm(req);
  const token = Buffer.from(form.get('csrf') ?? '');
  const expected = Buffer.from(context.token);
  if (token.length !== expected.length || !timingSafeEqual(token, expected)) throw new HttpError(403, 'Missing or wrong form token: reload the page and try again.');
  const back = safeBack(form.get('back') ?? '', context);
  const { connection } = context;
  const id = form.get('id') ?? '';
  const queue = form.get('queue') ?? '';
  switch (action) {
    case 'requeue':
      try {
        await new FailedJobRegistry(queue, { connection }).requeue(id);
      } catch (error) {
        if (error instanceof InvalidJobOperationError || error instanceof NoSuchJobError) throw new HttpError(409, error.message);
        if (!(error instanceof DeserializationError)) throw error; // requeued; only reading it back failed
      }
      break;
    case 'requeue-all': {
      // A page of ids at a time (never the whole registry); requeued ids leave it, failures stay.
      const registry = new FailedJobRegistry(queue, { connection });
      const failures: string[] = [];
      let requeued = 0;
      for (let start = 0; ; ) {
        const ids = await registry.getJobIds(start, start + 499, { cleanup: false });
        if (ids.length === 0) break;
        for (const failed of ids) {
          try {
            await registry.requeue(failed);
            requeued += 1;
          } catch (error) {
            if (error instanceof DeserializationError) requeued += 1;
            else if (error instanceof InvalidJobOperationError) failures.push(failed);
            else if (!(error instanceof NoSuchJobError)) throw error; // a gone job's id left the registry
          }
        }
        start = failures.length; // what is left in front: the failures
      }
      if (failures.length > 0) throw new HttpError(409, `Requeued ${requeued} jobs; ${failures.length} could not be requeued and stay failed: ${failures.slice(0, 5).join(', ')}${failures.length > 5 ? ', ...' : ''}`);
      break;
    }
    case 'cancel':
      try {
        await cancelJob(id, { connection });
      } catch (error) {
        if (error instanceof InvalidJobOperationError || error instanceof NoSuchJobError) throw new HttpError(409, error.message);
        throw error;
      }
      break;
    case 'delete': {
      // By id, without reading the job (it may be unreadable or gone); a listed id leaves its list.
      await deleteJob(connection, id);
      const list = form.get('list') as ListName | null;
      if (list === 'queued') await connection.lrem(new Queue(queue, { connection }).key, 0, id);
      else if (list && LISTS.includes(list) && queue !== '') await registryOf(list, queue, connection).remove(id);
      if (back.includes('/jobs/')) return context.link('/');
      break;
    }
    case 'stop': {
      const job = await fetchJob(id, connection);
      const worker = form.get('worker') ?? '';
      if (job.status !== 'started' || job.workerName !== worker) throw new HttpError(409, `Job ${id} is not running on ${worker} (it is ${job.status ?? 'in no state'}${job.workerName ? `, last on ${job.workerName}` : ''}): nothing to stop.`);
      if ((await sendStopJobCommand(worker, id, { connection })) === 0) throw new HttpError(409, `Worker ${worker} did not receive the stop command: it is not listening (dead, or not subscribed).`);
      break;
    }
    case 'empty':
      await new Queue(queue, { connection }).empty();
      break;
    case 'suspend':
      await suspend({ connection });
      break;
    case 'resume':
      await resume({ connection });
      break;
    default:
      throw new HttpError(404, `No action '${action}'`);
  }
  return back;
}
