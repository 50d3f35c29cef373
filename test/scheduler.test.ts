import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { InvalidArgumentError, Queue, Worker } from '../src/index.js';
import { Scheduler } from '../src/scheduler.js';
import { useRedis, waitUntil } from './harness/index.js';
import { skipWithoutPythonRq } from './harness/python.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Makes a scheduled job due now, as the clock would after its delay: no sleeping in tests. */
async function makeDue(id: string, queue = 'default'): Promise<void> {
  await redis.admin.zadd(`rq:scheduled:${queue}`, nowSeconds() - 1, id);
}

describe('enqueueAt / enqueueIn', () => {
  test('write RQ\'s layout: status scheduled, no enqueued_at, scored by the due time in whole seconds', async () => {
    const queue = new Queue('default', { connection });
    const inTen = await queue.enqueueIn('10m', 'tasks.later', 1);
    const at = new Date(Date.now() + 3_600_000);
    const atFront = await queue.enqueueCall('tasks.first', { at, atFront: true });
    const hash = await redis.admin.hgetall(inTen.key);
    assert.equal(hash['status'], 'scheduled');
    assert.equal(hash['enqueued_at'], undefined);
    assert.equal(hash['origin'], 'default');
    assert.equal(hash['enqueue_at_front'], undefined);
    assert.equal(await redis.admin.hget(atFront.key, 'enqueue_at_front'), '1');
    const score = Number(await redis.admin.zscore('rq:scheduled:default', inTen.id));
    assert.ok(Number.isInteger(score) && Math.abs(score - (nowSeconds() + 600)) <= 2);
    assert.equal(Number(await redis.admin.zscore('rq:scheduled:default', atFront.id)), Math.floor(at.getTime() / 1000));
    assert.deepEqual(await redis.admin.smembers('rq:queues'), ['rq:queue:default']);
    assert.equal(await queue.count(), 0);
    assert.equal((await queue.scheduledJobRegistry.getScheduledTime(atFront))?.getTime(), Math.floor(at.getTime() / 1000) * 1000);
  });

  test('bad times are clear errors, and nothing is written', async () => {
    const queue = new Queue('default', { connection });
    await assert.rejects(queue.enqueueAt(new Date(Date.now() - 60_000), 'tasks.x'), (error: Error) => error instanceof InvalidArgumentError && /in the past/.test(error.message));
    await assert.rejects(queue.enqueueAt(new Date('nonsense'), 'tasks.x'), /not a valid Date/);
    await assert.rejects(queue.enqueueIn(-5, 'tasks.x'), /cannot be negative/);
    await assert.rejects(queue.enqueueIn('5x' as never, 'tasks.x'), /Bad delay '5x'/);
    await assert.rejects(queue.enqueueCall('tasks.x', { at: new Date(), in: 5 }), /either `at` or `in`/);
    assert.deepEqual(await redis.admin.keys('*'), []);
  });
});

