import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, mock, test } from 'node:test';
import type { Redis } from 'ioredis';
import { CronScheduler, DuplicateCronSchedulerError, InvalidArgumentError, NoSuchCronSchedulerError, Queue, defineTask } from '../src/index.js';
import { serverTime } from '../src/server-time.js';
import { ROOT, RQ_BIN, startRedis, useRedis, useTempDir, waitUntil } from './harness/index.js';

const dir = useTempDir('rqts-cron-');

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

/** 2026-12-01 at hh:mm:ss UTC. */
const at = (time: string) => new Date(`2026-12-01T${time}Z`);

describe('CronScheduler.register', () => {
  test('bad schedules and options are clear errors at registration', () => {
    const cron = new CronScheduler({ connection });
    const bad: [Parameters<CronScheduler['register']>[1], RegExp][] = [
      [{ queue: 'default' } as never, /either interval .* or cron .*not neither/],
      [{ queue: 'default', interval: 60, cron: '* * * * *' } as never, /not both/],
      [{ queue: 'default', cron: '61 * * * *' }, /bad cron expression "61 \* \* \* \*"/],
      [{ queue: 'default', cron: '* * * *' }, /use five fields/],
      [{ queue: 'default', cron: '0 * * * * *' }, /use five fields/],
      [{ queue: 'default', cron: '0 9 * * *', timezone: 'Mars/Olympus' }, /time zone "Mars\/Olympus"/],
      [{ queue: 'default', interval: 0 }, /at least 1 second/],
      [{ queue: 'default', interval: '5x' as never }, /Bad interval/],
      [{ queue: 'default', interval: 60, jobTimeout: 0 }, /timeout/i],
      [{ queue: 'default', interval: 60, name: 'has space' }, /Cron job name/],
    ];
    for (const [options, message] of bad) assert.throws(() => cron.register('tasks.x', options), message, JSON.stringify(options));
    assert.throws(() => cron.register('tasks.x', { queue: 'default', cron: 'nonsense' }), InvalidArgumentError);
    assert.throws(() => cron.register('tasks.x', { queue: 'default', cron: '0 0 30 2 *' }), /never matches a time/);
    assert.equal(cron.getJobs().length, 0, 'nothing registered by a failed call');
    // The name identifies a cron job's runs across schedulers: one function twice needs two names.
    cron.register('tasks.report', { queue: 'default', cron: '0 9 * * *', args: ['eu'] });
    assert.throws(() => cron.register('tasks.report', { queue: 'default', cron: '0 9 * * *', args: ['us'] }), /named 'tasks\.report' is registered already/);
    cron.register('tasks.report', { queue: 'default', cron: '0 9 * * *', args: ['us'], name: 'report-us' });
    assert.deepEqual(cron.getJobs().map((job) => job.name), ['tasks.report', 'report-us']);
  });

  test('a cron expression is read in UTC unless a time zone is given; nicknames work', () => {
    const cron = new CronScheduler({ connection, clock: () => at('06:30:00') });
    const utc = cron.register('tasks.report', { queue: 'default', cron: '0 9 * * *' });
    const paris = cron.register('tasks.report', { queue: 'default', cron: '0 9 * * *', timezone: 'Europe/Paris', name: 'report-paris' });
    const hourly = cron.register('tasks.tick', { queue: 'default', cron: '@hourly' });
    assert.equal(utc.nextEnqueueTime?.toISOString(), at('09:00:00').toISOString());
    assert.equal(paris.nextEnqueueTime?.toISOString(), at('08:00:00').toISOString(), 'December in Paris is UTC+1');
    assert.equal(hourly.nextEnqueueTime?.toISOString(), at('07:00:00').toISOString());
    assert.equal(utc.name, 'tasks.report');
    assert.equal(paris.name, 'report-paris');
  });

  test("without a clock, ticks go by the Redis server's: a cron job registered on a clock 300 s fast gets its first tick from the server's time", async () => {
    const cron = new CronScheduler({ connection, name: 'fast-clock' });
    // This process's clock 300 s ahead of the server's, from the registration to the first read of TIME.
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 300_000 });
    let minutely;
    try {
      minutely = cron.register('tasks.tick', { queue: 'default', cron: '* * * * *' });
      await cron.registerBirth();
    } finally {
      mock.timers.reset();
    }
    const now = (await serverTime(connection)).getTime();
    const next = minutely.nextEnqueueTime!.getTime();
    assert.ok(next > now - 5_000 && next <= now + 60_000, `the first tick, ${minutely.nextEnqueueTime!.toISOString()}, is not the next minute of the server's clock (${new Date(now).toISOString()})`);
    await cron.registerDeath();
  });
});

