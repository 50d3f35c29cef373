/**
 * The dashboard where users mount it, over real HTTP against real Redis: in node:http with its own
 * `prefix`, in Express 5 under `app.use('/rq', ...)` (mount path stripped, `req.baseUrl` set), in
 * Fastify 5 through @fastify/middie, and in Hono on @hono/node-server (the Node request and
 * response of `c.env`, answered with RESPONSE_ALREADY_SENT). For each: the queues, list and job
 * pages answer under the mount; every link, script, stylesheet and form of the page stays under
 * it and opens; its JSON and Prometheus metrics answer there; an action (requeue of a failed job,
 * with the form's token and the server's Origin) goes through the framework, does its work and
 * sends the browser back under the mount; `createMetricsHandler` answers on a route of the host;
 * and paths outside the mount stay the host app's. The recipes built here are the ones
 * docs/dashboard.md gives. Also two mounts that failed before the dashboard handled them: a middie
 * mount by path (middie strips the path and sets no `req.baseUrl`, only `req.originalUrl`) and an
 * Express app that parses urlencoded bodies before the dashboard (the form is in `req.body`).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import middie from '@fastify/middie';
import { serve, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import express from 'express';
import { fastify } from 'fastify';
import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { createDashboard, createMetricsHandler, type DashboardHandler } from '../src/dashboard/index.js';
import { Job, Queue, Worker } from '../src/index.js';
import { useRedis } from './harness/index.js';

const redis = useRedis();
const MOUNT = '/rq';
/** What the host app answers at /hello: proof that a path outside the mount is the host's. */
const HELLO = 'hello from the host app';
const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const tasks = { 'tasks.ok': (x: unknown) => x, 'tasks.fail': (message: string) => Promise.reject(new Error(message)) };

/** A host app listening on a loopback port. */
interface Host {
  readonly origin: string;
  close(): Promise<void>;
}

/** The jobs every test sees: one finished, one failed (run by a Worker), one queued. */
interface Seeded {
  readonly failed: Job;
  readonly finished: Job;
}

async function seed(connection: Redis): Promise<Seeded> {
  const queue = new Queue('default', { connection });
  const finished = await queue.enqueue('tasks.ok', 1);
  const failed = await queue.enqueue('tasks.fail', 'boom');
  await new Worker([queue], { connection, tasks }).work({ burst: true });
  await queue.enqueue('tasks.ok', 2);
  assert.equal(await failed.getStatus(), 'failed', 'the worker ran the failing task');
  return { failed, finished };
}

