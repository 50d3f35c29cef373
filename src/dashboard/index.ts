/**
 * `rq-ts/dashboard`: a web dashboard for any RQ-layout Redis (rq-ts' or Python RQ's), as a request
 * handler for node:http that mounts under a path prefix in an existing server (node:http, Express,
 * Fastify or Hono through their Node adapters), or runs on its own with `rq dashboard`.
 *
 * Pages are rendered on the server from the public read API, every value escaped (html.ts); a small
 * script (no inline code: the Content-Security-Policy allows none) refreshes the page's main part
 * every few seconds. Actions are POSTs carrying a per-dashboard token and refused from other
 * origins; a read-only dashboard renders and accepts none. Lists read ranges, never whole sets.
 *
 * This file checks the options and builds the handler. The rest, one role a file:
 * handler.ts   the request: prefix, headers, login, static files, instance, errors to statuses
 * security.ts  headers, basic auth, and the origin, token and way-back checks of actions
 * context.ts   what pages and actions get (Context), HttpError, reading the address
 * routes.ts    the one table of addresses, each with its page and its JSON
 * read.ts      the reads, through the library's public API only, never cleaning
 * pages.ts     the queues, list, job and workers pages; views.ts the parts they share; html.ts the
 *              escaping template; queue-page.ts a queue's page; limits.ts the rate limits
 * throughput-charts.ts  the charts of jobs per minute and of run time, and the span selector;
 *              charts.ts draws them (SVG, axes, legend, numbers), chart-axes.ts gives ticks and units
 * function-stats.ts  a queue's job statistics by function, for its page and /api/job-stats
 * api.ts       the JSON under /api
 * actions.ts   the actions, as a table of { name, needs, run }
 * assets.ts    the script and stylesheet
 */
import { randomBytes } from 'node:crypto';
import { METRICS_CONTENT_TYPE, collectMetrics, type RedisConnection } from '../index.js';
import type { DashboardInstance } from './context.js';
import { createHandler, type DashboardHandler } from './handler.js';
import { checkAuth, isAuthorized } from './security.js';

export type { DashboardInstance } from './context.js';
export type { DashboardHandler } from './handler.js';
export { LISTS } from './read.js';
export type { ListName, QueueOverview } from './read.js';

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

/**
 * A dashboard request handler.
 * @throws {TypeError} without an instance; InvalidArgumentError (from rq-ts) for missing or empty credentials.
 * @example
 * import { createServer } from 'node:http';
 * import { createDashboard } from 'rq-ts/dashboard';
 * const dashboard = createDashboard({ instances: [{ name: 'main', connection }], prefix: '/rq' });
 * createServer((req, res) => dashboard(req, res, () => { res.statusCode = 404; res.end(); })).listen(8080, '127.0.0.1');
 */
export function createDashboard(options: DashboardOptions): DashboardHandler {
  if (options.instances.length === 0) throw new TypeError('createDashboard needs at least one Redis instance.');
  if (options.auth !== undefined) checkAuth(options.auth);
  return createHandler({
    instances: options.instances,
    readOnly: options.readOnly ?? false,
    auth: options.auth,
    prefix: (options.prefix ?? '').replace(/\/+$/, ''),
    pageSize: options.pageSize ?? 50,
    refreshSeconds: options.refreshSeconds ?? 3,
    token: randomBytes(24).toString('base64url'),
  });
}

/** Options of {@link createMetricsHandler}. */
export interface MetricsHandlerOptions {
  /** The Redis whose queues and workers to count. */
  readonly connection: RedisConnection;
  /** Ask for these credentials (HTTP basic auth), as the dashboard does. */
  readonly auth?: { readonly username: string; readonly password: string };
}

/**
 * A request handler that answers every GET with the Prometheus metrics of one Redis
 * (`collectMetrics`: rq-exporter's names), for a route of an existing server. The dashboard also
 * serves them at its `/metrics`.
 * @throws InvalidArgumentError (from rq-ts) for missing or empty credentials.
 * @example
 * app.get('/metrics', createMetricsHandler({ connection }));
 */
export function createMetricsHandler(options: MetricsHandlerOptions): DashboardHandler {
  if (options.auth !== undefined) checkAuth(options.auth);
  const { auth, connection } = options;
  return (req, res) => {
    const reply = (status: number, type: string, body: string) => {
      res.statusCode = status;
      res.setHeader('Content-Type', type);
      res.setHeader('Cache-Control', 'no-store');
      res.end(body);
    };
    if (auth && !isAuthorized(req, auth)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="rq-ts metrics", charset="UTF-8"');
      return reply(401, 'text/plain; charset=utf-8', 'Authentication required');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'text/plain; charset=utf-8', `Method ${req.method} not allowed`);
    collectMetrics({ connection }).then(
      (text) => reply(200, METRICS_CONTENT_TYPE, text),
      (error: unknown) => reply(503, 'text/plain; charset=utf-8', `# Redis cannot be read: ${(error as Error).message}\n`),
    );
  };
}
