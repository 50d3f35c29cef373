/**
 * A Redis out of memory (maxmemory reached, policy noeviction), against a real redis-server whose
 * maxmemory the test lowers under the running worker: no job runs twice, none is lost, the worker
 * starts nothing while Redis refuses writes and resumes by itself, and producers get a typed error.
 * (RELIABILITY.md §6a measured 503 of 1,148 jobs run twice before.)
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Queue, RedisOutOfMemoryError, Worker, type Job } from '../src/index.js';
import { step } from '../src/scripts/step.js';
import { useRedis, waitUntil } from './harness/index.js';

const redis = useRedis({ args: ['--maxmemory-policy', 'noeviction'] });
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

/** Makes Redis refuse every write that adds memory (a maxmemory far below what it uses), or lifts that. */
async function fillRedis(full: boolean): Promise<void> {
  await redis.admin.config('SET', 'maxmemory', full ? '100kb' : '0');
}

describe('a Redis out of memory', () => {
  test('the worker holds the endings it cannot record, starts no job, keeps heartbeats, says so once, and resumes by itself: each job runs once', async () => {
    const queue = new Queue('default', { connection });
    const jobs = await queue.enqueueMany(Array.from({ length: 12 }, (_, n) => Queue.prepareData('tasks.gated', { args: [n] })));
    let open!: () => void;
    const gate = new Promise<void>((done) => (open = done));
    const runs = new Map<string, number>();
    const warnings: string[] = [];
    const worker = new Worker([queue], {
      concurrency: 4,
      jobMonitoringInterval: 1,
      logger: { debug() {}, info() {}, warn: (message) => warnings.push(message), error: (message) => warnings.push(message) },
      tasks: {
        'tasks.gated': async (n: number) => {
          await gate;
          return n;
        },
      },
    });
    const events: string[] = [];
    worker.on('job:started', (job: Job) => runs.set(job.id, (runs.get(job.id) ?? 0) + 1));
    worker.on('redis:full', (error) => events.push(`full ${error instanceof RedisOutOfMemoryError}`));
    worker.on('redis:writable', () => events.push('writable'));
    const working = worker.work({ burst: true });
    await waitUntil(() => runs.size === 4, 10_000, 'four jobs to start');

    await fillRedis(true);
    const heartbeatBefore = Number(await redis.admin.zscore('rq:wip:default', [...runs.keys()][0]!));
    open(); // the four jobs end now, and Redis refuses to record it
    await waitUntil(() => events.length > 0, 10_000, 'the worker to say Redis is full');
    await new Promise((done) => setTimeout(done, 2500));
    assert.deepEqual(events, ['full true'], 'said once');
    assert.equal(warnings.filter((line) => /Redis is out of memory/.test(line)).length, 1, warnings.join('\n'));
    assert.equal(runs.size, 4, 'no job started while Redis refuses writes');
    assert.equal(await redis.admin.zcard('rq:wip:default'), 4, 'the four stay started, not lost');
    assert.equal(await redis.admin.llen('rq:queue:default'), 8, 'nothing more taken off the queue');
    assert.equal(await redis.admin.zcard('rq:finished:default'), 0);
    const heartbeatAfter = Number(await redis.admin.zscore('rq:wip:default', [...runs.keys()][0]!));
    assert.ok(heartbeatAfter > heartbeatBefore, `heartbeats go on while Redis is full (${heartbeatBefore} -> ${heartbeatAfter}), so no other worker takes the jobs for abandoned`);

    // A producer gets a typed error and writes nothing: a plain enqueue, and a unique one (another script).
    await assert.rejects(queue.enqueue('tasks.gated', 99), (error: Error) => error instanceof RedisOutOfMemoryError && /out of memory/.test(error.message));
    await assert.rejects(queue.enqueueCall('tasks.gated', { args: [98], jobId: 'unique-one', unique: true }), RedisOutOfMemoryError);
    assert.equal(await redis.admin.exists('rq:job:unique-one'), 0);
    assert.equal(await redis.admin.llen('rq:queue:default'), 8);

    await fillRedis(false);
    assert.equal(await working, 12, 'every job run by this burst');
    await worker.close();
    assert.deepEqual(events, ['full true', 'writable']);
    assert.deepEqual([...runs.values()], Array.from({ length: 12 }, () => 1), 'each job ran once');
    const statuses = await Promise.all(jobs.map((job) => job.getStatus()));
    assert.deepEqual(statuses, Array.from({ length: 12 }, () => 'finished'));
    assert.equal(await redis.admin.zcard('rq:wip:default'), 0);
  });

  test('a step that would only start jobs is refused whole: nothing leaves the queue (it begins with LPOP, which a full Redis allows)', async () => {
    const queue = new Queue('default', { connection });
    await queue.enqueueMany(Array.from({ length: 3 }, (_, n) => Queue.prepareData('tasks.add', { args: [n, n] })));
    await fillRedis(true);
    const start = { slots: ['w1', 'w2'], queueKeys: ['rq:queue:default'], heartbeatTtl: 90 };
    await assert.rejects(step(connection, { endings: [], idleTtl: 480, start }), RedisOutOfMemoryError);
    assert.equal(await redis.admin.llen('rq:queue:default'), 3);
    assert.equal(await redis.admin.zcard('rq:wip:default'), 0);
    await fillRedis(false);
    const result = await step(connection, { endings: [], idleTtl: 480, start });
    assert.equal(result.started.length, 2, 'with memory back, the same step starts two');
  });

  test('a worker started on a full Redis waits to register, takes nothing off the queue, then runs every job', async () => {
    const queue = new Queue('default', { connection });
    await queue.enqueueMany(Array.from({ length: 5 }, (_, n) => Queue.prepareData('tasks.add', { args: [n, n] })));
    await fillRedis(true);
    const worker = new Worker([queue], { concurrency: 2, tasks: { 'tasks.add': (a: number, b: number) => a + b } });
    const started: string[] = [];
    const events: string[] = [];
    worker.on('job:started', (job: Job) => started.push(job.id));
    worker.on('redis:full', () => events.push('full'));
    worker.on('redis:writable', () => events.push('writable'));
    const working = worker.work({ burst: true });
    await new Promise((done) => setTimeout(done, 1500));
    assert.deepEqual(started, [], 'no job started');
    assert.deepEqual(events, ['full']);
    assert.equal(await redis.admin.llen('rq:queue:default'), 5, 'the queue is whole');
    assert.equal(await redis.admin.zcard('rq:wip:default'), 0);
    await fillRedis(false);
    assert.equal(await working, 5);
    await worker.close();
    assert.deepEqual(events, ['full', 'writable']);
  });
});