describe('CronScheduler.enqueueJobs', () => {
  test("an interval job runs at once, then every interval; each run is an RQ job on its queue and in RQ's history key", async () => {
    const cron = new CronScheduler({ connection });
    const square = defineTask('tasks.cron-square', (n: number) => n * n);
    const cronJob = cron.register(square, { queue: 'maintenance', interval: '1m', args: [7], meta: { source: 'cron' } });
    const [first] = await cron.enqueueJobs(at('10:00:00'));
    assert.ok(first);
    const hash = await redis.admin.hgetall(first.key);
    assert.equal(hash['status'], 'queued');
    assert.equal(hash['origin'], 'maintenance');
    assert.equal(hash['result_ttl'], '500', "RQ's cron passes result_ttl 500");
    assert.equal(hash['description'], 'tasks.cron-square(7)');
    assert.equal(hash['enqueued_at'], '2026-12-01T10:00:00.000000Z');
    assert.deepEqual(await redis.admin.lrange('rq:queue:maintenance', 0, -1), [first.id]);
    assert.equal(await redis.admin.sismember('rq:queues', 'rq:queue:maintenance'), 1);
    assert.deepEqual(await redis.admin.zrange('rq:cron_job:tasks.cron-square:jobs', 0, -1, 'WITHSCORES'), [first.id, String(at('10:00:00').getTime() / 1000)]);
    assert.ok((await redis.admin.ttl('rq:cron_job:tasks.cron-square:jobs')) > 364 * 24 * 3600);

    assert.deepEqual(await cron.enqueueJobs(at('10:00:59')), [], 'not due before the interval');
    assert.equal(cronJob.nextEnqueueTime?.toISOString(), at('10:01:00').toISOString());
    const [second] = await cron.enqueueJobs(at('10:01:00'));
    assert.ok(second);
    assert.deepEqual(await cronJob.getJobIds(connection), [second.id, first.id], 'newest first');
  });

  test('several schedulers with the same registrations enqueue each tick once', async () => {
    let now = at('11:00:00');
    const schedulers = [1, 2, 3].map(() => new CronScheduler({ connection: redis.connect(), clock: () => now }));
    for (const cron of schedulers) {
      cron.register('tasks.every5', { queue: 'default', cron: '*/5 * * * *' });
      cron.register('tasks.every90s', { queue: 'default', interval: 90 });
    }
    // An hour in 30-second steps; every scheduler makes its pass at each step, at the same time.
    let enqueued = 0;
    for (let second = 0; second <= 3600; second += 30) {
      now = new Date(at('11:00:00').getTime() + second * 1000 + 1);
      const passes = await Promise.all(schedulers.map((cron) => cron.enqueueJobs()));
      enqueued += passes.flat().length;
    }
    const history = async (name: string) => redis.admin.zcard(`rq:cron_job:${name}:jobs`);
    // Registered at 11:00:00, so the first */5 tick is 11:05, the last 12:00.
    assert.equal(await history('tasks.every5'), 12);
    assert.equal(await history('tasks.every90s'), 41, 'at 0, 90, 180 ... 3600 s');
    assert.equal(enqueued, 12 + 41);
    assert.equal(await new Queue('default', { connection }).count(), 12 + 41, 'one job per run, never more');
  });

  test('ticks missed while no scheduler ran are not caught up: one run, then the next tick from now', async () => {
    const cron = new CronScheduler({ connection, clock: () => at('13:00:30') });
    const minutely = cron.register('tasks.minutely', { queue: 'default', cron: '* * * * *' });
    assert.equal(minutely.nextEnqueueTime?.toISOString(), at('13:01:00').toISOString());
    const late = new Date(minutely.nextEnqueueTime!.getTime() + 10 * 60_000 + 5_000);
    assert.equal((await cron.enqueueJobs(late)).length, 1);
    assert.equal((await cron.enqueueJobs(late)).length, 0);
    assert.equal(minutely.nextEnqueueTime?.toISOString(), at('13:12:00').toISOString(), 'the tick after 13:11:05');
  });

  test('a scheduler that starts after another ran an interval job waits for the interval', async () => {
    const first = new CronScheduler({ connection });
    first.register('tasks.hourly', { queue: 'default', interval: 3600 });
    assert.equal((await first.enqueueJobs(at('12:00:00'))).length, 1);
    const restarted = new CronScheduler({ connection });
    const job = restarted.register('tasks.hourly', { queue: 'default', interval: 3600 });
    assert.equal((await restarted.enqueueJobs(at('12:20:00'))).length, 0, 'ran 20 minutes ago, by the other');
    assert.equal(job.nextEnqueueTime?.toISOString(), at('13:00:00').toISOString());
  });
});

