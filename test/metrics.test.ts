/**
 * Prometheus metrics in rq-exporter's names (src/metrics.ts): line for line what Python computes
 * from the same Redis with rq-exporter's definitions and prometheus_client's writer
 * (test/python/exporter_peer.py, Debian's RQ 1.13), rq-ts' job statistics as prometheus_client's
 * histogram and counter families write them, served by the dashboard at /metrics (its basic
 * auth applies) and by createMetricsHandler on a route of a plain node:http server; a registry of
 * 100,000 jobs is counted, not read.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type { Redis } from 'ioredis';
import { createDashboard, createMetricsHandler } from '../src/dashboard/index.js';
import { METRICS_CONTENT_TYPE, Queue, Worker, collectMetrics } from '../src/index.js';
import { ROOT, useRedis, waitUntil } from './harness/index.js';
import { PYTHON } from './harness/python.js';

const hasPrometheusClient = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import rq, prometheus_client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const redis = useRedis();
let connection: Redis;
let server: Server | undefined;
beforeEach(() => {
  connection = redis.connect();
});
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((done) => server?.close(done) ?? done(undefined));
  server = undefined;
});

/** Serves `handler` on a free loopback port; its base URL. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** The sample lines of a text, sorted (families keep their order; samples within come in any). */
const samples = (text: string) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).sort();
/** The HELP and TYPE lines, in order. */
const headers = (text: string) => text.split('\n').filter((line) => line.startsWith('#'));

const tasks = { 'tasks.ok': () => 'ok', 'tasks.fail': () => Promise.reject(new Error('no good')), 'tasks.block': () => new Promise((done) => setTimeout(done, 60_000)) };

test('rq-exporter\'s metrics, line for line as Python computes them from the same Redis', { skip: hasPrometheusClient ? false : 'python3-rq or python3-prometheus-client missing (apt-get install -y python3-rq python3-prometheus-client)' }, async () => {
  const low = new Queue('low', { connection });
  const high = new Queue('high', { connection });
  for (let i = 0; i < 3; i++) await low.enqueue('tasks.ok');
  await low.enqueue('tasks.fail');
  await new Worker([low], { connection, tasks, name: 'batch' }).work({ burst: true });
  await low.enqueue('tasks.ok');
  const parent = await low.enqueue('tasks.ok');
  await low.enqueueCall('tasks.ok', { dependsOn: parent });
  await high.enqueueCall('tasks.ok', { in: 600 });
  const blocking = await high.enqueue('tasks.block');
  // A live worker, two slots: one busy on the blocking job, one idle.
  const live = new Worker([high, low], { connection: redis.connect(), tasks, name: 'live', concurrency: 2 });
  const working = live.work();
  try {
    await waitUntil(async () => (await blocking.getStatus()) === 'started' && (await low.count()) === 0, 10_000, 'the blocking job to start');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the other slot goes idle
    const ours = await collectMetrics({ connection });
    const python = execFileSync(PYTHON, [join(ROOT, 'test/python/exporter_peer.py'), String(redis.server.port)], { encoding: 'utf8' });
    assert.deepEqual(headers(ours), headers(python), 'the same families, HELP and TYPE');
    assert.deepEqual(samples(ours), samples(python), 'the same samples and values');
    assert.ok(samples(ours).includes('rq_jobs{queue="low",status="finished"} 6.0'));
    assert.ok(samples(ours).includes('rq_jobs{queue="low",status="failed"} 1.0'));
    assert.ok(samples(ours).includes('rq_jobs{queue="high",status="scheduled"} 1.0'));
    assert.ok(samples(ours).includes('rq_jobs{queue="high",status="started"} 1.0'));
    assert.ok(samples(ours).includes('rq_workers{name="live",queues="high,low",state="busy"} 1.0'));
    assert.ok(samples(ours).includes('rq_workers{name="live-2",queues="high,low",state="idle"} 1.0'));
    // rq-ts' job statistics, which the burst worker wrote when it stopped, checked against prometheus_client's histogram.
    assert.ok(samples(ours).includes('rq_job_run_time_seconds_count{function="tasks.ok",queue="low"} 3.0'));
    assert.ok(samples(ours).includes('rq_job_run_time_seconds_bucket{function="tasks.fail",le="+Inf",queue="low"} 1.0'));
  } finally {
    live.stop({ cold: true });
    await working.catch(() => undefined);
  }
});

test('/metrics on the dashboard (behind its basic auth) and createMetricsHandler on a route of a node:http server', async () => {
  await new Queue('default', { connection }).enqueue('tasks.ok');
  const dashboard = createDashboard({ instances: [{ name: 'main', connection }], prefix: '/rq', auth: { username: 'ops', password: 's3cret' }, readOnly: true });
  const metrics = createMetricsHandler({ connection });
  const base = await serve((req, res) => (req.url === '/metrics' ? metrics(req, res) : dashboard(req, res, () => ((res.statusCode = 404), res.end()))));
  assert.equal((await fetch(`${base}/rq/metrics`)).status, 401);
  const authorization = `Basic ${Buffer.from('ops:s3cret').toString('base64')}`;
  const behindAuth = await fetch(`${base}/rq/metrics`, { headers: { authorization } });
  assert.equal(behindAuth.status, 200);
  assert.equal(behindAuth.headers.get('content-type'), METRICS_CONTENT_TYPE);
  assert.match(await behindAuth.text(), /^rq_jobs\{queue="default",status="queued"\} 1\.0$/m);
  const own = await fetch(`${base}/metrics`);
  assert.equal(own.status, 200);
  assert.match(await own.text(), /^# TYPE rq_workers_success_total counter$/m);
  assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
  assert.throws(() => createMetricsHandler({ connection, auth: { username: 'ops', password: '' } }), /password/i);
});

test('a registry of 100,000 jobs is counted (ZCARD), never read', async () => {
  const ids = Array.from({ length: 100_000 }, (_, i) => `job-${i}`);
  for (let i = 0; i < ids.length; i += 10_000) await redis.admin.zadd('rq:failed:big', ...ids.slice(i, i + 10_000).flatMap((id, j) => [String(4_000_000_000 + i + j), id]));
  await redis.admin.sadd('rq:queues', 'rq:queue:big');
  await redis.admin.config('RESETSTAT');
  const text = await collectMetrics({ connection });
  assert.match(text, /^rq_jobs\{queue="big",status="failed"\} 100000\.0$/m);
  const stats = await redis.admin.info('commandstats');
  assert.doesNotMatch(stats, /cmdstat_(zrange|zrangebyscore|zscan|smembers_|lrange):/, 'no range read');
});

test('the Grafana dashboard in docs/grafana/rq-ts.json queries only metrics that collectMetrics() writes', async () => {
  const queue = new Queue('graphed', { connection });
  await queue.enqueue('tasks.ok');
  await new Worker([queue], { connection, tasks }).work({ burst: true }); // writes its job statistics as it stops
  const live = new Worker([queue], { connection: redis.connect(), tasks });
  const working = live.work();
  await waitUntil(async () => (await Worker.all({ connection })).length === 1, 5000, 'a live worker');
  const text = await collectMetrics({ connection });
  live.stop();
  await working;
  const written = new Set(text.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => line.split('{')[0]));
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'docs/grafana/rq-ts.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  const queried = dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/\brq_[a-z_]+/g) ?? []));
  assert.ok(queried.length >= 10, 'the panels query rq metrics');
  for (const name of new Set(queried)) assert.ok(written.has(name), `${name} is written`);
});
