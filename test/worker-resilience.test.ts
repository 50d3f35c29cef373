import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { Queue, Worker } from '../src/index.js';
import { adminClient, startRedis, startRedisOnPort, useRedis, waitUntil, type RedisProcess } from './harness/index.js';

describe('bad input fails one job, never the worker', () => {
  const redis = useRedis();

  test('a thrown non-Error, an unserializable result, unreadable meta: each fails its job with a message; the next job runs', async () => {
    const connection = redis.connect();
    const queue = new Queue('default', { connection });
    const thrown = await queue.enqueue('tasks.throwString');
    const bigint = await queue.enqueue('tasks.bigint');
    const cycle = await queue.enqueue('tasks.cycle');
    const badMeta = await queue.enqueue('tasks.ok');
    await redis.admin.hset(badMeta.key, 'meta', '{not json');
    const ok = await queue.enqueue('tasks.ok');
    const tasks = {
      'tasks.throwString': () => {
        throw 'just a string'; // eslint-disable-line no-throw-literal
      },
      'tasks.bigint': () => 10n,
      'tasks.cycle': () => {
        const value: Record<string, unknown> = {};
        value['self'] = value;
        return value;
      },
      'tasks.ok': () => 'fine',
    };
    const failures: string[] = [];
    const worker = new Worker([queue], { tasks });
    worker.on('job:failed', (job, _queue, error) => failures.push(`${job?.id ?? 'unreadable'}: ${error.name}`));
    assert.equal(await worker.work({ burst: true }), 5);
    assert.match((await thrown.excInfo()) ?? '', /just a string/);
    for (const job of [bigint, cycle]) {
      assert.equal(await job.getStatus(), 'failed');
      assert.match((await job.excInfo()) ?? '', new RegExp(`UnserializableResultError: Job ${job.id} returned a value the serializer cannot encode`));
    }
    assert.equal(await redis.admin.hget(badMeta.key, 'status'), 'failed');
    assert.equal(await ok.returnValue(), 'fine');
    assert.equal(failures.length, 4);
  });
});

describe('exception handlers, as RQ chains them', () => {
  const redis = useRedis();

  test('handlers run in order after the job is recorded; false ends the chain; a throwing handler does not stop the worker', async () => {
    const connection = redis.connect();
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.fail');
    const calls: string[] = [];
    const worker = new Worker([queue], {
      tasks: { 'tasks.fail': () => { throw new Error('boom'); } },
      exceptionHandlers: [
        async (failed, error) => {
          calls.push(`first ${failed.id} ${error.message} ${await redis.admin.hget(failed.key, 'status')}`);
        },
        () => {
          throw new Error('broken handler');
        },
        () => false,
      ],
    });
    worker.pushExcHandler(() => {
      calls.push('never: the chain ended before');
    });
    const logged: string[] = [];
    const logging = new Worker([queue], { tasks: {}, logger: { debug() {}, info: (m) => logged.push(m), warn: (m) => logged.push(m), error: (m) => logged.push(m) } });
    assert.equal(await worker.work({ burst: true }), 1);
    assert.deepEqual(calls, [`first ${job.id} boom failed`]);
    assert.equal(typeof worker.popExcHandler(), 'function');
    await logging.work({ burst: true });
    assert.match(logged.join('\n'), /started, pid \d+, 1 slot\(s\), listening on default/);
  });

  test('disableDefaultExceptionHandler records only the status, as RQ', async () => {
    const connection = redis.connect();
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.fail');
    await new Worker([queue], { tasks: { 'tasks.fail': () => { throw new Error('x'); } }, disableDefaultExceptionHandler: true }).work({ burst: true });
    assert.equal(await job.getStatus(), 'failed');
    assert.equal(await queue.failedJobRegistry.contains(job), false);
    assert.equal(await redis.admin.exists(`rq:results:${job.id}`), 0);
    assert.equal(await redis.admin.zcard('rq:wip:default'), 0);
  });

  test('an id whose job hash is gone is skipped; the next job runs', async () => {
    const connection = redis.connect();
    const queue = new Queue('default', { connection });
    await redis.admin.rpush(queue.key, 'ghost-id');
    const next = await queue.enqueue('tasks.ok');
    assert.equal(await new Worker([queue], { tasks: { 'tasks.ok': () => 1 } }).work({ burst: true }), 1);
    assert.equal(await next.returnValue(), 1);
    assert.equal(await queue.count(), 0);
  });

  test('a step that fails after taking a job off its queue leaves the job in the started registry, never lost', async () => {
    const connection = redis.connect();
    const queue = new Queue('default', { connection });
    const worker = new Worker([queue], { tasks: { 'tasks.ok': () => 1 }, name: 'w-broken' });
    worker.on('worker:error', () => undefined); // the failing steps, reported and retried
    const working = worker.work();
    await waitUntil(async () => (await redis.admin.hget('rq:worker:w-broken', 'state')) === 'idle', 5000, 'the worker to register and wait');
    // A worker key of the wrong type makes the step's HSET on it fail, after the pop.
    await redis.admin.multi().del('rq:worker:w-broken').sadd('rq:worker:w-broken', 'not a hash').exec();
    const job = await queue.enqueue('tasks.ok');
    await waitUntil(async () => (await queue.count()) === 0, 5000, 'the job to leave its queue');
    assert.notEqual(await redis.admin.zscore('rq:wip:default', job.id), null, 'the popped job is findable in the started registry');
    await worker.close();
    await working;
  });
});