describe('CronScheduler.start', () => {
  test("registers in RQ 2.5's keys, enqueues as jobs fall due, heartbeats, and unregisters on stop", async () => {
    const cron = new CronScheduler({ connection, name: 'test-cron' });
    cron.register('tasks.ping', { queue: 'default', interval: 1, args: ['pong'], jobTimeout: '10m' });
    const enqueued: string[] = [];
    cron.on('job:enqueued', (_cronJob, job) => enqueued.push(job.id));
    const running = cron.start();
    await waitUntil(async () => enqueued.length >= 2, 10_000, 'two runs, a second apart');
    const [info] = await CronScheduler.all({ connection });
    assert.equal(info?.name, 'test-cron');
    assert.equal(info?.pid, process.pid);
    assert.equal(info?.cronJobs[0]?.func_name, 'tasks.ping');
    assert.equal(info?.cronJobs[0]?.args, '["pong"]');
    assert.equal(info?.cronJobs[0]?.interval, 1);
    assert.equal(info?.cronJobs[0]?.job_timeout, 600, 'seconds, as RQ writes them');
    assert.ok(info?.lastHeartbeat && Date.now() - info.lastHeartbeat.getTime() < 5_000);
    const ttl = await redis.admin.ttl('rq:cron_scheduler:test-cron');
    assert.ok(ttl > 60 && ttl <= 120, `hash TTL ${ttl}`);
    // Heartbeats move the score on, and bring back a hash that was lost (expired in an outage).
    const before = Number(await redis.admin.zscore('rq:cron_schedulers', 'test-cron'));
    await redis.admin.del('rq:cron_scheduler:test-cron');
    await waitUntil(async () => (await redis.admin.exists('rq:cron_scheduler:test-cron')) === 1, 5_000, 'the hash rewritten by a heartbeat');
    assert.ok(Number(await redis.admin.zscore('rq:cron_schedulers', 'test-cron')) > before);
    assert.deepEqual(Object.keys(await redis.admin.hgetall('rq:cron_scheduler:test-cron')).sort(), ['config_file', 'created_at', 'cron_jobs', 'hostname', 'name', 'pid']);
    await assert.rejects(new CronScheduler({ connection, name: 'test-cron' }).start(), DuplicateCronSchedulerError);
    cron.stop();
    await running;
    assert.equal(await redis.admin.zscore('rq:cron_schedulers', 'test-cron'), null);
    await assert.rejects(CronScheduler.fetch('test-cron', { connection }), NoSuchCronSchedulerError);
    assert.deepEqual(await new Queue('default', { connection }).getJobIds(), enqueued);
  });

  test('stop() before start() makes start() return at once; a crashed namesake silent for 120 s is taken over', async () => {
    const early = new CronScheduler({ connection, name: 'early' });
    early.register('tasks.x', { queue: 'default', interval: 1 });
    early.stop();
    await early.start();
    assert.equal(await redis.admin.zscore('rq:cron_schedulers', 'early'), null, 'never registered');
    await redis.admin.zadd('rq:cron_schedulers', Date.now() / 1000 - 200, 'crashed');
    const again = new CronScheduler({ connection, name: 'crashed' });
    await again.registerBirth();
    assert.ok(Number(await redis.admin.zscore('rq:cron_schedulers', 'crashed')) > Date.now() / 1000 - 10);
    await again.registerDeath();
  });

  test('a scheduler silent for 120 s is dropped from the list', async () => {
    await redis.admin.zadd('rq:cron_schedulers', Date.now() / 1000 - 121, 'gone');
    await redis.admin.hset('rq:cron_scheduler:gone', 'name', 'gone');
    assert.deepEqual(await CronScheduler.all({ connection }), []);
    assert.equal(await redis.admin.zscore('rq:cron_schedulers', 'gone'), null);
  });
});

