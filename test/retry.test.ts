import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { InvalidArgumentError, Queue, Retry, Worker } from '../src/index.js';
import { useRedis } from './harness/index.js';
import { skipWithoutPythonRq } from './harness/python.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

describe('Retry', () => {
  test('is stored as RQ stores it: retries_left and retry_intervals in Python\'s JSON', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueueCall('tasks.x', { retry: new Retry({ max: 3, interval: [5, 30] }) });
    const once = await queue.enqueueCall('tasks.x', { retry: new Retry({ max: 1 }) });
    assert.equal(await redis.admin.hget(job.key, 'retries_left'), '3');
    assert.equal(await redis.admin.hget(job.key, 'retry_intervals'), '[5, 30]');
    assert.equal(await redis.admin.hget(once.key, 'retry_intervals'), '[0]');
    assert.equal(job.retriesLeft, 3);
    assert.deepEqual((await queue.fetchJob(job.id))?.retryIntervals, [5, 30]);
  });

  test('bad values are clear errors', () => {
    assert.throws(() => new Retry({ max: 0 }), InvalidArgumentError);
    assert.throws(() => new Retry({ max: 2, interval: [-1] }), /whole numbers of seconds/);
    assert.throws(() => new Retry({ max: 2, interval: [] }), /whole numbers of seconds/);
  });

  test('a failing job runs again until it succeeds; waits follow RQ 1.13\'s rule', async () => {
    const queue = new Queue('default', { connection });
    let runs = 0;
    const flaky = await queue.enqueueCall('tasks.flaky', { retry: new Retry({ max: 2 }) });
    const tasks = {
      'tasks.flaky': () => {
        runs += 1;
        if (runs < 3) throw new Error(`run ${runs} fails`);
        return runs;
      },
      'tasks.fail': () => {
        throw new Error('always');
      },
    };
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await flaky.returnValue(), 3);
    assert.equal(await redis.admin.hget(flaky.key, 'retries_left'), '0');

    // max 3, intervals [5, 30]: the waits are 5, 5, then 30 seconds.
    const spaced = await queue.enqueueCall('tasks.fail', { retry: new Retry({ max: 3, interval: [5, 30] }) });
    const waits: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await new Worker([queue], { tasks }).work({ burst: true });
      const due = Number(await redis.admin.zscore('rq:scheduled:default', spaced.id));
      waits.push(due - Math.floor(Date.now() / 1000)); // whole seconds: one less if a second ticked over
      await redis.admin.zrem('rq:scheduled:default', spaced.id);
      await redis.admin.hset(spaced.key, 'status', 'queued');
      await redis.admin.rpush(queue.key, spaced.id);
    }
    [5, 5, 30].forEach((expected, index) => assert.ok(waits[index] === expected || waits[index] === expected - 1, `waits ${waits.join(', ')}`));
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await spaced.getStatus(), 'failed', 'no retries left: failed');
  });

  test("job:retried gives the job as the retry left it in Redis: retries_left one lower, status queued or scheduled", async () => {
    const queue = new Queue('default', { connection });
    const now = await queue.enqueueCall('tasks.fail', { retry: new Retry({ max: 2 }) });
    const later = await queue.enqueueCall('tasks.fail', { retry: new Retry({ max: 1, interval: 60 }) });
    const worker = new Worker([queue], { tasks: { 'tasks.fail': () => Promise.reject(new Error('always')) } });
    const seen: string[] = [];
    worker.on('job:retried', (job) => {
      // Read in the listener: retries_left stays as the retry left it until the next run ends.
      // (The status of a job requeued at once may already be 'started' again when the read lands.)
      const name = job.id === now.id ? 'now' : 'later';
      const inRedis = redis.admin.hmget(job.key, 'retries_left', 'status');
      seen.push(`${name} event ${job.retriesLeft} ${job.status}`);
      void inRedis.then(([left, status]) => seen.push(`${name} redis ${left}${name === 'later' ? ` ${status}` : ''}`));
    });
    const failed: number[] = [];
    worker.on('job:failed', (job) => failed.push(job!.retriesLeft!));
    await worker.work({ burst: true });
    await worker.close();
    assert.deepEqual(seen.filter((line) => line.startsWith('now')), ['now event 1 queued', 'now redis 1', 'now event 0 queued', 'now redis 0']);
    assert.deepEqual(seen.filter((line) => line.startsWith('later')), ['later event 0 scheduled', 'later redis 0 scheduled']);
    assert.deepEqual(failed, [0], 'the last run fails with no retries left');
    assert.equal(await later.getStatus(), 'scheduled');
  });

  test('Python RQ 1.13 reads the retry fields', { skip: skipWithoutPythonRq() }, async () => {
    const job = await new Queue('default', { connection }).enqueueCall('tasks.x', { retry: new Retry({ max: 3, interval: [5, 30] }) });
    const out = execFileSync('/usr/bin/python3', ['-c', `
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer
j = Job.fetch('${job.id}', connection=Redis(port=${redis.server.port}), serializer=JSONSerializer)
print(j.retries_left, j.retry_intervals, j.get_retry_interval())
`], { encoding: 'utf8' }).trim();
    assert.equal(out, '3 [5, 30] 5');
  });
});

