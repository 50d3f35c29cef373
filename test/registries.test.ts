import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import {
  CanceledJobRegistry,
  DeferredJobRegistry,
  FailedJobRegistry,
  FinishedJobRegistry,
  InvalidJobOperationError,
  NoSuchJobError,
  Queue,
  ScheduledJobRegistry,
  StartedJobRegistry,
  Worker,
  deleteJob,
  withConnection,
} from '../src/index.js';
import { useRedis } from './harness/index.js';
import { skipWithoutPythonRq } from './harness/python.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

const now = () => Math.floor(Date.now() / 1000);

describe('registries', () => {
  test('each registry of a queue has RQ\'s key and takes the queue\'s connection', () => {
    const queue = new Queue('q1', { connection });
    const registries = [
      [queue.startedJobRegistry, 'rq:wip:q1'],
      [queue.finishedJobRegistry, 'rq:finished:q1'],
      [queue.failedJobRegistry, 'rq:failed:q1'],
      [queue.deferredJobRegistry, 'rq:deferred:q1'],
      [queue.scheduledJobRegistry, 'rq:scheduled:q1'],
      [queue.canceledJobRegistry, 'rq:canceled:q1'],
    ] as const;
    for (const [registry, key] of registries) {
      assert.equal(registry.key, key);
      assert.equal(registry.name, 'q1');
      assert.equal(registry.connection, connection);
    }
    assert.equal(withConnection(connection, () => new FailedJobRegistry('q2')).connection, connection);
    assert.equal(new DeferredJobRegistry('q3', { connection }).key, 'rq:deferred:q3');
    assert.equal(new CanceledJobRegistry(undefined, { connection }).key, 'rq:canceled:default');
  });

  test('add, contains, getJobIds by score, getExpirationTime, remove', async () => {
    const registry = new ScheduledJobRegistry('default', { connection });
    await registry.add('late', 100);
    await registry.add('soon', 10);
    await registry.add('forever', -1);
    assert.deepEqual(await registry.getJobIds(), ['soon', 'late', 'forever']);
    assert.deepEqual(await registry.getJobIds(0, 0), ['soon']);
    assert.equal(await registry.contains('soon'), true);
    assert.equal(await redis.admin.zscore(registry.key, 'forever'), 'inf');
    assert.equal(await registry.getExpirationTime('forever'), null, 'never expires');
    assert.equal(await registry.getExpirationTime('absent'), null);
    const due = await registry.getScheduledTime('late');
    assert.ok(due && Math.abs(due.getTime() / 1000 - (now() + 100)) <= 2);
    assert.equal(await registry.remove('soon'), true);
    assert.equal(await registry.remove('soon'), false);
    assert.equal(await registry.count(), 2);
  });

  test('finished and failed registries drop expired entries on count and getJobIds', async () => {
    for (const registry of [new FinishedJobRegistry('default', { connection }), new FailedJobRegistry('default', { connection })]) {
      await redis.admin.zadd(registry.key, now() - 10, 'expired', now() + 100, 'live');
      assert.equal(await registry.count(), 1);
      assert.deepEqual(await registry.getJobIds(), ['live']);
      assert.deepEqual(await redis.admin.zrange(registry.key, 0, -1), ['live']);
    }
  });

  test('requeue moves a failed job back to its origin queue, clearing its run', async () => {
    const queue = new Queue('default', { connection });
    const first = await queue.enqueue('tasks.fail');
    const second = await queue.enqueue('tasks.fail');
    await new Worker([queue], { tasks: { 'tasks.fail': () => { throw new Error('x'); } } }).work({ burst: true });
    const failed = queue.failedJobRegistry;
    assert.deepEqual((await failed.getJobIds()).sort(), [first.id, second.id].sort());

    const job = await failed.requeue(first);
    assert.equal(job.status, 'queued');
    assert.equal(job.startedAt, undefined);
    assert.equal(job.endedAt, undefined);
    await failed.requeue(second.id, { atFront: true });
    assert.deepEqual(await queue.getJobIds(), [second.id, first.id]);
    assert.equal(await failed.count(), 0);
    assert.equal(await redis.admin.hget(first.key, 'exc_info'), '');

    await assert.rejects(failed.requeue(first.id), InvalidJobOperationError);
    await redis.admin.zadd(failed.key, now() + 100, 'ghost');
    await assert.rejects(failed.requeue('ghost'), NoSuchJobError);
    assert.equal(await failed.contains('ghost'), false);
  });

  test('requeueAll requeues every failed job a page at a time; a key that is no job hash stays, a gone job is not counted', async () => {
    const queue = new Queue('default', { connection });
    const ids = Array.from({ length: 1203 }, (_, i) => `job-${String(i).padStart(4, '0')}`);
    const pipeline = redis.admin.pipeline();
    for (const id of ids) pipeline.hset(`rq:job:${id}`, 'status', 'failed', 'origin', 'default', 'data', '["tasks.x", null, [], {}]').zadd('rq:failed:default', now() + 100, id);
    await pipeline.exec();
    // A pickle (this process cannot decode it, a Python worker can): requeued all the same.
    await redis.admin.hset('rq:job:pickled', 'data', Buffer.from([0x78, 0x9c, 0x6b, 0x60, 0x00, 0x00, 0x00, 0x82, 0x00, 0x81]), 'status', 'failed', 'origin', 'default');
    // Among the first page: a key that is not a job hash, and an id whose hash is gone.
    await redis.admin.set('rq:job:broken', 'not a hash');
    await redis.admin.zadd('rq:failed:default', 1, 'broken', 2, 'ghost', 3, 'pickled');
    const commands: string[] = [];
    const monitor = await redis.connect().monitor();
    monitor.on('monitor', (_time, args) => commands.push(args.map(String).join(' ')));
    const progress: number[] = [];
    const result = await queue.failedJobRegistry.requeueAll({ onProgress: (handled) => progress.push(handled) });
    await monitor.disconnect();
    assert.deepEqual(result.refused, ['broken']);
    assert.deepEqual(result.gone, ['ghost']);
    assert.deepEqual(result.requeued, ['pickled', ...ids]);
    assert.deepEqual(progress, Array.from({ length: 1206 }, (_, i) => i + 1));
    assert.deepEqual(await queue.getJobIds(), ['pickled', ...ids]);
    assert.deepEqual(await redis.admin.zrange('rq:failed:default', 0, -1), ['broken']);
    assert.equal(await redis.admin.hget('rq:job:job-0000', 'status'), 'queued');
    const ranges = commands.filter((command) => /^zrange rq:failed:default/i.test(command)).map((command) => command.split(' ').slice(2, 4).join(' '));
    assert.deepEqual(ranges, ['0 499', '1 500', '1 500', '1 500'], 'a page at a time, after the id that stays');
    assert.ok(!commands.some((command) => /^hgetall/i.test(command)), 'no job read back');
  });

  test('deleteJob deletes a job by id without reading it, out of the registry of its status', async () => {
    await redis.admin.hset('rq:job:pickled', 'data', Buffer.from([0x78, 0x9c, 0x6b, 0x60, 0x00, 0x00, 0x00, 0x82, 0x00, 0x81]), 'status', 'failed', 'origin', 'default');
    await redis.admin.zadd('rq:failed:default', now() + 100, 'pickled');
    assert.equal(await deleteJob(connection, 'pickled'), true);
    assert.equal(await redis.admin.exists('rq:job:pickled'), 0);
    assert.equal(await new FailedJobRegistry('default', { connection }).count(), 0);
    assert.equal(await deleteJob(connection, 'pickled'), false, 'gone already');
  });
});

