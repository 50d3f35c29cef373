/**
 * The dashboard over real HTTP against real Redis state: pages and their JSON, pagination of a
 * large registry by ranges, escaping of job data, actions with their token and origin checks,
 * read-only mode, basic auth, mounting under a prefix, an unreachable Redis, and `rq dashboard`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createDashboard, type DashboardOptions } from '../src/dashboard/index.js';
import { InvalidArgumentError, Job, Queue, RateLimit, Retry, Worker } from '../src/index.js';
import { freePort, RQ_BIN, useRedis, waitUntil } from './harness/index.js';


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

/** Serves a dashboard on a free loopback port; resolves to its base URL. */
async function serve(options: Partial<DashboardOptions> = {}, wrap?: (handler: ReturnType<typeof createDashboard>) => (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const handler = createDashboard({ instances: [{ name: 'test', connection }], ...options });
  server = createServer(wrap ? wrap(handler) : (req, res) => handler(req, res, () => ((res.statusCode = 404), res.end('outside'))));
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers, redirect: 'manual' });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** Submits the page's form for `action` (with its hidden fields and token), as the browser does. */
async function submit(base: string, page: string, action: string, match: (fields: URLSearchParams) => boolean = () => true, headers: Record<string, string> = {}) {
  const forms = [...page.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
  for (const [, target, body] of forms) {
    if (!target!.endsWith(`/actions/${action}`)) continue;
    const fields = new URLSearchParams([...body!.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map(([, name, value]) => [name!, decode(value!)] as [string, string]));
    if (!match(fields)) continue;
    const response = await fetch(`${base}${decode(target!)}`, { method: 'POST', body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, ...headers }, redirect: 'manual' });
    return { status: response.status, location: response.headers.get('location') };
  }
  throw new Error(`no form for ${action} on the page`);
}

function decode(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

const tasks = { 'tasks.ok': (x: unknown) => x, 'tasks.fail': (message: string) => Promise.reject(new Error(message)) };

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** Jobs of known run time: a nap of `ms`; a failure at once. */
const timedTasks = { 'tasks.nap': (ms: number) => sleep(ms), 'tasks.fail': () => Promise.reject(new Error('no good')) };

/** The markup of the chart `id` on a page (its figure: SVG, legend and numbers). */
function chartOf(page: string, id: string): string {
  const match = new RegExp(`<figure class="chart" id="chart-${id}"[\\s\\S]*?</figure>`).exec(page);
  assert.ok(match, `chart ${id} is on the page`);
  return match[0];
}

/** The texts of a chart's SVG <text> elements of class `className`, in order. */
function texts(chart: string, className: string): string[] {
  return [...chart.matchAll(new RegExp(`<text class="${className}"[^>]*>([^<]*)</text>`, 'g'))].map((match) => match[1]!);
}

/** A cell of the queue page's table of functions: the row of `func`, the column `stat`. */
function statCell(page: string, func: string, stat: string): string {
  const row = new RegExp(`<tr data-func="${func.replace(/\./g, '\\.')}">[\\s\\S]*?</tr>`).exec(page)?.[0];
  assert.ok(row, `a row for ${func}`);
  const cell = new RegExp(`data-stat="${stat}">([^<]*)<`).exec(row)?.[1];
  assert.ok(cell !== undefined, `a ${stat} cell for ${func}`);
  return cell;
}

/** A duration as the page writes it ("750 ms", "1.2 s"), in seconds. */
function secondsOf(text: string): number {
  const match = /^([\d.]+) (ms|s|min)$/.exec(text);
  assert.ok(match, `a duration: ${text}`);
  return Number(match[1]) * { ms: 0.001, s: 1, min: 60 }[match[2] as 'ms' | 's' | 'min'];
}

describe('the dashboard', () => {
  test('the queues page counts every list of every queue; the API says the same', async () => {
    const queue = new Queue('default', { connection });
    await queue.enqueue('tasks.ok', 1);
    await queue.enqueue('tasks.fail', 'x');
    await new Worker([queue], { connection, tasks }).work({ burst: true });
    await queue.enqueue('tasks.ok', 2);
    await queue.enqueueCall('tasks.ok', { args: [3], in: 600 });
    await new Queue('other', { connection }).enqueue('tasks.ok', 4);
    const base = await serve();
    const page = await get(`${base}/`);
    assert.equal(page.status, 200);
    const count = (name: string) => Number(new RegExp(`data-count="${name}">(\\d+)<`).exec(page.text)?.[1]);
    assert.deepEqual(['queued', 'started', 'deferred', 'scheduled', 'finished', 'failed', 'canceled'].map((list) => count(`default:${list}`)), [1, 0, 0, 1, 1, 1, 0]);
    assert.equal(count('other:queued'), 1);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const api = JSON.parse((await get(`${base}/api/queues`)).text);
    assert.deepEqual(api.queues.find((q: { name: string }) => q.name === 'default').counts, { queued: 1, started: 0, deferred: 0, scheduled: 1, finished: 1, failed: 1, canceled: 0 });
    assert.equal(api.suspended, false);
    // The page's refresh fetches only its main part.
    const partial = await get(`${base}/?partial=1`);
    assert.doesNotMatch(partial.text, /<html/);
    assert.match(partial.text, /data-count="default:queued">1</);
  });

  test('throughput: workers count finished and failed jobs per queue and minute in bounded hashes; the queues page draws them', async () => {
    const queue = new Queue('default', { connection });
    for (let i = 0; i < 3; i++) await queue.enqueue('tasks.ok', i);
    for (let i = 0; i < 2; i++) await queue.enqueue('tasks.fail', `no ${i}`);
    await new Queue('other', { connection }).enqueue('tasks.ok', 9);
    await new Worker(['default', 'other'], { connection, tasks }).work({ burst: true });
    const keys = (await redis.admin.keys('rq:throughput:*')).sort();
    assert.ok(keys.length >= 2 && keys.every((key) => /^rq:throughput:(default|other):\d+$/.test(key)), keys.join(', '));
    const hash = await redis.admin.hgetall(keys.find((key) => key.startsWith('rq:throughput:default:'))!);
    const sum = (kind: string) => Object.entries(hash).filter(([field]) => field.endsWith(`:${kind}`)).reduce((total, [, value]) => total + Number(value), 0);
    assert.equal(sum('finished'), 3);
    assert.equal(sum('failed'), 2);
    // Beside the counts, the run-time histogram of the minute's jobs (job-stats.ts): `<minute>:run:<le>`.
    for (const field of Object.keys(hash)) assert.match(field, /^([0-9]|[1-5][0-9]):(finished|failed|run:(0\.\d+|\d+(\.\d+)?|\+Inf))$/);
    const ttl = await redis.admin.ttl(keys[0]!);
    assert.ok(ttl > 89_000 && ttl <= 90_000, `kept 25 hours (${ttl})`);
    const { getThroughput } = await import('../src/index.js');
    const points = await getThroughput({ connection, minutes: 5 });
    assert.equal(points.length, 5);
    assert.deepEqual([points.reduce((t, p) => t + p.finished, 0), points.reduce((t, p) => t + p.failed, 0)], [4, 2], 'every queue summed');
    assert.equal((await getThroughput({ connection, minutes: 5, queue: 'other' })).reduce((t, p) => t + p.finished, 0), 1);
    const base = await serve();
    const page = (await get(`${base}/`)).text;
    assert.match(page, /<path class="series finished" d="M[\d., L]+"><\/path>/);
    assert.match(page, /finished: 4<\/span>/);
    assert.match(page, /failed: 2<\/span>/);
    const api = JSON.parse((await get(`${base}/api/throughput?queue=default&minutes=10`)).text);
    assert.equal(api.points.length, 10);
    assert.equal(api.points.reduce((t: number, p: { finished: number }) => t + p.finished, 0), 3);
  });

  test('a queue page charts jobs per minute and run time p50/p95 with time and value axes, units and numbers, and tables its functions', async () => {
    const queue = new Queue('reports', { connection });
    for (let i = 0; i < 3; i++) await queue.enqueue('tasks.nap', 600);
    await queue.enqueueCall('tasks.fail', { retry: new Retry({ max: 1 }) });
    // An abandoned job, as a killed worker leaves it: in the started registry, its deadline long past.
    const lost = await queue.enqueue('tasks.lost');
    await redis.admin.lrem('rq:queue:reports', 0, lost.id);
    await redis.admin.hset(lost.key, 'status', 'started');
    await redis.admin.zadd('rq:wip:reports', 1, lost.id);
    await sleep(200); // every job waits at least this long before it starts
    await new Worker([queue], { connection, tasks: timedTasks }).work({ burst: true });
    await new Queue('slow', { connection }).enqueueCall('tasks.nap', { args: [3000], jobTimeout: 1 });
    await new Worker(['slow'], { connection, tasks: timedTasks }).work({ burst: true });
    const base = await serve();
    const page = await get(`${base}/queues/reports`);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /<title>Queue reports · rq-ts<\/title>/);

    const throughput = chartOf(page.text, 'throughput');
    assert.match(throughput, /<svg [^>]*role="img" aria-labelledby="chart-throughput-title chart-throughput-desc">/);
    assert.match(throughput, /<title id="chart-throughput-title">Jobs finished and failed per minute, queue reports<\/title>/);
    assert.match(throughput, /<desc id="chart-throughput-desc">last 6 hours, \d\d:\d\d to \d\d:\d\d UTC[^:]*: 3 finished, at most [1-3] a minute \(at \d\d:\d\d\); 2 failed, at most [12] a minute \(at \d\d:\d\d\)\.<\/desc>/);
    assert.deepEqual(texts(throughput, 'unit'), ['jobs/min']);
    const values = texts(throughput, 'tick value');
    assert.equal(values[0], '0');
    assert.ok(values.length >= 2 && values.every((value) => /^\d+$/.test(value)), `whole jobs a minute: ${values.join(', ')}`);
    const times = texts(throughput, 'tick time');
    assert.equal(times.length, 6, `a tick at each round hour of the last 6: ${times.join(', ')}`);
    for (const time of times) assert.match(time, /^\d\d:00$/);
    assert.match(texts(throughput, 'span')[0]!, /^last 6 hours, UTC/);
    assert.match(throughput, /<span class="legend finished">finished: 3<\/span>/, 'the legend, with totals');
    assert.match(throughput, /<span class="legend failed">failed: 2<\/span>/, 'a failure after its retry, and the abandoned job run again without its function');
    const rows = [...throughput.matchAll(/<tr>\s*<th scope="row">\d\d:\d\d–\d\d:\d\d<\/th>\s*<td class="count">(\d+)<\/td>\s*<td class="count">(\d+)<\/td>/g)];
    assert.ok(rows.length === 6 || rows.length === 7, `the numbers, an hour a row: ${rows.length}`);
    assert.deepEqual([rows.reduce((sum, row) => sum + Number(row[1]), 0), rows.reduce((sum, row) => sum + Number(row[2]), 0)], [3, 2], 'the numbers say what the lines draw');

    const runTime = chartOf(page.text, 'run-time');
    assert.match(runTime, /<title id="chart-run-time-title">Run time per minute, p50 and p95, queue reports<\/title>/);
    assert.deepEqual(texts(runTime, 'unit'), ['ms'], 'no minute has a p95 of a second or more: milliseconds');
    assert.match(runTime, /<path class="series p50" d="M[\d., L]+"><\/path>/);
    assert.match(runTime, /<path class="series p95" d="M[\d., L]+"><\/path>/);
    assert.match(runTime, /<desc id="chart-run-time-desc">last 6 hours, [^<]*: jobs ended in [12] minutes; p50 [^<]*; p95 at most \d+ ms \(at \d\d:\d\d\)\.<\/desc>/);
    assert.match(runTime, /<span class="legend p50">p50: median<\/span>/);

    assert.equal(statCell(page.text, 'tasks.nap', 'runs'), '3');
    assert.equal(statCell(page.text, 'tasks.nap', 'p50'), '750 ms', 'three runs of 600 ms, all in the bucket from 0.5 to 1 s: its middle');
    assert.equal(statCell(page.text, 'tasks.nap', 'p95'), '975 ms');
    const mean = secondsOf(statCell(page.text, 'tasks.nap', 'mean'));
    assert.ok(mean >= 0.6 && mean < 1, `mean run time ${mean} s`);
    assert.ok(secondsOf(statCell(page.text, 'tasks.nap', 'wait')) >= 0.2, 'each waited 200 ms or more');
    assert.deepEqual(['retries', 'timeouts', 'abandoned'].map((stat) => statCell(page.text, 'tasks.nap', stat)), ['0', '0', '0']);
    assert.deepEqual(['runs', 'retries'].map((stat) => statCell(page.text, 'tasks.fail', stat)), ['2', '1'], 'a failure and its retry');
    assert.equal(statCell(page.text, 'tasks.lost', 'abandoned'), '1');

    const slow = await get(`${base}/queues/slow`);
    assert.deepEqual(texts(chartOf(slow.text, 'run-time'), 'unit'), ['s'], 'a run of a second: seconds');
    assert.equal(statCell(slow.text, 'tasks.nap', 'timeouts'), '1');
    assert.equal(statCell(slow.text, 'tasks.nap', 'p50'), '1.75 s', 'cut at 1 s: in the bucket from 1 to 2.5 s');

    const api = JSON.parse((await get(`${base}/api/job-stats?queue=reports`)).text);
    assert.equal(api.queue, 'reports');
    assert.equal(api.buckets.at(-1), '+Inf');
    const nap = api.functions.find((entry: { func: string }) => entry.func === 'tasks.nap');
    assert.equal(nap.runs, 3);
    assert.equal(nap.runP50, 0.75);
    assert.ok(Math.abs(nap.runP95 - 0.975) < 1e-9, String(nap.runP95));
    assert.equal(nap.run.counts.length, api.buckets.length);
    const noQueue = await get(`${base}/api/job-stats`);
    assert.equal(noQueue.status, 400);
    assert.match(JSON.parse(noQueue.text).error, /Which queue\?/);
    assert.match((await get(`${base}/`)).text, /<th scope="row"><a href="\/queues\/reports">reports<\/a><\/th>/, 'the queues page links each queue to its page');
  });

  test('a chart with nothing to draw says so; ?span= picks 1 h, 6 h or 24 h, anything else is 6 h, never an error', async () => {
    await new Queue('idle', { connection }).enqueue('tasks.ok', 1);
    const base = await serve();
    const home = (await get(`${base}/`)).text;
    assert.doesNotMatch(home, /<svg/, 'no empty frame');
    assert.match(home, /<p class="no-data">No jobs ended in the last 6 hours \(all queues\): nothing to draw\./);
    const idle = await get(`${base}/queues/idle`);
    assert.equal(idle.status, 200);
    assert.doesNotMatch(idle.text, /<svg/);
    assert.match(idle.text, /No jobs ended in the last 6 hours \(queue idle\): nothing to draw/);
    assert.match(idle.text, /No job ran in the last 6 hours \(queue idle\): no run time to draw/);
    assert.match(idle.text, /No job statistics for idle yet/);
    const spans: Array<[string, string, string]> = [
      ['?span=1h', 'last hour', '1h'],
      ['?span=24h', 'last 24 hours', '24h'],
      ['?span=6h', 'last 6 hours', '6h'],
      ['?span=7d', 'last 6 hours', '6h'],
      ['?span=', 'last 6 hours', '6h'],
      ['?span=__proto__', 'last 6 hours', '6h'],
      ['?span=%E0%A4%A', 'last 6 hours', '6h'],
      ['?span=1h&span=24h', 'last hour', '1h'],
    ];
    for (const [query, words, current] of spans) {
      for (const path of ['/', '/queues/idle']) {
        const page = await get(`${base}${path}${query}`);
        assert.equal(page.status, 200, `${path}${query}`);
        assert.match(page.text, new RegExp(`No jobs ended in the ${words} \\(`), `${path}${query}`);
        assert.match(page.text, new RegExp(`class="current" aria-current="true">${current}</a>`), `${path}${query}`);
      }
    }

    await new Worker(['idle'], { connection, tasks }).work({ burst: true });
    const hour = chartOf((await get(`${base}/?span=1h`)).text, 'throughput');
    const tenMinutes = texts(hour, 'tick time');
    assert.equal(tenMinutes.length, 6, `the last hour ticks every 10 minutes: ${tenMinutes.join(', ')}`);
    for (const time of tenMinutes) assert.match(time, /^\d\d:\d0$/);
    assert.match(texts(hour, 'span')[0]!, /^last hour, UTC/);
    const day = chartOf((await get(`${base}/?span=24h`)).text, 'throughput');
    const threeHours = texts(day, 'tick time');
    assert.equal(threeHours.length, 8, `the last 24 hours tick every 3 hours: ${threeHours.join(', ')}`);
    for (const time of threeHours) assert.ok(/^\d\d:00$/.test(time) && Number(time.slice(0, 2)) % 3 === 0, time);
    assert.equal(JSON.parse((await get(`${base}/api/throughput?minutes=abc`)).text).points.length, 360, 'the API keeps its default');
  });

  test('a registry of 100,000 jobs opens a page at a time, newest first, by ranges; filters by id and function', async () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `job-${String(i).padStart(6, '0')}`);
    for (let i = 0; i < ids.length; i += 10_000) {
      await redis.admin.zadd('rq:failed:big', 'NX', ...ids.slice(i, i + 10_000).flatMap((id, j) => [String(4_000_000_000 + i + j), id]));
    }
    await redis.admin.sadd('rq:queues', 'rq:queue:big');
    // Two real jobs at the top (newest), one of them with data, the other a pickle from a Python producer without -S.
    const real = await new Queue('big', { connection }).enqueue('reports.build', 7);
    await redis.admin.zadd('rq:failed:big', 5_000_000_000, real.id);
    await redis.admin.hset('rq:job:pickled', 'data', Buffer.from([0x78, 0x9c, 0x6b, 0x60, 0x00, 0x00, 0x00, 0x82, 0x00, 0x81]), 'status', 'failed', 'origin', 'big');
    await redis.admin.zadd('rq:failed:big', 5_000_000_001, 'pickled');
    const base = await serve();
    const commands: string[] = [];
    const monitor = await redis.connect().monitor();
    monitor.on('monitor', (_time, args) => commands.push(args.map(String).join(' ')));
    const first = await get(`${base}/queues/big/failed`);
    await monitor.disconnect();
    assert.equal(first.status, 200);
    assert.match(first.text, /100002 jobs/);
    const rows = [...first.text.matchAll(/<td><a href="\/jobs\/([^"]+)"/g)].map((match) => match[1]);
    assert.equal(rows.length, 50);
    assert.deepEqual(rows.slice(0, 3), ['pickled', real.id, 'job-099999'], 'newest first');
    assert.match(first.text, /unreadable: /, 'an unreadable job is a row that says so, not a broken page');
    assert.match(first.text, /Page 1 of 2001/);
    assert.ok(!commands.some((command) => /^zrange rq:failed:big 0 -1/i.test(command)), 'never the whole registry');
    assert.ok(commands.some((command) => /^zrange rq:failed:big 0 49 REV/i.test(command)), commands.filter((c) => /zrange/i.test(c)).join('\n'));
    const last = await get(`${base}/queues/big/failed?page=2001`);
    assert.equal([...last.text.matchAll(/<td><a href="\/jobs\//g)].length, 2);
    assert.match((await get(`${base}/queues/big/failed?id=job-000123`)).text, /href="\/jobs\/job-000123"/);
    assert.match((await get(`${base}/queues/big/failed?id=nope`)).text, /No job nope in this list/);
    const byFunction = await get(`${base}/queues/big/failed?func=reports`);
    assert.match(byFunction.text, new RegExp(`href="/jobs/${real.id}"`));
    assert.match(byFunction.text, /1 jobs calling a function named like “reports” among the first 2000 of 100002/);
  });

  test('the job page shows its call, meta, dependencies, dependents and results, every value escaped', async () => {
    const queue = new Queue('default', { connection });
    const parent = await queue.enqueueCall('tasks.fail', { args: ['<script>alert("error")</script>'], meta: { note: '<img src=x onerror=alert(1)>' }, retry: new Retry({ max: 1 }) });
    const child = await queue.enqueueCall('tasks.ok', { args: ['</pre><script>alert(2)</script>'], dependsOn: parent });
    await new Worker([queue], { connection, tasks }).work({ burst: true });
    const base = await serve();
    const page = (await get(`${base}/jobs/${parent.id}`)).text;
    assert.doesNotMatch(page, /<script>alert|<img src=x/, 'no job data as markup');
    assert.match(page, /&lt;script&gt;alert\(&quot;error&quot;\)&lt;\/script&gt;/);
    assert.match(page, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(page, new RegExp(`href="/jobs/${child.id}"`), 'its dependent');
    assert.equal([...page.matchAll(/<td>failed<\/td>/g)].length, 1, 'one failed result: the retry wrote none for the first run');
    assert.match(page, /Error: &lt;script&gt;/);
    const childPage = (await get(`${base}/jobs/${child.id}`)).text;
    assert.match(childPage, new RegExp(`href="/jobs/${parent.id}"`), 'its dependency');
    assert.doesNotMatch(childPage, /<\/pre><script>/);
    const missing = await get(`${base}/jobs/no-such-job`);
    assert.equal(missing.status, 404);
    assert.match(missing.text, /No job no-such-job: it does not exist/);
    const api = JSON.parse((await get(`${base}/api/jobs/${parent.id}`)).text);
    assert.deepEqual(api.dependentIds, [child.id]);
    assert.equal(api.results.length, 1);
  });

  test('the workers page shows each slot, its state, queues, current job and counts', async () => {
    const queue = new Queue('default', { connection });
    let release!: () => void;
    const gate = new Promise<void>((done) => (release = done));
    const job = await queue.enqueue('tasks.gate');
    const worker = new Worker([queue], { connection: redis.connect(), name: 'dash-worker', concurrency: 2, tasks: { 'tasks.gate': () => gate } });
    const working = worker.work();
    try {
      await waitUntil(async () => (await job.getStatus()) === 'started', 10_000, 'the job to start');
      const base = await serve();
      const page = (await get(`${base}/workers`)).text;
      assert.match(page, /<th scope="row">dash-worker<\/th>\s*<td><span class="state busy">busy<\/span><\/td>/);
      assert.match(page, new RegExp(`href="/jobs/${job.id}"`));
      assert.match(page, /<th scope="row">dash-worker-2<\/th>/);
      const api = JSON.parse((await get(`${base}/api/workers`)).text);
      assert.deepEqual(api.workers.map((w: { name: string }) => w.name), ['dash-worker', 'dash-worker-2']);
    } finally {
      release();
      worker.stop();
      await working;
    }
  });

  test('actions: requeue, requeue all, cancel, delete, empty, suspend and resume, stop a running job', async () => {
    const queue = new Queue('default', { connection });
    const failed = [await queue.enqueue('tasks.fail', 'a'), await queue.enqueue('tasks.fail', 'b'), await queue.enqueue('tasks.fail', 'c')];
    await new Worker([queue], { connection, tasks }).work({ burst: true });
    const base = await serve();
    const jobPage = (await get(`${base}/jobs/${failed[0]!.id}`)).text;
    const requeued = await submit(base, jobPage, 'requeue');
    assert.equal(requeued.status, 303);
    assert.equal(requeued.location, `/jobs/${failed[0]!.id}`, 'back to the page the form was on');
    assert.equal(await failed[0]!.getStatus(), 'queued');
    await submit(base, (await get(`${base}/`)).text, 'requeue-all');
    assert.equal(await queue.count(), 3);
    assert.equal(await queue.failedJobRegistry.count(), 0);
    await submit(base, (await get(`${base}/jobs/${failed[1]!.id}`)).text, 'cancel');
    assert.equal(await failed[1]!.getStatus(), 'canceled');
    const deleted = await submit(base, (await get(`${base}/jobs/${failed[2]!.id}`)).text, 'delete');
    assert.equal(deleted.location, '/', 'a deleted job has no page: back to the queues');
    assert.equal(await Job.exists(failed[2]!.id, { connection }), false);
    await submit(base, (await get(`${base}/`)).text, 'empty', (fields) => fields.get('queue') === 'default');
    assert.equal(await queue.count(), 0);
    await submit(base, (await get(`${base}/`)).text, 'suspend');
    assert.match((await get(`${base}/`)).text, /Workers are suspended/);
    await submit(base, (await get(`${base}/`)).text, 'resume');
    assert.equal(await redis.admin.exists('rq:suspended'), 0);

    const slow = await queue.enqueue('tasks.wait');
    const worker = new Worker([queue], { connection: redis.connect(), tasks: { 'tasks.wait': (_: unknown) => new Promise((done) => setTimeout(done, 20_000)) } });
    const working = worker.work({ burst: true });
    await waitUntil(async () => (await slow.getStatus()) === 'started', 10_000, 'the job to start');
    await submit(base, (await get(`${base}/jobs/${slow.id}`)).text, 'stop');
    await working;
    assert.equal(await slow.getStatus(), 'stopped');
  });

  test('rate limits: /limits shows slots, rate, hold and the waiting jobs, which can be canceled and deleted from there', async () => {
    const queue = new Queue('default', { connection });
    const slots = new RateLimit('reports', 1);
    const [, second, third] = await queue.enqueueMany([1, 2, 3].map((n) => Queue.prepareData('tasks.ok', { args: [n], rateLimit: slots })));
    await queue.enqueueMany([1, 2, 3].map((n) => Queue.prepareData('tasks.ok', { args: [n], rateLimit: new RateLimit('mail', { max: 2, duration: 60_000 }) })));
    await redis.admin.hset('rq:rl:mail', 'held_until', Date.now() + 600_000);
    const base = await serve();
    const page = (await get(`${base}/limits`)).text;
    assert.match(page, /data-count="reports:holding">1 of 1</);
    assert.match(page, /data-count="reports:waiting">2</);
    assert.match(page, /2 of 2 per 60 s/);
    assert.match(page, /<time datetime=/, 'the hold is shown');
    assert.match(page, new RegExp(`href="/jobs/${second!.id}"`));
    const api = JSON.parse((await get(`${base}/api/limits`)).text);
    assert.deepEqual(api.limits.map((limit: { key: string; waiting: number }) => [limit.key, limit.waiting]), [['mail', 1], ['reports', 2]]);
    assert.deepEqual(api.limits[1].firstWaiting, [second!.id, third!.id]);
    assert.match((await get(`${base}/jobs/${second!.id}`)).text, /href="\/limits#limit-reports">reports</);
    await submit(base, page, 'cancel', (fields) => fields.get('id') === second!.id);
    assert.equal(await second!.getStatus(), 'canceled');
    await submit(base, (await get(`${base}/limits`)).text, 'delete', (fields) => fields.get('id') === third!.id);
    assert.equal(await Job.exists(third!.id, { connection }), false);
    assert.equal(await redis.admin.zcard('rq:rl:reports:rate_limited'), 0, 'both left the limit');
  });

  test('actions need the page token and the same origin; read-only shows and allows none', async () => {
    const queue = new Queue('default', { connection });
    await queue.enqueue('tasks.ok', 1);
    const base = await serve();
    const page = (await get(`${base}/`)).text;
    const post = (body: string, headers: Record<string, string> = {}) => fetch(`${base}/actions/empty`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, redirect: 'manual' });
    assert.equal((await post('queue=default')).status, 403, 'no token');
    assert.equal((await post('queue=default&csrf=guess')).status, 403, 'a wrong token');
    assert.equal((await submit(base, page, 'empty', () => true, { 'sec-fetch-site': 'cross-site' })).status, 403, 'from another site, even with the token');
    assert.equal((await submit(base, page, 'empty', () => true, { origin: 'http://evil.example' })).status, 403, 'from another origin');
    assert.equal(await queue.count(), 1, 'nothing done');

    server!.closeAllConnections();
    await new Promise((done) => server!.close(done));
    const readOnly = await serve({ readOnly: true });
    const shown = (await get(`${readOnly}/`)).text;
    assert.doesNotMatch(shown, /<form method="post"/);
    assert.match(shown, /read-only/);
    const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const refused = await fetch(`${readOnly}/actions/empty`, { method: 'POST', body: `queue=default&csrf=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /read-only: it takes no action/, 'refused for being read-only, before any token check');
    assert.equal(await queue.count(), 1);
  });

  test("viewing never acts: an abandoned job stays for the workers' own policy; expired entries are not cleaned", async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.ok', 1);
    await redis.admin.multi().lrem(queue.key, 0, job.id).zadd('rq:wip:default', 1000, job.id).hset(job.key, 'status', 'started').exec();
    await redis.admin.zadd('rq:finished:default', 1000, 'long-expired');
    const base = await serve({ readOnly: true });
    for (const page of ['/', '/queues/default/started', '/queues/default/finished', `/jobs/${job.id}`, '/api/queues']) assert.equal((await get(`${base}${page}`)).status, 200, page);
    assert.equal(await redis.admin.zscore('rq:wip:default', job.id), '1000', 'still in the started registry');
    assert.equal(await redis.admin.hget(job.key, 'status'), 'started');
    assert.equal(await redis.admin.zscore('rq:finished:default', 'long-expired'), '1000');
  });

  test('actions that cannot be done say why; unreadable and gone jobs can be deleted; bad addresses are 400 and 404', async () => {
    const queue = new Queue('default', { connection });
    const done = await queue.enqueue('tasks.ok', 1);
    await queue.enqueue('tasks.fail', 'a');
    await queue.enqueue('tasks.fail', 'b');
    await new Worker([queue], { connection, tasks }).work({ burst: true });
    // A failed-registry entry whose key is not a job hash: requeue-all reports it and leaves it.
    await redis.admin.set('rq:job:broken', 'not a hash');
    await redis.admin.zadd('rq:failed:default', 1, 'broken');
    const base = await serve();
    const all = await submit(base, (await get(`${base}/`)).text, 'requeue-all');
    assert.equal(all.status, 409);
    assert.equal(await queue.count(), 2, 'the two real failures were requeued');
    assert.deepEqual(await redis.admin.zrange('rq:failed:default', 0, -1), ['broken'], 'the broken one stays');
    assert.equal(await redis.admin.type('rq:job:broken'), 'string');

    // Stop: a job that is not running is refused, as is a worker that does not listen.
    const stopForm = (await get(`${base}/jobs/${done.id}`)).text;
    assert.doesNotMatch(stopForm, /actions\/stop/, 'no stop button for a finished job');
    const token = /name="csrf" value="([^"]+)"/.exec(stopForm)![1]!;
    const post = (action: string, fields: Record<string, string>) =>
      fetch(`${base}/actions/${action}`, { method: 'POST', body: new URLSearchParams({ csrf: token, back: '/', ...fields }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' }, redirect: 'manual' });
    const notRunning = await post('stop', { id: done.id, worker: 'nobody' });
    assert.equal(notRunning.status, 409);
    assert.match(await notRunning.text(), /is not running on nobody/);
    await redis.admin.hset(done.key, 'status', 'started', 'worker_name', 'ghost-worker');
    const deaf = await post('stop', { id: done.id, worker: 'ghost-worker' });
    assert.equal(deaf.status, 409);
    assert.match(await deaf.text(), /did not receive the stop command/);

    // Delete by id: a pickled job's row and a gone id's row both go.
    await redis.admin.hset('rq:job:pickled', 'data', Buffer.from([0x78, 0x9c, 0x6b, 0x60, 0x00, 0x00, 0x00, 0x82, 0x00, 0x81]), 'status', 'failed', 'origin', 'default');
    await redis.admin.zadd('rq:failed:default', 2, 'pickled', 3, 'ghost');
    const list = (await get(`${base}/queues/default/failed`)).text;
    assert.equal((await submit(base, list, 'delete', (fields) => fields.get('id') === 'pickled')).status, 303);
    assert.equal((await submit(base, list, 'delete', (fields) => fields.get('id') === 'ghost')).status, 303);
    assert.equal(await redis.admin.exists('rq:job:pickled'), 0);
    assert.deepEqual(await redis.admin.zrange('rq:failed:default', 0, -1), ['broken']);

    // Addresses: malformed, a page number that is not one, an unknown instance.
    assert.equal((await get(`${base}/jobs/%E0%A4%A`)).status, 400);
    assert.equal((await get(`${base}/queues/default/failed?page=1e300`)).status, 200, 'read as page 1');
    assert.equal((await get(`${base}/?i=5`)).status, 404);
    assert.equal((await get(`${base}/?i=abc`)).status, 404);
    // Behind a proxy that rewrites Host, the browser's Sec-Fetch-Site is what counts; a malformed Origin is refused.
    const proxied = await fetch(`${base}/actions/suspend`, { method: 'POST', body: new URLSearchParams({ csrf: token, back: '/\\evil.example/' }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', origin: 'https://ops.example.com' }, redirect: 'manual' });
    assert.equal(proxied.status, 303);
    assert.equal(proxied.headers.get('location'), '/', 'a back address that is not a plain page of the dashboard goes home');
    assert.equal(await redis.admin.exists('rq:suspended'), 1);
    const garbage = await fetch(`${base}/actions/resume`, { method: 'POST', body: new URLSearchParams({ csrf: token }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'garbage' }, redirect: 'manual' });
    assert.equal(garbage.status, 403);
  });

  test('requeue all counts only the jobs it put back: a pickle is requeued, a gone job is not counted, a key of another type stays', async () => {
    const queue = new Queue('default', { connection });
    const failed = [await queue.enqueue('tasks.fail', 'a'), await queue.enqueue('tasks.fail', 'b')];
    await new Worker([queue], { connection, tasks }).work({ burst: true });
    await redis.admin.hset('rq:job:pickled', 'data', Buffer.from([0x78, 0x9c, 0x6b, 0x60, 0x00, 0x00, 0x00, 0x82, 0x00, 0x81]), 'status', 'failed', 'origin', 'default');
    await redis.admin.set('rq:job:broken', 'not a hash');
    await redis.admin.zadd('rq:failed:default', 1, 'broken', 2, 'ghost', 3, 'pickled');
    const base = await serve();
    const page = (await get(`${base}/`)).text;
    const token = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const response = await fetch(`${base}/actions/requeue-all`, { method: 'POST', body: new URLSearchParams({ csrf: token, back: '/', queue: 'default' }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' }, redirect: 'manual' });
    assert.equal(response.status, 409);
    assert.match(await response.text(), /Requeued 3 jobs; 1 could not be requeued and stay failed: broken</);
    assert.deepEqual((await queue.getJobIds()).sort(), [...failed.map((job) => job.id), 'pickled'].sort());
    assert.deepEqual(await redis.admin.zrange('rq:failed:default', 0, -1), ['broken']);
  });

  test('deleting a job from the queued list takes every copy of its id off the queue', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.ok', 1);
    const other = await queue.enqueue('tasks.ok', 2);
    await redis.admin.rpush(queue.key, job.id, job.id); // three copies: the job's own removal takes one
    await redis.admin.hset(job.key, 'data', 'corrupt');
    const base = await serve();
    const list = (await get(`${base}/queues/default/queued`)).text;
    assert.equal((await submit(base, list, 'delete', (fields) => fields.get('id') === job.id && fields.get('list') === 'queued')).status, 303);
    assert.deepEqual(await queue.getJobIds(), [other.id]);
    assert.equal(await redis.admin.exists(job.key), 0);
  });

  test('a missing or empty password or user name is refused when the dashboard is created, never let in as "undefined"', async () => {
    const unset = process.env['RQ_TS_TEST_UNSET_PASSWORD'];
    assert.equal(unset, undefined);
    const bad: Array<[{ username: string; password: string }, RegExp]> = [
      // What docs used to show: `password: process.env.RQ_DASHBOARD_PASSWORD!` with the variable unset.
      [{ username: 'ops', password: unset! }, /auth\.password is missing \(undefined\)/],
      [{ username: 'ops', password: '' }, /auth\.password is empty/],
      [{ username: '', password: 'pw' }, /auth\.username is empty/],
      [{ username: 'a:b', password: 'pw' }, /cannot contain ':'/],
    ];
    for (const [auth, message] of bad) {
      assert.throws(() => createDashboard({ instances: [{ name: 'test', connection }], auth }), (error: Error) => error instanceof InvalidArgumentError && message.test(error.message), JSON.stringify(auth));
    }
    const secured = await serve({ auth: { username: 'ops', password: 'pw' } });
    assert.equal((await get(`${secured}/`, { authorization: `Basic ${Buffer.from('ops:undefined').toString('base64')}` })).status, 401);
    server!.closeAllConnections();
  });

  test('a Redis user with read-only ACLs browses every page and API, stale worker names included', async () => {
    const queue = new Queue('default', { connection });
    const ok = await queue.enqueue('tasks.ok', 1);
    const bad = await queue.enqueue('tasks.fail', 'on purpose');
    await new Worker([queue], { connection, tasks }).work({ burst: true });
    // A worker killed without a goodbye: its name stays in the sets after its hash expired.
    await redis.admin.sadd('rq:workers', 'rq:worker:ghost');
    await redis.admin.sadd('rq:workers:default', 'rq:worker:ghost');
    await redis.admin.acl('SETUSER', 'viewer', 'on', '>view-only', '~*', '&*', '+@read', '+@connection');
    const viewer = redis.connect({ username: 'viewer', password: 'view-only' });
    const base = await serve({ instances: [{ name: 'main', connection: viewer }], readOnly: true });
    for (const path of ['/', '/workers', '/queues/default', '/queues/default?span=24h', '/queues/default/finished', '/queues/default/failed', `/jobs/${ok.id}`, `/jobs/${bad.id}`, '/api/queues', '/api/workers', '/api/queues/default/failed', `/api/jobs/${bad.id}`, '/api/throughput?queue=default', '/api/job-stats?queue=default']) {
      const page = await get(`${base}${path}`);
      assert.equal(page.status, 200, `${path}: ${page.text.slice(0, 300)}`);
    }
    assert.equal(await redis.admin.sismember('rq:workers', 'rq:worker:ghost'), 1, 'viewing wrote nothing');
    server!.closeAllConnections();
  });

  test('basic auth, a path prefix in a node:http server, an Express-style mount, and an unreachable Redis', async () => {
    const secured = await serve({ auth: { username: 'ada', password: 's3cret' }, prefix: '/rq' });
    assert.equal((await get(`${secured}/rq/`)).status, 401);
    assert.equal((await get(`${secured}/rq/`, { authorization: `Basic ${Buffer.from('ada:wrong').toString('base64')}` })).status, 401);
    const ok = await get(`${secured}/rq/`, { authorization: `Basic ${Buffer.from('ada:s3cret').toString('base64')}` });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /href="\/rq\/workers"/, 'links carry the prefix');
    assert.equal((await get(`${secured}/elsewhere`)).text, 'outside', 'other paths go to next()');
    server!.closeAllConnections();
    await new Promise((done) => server!.close(done));

    // Express strips its mount path from req.url and sets req.baseUrl.
    const mounted = await serve({}, (handler) => (req, res) => {
      if (!req.url!.startsWith('/admin/queues')) return void res.end('app');
      Object.assign(req, { baseUrl: '/admin/queues', url: req.url!.slice('/admin/queues'.length) || '/' });
      handler(req, res);
    });
    const inApp = await get(`${mounted}/admin/queues/workers`);
    assert.equal(inApp.status, 200);
    await new Queue('default', { connection }).enqueue('tasks.ok', 1);
    const afterAction = await submit(mounted, (await get(`${mounted}/admin/queues/queues/default/queued?page=1`)).text, 'delete');
    assert.equal(afterAction.location, '/admin/queues/queues/default/queued?page=1', 'back inside the mount, where the form was');
    assert.match(inApp.text, /src="\/admin\/queues\/static\/app\.js"/);
    assert.equal((await get(`${mounted}/admin/queues/static/app.js`)).status, 200);
    server!.closeAllConnections();
    await new Promise((done) => server!.close(done));

    const port = await freePort();
    const dead = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    dead.on('error', () => undefined);
    const handler = createDashboard({ instances: [{ name: `redis://127.0.0.1:${port}`, connection: dead }] });
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    const down = await get(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    assert.equal(down.status, 503);
    assert.match(down.text, new RegExp(`<p class="error">Redis \\(redis://127\\.0\\.0\\.1:${port}\\) cannot be reached: `));
    dead.disconnect();
  });

  test('several Redis instances, selectable; rq dashboard serves on loopback with --read-only and --auth', async () => {
    const other = redis.connect();
    await other.select(3);
    await new Queue('only-in-db3', { connection: other }).enqueue('tasks.ok', 1);
    const base = await serve({ instances: [{ name: 'db0', connection }, { name: 'db3', connection: other }] });
    const db3 = (await get(`${base}/?i=1`)).text;
    assert.match(db3, /only-in-db3/);
    assert.match(db3, /<option value="1" selected>db3<\/option>/);
    assert.match(db3, /href="\/workers\?i=1"/, 'links keep the instance');
    assert.doesNotMatch((await get(`${base}/`)).text, /only-in-db3/);

    const port = await freePort();
    const child = spawn(process.execPath, [RQ_BIN, 'dashboard', '-u', redis.server.url, '--port', String(port), '--read-only', '--auth', 'ops:pw'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await waitUntil(async () => output.includes('dashboard on'), 10_000, 'the dashboard to listen');
      assert.match(output, new RegExp(`rq-ts dashboard on http://127\\.0\\.0\\.1:${port}/ \\(read-only\\)`));
      assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 401);
      const page = await get(`http://127.0.0.1:${port}/`, { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` });
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.text, /<form method="post"/);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