describe('the scheduler', () => {
  test('moves due jobs onto their queue under RQ\'s lock (numeric pid, 61 s), at the front when asked', async () => {
    const queue = new Queue('default', { connection });
    const waiting = await queue.enqueue('tasks.waiting');
    const due = await queue.enqueueIn(600, 'tasks.due');
    const front = await queue.enqueueCall('tasks.front', { in: 600, atFront: true });
    const notYet = await queue.enqueueIn(600, 'tasks.later');
    await makeDue(due.id);
    await makeDue(front.id);
    const scheduler = new Scheduler(connection, ['default']);
    assert.equal(await scheduler.tick(), 2);
    assert.deepEqual(await queue.getJobIds(), [front.id, waiting.id, due.id]);
    assert.equal(await redis.admin.hget(due.key, 'status'), 'queued');
    assert.ok(await redis.admin.hget(due.key, 'enqueued_at'));
    assert.deepEqual(await queue.scheduledJobRegistry.getJobIds(), [notYet.id]);
    assert.equal(await redis.admin.get('rq:scheduler-lock:default'), String(process.pid));
    const ttl = await redis.admin.ttl('rq:scheduler-lock:default');
    assert.ok(ttl > 55 && ttl <= 61, `lock TTL ${ttl}`);
    await scheduler.release();
    assert.equal(await redis.admin.exists('rq:scheduler-lock:default'), 0);
  });

  test('one scheduler per queue: another holder\'s lock is respected, and taken over once it expires', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueueIn(600, 'tasks.due');
    await makeDue(job.id);
    await redis.admin.set('rq:scheduler-lock:default', '999999', 'EX', 61);
    const scheduler = new Scheduler(connection, ['default']);
    assert.equal(await scheduler.tick(), 0);
    assert.deepEqual(scheduler.heldQueues, []);
    await scheduler.release(); // releases nothing it does not hold
    assert.equal(await redis.admin.get('rq:scheduler-lock:default'), '999999');
    await redis.admin.del('rq:scheduler-lock:default'); // the other scheduler's lock expired
    assert.equal(await scheduler.tick(), 1);
    assert.deepEqual(scheduler.heldQueues, ['default']);
    await scheduler.release();
  });

  test('a worker with the scheduler runs due jobs; a retry with an interval comes back through it', async () => {
    const queue = new Queue('default', { connection });
    const later = await queue.enqueueIn(600, 'tasks.echo', 'scheduled');
    const flaky = await queue.enqueue('tasks.flaky');
    await redis.admin.hset(flaky.key, { retries_left: '1', retry_intervals: '[600]' });
    let attempts = 0;
    const tasks = {
      'tasks.echo': (x: string) => x,
      'tasks.flaky': () => {
        attempts += 1;
        if (attempts === 1) throw new Error('first attempt fails');
        return 'second attempt';
      },
    };
    const worker = new Worker([queue], { tasks, dequeueTimeout: 1 });
    const working = worker.work({ withScheduler: true });
    await waitUntil(async () => (await flaky.getStatus()) === 'scheduled', 5000, 'the retry to be scheduled');
    await makeDue(later.id);
    await makeDue(flaky.id);
    await waitUntil(async () => (await flaky.getStatus()) === 'finished' && (await later.getStatus()) === 'finished', 10_000, 'the scheduler to release both');
    assert.equal(await later.returnValue(), 'scheduled');
    assert.equal(await flaky.returnValue(), 'second attempt');
    worker.stop();
    await working;
    assert.equal(await redis.admin.exists('rq:scheduler-lock:default'), 0, 'the lock is released at stop');
  });

  test('a burst worker with the scheduler makes one pass first', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueueIn(600, 'tasks.echo', 'burst');
    await makeDue(job.id);
    assert.equal(await new Worker([queue], { tasks: { 'tasks.echo': (x: string) => x } }).work({ burst: true, withScheduler: true }), 1);
    assert.equal(await job.returnValue(), 'burst');
  });
});

describe('with Python RQ 1.13', { skip: skipWithoutPythonRq() }, () => {
  const python = (code: string) =>
    execFileSync('/usr/bin/python3', ['-c', `
from datetime import timedelta
from redis import Redis
from rq import Queue
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
r = Redis(port=${redis.server.port})
q = Queue('default', connection=r, serializer=JSONSerializer)
${code}`], { encoding: 'utf8' }).trim();

  test('Python schedules, the rq-ts scheduler releases; rq-ts schedules, Python\'s scheduler releases; both read the lock', async () => {
    python("q.enqueue_in(timedelta(seconds=600), 'tasks.x', job_id='py-scheduled', at_front=True)");
    await makeDue('py-scheduled');
    const queue = new Queue('default', { connection });
    await queue.enqueue('tasks.first');
    const scheduler = new Scheduler(connection, ['default']);
    assert.equal(await scheduler.tick(), 1);
    assert.equal((await queue.getJobIds())[0], 'py-scheduled', 'at_front kept from Python');
    assert.equal(python('print(q.scheduler_pid)'), String(process.pid));
    await scheduler.release();

    const ours = await queue.enqueueIn(600, 'tasks.y');
    await makeDue(ours.id);
    python("s = RQScheduler(['default'], connection=r, serializer=JSONSerializer); s.acquire_locks(); s.enqueue_scheduled_jobs(); s.release_locks()");
    assert.equal(await ours.getStatus(), 'queued');
    assert.equal((await queue.getJobIds()).at(-1), ours.id);
  });
});