describe('abandoned jobs in the started registry', () => {
  /** Three started jobs whose heartbeat has expired: no retry, retry now, retry later. */
  async function abandon(client: Redis): Promise<void> {
    const base = { data: '["tasks.x", null, [], {}]', status: 'started', origin: 'default', worker_name: 'dead', started_at: '2026-11-24T00:00:00.000000Z' };
    await client.hset('rq:job:a', base);
    await client.hset('rq:job:b', { ...base, retries_left: '2', retry_intervals: '[0]' });
    await client.hset('rq:job:c', { ...base, retries_left: '1', retry_intervals: '[5, 30]', failure_ttl: '100' });
    await client.hset('rq:job:d', { ...base, failure_ttl: '100' });
    await client.zadd('rq:wip:default', now() - 5, 'a', now() - 5, 'b', now() - 5, 'c', now() - 5, 'd', now() + 100, 'alive');
    await client.zadd('rq:wip:default', now() - 5, 'no-hash');
  }

  test('as RQ 1.13: no retries left -> failed with exc_info; retries left -> retried by the interval rule', async () => {
    await abandon(redis.admin);
    const result = await new StartedJobRegistry('default', { connection }).cleanup();
    assert.deepEqual(result.failed.sort(), ['a', 'd']);
    assert.deepEqual(result.retried.sort(), ['b', 'c']);
    const state = await snapshot(redis.admin);
    assert.deepEqual(state, expectedAfterCleanup());
  });

  test('Python RQ 1.13\'s own cleanup leaves the same state', { skip: skipWithoutPythonRq() }, async () => {
    await abandon(redis.admin);
    execFileSync('/usr/bin/python3', ['-c', `
from redis import Redis
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
StartedJobRegistry('default', connection=Redis(port=${redis.server.port}), serializer=JSONSerializer).cleanup()
`]);
    assert.deepEqual(await snapshot(redis.admin), expectedAfterCleanup());
  });
});