async function get(url: string) {
  const response = await fetch(url, { redirect: 'manual' });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

function decode(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

/** The page's `href`, `src` and `action` attributes that are paths (start with '/'), decoded. */
function paths(page: string): Array<{ name: string; value: string }> {
  return [...page.matchAll(/\b(href|src|action)="(\/[^"]*)"/g)].map(([, name, value]) => ({ name: name!, value: decode(value!) }));
}

/** Submits the page's form for `action` with its hidden fields (token included) and the server's Origin, as a browser does. */
async function submit(origin: string, page: string, action: string) {
  for (const [, target, body] of page.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    if (!target!.endsWith(`/actions/${action}`)) continue;
    const fields = new URLSearchParams([...body!.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map(([, name, value]) => [name!, decode(value!)] as [string, string]));
    const response = await fetch(`${origin}${decode(target!)}`, { method: 'POST', body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded', origin }, redirect: 'manual' });
    return { status: response.status, location: response.headers.get('location'), text: await response.text() };
  }
  throw new Error(`no form for ${action} on the page`);
}

/** The queues page at the mount, and every path it renders: under the mount, and each link and file opens. */
async function checkQueuesPage(origin: string): Promise<void> {
  const page = await get(`${origin}${MOUNT}`);
  assert.equal(page.status, 200, page.text);
  assert.match(page.text, /<title>Queues · rq-ts<\/title>/);
  assert.match(page.text, /data-count="default:failed">1</);
  assert.equal((await get(`${origin}${MOUNT}/`)).status, 200);
  const found = paths(page.text);
  const outside = found.filter(({ value }) => value !== MOUNT && !value.startsWith(`${MOUNT}/`) && !value.startsWith(`${MOUNT}?`));
  assert.deepEqual(outside, [], 'every path of the page is under the mount');
  const names = found.map(({ value }) => value);
  for (const file of ['/static/app.css', '/static/app.js']) assert.ok(names.includes(`${MOUNT}${file}`), `${file} is linked under the mount`);
  assert.ok(names.includes(`${MOUNT}/queues/default/failed`), 'the failed list is linked');
  assert.ok(found.some(({ name }) => name === 'action'), 'the page has forms');
  const backs = [...page.text.matchAll(/name="back" value="([^"]*)"/g)].map(([, value]) => decode(value!));
  assert.ok(backs.length > 0 && backs.every((back) => back.startsWith(MOUNT)), `the way back of every form is under the mount: ${backs.join(', ')}`);
  for (const { name, value } of found) {
    if (name === 'action') continue; // POST: opened by submit()
    const opened = await get(`${origin}${value}`);
    assert.equal(opened.status, 200, `${name}="${value}" opens`);
  }
  const css = await get(`${origin}${MOUNT}/static/app.css`);
  assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
}

/** A list page and a job page under the mount, their links under it too. */
async function checkListAndJob(origin: string, { failed, finished }: Seeded): Promise<void> {
  const list = await get(`${origin}${MOUNT}/queues/default/failed`);
  assert.equal(list.status, 200, list.text);
  assert.match(list.text, new RegExp(`href="${MOUNT}/jobs/${failed.id}"`));
  const job = await get(`${origin}${MOUNT}/jobs/${failed.id}`);
  assert.equal(job.status, 200, job.text);
  assert.match(job.text, /Error: boom/);
  assert.match(job.text, new RegExp(`action="${MOUNT}/actions/requeue"`));
  const done = await get(`${origin}${MOUNT}/jobs/${finished.id}`);
  assert.equal(done.status, 200);
  assert.equal((await get(`${origin}${MOUNT}/jobs/no-such-job`)).status, 404, 'the dashboard answers its own unknown addresses');
}

/** `/api/queues` and `/metrics` under the mount. */
async function checkApiAndMetrics(origin: string): Promise<void> {
  const api = await get(`${origin}${MOUNT}/api/queues`);
  assert.equal(api.status, 200);
  assert.match(api.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(api.text) as { queues: Array<{ name: string; counts: Record<string, number> }>; suspended: boolean };
  assert.deepEqual(body.queues.map((queue) => queue.name), ['default']);
  assert.deepEqual(body.queues[0]!.counts, { queued: 1, started: 0, deferred: 0, scheduled: 0, finished: 1, failed: 1, canceled: 0 });
  assert.equal(body.suspended, false);
  await checkMetrics(`${origin}${MOUNT}/metrics`);
}

async function checkMetrics(url: string): Promise<void> {
  const metrics = await get(url);
  assert.equal(metrics.status, 200, `${url}: ${metrics.text}`);
  assert.equal(metrics.headers.get('content-type'), METRICS_TYPE, url);
  assert.match(metrics.text, /^rq_jobs\{queue="default",status="failed"\} 1\.0$/m, url);
  assert.match(metrics.text, /^rq_jobs\{queue="default",status="finished"\} 1\.0$/m, url);
}

/** Requeues the failed job from its page: the job is queued and the browser goes back under the mount. */
async function checkAction(origin: string, { failed }: Seeded): Promise<void> {
  const page = (await get(`${origin}${MOUNT}/jobs/${failed.id}`)).text;
  const requeued = await submit(origin, page, 'requeue');
  assert.equal(requeued.status, 303, requeued.text);
  assert.equal(requeued.location, `${MOUNT}/jobs/${failed.id}`, 'back to the page the form was on, under the mount');
  assert.equal(await failed.getStatus(), 'queued');
  const back = await get(`${origin}${requeued.location}`);
  assert.equal(back.status, 200);
  assert.doesNotMatch(back.text, /action="[^"]*\/actions\/requeue"/, 'a queued job offers no requeue');
}

/** Paths outside the mount are the host app's: its own route, and a look-alike of the mount path. */
async function checkHostPaths(origin: string): Promise<void> {
  const hello = await get(`${origin}/hello`);
  assert.equal(hello.status, 200);
  assert.equal(hello.text, HELLO);
  assertNotTheDashboards(hello.headers, '/hello');
  const lookAlike = await get(`${origin}${MOUNT}x/jobs`);
  assert.equal(lookAlike.status, 404);
  assert.doesNotMatch(lookAlike.text, /rq-ts/);
  assertNotTheDashboards(lookAlike.headers, `${MOUNT}x/jobs`);
  await checkMetrics(`${origin}/metrics`); // createMetricsHandler on a route of the host
}

/** The dashboard's security headers are not on an answer (Express' own 404 has a CSP of its own: default-src 'none'). */
function assertNotTheDashboards(headers: Headers, path: string): void {
  assert.doesNotMatch(headers.get('content-security-policy') ?? '', /script-src/, `${path}: not the dashboard's CSP`);
  assert.equal(headers.get('x-frame-options'), null, `${path}: the dashboard did not touch the answer`);
}

/** Seeds Redis, starts the host app, runs every check, closes the app and the connection. */
async function checkMounted(start: (connection: Redis) => Promise<Host>): Promise<void> {
  const connection = redis.connect();
  let host: Host | undefined;
  try {
    const seeded = await seed(connection);
    host = await start(connection);
    await checkQueuesPage(host.origin);
    await checkListAndJob(host.origin, seeded);
    await checkApiAndMetrics(host.origin);
    await checkHostPaths(host.origin);
    await checkAction(host.origin, seeded);
  } finally {
    await host?.close();
    await connection.quit();
  }
}

const instancesOf = (connection: Redis) => [{ name: 'main', connection }];

async function listenOn(server: Server): Promise<Host> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => closeServer(server) };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((done, fail) => server.close((error) => (error ? fail(error) : done())));
}

/** node:http: the dashboard's own prefix; what it passes to next() is the host's. */
async function nodeHttpHost(connection: Redis): Promise<Host> {
  const dashboard = createDashboard({ instances: instancesOf(connection), prefix: MOUNT });
  const metrics = createMetricsHandler({ connection });
  const app = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/metrics') return metrics(req, res);
    res.statusCode = req.url === '/hello' ? 200 : 404;
    res.end(req.url === '/hello' ? HELLO : 'Not found');
  };
  return listenOn(createServer((req, res) => dashboard(req, res, () => app(req, res))));
}

/** Express 5: mounted by path, no prefix (Express strips the path and sets req.baseUrl). */
async function expressHost(connection: Redis, { parseForms = false } = {}): Promise<Host> {
  const app = express();
  if (parseForms) app.use(express.urlencoded({ extended: false }));
  app.use(MOUNT, createDashboard({ instances: instancesOf(connection) }));
  app.get('/metrics', createMetricsHandler({ connection }));
  app.get('/hello', (_req, res) => void res.type('text/plain').send(HELLO));
  return listenOn(createServer(app));
}

/**
 * Fastify 5 with @fastify/middie. `byPath: false` (what works): the dashboard as a middleware for
 * every path with its own prefix. `byPath: true`: `app.use('/rq', dashboard)`, where middie strips
 * '/rq' from req.url (keeping it in req.originalUrl) but sets no req.baseUrl.
 */
async function fastifyHost(connection: Redis, { byPath = false } = {}): Promise<Host> {
  const app = fastify();
  await app.register(middie);
  if (byPath) app.use(MOUNT, createDashboard({ instances: instancesOf(connection) }));
  else app.use(createDashboard({ instances: instancesOf(connection), prefix: MOUNT }));
  const metrics = createMetricsHandler({ connection });
  app.get('/metrics', (request, reply) => {
    reply.hijack(); // the handler answers on the Node response itself
    metrics(request.raw, reply.raw);
  });
  app.get('/hello', async (_request, reply) => reply.type('text/plain').send(HELLO));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** A Node (req, res) handler as a Hono handler on @hono/node-server. */
function onNode(handler: DashboardHandler) {
  return (c: { env: HttpBindings }) => {
    handler(c.env.incoming, c.env.outgoing);
    return RESPONSE_ALREADY_SENT;
  };
}

/** Hono on @hono/node-server: '/rq/*' (which matches '/rq' too) to the dashboard, with its prefix. */
async function honoHost(connection: Redis): Promise<Host> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.all(`${MOUNT}/*`, onNode(createDashboard({ instances: instancesOf(connection), prefix: MOUNT })));
  app.get('/metrics', onNode(createMetricsHandler({ connection })));
  app.get('/hello', (c) => c.text(HELLO));
  const server = await new Promise<Server>((done) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => done(started as Server));
  });
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => closeServer(server) };
}

describe('the dashboard mounted where users mount it', () => {
  test('node:http: createDashboard({ prefix: "/rq" }) in front of the host app', () => checkMounted(nodeHttpHost));

  test('Express 5: app.use("/rq", createDashboard(...)), app.get("/metrics", createMetricsHandler(...))', () => checkMounted(expressHost));

  test('Fastify 5 with @fastify/middie: app.use(createDashboard({ prefix: "/rq" })), metrics on a hijacked route', () => checkMounted(fastifyHost));

  test('Hono on @hono/node-server: app.all("/rq/*") hands c.env.incoming/outgoing to createDashboard({ prefix: "/rq" })', () => checkMounted(honoHost));

  test(
    'Fastify 5 with @fastify/middie: app.use("/rq", createDashboard(...)), mounted by path',
    () => checkMounted((connection) => fastifyHost(connection, { byPath: true })),
  );

  test(
    'Express 5 with express.urlencoded() before the dashboard: actions still work',
    () => checkMounted((connection) => expressHost(connection, { parseForms: true })),
  );
});
