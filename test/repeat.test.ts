import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { defineTask, InvalidArgumentError, Queue, Repeat, Retry, Worker } from '../src/index.js';
import { useRedis } from './harness/index.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

describe('Repeat (RQ 2.3)', () => {
  test("is stored as RQ 2.3 stores it: repeats_left and repeat_intervals in Python's JSON", async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueueCall('tasks.x', { repeat: new Repeat({ times: 3, interval: [5, 30] }) });
    const plain = await queue.enqueueCall('tasks.x', { repeat: new Repeat({ times: 2 }) });
    assert.equal(await redis.admin.hget(job.key, 'repeats_left'), '3');
    assert.equal(await redis.admin.hget(job.key, 'repeat_intervals'), '[5, 30]');
    assert.equal(await redis.admin.hget(plain.key, 'repeat_intervals'), '[0]');
    const fetched = await queue.fetchJob(job.id);
    assert.equal(fetched?.repeatsLeft, 3);
    assert.deepEqual(fetched?.repeatIntervals, [5, 30]);
    const none = await queue.enqueue('tasks.x');
    assert.equal(await redis.admin.hexists(none.key, 'repeats_left'), 0, 'no repeat, no field');
  });

  test('bad values are clear errors, and nothing is written', async () => {
    assert.throws(() => new Repeat({ times: 0 }), /at least 1/);
    assert.throws(() => new Repeat({ times: 1.5 }), InvalidArgumentError);
    assert.throws(() => new Repeat({ times: 2, interval: [-1] }), /whole numbers of seconds/);
    assert.throws(() => new Repeat({ times: 2, interval: [] }), /whole numbers of seconds/);
    const queue = new Queue('default', { connection });
    await assert.rejects(queue.enqueueCall('tasks.x', { repeat: { times: 2 } as unknown as Repeat }), /repeat must be a Repeat/);
    assert.equal(await queue.count(), 0);
  });

  test('interval 0: a finishing job goes back to the tail of its queue until no repeats are left', async () => {
    const queue = new Queue('default', { connection });
    const runs: number[] = [];
    const job = await queue.enqueueCall('tasks.count', { args: [1], repeat: new Repeat({ times: 3 }) });
    const other = await queue.enqueue('tasks.count', 2);
    const worker = new Worker([queue], { tasks: { 'tasks.count': (n: number) => runs.push(n) } });
    await worker.work({ burst: true });
    assert.deepEqual(runs, [1, 2, 1, 1, 1], 'the first run, then three repeats, each at the tail');
    assert.equal(await job.getStatus(), 'finished');
    assert.equal(await redis.admin.hget(job.key, 'repeats_left'), '0');
    assert.equal(await redis.admin.xlen(`rq:results:${job.id}`), 4, 'one result per run');
    assert.ok((await redis.admin.ttl(job.key)) > 0, 'the last run expires with result_ttl as any job');
    assert.equal(await queue.finishedJobRegistry.contains(other), true);
  });

  test("a wait above 0 schedules the next run; the wait follows RQ 2.3's rule (the list read from its end)", async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueueCall('tasks.ok', { repeat: new Repeat({ times: 4, interval: [5, 10, 15] }) });
    const tasks = { 'tasks.ok': () => 'ok' };
    const waits: number[] = [];
    for (let run = 0; run < 4; run++) {
      await new Worker([queue], { tasks }).work({ burst: true });
      assert.equal(await redis.admin.hget(job.key, 'status'), 'scheduled');
      assert.equal(await redis.admin.ttl(job.key), -1, 'a job that comes back keeps no TTL');
      assert.equal(await queue.finishedJobRegistry.contains(job), true, 'RQ keeps the finished entry too');
      const due = Number(await redis.admin.zscore('rq:scheduled:default', job.id));
      waits.push(due - Math.floor(Date.now() / 1000)); // whole seconds: one less if a second ticked over
      // The scheduler's move, without waiting for the clock.
      await redis.admin.zrem('rq:scheduled:default', job.id);
      await redis.admin.hset(job.key, 'status', 'queued');
      await redis.admin.rpush(queue.key, job.id);
    }
    [15, 15, 10, 5].forEach((expected, index) => assert.ok(waits[index] === expected || waits[index] === expected - 1, `waits ${waits.join(', ')}`));
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await job.getStatus(), 'finished', 'no repeats left: it ends as any job');
    assert.equal(await redis.admin.zscore('rq:scheduled:default', job.id), null);
  });

  test('a worker with the scheduler runs the repeats by itself', async () => {
    const queue = new Queue('default', { connection });
    let runs = 0;
    const job = await queue.enqueueCall('tasks.tick', { repeat: new Repeat({ times: 1, interval: 1 }) });
    const worker = new Worker([queue], { tasks: { 'tasks.tick': () => ++runs } });
    worker.on('job:finished', () => {
      if (runs === 2) worker.stop();
    });
    await worker.work({ withScheduler: true });
    assert.equal(runs, 2);
    assert.equal(await job.getStatus(), 'finished');
    assert.equal(await job.returnValue(), 2);
  });

  test('a failure is not repeated (retries are Retry\'s work); with a Retry, the retried run repeats once it succeeds', async () => {
    const queue = new Queue('default', { connection });
    let calls = 0;
    const tasks = {
      'tasks.fail': () => {
        throw new Error('no');
      },
      'tasks.flaky': () => {
        calls += 1;
        if (calls === 1) throw new Error('first call fails');
        return calls;
      },
    };
    const failing = await queue.enqueueCall('tasks.fail', { repeat: new Repeat({ times: 2 }) });
    const flaky = await queue.enqueueCall('tasks.flaky', { repeat: new Repeat({ times: 1 }), retry: new Retry({ max: 1 }) });
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await failing.getStatus(), 'failed');
    assert.equal(await redis.admin.hget(failing.key, 'repeats_left'), '2', 'untouched by a failure');
    assert.equal(calls, 3, 'a failure, its retry, then one repeat');
    assert.equal(await flaky.getStatus(), 'finished');
    assert.equal(await flaky.returnValue(), 3);
  });

  test('a result_ttl of 0 does not delete a job that comes back', async () => {
    const queue = new Queue('default', { connection });
    let runs = 0;
    const job = await queue.enqueueCall('tasks.run', { resultTtl: 0, repeat: new Repeat({ times: 1 }) });
    await new Worker([queue], { tasks: { 'tasks.run': () => ++runs } }).work({ burst: true });
    assert.equal(runs, 2);
    assert.equal(await redis.admin.exists(job.key), 0, 'deleted after its last run, as result_ttl 0 says');
  });

  test("isAsync false runs the job once, as RQ's run_sync: no repeat", async () => {
    const queue = new Queue('sync', { connection, isAsync: false });
    let runs = 0;
    const tick = defineTask('tasks.repeat-sync', () => ++runs);
    const job = await queue.enqueueCall(tick, { args: [], repeat: new Repeat({ times: 2 }) });
    assert.equal(runs, 1);
    assert.equal(job.status, 'finished');
    assert.equal(await redis.admin.hget(job.key, 'repeats_left'), '2');
    assert.equal(await queue.count(), 0, 'nothing put back on the queue');
    assert.equal(await redis.admin.zcard('rq:scheduled:sync'), 0);
  });
});
