/**
 * RQ master's RateLimit(key, concurrency), in RQ's layout (rq/rate_limit.py and
 * docs/rq_internals/rate_limit.md at rq/rq aa666a8a; RQ 1.13 has no rate limits, so these pin the
 * layout against RQ's own description rather than a Python peer).
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { InvalidArgumentError, InvalidJobOperationError, Job, Queue, RateLimit, RateLimitRegistry, Retry, StartedJobRegistry, Worker, deleteJob } from '../src/index.js';
import { Scheduler } from '../src/scheduler.js';
import { runRq, useRedis } from './harness/index.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

const tasks = { 'tasks.add': (a: number, b: number) => a + b, 'tasks.fail': () => Promise.reject(new Error('no good')) };

describe("RQ's layout", () => {
  test('three jobs under a limit of two: two queued holding a slot, the third rate_limited on no queue; a finished job hands its slot on', async () => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('reports', 2);
    const [a, b, c] = [await queue.enqueueCall('tasks.add', { args: [1, 1], rateLimit: limit }), await queue.enqueueCall('tasks.add', { args: [2, 2], rateLimit: limit }), await queue.enqueueCall('tasks.add', { args: [3, 3], rateLimit: limit })];
    assert.deepEqual([a!.status, b!.status, c!.status], ['queued', 'queued', 'rate_limited']);
    assert.deepEqual(await redis.admin.lrange('rq:queue:default', 0, -1), [a!.id, b!.id]);
    assert.deepEqual(await redis.admin.zrange('rq:rl:reports:allowed', 0, -1), [a!.id, b!.id].sort());
    assert.deepEqual(await redis.admin.zrange('rq:rl:reports:rate_limited', 0, -1), [c!.id]);
    assert.deepEqual(await redis.admin.hgetall('rq:rl:reports'), { concurrency: '2' });
    assert.deepEqual(await redis.admin.smembers('rq:rl-keys'), ['reports']);
    const hash = await redis.admin.hgetall(`rq:job:${c!.id}`);
    assert.equal(hash['status'], 'rate_limited');
    assert.equal(hash['rate_limit_key'], 'reports');
    assert.equal(hash['rate_limit_concurrency'], '2');
    assert.equal((await Job.fetch(c!.id, { connection })).rateLimitKey, 'reports');
    // One job runs: its slot goes to c, which joins the queue.
    assert.equal(await new Worker([queue], { tasks, connection }).work({ burst: true, maxJobs: 1 }), 1);
    assert.equal(await c!.getStatus(), 'queued');
    assert.deepEqual(await redis.admin.lrange('rq:queue:default', 0, -1), [b!.id, c!.id]);
    assert.deepEqual(await redis.admin.zcard('rq:rl:reports:rate_limited'), 0);
    await new Worker([queue], { tasks, connection }).work({ burst: true });
    assert.equal(await c!.returnValue(), 6);
    assert.equal(await redis.admin.zcard('rq:rl:reports:allowed'), 0);
  });

  test('bad input is refused before anything is written', async () => {
    for (const [key, concurrency] of [['', 1], ['a b', 1], ['x{y}', 1], ['x', 0], ['x', 1.5], ['x', -1]] as const) {
      assert.throws(() => new RateLimit(key, concurrency), InvalidArgumentError, `${key}/${concurrency}`);
    }
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('k', 1);
    await assert.rejects(queue.enqueueCall('tasks.add', { args: [1, 1], rateLimit: limit, jobId: 'u', unique: true }), /unique job cannot have a rate limit/);
    await assert.rejects(new Queue('sync', { connection, isAsync: false }).enqueueCall('tasks.add', { args: [1, 1], rateLimit: limit }), /isAsync false/);
    await assert.rejects(queue.enqueueCall('tasks.add', { args: [1, 1], rateLimit: { key: 'k', concurrency: 1 } as never }), /must be a RateLimit/);
    assert.deepEqual(await redis.admin.keys('*'), []);
  });

  test('a job id that waits or holds a slot under one limit is not enqueued again under another, or none: nothing is written', async () => {
    const queue = new Queue('default', { connection });
    const a = new RateLimit('a', 1);
    await queue.enqueueCall('tasks.add', { args: [0, 0], rateLimit: a }); // holds a's slot
    const waiting = await queue.enqueueCall('tasks.add', { args: [1, 1], rateLimit: a, jobId: 'moving' });
    assert.equal(waiting.status, 'rate_limited');
    const before = await redis.admin.hgetall('rq:job:moving');
    const parent = await queue.enqueue('tasks.add', 2, 2);
    for (const options of [{ rateLimit: new RateLimit('b', 1) }, {}, { rateLimit: new RateLimit('b', 1), dependsOn: parent }, { dependsOn: parent }]) {
      await assert.rejects(queue.enqueueCall('tasks.add', { args: [9, 9], jobId: 'moving', ...options }), (error: Error) => error instanceof InvalidJobOperationError && /waits or holds a slot under rate limit 'a'/.test(error.message));
    }
    assert.deepEqual(await redis.admin.hgetall('rq:job:moving'), before);
    assert.deepEqual(await redis.admin.keys('rq:rl:b*'), []);
    // Under the same limit it may be written again; once out of the limit, under any.
    assert.equal((await queue.enqueueCall('tasks.add', { args: [3, 3], rateLimit: a, jobId: 'moving' })).status, 'rate_limited');
    await new Worker([queue], { tasks, connection }).work({ burst: true });
    assert.equal(await Job.fetch('moving', { connection }).then((job) => job.getStatus()), 'finished');
    assert.equal((await queue.enqueueCall('tasks.add', { args: [4, 4], rateLimit: new RateLimit('b', 1), jobId: 'moving' })).status, 'queued');
  });
});

describe('at most N at once, across workers', () => {
  test('three workers at concurrency 10: 30 jobs on a limit of 2 never run more than 2 at once, while another key\'s jobs flow', async () => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('remote-api', 2);
    let running = 0;
    let most = 0;
    let others = 0;
    const body = {
      'tasks.limited': async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 15));
        running -= 1;
      },
      'tasks.free': () => void (others += 1),
    };
    for (let i = 0; i < 30; i++) {
      await queue.enqueueCall('tasks.limited', { rateLimit: limit });
      if (i % 3 === 0) await queue.enqueue('tasks.free');
    }
    const workers = [1, 2, 3].map(() => new Worker([queue], { tasks: body, connection, concurrency: 10 }));
    const done = await Promise.all(workers.map((worker) => worker.work({ burst: true })));
    // Burst workers may stop while a job waits for a slot; the last one runs the rest.
    let total = done.reduce((sum, n) => sum + n, 0);
    while (total < 40) total += await new Worker([queue], { tasks: body, connection, concurrency: 10 }).work({ burst: true });
    assert.equal(most, 2);
    assert.equal(others, 10);
    assert.equal(await redis.admin.zcard('rq:rl:remote-api:allowed'), 0);
    assert.equal(await redis.admin.zcard('rq:rl:remote-api:rate_limited'), 0);
  });
});

describe('slots given back', () => {
  test('a delayed retry gives its slot back; an immediate one keeps it', async () => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('r', 1);
    const delayed = await queue.enqueueCall('tasks.fail', { rateLimit: limit, retry: new Retry({ max: 1, interval: 600 }) });
    const waiting = await queue.enqueueCall('tasks.add', { args: [1, 2], rateLimit: limit });
    await new Worker([queue], { tasks, connection }).work({ burst: true, maxJobs: 1 });
    assert.equal(await delayed.getStatus(), 'scheduled');
    assert.equal(await waiting.getStatus(), 'queued', 'the slot went to the waiting job');
    await new Worker([queue], { tasks, connection }).work({ burst: true });
    const immediate = await queue.enqueueCall('tasks.fail', { rateLimit: new RateLimit('i', 1), retry: new Retry({ max: 1 }) });
    const behind = await queue.enqueueCall('tasks.add', { args: [1, 2], rateLimit: new RateLimit('i', 1) });
    await new Worker([queue], { tasks, connection }).work({ burst: true, maxJobs: 1 });
    assert.equal(await immediate.getStatus(), 'queued', 'retried at once, on its slot');
    assert.equal(await behind.getStatus(), 'rate_limited');
  });

  test('cancel and delete free the slot; an abandoned job\'s slot is freed by the sweep; maintenance frees a leaked one', async () => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('c', 1);
    const [first, second, third, fourth] = [
      await queue.enqueueCall('tasks.add', { args: [1, 1], rateLimit: limit }),
      await queue.enqueueCall('tasks.add', { args: [2, 2], rateLimit: limit }),
      await queue.enqueueCall('tasks.add', { args: [3, 3], rateLimit: limit }),
      await queue.enqueueCall('tasks.add', { args: [4, 4], rateLimit: limit }),
    ];
    await first!.cancel();
    assert.equal(await second!.getStatus(), 'queued');
    assert.equal(await deleteJob(connection, second!.id), true);
    assert.equal(await third!.getStatus(), 'queued');
    // third starts and its worker dies: the sweep fails it and hands the slot on.
    await connection.lrem('rq:queue:default', 1, third!.id);
    await connection.hset(third!.key, { status: 'started', worker_name: 'dead', started_at: '2026-12-01T00:00:00.000000Z' });
    await connection.zadd('rq:wip:default', 1, third!.id);
    await new StartedJobRegistry(queue).cleanup();
    assert.equal(await third!.getStatus(), 'failed');
    assert.equal(await fourth!.getStatus(), 'queued');
    // A slot whose job vanished without its limit (deleted by hand): maintenance gives it back.
    const fifth = await queue.enqueueCall('tasks.add', { args: [5, 5], rateLimit: limit });
    await connection.del(fourth!.key);
    await connection.lrem('rq:queue:default', 1, fourth!.id);
    assert.equal(await fifth.getStatus(), 'rate_limited');
    const [registry] = await RateLimitRegistry.all({ connection });
    assert.deepEqual(await registry!.getAllowedJobIds(), [fourth!.id]);
    await registry!.cleanup();
    assert.equal(await fifth.getStatus(), 'queued');
    await new Worker([queue], { tasks, connection }).work({ burst: true });
    await registry!.cleanup();
    assert.deepEqual(await redis.admin.keys('rq:rl*'), [], 'an idle limit is deleted');
  });
});

describe('requeue', () => {
  test('a failed rate-limited job requeued waits for a slot again, never past its limit', async () => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('q', 1);
    const failing = await queue.enqueueCall('tasks.fail', { rateLimit: limit });
    await new Worker([queue], { tasks, connection }).work({ burst: true });
    assert.equal(await failing.getStatus(), 'failed');
    const holder = await queue.enqueueCall('tasks.add', { args: [1, 1], rateLimit: limit });
    assert.equal(holder.status, 'queued');
    await failing.requeue();
    assert.equal(await failing.getStatus(), 'rate_limited', 'the slot is held by another job');
    assert.deepEqual(await redis.admin.lrange('rq:queue:default', 0, -1), [holder.id]);
    await new Worker([queue], { tasks, connection }).work({ burst: true, maxJobs: 1 });
    assert.equal(await failing.getStatus(), 'queued');
  });
});

describe('one admission path: scheduled jobs and released dependents wait for a slot too', () => {
  test('a scheduled limited job falls due into its limit; a dependent limited job is released into it', async () => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('s', 1);
    await queue.enqueueCall('tasks.add', { args: [1, 1], rateLimit: limit }); // holds the slot
    const scheduled = await queue.enqueueCall('tasks.add', { args: [2, 2], rateLimit: limit, in: 600 });
    assert.equal(scheduled.status, 'scheduled');
    await redis.admin.zadd('rq:scheduled:default', 1, scheduled.id); // due now
    assert.equal(await new Scheduler(connection, ['default']).tick(), 1);
    assert.equal(await scheduled.getStatus(), 'rate_limited', 'due, but the slot is held');
    const parent = await queue.enqueue('tasks.add', 3, 3);
    const dependent = await queue.enqueueCall('tasks.add', { args: [4, 4], rateLimit: limit, dependsOn: parent });
    assert.equal(dependent.status, 'deferred');
    // The worker runs the holder and the parent: the slot goes to the scheduled job (it waited
    // first), the dependent is released into the limit behind it; then each in turn.
    assert.equal(await new Worker([queue], { tasks, connection }).work({ burst: true }), 4);
    assert.equal(await scheduled.returnValue(), 4);
    assert.equal(await dependent.returnValue(), 8);
    assert.equal(await redis.admin.zcard('rq:rl:s:allowed'), 0);
  });

  test('a limited job whose dependency is already done waits for a slot at once', async () => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('d', 1);
    const parent = await queue.enqueue('tasks.add', 1, 1);
    await new Worker([queue], { tasks, connection }).work({ burst: true });
    const holder = await queue.enqueueCall('tasks.add', { args: [1, 1], rateLimit: limit });
    const dependent = await queue.enqueueCall('tasks.add', { args: [2, 2], rateLimit: limit, dependsOn: parent });
    assert.equal(holder.status, 'queued');
    assert.equal(dependent.status, 'rate_limited');
    assert.deepEqual(await redis.admin.zrange('rq:rl:d:rate_limited', 0, -1), [dependent.id]);
  });
});

describe('rq enqueue --rate-limit', () => {
  test('KEY:N writes RQ\'s fields; over the limit, it says the job waits', async () => {
    const url = redis.server.url;
    const first = runRq(['enqueue', '-u', url, '--rate-limit', 'reports:1', 'tasks.add', '1', '2']);
    assert.equal(first.code, 0, first.stderr);
    const second = runRq(['enqueue', '-u', url, '--rate-limit', 'reports:1', 'tasks.add', '3', '4']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /waiting for rate limit 'reports'/);
    assert.equal(await redis.admin.zcard('rq:rl:reports:allowed'), 1);
    assert.equal(await redis.admin.zcard('rq:rl:reports:rate_limited'), 1);
    assert.deepEqual(await redis.admin.hgetall('rq:rl:reports'), { concurrency: '1' });
    for (let i = 0; i < 3; i++) assert.equal(runRq(['enqueue', '-u', url, '--rate', 'mail:2/1m', '--rate-limit', 'mail:5', 'tasks.add', '1', '2']).code, 0);
    assert.deepEqual(await redis.admin.hgetall('rq:rl:mail'), { concurrency: '5', max: '2', duration: '60000' });
  });

  test('rq info shows each limit after the queues: slots, rate, waiting jobs; --raw as ratelimit lines', async () => {
    const queue = new Queue('default', { connection });
    await queue.enqueueMany([1, 2, 3].map((n) => Queue.prepareData('tasks.add', { args: [n, n], rateLimit: new RateLimit('reports', 2) })));
    await queue.enqueueMany([1, 2, 3].map((n) => Queue.prepareData('tasks.add', { args: [n, n], rateLimit: new RateLimit('mail', { max: 2, duration: 60_000 }) })));
    const info = runRq(['info', '-u', redis.server.url, '--only-queues']);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^default +\|\S* 4, /m, 'admitted jobs are on their queue');
    assert.match(info.stdout, /Rate limits:\nmail +2 of 2 per 60s, 2 queued or running, 1 waiting\nreports +2 of 2 slots, 1 waiting$/m);
    const raw = runRq(['info', '-u', redis.server.url, '--raw', '--only-queues']);
    assert.match(raw.stdout, /^ratelimit reports 2 of 2 slots, 1 waiting$/m);
    await redis.admin.del('rq:rl-keys');
    assert.doesNotMatch(runRq(['info', '-u', redis.server.url, '--only-queues']).stdout, /Rate limits/, 'no section without limits');
  });
});