function expectedAfterCleanup() {
  return {
    a: { status: 'failed', retries_left: null, exc: true, ttl: 'about 31536000', failed: 'now + 31536000' },
    b: { status: 'queued', retries_left: '1', exc: false, ttl: 'none', failed: null },
    c: { status: 'scheduled', retries_left: '0', exc: false, ttl: 'none', failed: null },
    d: { status: 'failed', retries_left: null, exc: true, ttl: 'about 100', failed: 'now + 100' },
    wip: ['alive'],
    queue: ['b'],
    scheduled: { c: 'now + 30' },
  };
}

/** The state both implementations must leave, with times rounded to what can be compared. */
async function snapshot(client: Redis) {
  const approx = (value: number | null, base: number) => (value === null ? null : Math.abs(value - base) <= 3);
  const jobs: Record<string, unknown> = {};
  for (const id of ['a', 'b', 'c', 'd']) {
    const hash = await client.hgetallBuffer(`rq:job:${id}`);
    const ttl = await client.ttl(`rq:job:${id}`);
    const failedScore = await client.zscore('rq:failed:default', id);
    const exc = hash['exc_info'] ? inflateSync(hash['exc_info']).toString() : '';
    const expectedTtl = hash['failure_ttl'] ? 100 : 31_536_000;
    jobs[id] = {
      status: hash['status']?.toString(),
      retries_left: hash['retries_left']?.toString() ?? null,
      exc: /^Moved to FailedJobRegistry at /.test(exc),
      ttl: ttl === -1 ? 'none' : approx(ttl, expectedTtl) ? `about ${expectedTtl}` : String(ttl),
      failed: failedScore === null ? null : approx(Number(failedScore), now() + expectedTtl) ? `now + ${expectedTtl}` : failedScore,
    };
  }
  const scheduled = await client.zrange('rq:scheduled:default', 0, -1, 'WITHSCORES');
  return {
    ...jobs,
    wip: await client.zrange('rq:wip:default', 0, -1),
    queue: await client.lrange('rq:queue:default', 0, -1),
    scheduled: Object.fromEntries(
      scheduled.flatMap((value, index, all) => (index % 2 === 0 ? [[value, approx(Number(all[index + 1]), now() + 30) ? 'now + 30' : all[index + 1]]] : [])),
    ),
  };
}

