import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Callback, InvalidArgumentError, Job, Queue, Worker, defineTask, getCurrentJob, sendStopJobCommand } from '../src/index.js';
import { useRedis, waitUntil } from './harness/index.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

const calls: string[] = [];
const onDone = defineTask('callbacks.onDone', async (job: Job, conn: Redis, result: unknown) => {
  calls.push(`success ${job.id} ${String(result)}`);
  await conn.set(`cb:${job.id}`, String(result));
});
const onError = defineTask('callbacks.onError', (job: Job, _conn: Redis, error: Error) => {
  calls.push(`failure ${job.id} ${error.message}`);
});
const onStop = defineTask('callbacks.onStop', (job: Job) => {
  calls.push(`stopped ${job.id}`);
});
const badCallback = defineTask('callbacks.bad', () => {
  throw new Error('the callback broke');
});
const tasks = {
  'tasks.ok': (value: unknown) => value,
  'tasks.fail': () => {
    throw new Error('job failed');
  },
  'tasks.wait': () => new Promise((_, reject) => getCurrentJob()?.signal?.addEventListener('abort', () => reject(getCurrentJob()?.signal?.reason))),
};

describe('callbacks', () => {
  test('are stored by name as RQ stores them, the timeout only when given', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueueCall('tasks.ok', { onSuccess: onDone, onFailure: new Callback('callbacks.onError', { timeout: 10 }), onStopped: 'callbacks.onStop' });
    const hash = await redis.admin.hgetall(job.key);
    assert.equal(hash['success_callback_name'], 'callbacks.onDone');
    assert.equal(hash['success_callback_timeout'], undefined);
    assert.equal(hash['failure_callback_name'], 'callbacks.onError');
    assert.equal(hash['failure_callback_timeout'], '10');
    assert.equal(hash['stopped_callback_name'], 'callbacks.onStop');
    assert.deepEqual((await Job.fetch(job.id, { connection })).callback('failure'), { name: 'callbacks.onError', timeout: 10 });
    assert.throws(() => new Callback('callbacks.x', { timeout: 0 }), InvalidArgumentError);
  });

  test('the worker runs onSuccess with the result, onFailure with the error, onStopped on stop-job', async () => {
    calls.length = 0;
    const queue = new Queue('default', { connection });
    const ok = await queue.enqueueCall('tasks.ok', { args: [7], onSuccess: onDone, onFailure: onError });
    const failing = await queue.enqueueCall('tasks.fail', { onSuccess: onDone, onFailure: onError });
    const stopping = await queue.enqueueCall('tasks.wait', { onStopped: onStop, onFailure: onError });
    const worker = new Worker([queue], { tasks });
    const working = worker.work({ burst: true });
    await waitUntil(async () => (await stopping.getStatus()) === 'started', 5000, 'the last job to start');
    await sendStopJobCommand(worker.name, stopping.id, { connection });
    await working;
    assert.deepEqual(calls, [`success ${ok.id} 7`, `failure ${failing.id} job failed`, `stopped ${stopping.id}`]);
    assert.equal(await redis.admin.get(`cb:${ok.id}`), '7');
  });

  test('a success callback that throws fails the job; an unknown callback name fails it with a clear message', async () => {
    const queue = new Queue('default', { connection });
    const broken = await queue.enqueueCall('tasks.ok', { args: [1], onSuccess: badCallback });
    const unknown = await queue.enqueueCall('tasks.ok', { args: [2], onSuccess: 'callbacks.nowhere' });
    const failingWithBadHandler = await queue.enqueueCall('tasks.fail', { onFailure: badCallback });
    const errors: Error[] = [];
    const worker = new Worker([queue], { tasks });
    worker.on('worker:error', (error) => errors.push(error));
    await worker.work({ burst: true });
    assert.equal(await broken.getStatus(), 'failed');
    assert.match((await broken.excInfo()) ?? '', /the callback broke/);
    assert.equal(await unknown.getStatus(), 'failed');
    assert.match((await unknown.excInfo()) ?? '', /callbacks\.nowhere/);
    assert.equal(await failingWithBadHandler.getStatus(), 'failed');
    assert.ok(errors.some((error) => /the callback broke/.test(error.message)), 'a failing failure callback is reported, not fatal');
  });
});
