/**
 * Following a queue's jobs without polling (src/queue-events.ts): workers write job endings and
 * progress to `rq:events:<queue>` only while a listener keeps it alive; a QueueEvents listener
 * gets finished, failed, retried and progress events; `job.waitUntilFinished()` resolves or
 * rejects by them; a listener that reconnects reads on from its last entry, missing nothing.
 */
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { Redis } from 'ioredis';
import { JobFailedError, NoSuchJobError, Queue, QueueEvents, Retry, StartedJobRegistry, WaitTimeoutError, Worker, getCurrentJob } from '../src/index.js';
import { useRedis, waitUntil } from './harness/index.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

const tasks = {
  'tasks.add': async (a: number, b: number) => {
    await getCurrentJob()!.updateProgress({ step: 'adding' });
    return a + b;
  },
  'tasks.fail': () => Promise.reject(new Error('no good')),
};

test('without a listener workers write no events; with one, it hears finished, failed, retried and progress', async () => {
  const queue = new Queue('default', { connection });
  await queue.enqueue('tasks.add', 1, 1);
  await new Worker([queue], { connection, tasks }).work({ burst: true });
  assert.equal(await redis.admin.exists('rq:events:default'), 0, 'nothing written while nobody listens');

  const events = new QueueEvents('default', { connection: redis.connect() });
  const heard: string[] = [];
  for (const name of ['finished', 'failed', 'retried'] as const) events.on(name, (jobId) => heard.push(`${name} ${jobId}`));
  events.on('progress', (jobId, progress) => heard.push(`progress ${jobId} ${JSON.stringify(progress)}`));
  await events.start();
  const ttl = await redis.admin.pttl('rq:events:default');
  assert.ok(ttl > 50_000 && ttl <= 60_000, `the stream lives while listened to (${ttl} ms)`);
  const added = await queue.enqueue('tasks.add', 2, 3);
  const failing = await queue.enqueueCall('tasks.fail', { retry: new Retry({ max: 1 }) });
  await new Worker([queue], { connection, tasks }).work({ burst: true });
  await waitUntil(() => heard.length >= 4, 5000, 'four events');
  assert.deepEqual(heard, [`progress ${added.id} {"step":"adding"}`, `finished ${added.id}`, `retried ${failing.id}`, `failed ${failing.id}`]);
  await events.close();
});

test('waitUntilFinished resolves with the return value, rejects on failure and on timeout, and answers at once for a job already done', async () => {
  const queue = new Queue('default', { connection });
  const events = new QueueEvents('default', { connection: redis.connect() });
  await events.start();
  try {
    const added = await queue.enqueue('tasks.add', 20, 22);
    const failing = await queue.enqueue('tasks.fail');
    const sum = added.waitUntilFinished(events);
    const failure = assert.rejects(failing.waitUntilFinished(events), (error: Error) => error instanceof JobFailedError && /Error: no good/.test(error.message));
    await new Worker([queue], { connection, tasks }).work({ burst: true });
    assert.equal(await sum, 42);
    await failure;
    assert.equal(await added.waitUntilFinished(events), 42, 'already finished: answered at once');
    const pending = await queue.enqueue('tasks.add', 1, 2);
    await assert.rejects(pending.waitUntilFinished(events, { timeoutMs: 100 }), WaitTimeoutError);
    // A wait of 30 days (longer than one Node timer holds) is a wait, not a timeout after a millisecond.
    const long = pending.waitUntilFinished(events, { timeoutMs: 30 * 86_400_000 });
    await new Worker([queue], { connection, tasks }).work({ burst: true });
    assert.equal(await long, 3);
    // A job with a result TTL of 0 is deleted as it finishes: waited for before, it resolves; after, there is nothing to wait for.
    const unkept = await queue.enqueueCall('tasks.add', { args: [2, 3], resultTtl: 0 });
    const before = unkept.waitUntilFinished(events);
    await new Worker([queue], { connection, tasks }).work({ burst: true });
    assert.equal(await connection.exists(`rq:job:${unkept.id}`), 0, 'deleted as it finished');
    assert.equal(await before, null, 'finished; its return value was not kept');
    await assert.rejects(unkept.waitUntilFinished(events), (error: Error) => error instanceof NoSuchJobError && /result TTL of 0/.test(error.message));
  } finally {
    await events.close();
  }
});

test('a listener that comes back reads on from its last entry: the events of meanwhile are not lost', async () => {
  const queue = new Queue('default', { connection });
  const first = new QueueEvents('default', { connection: redis.connect() });
  const seen: string[] = [];
  first.on('finished', (jobId) => seen.push(jobId));
  await first.start();
  const a = await queue.enqueue('tasks.add', 1, 1);
  await new Worker([queue], { connection, tasks }).work({ burst: true });
  await waitUntil(() => seen.length === 1, 5000, 'the first event');
  await first.close();
  // Gone a while: two jobs end meanwhile (the stream lives on for its TTL).
  const b = await queue.enqueue('tasks.add', 2, 2);
  const c = await queue.enqueue('tasks.add', 3, 3);
  await new Worker([queue], { connection, tasks }).work({ burst: true });
  const again = new QueueEvents('default', { connection: redis.connect(), lastEventId: first.lastEventId });
  again.on('finished', (jobId) => seen.push(jobId));
  await again.start();
  await waitUntil(() => seen.length === 3, 5000, 'the events of meanwhile');
  assert.deepEqual(seen, [a.id, b.id, c.id]);
  await again.close();
});

test('a job abandoned by a dead worker: the sweep writes `abandoned`, then `failed`, and a waiter hears it', async () => {
  const queue = new Queue('default', { connection });
  const events = new QueueEvents('default', { connection: redis.connect() });
  await events.start();
  try {
    const job = await queue.enqueue('tasks.add', 1, 1);
    // As a worker killed mid-job leaves it: started, its heartbeat deadline long past.
    assert.equal(await connection.lrem('rq:queue:default', 0, job.id), 1);
    await connection.hset(`rq:job:${job.id}`, 'status', 'started');
    await connection.zadd('rq:wip:default', 1, job.id);
    const heard: string[] = [];
    events.on('abandoned', (id, then) => heard.push(`abandoned ${then} ${id}`));
    events.on('failed', (id) => heard.push(`failed ${id}`));
    const waiting = assert.rejects(job.waitUntilFinished(events), JobFailedError);
    const swept = await new StartedJobRegistry('default', { connection }).cleanup();
    assert.deepEqual(swept.failed, [job.id]);
    await waiting;
    await waitUntil(async () => heard.length === 2, 5000, 'both events');
    assert.deepEqual(heard, [`abandoned failed ${job.id}`, `failed ${job.id}`]);
  } finally {
    await events.close();
  }
});
