/**
 * The dashboard's request handler: it answers only under its prefix (other paths go to `next`),
 * sets the security headers, asks for credentials when configured, serves its script and
 * stylesheet, picks the Redis instance the address names, then hands the request to the route
 * table (pages and JSON) or to an action. Whatever is thrown becomes an answer here and only
 * here: an HttpError its own status, an unreachable Redis a 503 that names it, anything else a 500
 * with the message and no stack.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { METRICS_CONTENT_TYPE, collectMetrics } from '../index.js';
import { CLIENT_CSS, CLIENT_JS } from './assets.js';
import { runAction } from './actions.js';
import { HttpError, type Context, type DashboardInstance, type Page } from './context.js';
import { html } from './html.js';
import { jsonAt, pageAt } from './routes.js';
import { isAuthorized, setSecurityHeaders, type Credentials } from './security.js';
import { layout } from './views.js';

/** A request handler: `(req, res, next?)`. `next` is called for paths outside the prefix. */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** The dashboard's options, checked and with their defaults. */
export interface HandlerSettings {
  readonly instances: readonly DashboardInstance[];
  readonly readOnly: boolean;
  readonly auth: Credentials | undefined;
  /** The path prefix, without a trailing slash ('' for none). */
  readonly prefix: string;
  readonly pageSize: number;
  readonly refreshSeconds: number;
  readonly token: string;
}

const TEXT = 'text/plain; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** The script and the stylesheet: the only files, cached for five minutes. */
const ASSETS = new Map([
  ['/static/app.js', { type: 'text/javascript; charset=utf-8', body: CLIENT_JS }],
  ['/static/app.css', { type: 'text/css; charset=utf-8', body: CLIENT_CSS }],
]);

export function createHandler(settings: HandlerSettings): DashboardHandler {
  return (req, res, next) => {
    handle(settings, req, res, next).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, TEXT, `Dashboard error: ${(error as Error).message}`);
      else res.destroy();
    });
  };
}

async function handle(settings: HandlerSettings, req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
  const { prefix } = settings;
  if (prefix !== '' && url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
    if (next) return next();
    return send(res, 404, TEXT, 'Not found');
  }
  const path = url.pathname.slice(prefix.length) || '/';
  setSecurityHeaders(res);
  if (settings.auth && !isAuthorized(req, settings.auth)) {
    res.setHeader('WWW-Authenticate', 'Basic realm="rq-ts dashboard", charset="UTF-8"');
    return send(res, 401, TEXT, 'Authentication required');
  }
  const asset = ASSETS.get(path);
  if (asset) return send(res, 200, asset.type, asset.body, 'public, max-age=300');
  const selected = url.searchParams.get('i') ?? '0';
  const instance = /^\d{1,4}$/.test(selected) ? settings.instances[Number(selected)] : undefined;
  if (!instance) return send(res, 404, TEXT, `No Redis instance ${selected}: there are ${settings.instances.length}.`);
  const context = contextOf(settings, req, url, path, instance);
  try {
    await answer(req, res, context, path);
  } catch (error) {
    sendError(res, context, path, error);
  }
}

/** What the pages and actions of this request get. */
function contextOf(settings: HandlerSettings, req: IncomingMessage, url: URL, path: string, instance: DashboardInstance): Context {
  const { instances } = settings;
  const base = `${mountOf(req)}${settings.prefix}`;
  const instanceIndex = instances.length > 1 ? instances.indexOf(instance) : undefined;
  const link = (to: string, params: Record<string, string | number | undefined> = {}) => {
    const query = new URLSearchParams();
    if (instanceIndex !== undefined) query.set('i', String(instanceIndex));
    for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(key, String(value));
    const text = query.toString();
    return `${base}${to}${text ? `?${text}` : ''}`;
  };
  const search = new URLSearchParams(url.searchParams);
  search.delete('partial');
  const here = `${base}${path}${search.size > 0 ? `?${search}` : ''}`;
  const { readOnly, token, pageSize, refreshSeconds } = settings;
  return { connection: instance.connection, link, url, readOnly, token, pageSize, refreshSeconds, instances, instance, instanceIndex, base, here };
}

/**
 * The path the host mounted the dashboard at, which its links must start with: Express' `baseUrl`;
 * else what a host that strips the mount path from `req.url` but keeps `originalUrl` took off
 * (Fastify's middie); else nothing.
 */
function mountOf(req: IncomingMessage & { baseUrl?: string; originalUrl?: string }): string {
  if (req.baseUrl !== undefined) return req.baseUrl;
  if (req.originalUrl === undefined || req.originalUrl === req.url) return '';
  const original = new URL(req.originalUrl, 'http://dashboard.invalid').pathname.replace(/\/+$/, '');
  const rest = new URL(req.url ?? '/', 'http://dashboard.invalid').pathname.replace(/\/+$/, '');
  return original.endsWith(rest) ? original.slice(0, original.length - rest.length) : '';
}

/** An action (POST `/actions/<name>`), the JSON under `/api`, or a page. */
async function answer(req: IncomingMessage, res: ServerResponse, context: Context, path: string): Promise<void> {
  if (req.method === 'POST') {
    if (!path.startsWith('/actions/')) throw new HttpError(404, 'Not found');
    const target = await runAction(req, context, path.slice('/actions/'.length));
    res.statusCode = 303;
    res.setHeader('Location', target);
    return void res.end();
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `Method ${req.method} not allowed`);
  if (path.startsWith('/api/')) return send(res, 200, JSON_TYPE, JSON.stringify(await jsonAt(context, path.slice(4))));
  if (path === '/metrics') return send(res, 200, METRICS_CONTENT_TYPE, await collectMetrics({ connection: context.connection }));
  sendPage(res, context, await pageAt(context, path));
}

function sendError(res: ServerResponse, context: Context, path: string, error: unknown): void {
  const status = error instanceof HttpError ? error.status : isRedisDown(error) ? 503 : 500;
  const message = status === 503 ? `Redis (${context.instance.name}) cannot be reached: ${(error as Error).message}` : (error as Error).message;
  if (path.startsWith('/api/')) return send(res, status, JSON_TYPE, JSON.stringify({ error: message }));
  if (path === '/metrics') return send(res, status, TEXT, `# ${message}\n`);
  sendPage(res, context, { status, title: status === 404 ? 'Not found' : 'Error', main: html`<p class="error">${message}</p>` });
}

/** A page in its layout, or only its main part for the page's own refresh (`partial=1`). */
function sendPage(res: ServerResponse, context: Context, page: Page): void {
  const body = context.url.searchParams.get('partial') === '1' ? page.main.text : layout(page, context).text;
  send(res, page.status ?? 200, HTML, body);
}

function send(res: ServerResponse, status: number, type: string, body: string, cache = 'no-store'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', cache);
  res.end(body);
}

function isRedisDown(error: unknown): boolean {
  const { name = '', message = '', code = '' } = (error ?? {}) as { name?: string; message?: string; code?: string };
  return (
    name === 'MaxRetriesPerRequestError' ||
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE)$/.test(code) ||
    /ECONNREFUSED|ECONNRESET|Connection is closed|max retries per request|Stream isn't writeable|enableOfflineQueue/i.test(message)
  );
}
