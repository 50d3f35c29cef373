import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { DuplicateJobError, InvalidArgumentError, Queue, Worker } from '../src/index.js';
import { useRedis } from './harness/index.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

describe('unique jobs (RQ 2.8)', () => {
  test('a second enqueue of the same id is refused atomically with DuplicateJobError; nothing changes', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueueCall('tasks.report', { args: ['march'], jobId: 'report-march', unique: true });
    assert.equal(job.status, 'queued');
    const before = await redis.admin.hgetall(job.key);
    await assert.rejects(queue.enqueueCall('tasks.report', { args: ['april'], jobId: 'report-march', unique: true }), (error: Error) => {
      assert.ok(error instanceof DuplicateJobError);
      assert.match(error.message, /report-march exists already/);
      return true;
    });
    assert.deepEqual(await redis.admin.hgetall(job.key), before);
    assert.deepEqual(await queue.getJobIds(), ['report-march']);
    await assert.rejects(queue.enqueueCall('tasks.report', { unique: true }), (error: Error) => error instanceof InvalidArgumentError && /needs a jobId/.test(error.message));
    // Many producers at once: exactly one wins.
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => queue.enqueueCall('tasks.x', { jobId: 'race', unique: true })));
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    assert.equal((await queue.getJobIds()).filter((id) => id === 'race').length, 1);
  });
});

describe('latestResult({ timeout })', () => {
  test('waits for the result of a running job, and gives up after the timeout', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.slow', 300);
    const waiting = job.latestResult({ timeout: 10 });
    await new Worker([queue], { tasks: { 'tasks.slow': (ms: number) => new Promise((resolve) => setTimeout(() => resolve(ms), ms)) } }).work({ burst: true });
    const result = await waiting;
    assert.equal(result?.type, 1);
    assert.equal(result?.returnValue, 300);
    assert.equal((await job.latestResult({ timeout: 1 }))?.returnValue, 300, 'an existing result comes at once');
    const never = await queue.enqueue('tasks.never');
    const started = Date.now();
    assert.equal(await never.latestResult({ timeout: 0.5 }), undefined);
    assert.ok(Date.now() - started >= 400);
  });
});
