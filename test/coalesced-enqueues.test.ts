/**
 * Enqueues of one tick on one connection go to Redis as one script call (src/scripts/coalesced-enqueues.ts):
 * how many calls, the order of jobs and of commands, a refused job among others, a full Redis.
 */
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Redis as Client } from 'ioredis';
import { InvalidArgumentError, InvalidJobOperationError, Queue, RateLimit, RedisOutOfMemoryError } from '../src/index.js';
import { MAX_COALESCED_JOBS } from '../src/scripts/coalesced-enqueues.js';
import { useRedis } from './harness/index.js';

const redis = useRedis({ args: ['--maxmemory-policy', 'noeviction'] });
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

/** Script calls Redis has run since the last CONFIG RESETSTAT (EVALSHA, and EVAL when a script was not loaded yet). */
async function scriptCalls(): Promise<number> {
  const stats = await redis.admin.info('commandstats');
  const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  return calls('evalsha') + calls('eval');
}

test('enqueues of one tick are one script call per 50 jobs, and the jobs are on the queue in the order of the calls', async () => {
  const queue = new Queue('default', { connection });
  await queue.enqueue('tasks.warm'); // loads the script
  await queue.empty();
  await redis.admin.config('RESETSTAT');
  const count = MAX_COALESCED_JOBS * 2 + 20;
  const jobs = await Promise.all(Array.from({ length: count }, (_, n) => queue.enqueue('tasks.add', n, 1)));
  assert.equal(await scriptCalls(), 3, `${count} enqueues of one tick: ${MAX_COALESCED_JOBS} jobs a call`);
  assert.deepEqual(await redis.admin.lrange('rq:queue:default', 0, -1), jobs.map((job) => job.id));
  const [first] = jobs;
  const stored = await redis.admin.hgetall(`rq:job:${first!.id}`);
  assert.equal(stored.status, 'queued');
  assert.equal(stored.origin, 'default');
  assert.equal(stored.description, 'tasks.add(0, 1)');
  assert.equal(stored.enqueued_at, first!.toHash().enqueued_at, 'written as its own call would write it');
});

test('a command issued after an enqueue that was not awaited sees the job: commands keep their order', async () => {
  const queue = new Queue('default', { connection });
  const enqueued = queue.enqueue('tasks.add', 1, 2);
  const counted = await queue.count();
  await enqueued;
  assert.equal(counted, 1, 'count() after enqueue() in the same tick');
  const again = queue.enqueue('tasks.add', 3, 4);
  const [[, length]] = (await connection.pipeline().llen('rq:queue:default').exec()) as [[null, number]];
  await again;
  assert.equal(length, 2, 'a pipeline after enqueue() in the same tick');
  const other = new Queue('other', { connection });
  const commands: string[] = [];
  const monitor = await redis.connect().monitor();
  monitor.on('monitor', (_time, args: unknown[]) => commands.push(args.map(String).join(' ')));
  await Promise.all([queue.enqueue('tasks.a'), other.enqueue('tasks.b'), queue.enqueue('tasks.c'), queue.enqueue('tasks.d')]);
  await connection.ping();
  await monitor.disconnect();
  const calls = commands.filter((command) => /^evalsha /i.test(command)).map((command) => /rq:queue:\w+/.exec(command)?.[0]);
  assert.deepEqual(calls, ['rq:queue:default', 'rq:queue:other', 'rq:queue:default'], 'an enqueue for another queue sends what was gathered first; c and d in one call');
});

