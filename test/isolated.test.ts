import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Job, Queue, Worker, sendStopJobCommand } from '../src/index.js';
import { useRedis, waitUntil } from './harness/index.js';

const FIXTURES = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures');
const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

function isolatedWorker(queue: Queue, concurrency = 1): Worker {
  return new Worker([queue], { paths: [FIXTURES], isolated: true, concurrency });
}

describe('isolated mode: jobs run in reused work horses', () => {
  test('a horse is reused from job to job, and is not the worker process; job code has its connection', async () => {
    const queue = new Queue('default', { connection });
    const first = await queue.enqueue('horse.pid');
    const second = await queue.enqueue('horse.pid');
    const write = await queue.enqueue('horse.writeKey', 'written-by-horse', 'yes');
    await isolatedWorker(queue).work({ burst: true });
    const [a, b] = [await first.returnValue(), await second.returnValue()];
    assert.equal(typeof a, 'number');
    assert.equal(a, b);
    assert.notEqual(a, process.pid);
    assert.equal(await write.returnValue(), write.id);
    assert.equal(await redis.admin.get('written-by-horse'), 'yes');
  });

  test('a CPU-bound job past its timeout is killed and fails with JobTimeoutError; the next job runs', async () => {
    const queue = new Queue('default', { connection });
    const spin = await queue.enqueueCall('horse.spin', { jobTimeout: 1 });
    const next = await queue.enqueue('horse.pid');
    const started = Date.now();
    await isolatedWorker(queue).work({ burst: true });
    assert.ok(Date.now() - started < 10_000);
    assert.equal(await spin.getStatus(), 'failed');
    assert.match((await spin.excInfo()) ?? '', /JobTimeoutError: .*timeout of 1 s; its work horse was killed/);
    assert.equal(await next.getStatus(), 'finished');
  });

  test('a job that ends its process fails alone, and a new horse takes the next job', async () => {
    const queue = new Queue('default', { connection });
    const before = await queue.enqueue('horse.pid');
    const crash = await queue.enqueue('horse.exitWith', 3);
    const after = await queue.enqueue('horse.pid');
    await isolatedWorker(queue).work({ burst: true });
    assert.equal(await crash.getStatus(), 'failed');
    assert.match((await crash.excInfo()) ?? '', /Work-horse terminated unexpectedly while running job .*exit code 3/);
    assert.equal(await after.getStatus(), 'finished');
    assert.notEqual(await before.returnValue(), await after.returnValue());
  });

  test('stop-job kills the horse running a CPU-bound job; the job ends stopped', async () => {
    const queue = new Queue('default', { connection });
    const spin = await queue.enqueueCall('horse.spin', { jobTimeout: -1 });
    const worker = isolatedWorker(queue, 2);
    const working = worker.work({ burst: true });
    await waitUntil(async () => (await spin.getStatus()) === 'started', 10_000, 'the job to start');
    await sendStopJobCommand((await Job.fetch(spin.id, { connection })).workerName!, spin.id, { connection });
    await working;
    assert.equal(await spin.getStatus(), 'stopped');
  });
});
