import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { InvalidArgumentError, Queue, Worker, defineTask } from '../src/index.js';
import { useRedis } from './harness/index.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

const sendEmail = defineTask('tasks.sendEmail', async (to: string, subject: string) => `${subject} -> ${to}`);
const square = defineTask('tasks.square', (n: number) => n * n);

describe('typed tasks', () => {
  test('defineTask gives a handle whose arguments enqueue checks at compile time, and workers here find it', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue(sendEmail, 'ada@example.com', 'Hello');
    // @ts-expect-error a number is not a string: this line must not compile
    await queue.enqueue(sendEmail, 'ada@example.com', 42);
    // @ts-expect-error a missing argument must not compile
    await queue.enqueue(sendEmail, 'ada@example.com');
    await queue.enqueueCall(square, { args: [4], resultTtl: 10 });
    // @ts-expect-error args of the wrong type must not compile
    await queue.enqueueCall(square, { args: ['four'] });
    assert.equal(job.funcName, 'tasks.sendEmail');
    await new Worker([queue]).work({ burst: true }); // no tasks listed: defineTask registered them
    assert.equal(await job.returnValue(), 'Hello -> ada@example.com');
    const jobs = await queue.finishedJobRegistry.getJobIds();
    assert.equal(jobs.length, 5); // the ill-typed calls still ran in JS, which is what the compile errors are for
  });

  test('defineTask refuses a bad name and a name taken by another function', () => {
    assert.throws(() => defineTask('has space', () => 1), InvalidArgumentError);
    assert.throws(() => defineTask('tasks.square', (n: number) => n), /already defined/);
    assert.equal(defineTask('tasks.square', square.fn), square);
  });
});

describe('enqueueMany', () => {
  test('enqueues a batch in one script call, in order, with per-job options', async () => {
    const queue = new Queue('bulk', { connection });
    await redis.admin.config('RESETSTAT');
    const jobs = await queue.enqueueMany([
      ...Array.from({ length: 100 }, (_, i) => Queue.prepareData(square, { args: [i] })),
      Queue.prepareData('tasks.first', { atFront: true, jobId: 'first-one', meta: { p: 1 } }),
    ]);
    const stats = await redis.admin.info('commandstats');
    const calls = (command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    // One script call for the batch (EVAL or EVALSHA; both at most once each, after SCRIPT FLUSH).
    assert.ok(calls('evalsha') + calls('eval') >= 1 && calls('evalsha') <= 1 && calls('eval') <= 1, stats);
    assert.equal(calls('hset'), 101);
    assert.equal(calls('multi'), 0);
    assert.equal(jobs.length, 101);
    const ids = await queue.getJobIds();
    assert.equal(ids[0], 'first-one');
    assert.deepEqual(ids.slice(1), jobs.slice(0, 100).map((job) => job.id));
    assert.equal(await redis.admin.hget('rq:job:first-one', 'meta'), '{"p":1}');
  });

  test('a bad job in the batch writes nothing', async () => {
    const queue = new Queue('bulk', { connection });
    await assert.rejects(queue.enqueueMany([Queue.prepareData('tasks.a'), Queue.prepareData('tasks.b', { jobId: 'bad id' })]), InvalidArgumentError);
    assert.deepEqual(await redis.admin.keys('*'), []);
    assert.deepEqual(await queue.enqueueMany([]), []);
  });
});

describe('isAsync: false', () => {
  test('runs the job at enqueue time and leaves it as a worker would: finished, result, registry', async () => {
    const queue = new Queue('sync', { connection, isAsync: false });
    const job = await queue.enqueue(square, 7);
    assert.equal(job.status, 'finished');
    assert.equal(await job.returnValue(), 49);
    assert.equal(await queue.count(), 0, 'never pushed on the queue');
    assert.equal(await queue.finishedJobRegistry.contains(job), true);
    assert.equal(await redis.admin.hget(job.key, 'worker_name'), 'sync');
  });

  test('a failing or unknown function ends the job failed, in the failed registry', async () => {
    const queue = new Queue('sync', { connection, isAsync: false });
    const boom = defineTask('tasks.boom', () => {
      throw new RangeError('out of range');
    });
    const failed = await queue.enqueue(boom);
    assert.equal(failed.status, 'failed');
    assert.match((await failed.excInfo()) ?? '', /RangeError: out of range/);
    const unknown = await queue.enqueue('tasks.nowhere');
    assert.equal(unknown.status, 'failed');
    assert.match((await unknown.excInfo()) ?? '', /not defined in this process/);
    assert.deepEqual((await queue.failedJobRegistry.getJobIds()).sort(), [failed.id, unknown.id].sort());
  });
});

describe('queue inspection', () => {
  test('isEmpty, getJobs, getJobPosition, remove', async () => {
    const queue = new Queue('default', { connection });
    assert.equal(await queue.isEmpty(), true);
    const a = await queue.enqueue('tasks.a');
    const b = await queue.enqueue('tasks.b');
    assert.equal(await queue.isEmpty(), false);
    assert.deepEqual((await queue.getJobs()).map((job) => job.id), [a.id, b.id]);
    assert.equal(await queue.getJobPosition(b), 1);
    assert.equal(await queue.getJobPosition('nope'), null);
    assert.equal(await queue.remove(a), true);
    assert.equal(await queue.remove(a.id), false);
    assert.equal(await redis.admin.exists(a.key), 1, 'remove keeps the job hash');
    await redis.admin.rpush(queue.key, 'gone');
    assert.deepEqual((await queue.getJobs()).map((job) => job.id), [b.id]);
  });

  test('Queue.all lists the queues of rq:queues; delete removes a queue and its jobs', async () => {
    const q1 = new Queue('alpha', { connection });
    const q2 = new Queue('beta', { connection });
    const job = await q1.enqueue('tasks.a');
    await q2.enqueue('tasks.b');
    assert.deepEqual((await Queue.all({ connection })).map((queue) => queue.name), ['alpha', 'beta']);
    await q1.delete();
    assert.deepEqual((await Queue.all({ connection })).map((queue) => queue.name), ['beta']);
    assert.equal(await redis.admin.exists(q1.key, job.key), 0);
    const kept = await q2.enqueue('tasks.c');
    await q2.delete({ deleteJobs: false });
    assert.equal(await redis.admin.exists(kept.key), 1);
    assert.deepEqual(await Queue.all({ connection }), []);
  });
});