describe('Redis going away', () => {
  let server: RedisProcess;
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    await server.stop();
  });

  test('CLIENT KILL of every connection: the worker reconnects and runs the next job', async () => {
    const connection = new Redis(server.url);
    const admin = adminClient(server);
    const worker = new Worker(['default'], { connection, tasks: { 'tasks.echo': (x: string) => x }, dequeueTimeout: 1 });
    const errors: Error[] = [];
    worker.on('worker:error', (error) => errors.push(error));
    const working = worker.work();
    const queue = new Queue('default', { connection: admin });
    const first = await queue.enqueue('tasks.echo', 'before');
    await waitUntil(async () => (await first.getStatus()) === 'finished', 5000, 'the first job');
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await admin.client('KILL', 'TYPE', 'pubsub');
    const second = await queue.enqueue('tasks.echo', 'after');
    await waitUntil(async () => (await second.getStatus()) === 'finished', 10_000, 'the job after CLIENT KILL');
    worker.stop();
    await working;
    connection.disconnect();
    admin.disconnect();
  });

  test('a restart of Redis without persistence: the worker registers again and runs new jobs', async () => {
    const connection = new Redis(server.url);
    const worker = new Worker(['default'], { connection, tasks: { 'tasks.echo': (x: string) => x }, dequeueTimeout: 1, jobMonitoringInterval: 1, name: 'survivor' });
    const working = worker.work();
    await waitUntil(async () => (await connection.exists('rq:worker:survivor')) === 1, 5000, 'registration');
    await server.kill('SIGKILL');
    const restarted = await startRedisOnPort(server.port);
    const admin = adminClient(restarted);
    try {
      // The heartbeat finds its key gone and registers the worker again, whole.
      await waitUntil(async () => (await admin.hget('rq:worker:survivor', 'birth')) !== null, 10_000, 'the worker to register again');
      assert.equal(await admin.sismember('rq:workers', 'rq:worker:survivor'), 1);
      assert.ok((await admin.ttl('rq:worker:survivor')) > 0);
      const job = await new Queue('default', { connection: admin }).enqueue('tasks.echo', 'reborn');
      await waitUntil(async () => (await job.getStatus()) === 'finished', 10_000, 'a job after the restart');
      worker.stop();
      await working;
    } finally {
      connection.disconnect();
      admin.disconnect();
      await restarted.stop();
    }
    server = await startRedisOnPort(server.port).catch(() => startRedis());
  });
});
