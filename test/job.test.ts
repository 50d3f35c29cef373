import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Job, NoSuchJobError, Queue, Worker, getCurrentJob, withConnection } from '../src/index.js';
import { useRedis } from './harness/index.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

describe('Job', () => {
  test('fetchMany reads several jobs in one round trip, null for missing ones; exists', async () => {
    const queue = new Queue('default', { connection });
    const a = await queue.enqueue('tasks.a', 1);
    const b = await queue.enqueue('tasks.b', 2);
    const jobs = await Job.fetchMany([a.id, 'missing', b.id], { connection });
    assert.deepEqual(jobs.map((job) => job?.funcName ?? null), ['tasks.a', null, 'tasks.b']);
    assert.equal(await Job.exists(a.id, { connection }), true);
    assert.equal(await Job.exists('missing', { connection }), false);
  });

  test('refresh reads the hash again; it throws NoSuchJobError once the job is gone', async () => {
    const job = await new Queue('default', { connection }).enqueue('tasks.a');
    await redis.admin.hset(job.key, 'status', 'started', 'worker_name', 'w9');
    await job.refresh();
    assert.equal(job.status, 'started');
    assert.equal(job.isStarted, true);
    assert.equal(job.isQueued, false);
    assert.equal(job.workerName, 'w9');
    await redis.admin.del(job.key);
    await assert.rejects(job.refresh(), NoSuchJobError);
  });

  test('save writes the fields back and keeps fields rq-ts does not model, byte for byte', async () => {
    const job = await new Queue('default', { connection }).enqueue('tasks.a');
    const excInfo = deflateSync(Buffer.from('Traceback: boom'));
    await redis.admin.hset(job.key, { retries_left: '2', retry_intervals: '[5, 30]', success_callback_name: 'cb.ok', exc_info: excInfo });
    const fetched = await Job.fetch(job.id, { connection });
    fetched.description = 'changed';
    fetched.meta = {};
    await fetched.save();
    const hash = await redis.admin.hgetallBuffer(job.key);
    assert.equal(hash['description']?.toString(), 'changed');
    assert.equal(hash['retries_left']?.toString(), '2');
    assert.equal(hash['retry_intervals']?.toString(), '[5, 30]');
    assert.equal(hash['success_callback_name']?.toString(), 'cb.ok');
    assert.deepEqual(hash['exc_info'], excInfo);
    assert.equal(await fetched.excInfo(), 'Traceback: boom');
  });

  test('saveMeta writes only the meta field', async () => {
    const job = await new Queue('default', { connection }).enqueue('tasks.a');
    await redis.admin.hset(job.key, 'status', 'started'); // as a worker would, meanwhile
    job.meta = { progress: 50 };
    await job.saveMeta();
    assert.deepEqual(JSON.parse((await redis.admin.hget(job.key, 'meta'))!), { progress: 50 });
    assert.equal(await redis.admin.hget(job.key, 'status'), 'started');
  });

  test('getPosition is the place in the queue (LPOS), null once taken', async () => {
    const queue = new Queue('default', { connection });
    await queue.enqueue('tasks.a');
    const second = await queue.enqueue('tasks.b');
    assert.equal(await second.getPosition(), 1);
    await redis.admin.lrem(queue.key, 0, second.id);
    assert.equal(await second.getPosition(), null);
  });

  test('results lists every run newest first; getCurrentJob is the running job inside its function', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueueCall('tasks.whoami', { jobId: 'me-1', resultTtl: 60 });
    const tasks = { 'tasks.whoami': async () => { await Promise.resolve(); return getCurrentJob()?.id; } };
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(getCurrentJob(), undefined);
    await redis.admin.hset(job.key, 'status', 'queued');
    await redis.admin.rpush(queue.key, job.id);
    await new Worker([queue], { tasks }).work({ burst: true });
    const results = await job.results();
    assert.equal(results.length, 2);
    assert.ok(results[0]!.id > results[1]!.id, 'newest first');
    assert.deepEqual(results.map((result) => result.returnValue), ['me-1', 'me-1']);
    assert.equal(await job.excInfo(), undefined);
  });

  test('delete takes the job out of its queue or registry and deletes its keys; deleteDependents its dependents too', async () => {
    const queue = new Queue('default', { connection });
    const queued = await queue.enqueue('tasks.a');
    const kept = await queue.enqueue('tasks.b');
    assert.equal(await queued.delete(), true);
    assert.deepEqual(await queue.getJobIds(), [kept.id]);
    assert.equal(await redis.admin.exists(queued.key), 0);
    assert.equal(await queued.delete(), false);

    await kept.delete({ removeFromQueue: false });
    assert.deepEqual(await queue.getJobIds(), [kept.id], 'removeFromQueue: false leaves the id');

    const failed = await queue.enqueue('tasks.fail');
    await queue.remove(kept);
    await new Worker([queue], { tasks: { 'tasks.fail': () => { throw new Error('x'); } } }).work({ burst: true });
    const child = await queue.enqueue('tasks.child');
    await redis.admin.lrem(queue.key, 0, child.id);
    await redis.admin.hset(child.key, 'status', 'deferred');
    await redis.admin.zadd('rq:deferred:default', 1, child.id);
    await redis.admin.sadd(`rq:job:${failed.id}:dependents`, child.id);
    await redis.admin.sadd(`rq:job::${failed.id}:dependencies`, 'x');
    await failed.delete({ deleteDependents: true });
    assert.equal(await queue.failedJobRegistry.contains(failed), false);
    assert.equal(await redis.admin.exists(failed.key, `rq:job:${failed.id}:dependents`, `rq:job::${failed.id}:dependencies`, child.key), 0);
    assert.equal(await redis.admin.zcard('rq:deferred:default'), 0);
    assert.equal(await redis.admin.exists(`rq:results:${failed.id}`), 1, 'the results stream is kept, as RQ keeps it');
  });

  test('Job.create takes the connection of the context it is created in', () => {
    const job = withConnection(connection, () => Job.create({ funcName: 'tasks.a' }));
    assert.equal(job.connection, connection);
    assert.match(job.id, /^[0-9a-f-]{36}$/);
  });
});