describe('rq cron', () => {
  test('loads a config module and enqueues its jobs until SIGTERM', async () => {
    const config = join(dir(), 'cron-config.mjs');
    writeFileSync(config, "export default (cron) => { cron.register('tasks.heartbeat', { queue: 'beats', interval: 1 }); };\n");
    const child = spawn(process.execPath, [RQ_BIN, 'cron', config, '-u', redis.server.url, '--name', 'cli-cron'], { cwd: ROOT });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const queue = new Queue('beats', { connection });
    await waitUntil(async () => (await queue.count()) >= 2, 10_000, 'two runs');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(stdout, /Registered tasks\.heartbeat \(tasks\.heartbeat\) on beats: every 1 s/);
    assert.match(stdout, /beats: enqueued tasks\.heartbeat\(\) \([0-9a-f-]{36}\)/);
    assert.match(stdout, /Cron scheduler cli-cron stopped/);
    assert.equal(await redis.admin.zscore('rq:cron_schedulers', 'cli-cron'), null);
  });

  test('a config that is missing, broken or registers nothing is exit 1 and one line saying which', () => {
    const run = (config: string) => spawnSync(process.execPath, [RQ_BIN, 'cron', config, '-u', redis.server.url], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    const missing = run(join(dir(), 'nope.mjs'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /Cron config .*nope\.mjs not found/);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    const broken = join(dir(), 'broken.mjs');
    writeFileSync(broken, "export default (cron) => { cron.register('tasks.x', { queue: 'default', cron: '* * *' }); };\n");
    const bad = run(broken);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /bad cron expression "\* \* \*"/);
    const empty = join(dir(), 'empty.mjs');
    writeFileSync(empty, 'export default () => {};\n');
    const none = run(empty);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /registers no cron jobs/);
    const noDefault = join(dir(), 'no-default.mjs');
    writeFileSync(noDefault, 'export const x = 1;\n');
    const nothing = run(noDefault);
    assert.equal(nothing.status, 1);
    assert.match(nothing.stderr, /must export a default function/);
  });

  test('with Redis gone, it says so once, and SIGTERM still stops it at once', async () => {
    const server = await startRedis();
    const config = join(dir(), 'cron-down.mjs');
    writeFileSync(config, "export default (cron) => { cron.register('tasks.beat', { queue: 'beats', interval: 1 }); };\n");
    const child = spawn(process.execPath, [RQ_BIN, 'cron', config, '-u', server.url], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await waitUntil(async () => /enqueued/.test(stdout), 10_000, 'a first run');
      await server.stop();
      await waitUntil(async () => /Redis connection lost/.test(stderr), 10_000, 'the lost connection reported');
      await new Promise((done) => setTimeout(done, 1500)); // a few reconnection attempts
      const signalled = Date.now();
      child.kill('SIGTERM');
      await exited;
      assert.ok(Date.now() - signalled < 5_000, `stopped in ${Date.now() - signalled} ms`);
      assert.equal(stderr.match(/Redis connection lost/g)?.length, 1, stderr);
      assert.doesNotMatch(stderr, /Unhandled error event/);
    } finally {
      child.kill('SIGKILL');
      await server.stop();
    }
  });
});
