/**
 * rq-ts and RQ master's RateLimit on one limit (RQ 1.13 has none; RQ master announces it for
 * 2.11). Runs only where an RQ master checkout is named: RQ_MASTER_PATH=<dir holding rq/>, with
 * Debian's python3-redis (the project does not vendor RQ's code; see docs/limits.md for the run
 * this was checked with). It shows: the same layout written by each side for the same call, and
 * Python and Node workers sharing one limit of 2 over jobs enqueued by both, never more than 2 at
 * once, each side's maintenance tidying what the other left.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Job, Queue, RateLimit, RateLimitRegistry, Worker } from '../src/index.js';
import { ROOT, useRedis } from './harness/index.js';
import { PYTHON } from './harness/python.js';

const RQ_MASTER = process.env['RQ_MASTER_PATH'];
const skip = RQ_MASTER === undefined ? 'RQ_MASTER_PATH is not set (a checkout of rq/rq master: the directory holding rq/)' : !existsSync(join(RQ_MASTER, 'rq', 'rate_limit.py')) ? `no rq/rate_limit.py under RQ_MASTER_PATH=${RQ_MASTER}` : false;

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

/** How test/python/rl_peer.py runs: RQ master first on the path. */
function peerCall(command: string, payload: unknown): [string, string[], { env: NodeJS.ProcessEnv; encoding: 'utf8'; timeout: number }] {
  const env = { ...process.env, PYTHONPATH: `${RQ_MASTER}:${join(ROOT, 'test/python')}`, RL_PORT: String(redis.server.port) };
  return [PYTHON, [join(ROOT, 'test/python/rl_peer.py'), String(redis.server.port), command, JSON.stringify(payload)], { env, encoding: 'utf8', timeout: 60_000 }];
}