test('a job refused among others fails its own call only, in its place: the others are written in order, before later commands', async () => {
  const queue = new Queue('default', { connection });
  const first = queue.enqueue('tasks.first');
  const past = queue.enqueueAt(new Date(Date.now() - 3_600_000), 'tasks.past');
  const last = queue.enqueue('tasks.last');
  const counted = queue.count();
  const after = queue.enqueue('tasks.after');
  const results = await Promise.allSettled([first, past, last, after]);
  assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  const refused = (results[1] as PromiseRejectedResult).reason;
  assert.ok(refused instanceof InvalidArgumentError, String(refused));
  assert.match(refused.message, /in the past by the Redis server's clock/);
  assert.equal(await counted, 2);
  const ids = results.filter((result) => result.status === 'fulfilled').map((result) => (result as PromiseFulfilledResult<{ id: string }>).value.id);
  assert.deepEqual(await redis.admin.lrange('rq:queue:default', 0, -1), ids);
  assert.equal(await redis.admin.zcard('rq:scheduled:default'), 0, 'nothing of the refused job is written');
});

test('each call of a tick is checked after the ones before it: a job id under a limit, enqueued again without one, is refused; a limited job keeps its place', async () => {
  const queue = new Queue('default', { connection });
  const results = await Promise.allSettled([
    queue.enqueueCall('tasks.f', { jobId: 'X', rateLimit: new RateLimit('A', 1) }),
    queue.enqueueCall('tasks.g', { jobId: 'X' }),
  ]);
  assert.equal(results[0].status, 'fulfilled');
  assert.ok((results[1] as PromiseRejectedResult).reason instanceof InvalidJobOperationError, String((results[1] as PromiseRejectedResult).reason));
  assert.equal(await redis.admin.hget('rq:job:X', 'description'), 'tasks.f()');
  assert.deepEqual(await redis.admin.zrange('rq:rl:A:allowed', 0, -1), ['X']);
  const [limited, plain] = await Promise.all([queue.enqueueCall('tasks.limited', { rateLimit: new RateLimit('B', 5) }), queue.enqueue('tasks.plain')]);
  assert.deepEqual(await redis.admin.lrange('rq:queue:default', -2, -1), [limited.id, plain.id], 'in the order of the calls');
});

test('when Redis fails the gathered call part-way, each call is answered on its own and nothing is written twice', async () => {
  const queue = new Queue('default', { connection });
  await redis.admin.set('rq:job:taken', 'not a hash');
  const results = await Promise.allSettled([queue.enqueue('tasks.a'), queue.enqueueCall('tasks.b', { jobId: 'taken' }), queue.enqueue('tasks.c')]);
  assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /WRONGTYPE/);
  const ids = [results[0], results[2]].map((result) => (result as PromiseFulfilledResult<{ id: string }>).value.id);
  assert.deepEqual(await redis.admin.lrange('rq:queue:default', 0, -1), ids, 'each once, in order');
});

test('a connection closed in the same tick sends the gathered calls first; auto-pipelining connections are not gathered; a call stays under its byte cap', async () => {
  const closing = redis.connect();
  const queue = new Queue('default', { connection: closing });
  await new Queue('warm', { connection: closing }).enqueue('tasks.warm'); // the script loaded: no EVAL after NOSCRIPT on a closing connection
  const enqueued = [queue.enqueue('tasks.a'), queue.enqueue('tasks.b')];
  closing.disconnect();
  await Promise.allSettled(enqueued);
  assert.equal(await redis.admin.llen('rq:queue:default'), 2);

  const piped = new Client({ host: '127.0.0.1', port: redis.server.port, enableAutoPipelining: true });
  try {
    const pipedQueue = new Queue('piped', { connection: piped });
    const sent = pipedQueue.enqueue('tasks.a');
    assert.equal(await pipedQueue.count(), 1);
    await sent;
  } finally {
    piped.disconnect();
  }

  await new Queue('default', { connection }).enqueue('tasks.warm');
  await redis.admin.config('RESETSTAT');
  const big = 'x'.repeat(400_000);
  await Promise.all(Array.from({ length: 4 }, () => new Queue('default', { connection }).enqueueCall('tasks.big', { meta: { big } })));
  assert.equal(await scriptCalls(), 2, 'four jobs of 400 KB: a call of three, then one');
});

test('a full Redis refuses every enqueue of the tick with a typed error, and none is half-written', async () => {
  const queue = new Queue('default', { connection });
  await queue.enqueue('tasks.warm');
  await queue.empty();
  await redis.admin.config('SET', 'maxmemory', '100kb');
  try {
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, n) => queue.enqueue('tasks.add', n)));
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.ok((result as PromiseRejectedResult).reason instanceof RedisOutOfMemoryError, String((result as PromiseRejectedResult).reason));
    }
  } finally {
    await redis.admin.config('SET', 'maxmemory', '0');
  }
  assert.equal(await redis.admin.llen('rq:queue:default'), 0);
  assert.deepEqual(await redis.admin.keys('rq:job:*'), []);
});