/** Runs the peer to its end; its JSON answer. */
function peer(command: string, payload: unknown): Record<string, unknown> {
  return JSON.parse(execFileSync(...peerCall(command, payload)).trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** Runs the peer beside this process' event loop (a worker here goes on meanwhile). */
async function peerAsync(command: string, payload: unknown): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(...peerCall(command, payload));
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const ENTER = "local n = redis.call('INCR', 'running') if n > tonumber(redis.call('GET', 'most') or '0') then redis.call('SET', 'most', n) end return n";

/** rq-ts' side of rl_tasks.span: counted running in Redis as Python counts itself. */
function tasks(counter: Redis) {
  return {
    'rl_tasks.span': async (ms: number) => {
      await counter.eval(ENTER, 0);
      await new Promise((resolve) => setTimeout(resolve, ms));
      await counter.decr('running');
      await counter.rpush('ran', 'node');
      return 'node';
    },
  };
}

test('the same call writes the same layout from Python and from rq-ts', { skip }, async () => {
  const python = peer('enqueue', { jobs: [1, 2, 3].map(() => ({ func: 'rl_tasks.span', args: [1], key: 'py', concurrency: 2 })) });
  const queue = new Queue('default', { connection });
  const node = await queue.enqueueMany([1, 2, 3].map(() => Queue.prepareData('rl_tasks.span', { args: [1], rateLimit: new RateLimit('js', 2) })));
  assert.deepEqual(python['statuses'], ['queued', 'queued', 'rate_limited']);
  assert.deepEqual(node.map((job) => job.status), ['queued', 'queued', 'rate_limited']);
  for (const key of ['py', 'js']) {
    assert.deepEqual(await redis.admin.hgetall(`rq:rl:${key}`), { concurrency: '2' }, key);
    assert.equal(await redis.admin.zcard(`rq:rl:${key}:allowed`), 2, key);
    assert.equal(await redis.admin.zcard(`rq:rl:${key}:rate_limited`), 1, key);
    assert.equal(await redis.admin.type(`rq:rl:${key}:allowed`), 'zset');
  }
  assert.deepEqual((await redis.admin.smembers('rq:rl-keys')).sort(), ['js', 'py']);
  const fields = async (id: string) => {
    const hash = await redis.admin.hgetall(`rq:job:${id}`);
    return [hash['status'], hash['rate_limit_concurrency'], hash['enqueued_at'] === undefined || hash['enqueued_at'] === ''];
  };
  const waitingPy = (python['ids'] as string[])[2]!;
  assert.deepEqual(await fields(waitingPy), await fields(node[2]!.id), 'a waiting job: same status, same fields');
  assert.equal(await redis.admin.hget(`rq:job:${waitingPy}`, 'rate_limit_key'), 'py');
  const readByNode = await Job.fetch(waitingPy, { connection });
  assert.deepEqual([readByNode.rateLimitKey, readByNode.rateLimitConcurrency, readByNode.status], ['py', 2, 'rate_limited']);
});

test('Python and rq-ts workers share one limit of 2 over jobs both enqueued: never more than 2 at once, all run, both tidy up', { skip }, async (t) => {
  const ids = [...((peer('enqueue', { jobs: [1, 2, 3, 4, 5].map(() => ({ func: 'rl_tasks.span', args: [300], key: 'shared', concurrency: 2 })) })['ids']) as string[])];
  const queue = new Queue('default', { connection });
  ids.push(...(await queue.enqueueMany([1, 2, 3, 4, 5].map(() => Queue.prepareData('rl_tasks.span', { args: [300], rateLimit: new RateLimit('shared', 2) })))).map((job) => job.id));
  assert.equal(await redis.admin.zcard('rq:rl:shared:rate_limited'), 8);
  // Python's burst worker stops when the queue is empty: it runs again until every job has run.
  let version = '';
  const python = (async () => {
    for (let round = 0; round < 30 && (await redis.admin.llen('ran')) < 10; round++) version = String((await peerAsync('work', { queues: ['default'] }))['version']);
  })();
  // rq-ts' worker joins once Python has run a job, with more slots than the limit has.
  for (let waited = 0; waited < 100 && (await redis.admin.llen('ran')) === 0; waited++) await new Promise((resolve) => setTimeout(resolve, 100));
  const worker = new Worker([queue], { tasks: tasks(redis.connect()), connection: redis.connect(), concurrency: 4 });
  const working = worker.work();
  await python;
  worker.stop();
  await working;
  const ran = await redis.admin.lrange('ran', 0, -1);
  t.diagnostic(`RQ ${version}: ${ran.filter((side) => side === 'python').length} ran in Python, ${ran.filter((side) => side === 'node').length} in rq-ts; most at once ${await redis.admin.get('most')}`);
  assert.equal(ran.length, 10);
  assert.ok(ran.includes('python') && ran.includes('node'), 'both sides ran jobs');
  assert.ok(Number(await redis.admin.get('most')) <= 2, 'never more than 2 at once');
  for (const id of ids) assert.equal(await (await Job.fetch(id, { connection })).getStatus(), 'finished', id);
  assert.equal(await redis.admin.zcard('rq:rl:shared:allowed'), 0);
  assert.equal(await redis.admin.zcard('rq:rl:shared:rate_limited'), 0);
  // RQ's cleanup deletes the idle limit rq-ts used; rq-ts' does the same for one Python left.
  peer('cleanup', {});
  assert.deepEqual(await redis.admin.keys('rq:rl*'), []);
  peer('enqueue', { jobs: [{ func: 'rl_tasks.span', args: [1], key: 'left', concurrency: 1 }] });
  await redis.admin.del('rq:queue:default');
  await redis.admin.hset(`rq:job:${(await redis.admin.zrange('rq:rl:left:allowed', 0, -1))[0]}`, 'status', 'failed');
  const [left] = await RateLimitRegistry.all({ connection });
  await left!.cleanup();
  assert.deepEqual(await redis.admin.keys('rq:rl*'), []);
});
