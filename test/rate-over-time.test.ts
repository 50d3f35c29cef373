/**
 * rq-ts' rates over time beside RQ's RateLimit (docs/limits.md): at most `max` jobs of a key admitted
 * per `duration`, its plain Redis structures (the config hash's `max` and `duration`, the
 * `:window` of admissions, `rq:rl-due`), a rate kept by several workers over 5 s, and a job that
 * throws RateLimitError: held, neither failed nor retried, its key holding every job of it.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { FailedJobRegistry, InvalidArgumentError, Job, Queue, RateLimit, RateLimitError, Retry, Worker } from '../src/index.js';
import { useRedis, waitUntil } from './harness/index.js';

const FIXTURES = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures');
const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

/** Server time in epoch milliseconds. */
async function serverMs(): Promise<number> {
  const [seconds, micros] = await redis.admin.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe('a rate: at most max jobs per duration', () => {
  test('three jobs a second: the fourth and fifth wait on no queue, the window and rq:rl-due say when they go', async () => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('mail', { max: 3, duration: 1000 });
    const before = await serverMs();
    const jobs = await queue.enqueueMany([1, 2, 3, 4, 5].map((n) => Queue.prepareData('tasks.add', { args: [n, n], rateLimit: limit })));
    assert.deepEqual(jobs.map((job) => job.status), ['queued', 'queued', 'queued', 'rate_limited', 'rate_limited']);
    assert.deepEqual(await redis.admin.lrange('rq:queue:default', 0, -1), jobs.slice(0, 3).map((job) => job.id));
    assert.deepEqual(await redis.admin.hgetall('rq:rl:mail'), { max: '3', duration: '1000' }, 'no concurrency: none was given');
    const window = await redis.admin.zrange('rq:rl:mail:window', 0, -1, 'WITHSCORES');
    assert.equal(window.length, 6);
    const admittedAt = Number(window[1]);
    assert.ok(admittedAt >= before && admittedAt <= (await serverMs()));
    assert.match(window[0]!, new RegExp(`^${admittedAt}:`));
    const ttl = await redis.admin.pttl('rq:rl:mail:window');
    assert.ok(ttl > 0 && ttl <= 1000, `the window lives one duration: ${ttl}`);
    assert.deepEqual(await redis.admin.zrange('rq:rl-due', 0, -1, 'WITHSCORES'), ['mail', String(Number(window[1]) + 1000)]);
    const hash = await redis.admin.hgetall(`rq:job:${jobs[3]!.id}`);
    assert.deepEqual([hash['rate_limit_key'], hash['rate_limit_max'], hash['rate_limit_duration'], hash['rate_limit_concurrency']], ['mail', '3', '1000', undefined]);
    const fetched = await Job.fetch(jobs[3]!.id, { connection });
    assert.deepEqual([fetched.rateLimitMax, fetched.rateLimitDuration], [3, 1000]);

    // A worker runs the three at once; the other two go on their queue when the window has room.
    const ran: number[] = [];
    const worker = new Worker([queue], { tasks: { 'tasks.add': async (a: number) => void ran.push(a) }, connection, concurrency: 5 });
    const working = worker.work();
    await waitUntil(async () => ran.length === 5, 5000, 'the five jobs ran');
    const finishedAt = await serverMs();
    worker.stop();
    await working;
    assert.ok(finishedAt - admittedAt >= 1000, `the last two waited for the window: ${finishedAt - admittedAt} ms`);
    assert.deepEqual(await redis.admin.zcard('rq:rl:mail:rate_limited'), 0);
    assert.deepEqual(await redis.admin.zcard('rq:rl-due'), 0, 'nothing waits for time any more');
  });

  test('a concurrency and a rate together: both hold', async () => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('both', { concurrency: 1, max: 5, duration: 60_000 });
    const jobs = await queue.enqueueMany([1, 2, 3].map((n) => Queue.prepareData('tasks.add', { args: [n, n], rateLimit: limit })));
    assert.deepEqual(jobs.map((job) => job.status), ['queued', 'rate_limited', 'rate_limited'], 'concurrency 1');
    assert.deepEqual(await redis.admin.hgetall('rq:rl:both'), { concurrency: '1', max: '5', duration: '60000' });
    assert.equal(await redis.admin.zcard('rq:rl-due'), 0, 'a slot, not time, is awaited');
    await new Worker([queue], { tasks: { 'tasks.add': (a: number, b: number) => a + b }, connection }).work({ burst: true });
    assert.deepEqual(await Promise.all(jobs.map((job) => job.getStatus())), ['finished', 'finished', 'finished']);
    assert.equal(await redis.admin.zcard('rq:rl:both:window'), 3, 'three of five admitted this minute');
  });

  test('a queue\'s rateLimit applies to its jobs without their own; a job\'s own replaces it', async () => {
    const queue = new Queue('default', { connection, rateLimit: new RateLimit('default-queue', { max: 2, duration: 60_000 }) });
    const [a, b, c] = await queue.enqueueMany([1, 2, 3].map((n) => Queue.prepareData('tasks.add', { args: [n, n] })));
    assert.deepEqual([a!.status, b!.status, c!.status], ['queued', 'queued', 'rate_limited']);
    const own = await queue.enqueueCall('tasks.add', { args: [4, 4], rateLimit: new RateLimit('other', 1) });
    assert.equal(own.status, 'queued');
    assert.equal(await redis.admin.hget(own.key, 'rate_limit_key'), 'other');
    const unique = await queue.enqueueCall('tasks.add', { args: [5, 5], jobId: 'only-one', unique: true });
    assert.equal(unique.status, 'queued', 'a unique job takes no limit from its queue (RQ refuses the pair)');
  });

  test('bad rates are refused before anything is written', async () => {
    const bad: Array<[string, unknown]> = [
      ['max 0', { max: 0, duration: 1000 }],
      ['negative max', { max: -1, duration: 1000 }],
      ['fractional duration', { max: 1, duration: 0.5 }],
      ['negative duration', { max: 1, duration: -1000 }],
      ['max alone', { max: 5 }],
      ['duration alone', { duration: 1000 }],
      ['nothing', {}],
      ['concurrency 0 with a rate', { concurrency: 0, max: 1, duration: 1000 }],
      ['max past 2^31-1', { max: 1e20, duration: 1000 }],
      ['a window past 366 days', { max: 1, duration: 367 * 86_400_000 }],
      ['concurrency past 2^31-1', 2 ** 31],
    ];
    for (const [what, options] of bad) assert.throws(() => new RateLimit('k', options as never), InvalidArgumentError, what);
    assert.equal(new RateLimit('k', { concurrency: 2 ** 31 - 1, max: 2 ** 31 - 1, duration: 366 * 86_400_000 }).duration, 366 * 86_400_000, 'the bounds themselves are taken');
    assert.throws(() => new RateLimit('k', '2' as never), /give a concurrency \(a number\) or \{ concurrency\?, max, duration \}, got string "2"/);
    assert.throws(() => new RateLimit('k', { concurrency: '2' } as never), /concurrency string "2"/);
    assert.throws(() => new RateLimitError('5' as never), /got string "5"/);
    assert.throws(() => new RateLimitError(-1), InvalidArgumentError);
    assert.throws(() => new RateLimitError(1.5), InvalidArgumentError);
    assert.throws(() => new Queue('default', { connection, rateLimit: { key: 'k', max: 1, duration: 1 } as never }), /must be a RateLimit/);
    assert.deepEqual(await redis.admin.keys('*'), []);
  });
});

describe("a worker's step admits what is due", () => {
  test('a limit whose window has room again is admitted by the next step, and its job started by that very step', async () => {
    const queue = new Queue('default', { connection });
    const [first, second] = await queue.enqueueMany([1, 2].map((n) => Queue.prepareData('tasks.add', { args: [n, n], rateLimit: new RateLimit('due', { max: 1, duration: 60_000 }) })));
    assert.deepEqual([first!.status, second!.status], ['queued', 'rate_limited']);
    // The first job is gone (run elsewhere), and the window's minute is over: the limit is due.
    await redis.admin.lpop('rq:queue:default');
    const [member] = await redis.admin.zrange('rq:rl:due:window', 0, 0);
    await redis.admin.zadd('rq:rl:due:window', 'XX', 1, member!);
    await redis.admin.zadd('rq:rl-due', 1, 'due');
    // One step, no timer: it admits the second job and starts it.
    const { step } = await import('../src/scripts/step.js');
    const result = await step(connection, { endings: [], idleTtl: 60, start: { slots: ['stepper'], queueKeys: ['rq:queue:default'], heartbeatTtl: 60 } });
    assert.deepEqual(result.started.map((job) => job.id), [second!.id]);
    assert.equal(await redis.admin.hget(second!.key, 'status'), 'started');
    assert.equal(await redis.admin.zscore('rq:rl-due', 'due'), null, 'no longer due: nothing waits');
  });
});

describe('a rate kept by several workers', () => {
  test('10 jobs a second, three workers at concurrency 5: any 5 s hold 50 starts, within 10%', async (t) => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('api', { max: 10, duration: 1000 });
    await queue.enqueueMany(Array.from({ length: 80 }, () => Queue.prepareData('tasks.call', { rateLimit: limit })));
    // The job bodies record their start in Redis, in server time.
    const tasks = { 'tasks.call': async () => void (await connection.rpush('starts', String(await serverMs()))) };
    const workers = [1, 2, 3].map(() => new Worker([queue], { tasks, connection: redis.connect(), concurrency: 5 }));
    const working = workers.map((worker) => worker.work());
    await waitUntil(async () => (await redis.admin.llen('starts')) >= 60, 15_000, '60 jobs started');
    for (const worker of workers) worker.stop();
    await Promise.all(working);
    const starts = (await redis.admin.lrange('starts', 0, -1)).map(Number).sort((x, y) => x - y);
    // A full window lets its 10 go at once: the starts come in bursts a second apart, so the 5 s
    // are counted from half a second after the first, away from a burst's edge.
    const from = starts[0]! + 500;
    const inFive = starts.filter((at) => at >= from && at < from + 5000).length;
    t.diagnostic(`starts in 5 s: ${inFive} (10 a second asked)`);
    assert.ok(inFive >= 45 && inFive <= 55, `starts in 5 s: ${inFive}`);
    const admitted = await redis.admin.zrange('rq:rl:api:window', 0, -1);
    assert.ok(admitted.length <= 10, `the window never holds more than max: ${admitted.length}`);
  });
});

describe('RateLimitError: the remote side said "hold off"', () => {
  test('a job under a key is held: back first in line, its key holds every job of it, no failure, no retry used', async () => {
    const queue = new Queue('default', { connection });
    const limit = new RateLimit('remote', 1);
    const first = await queue.enqueueCall('tasks.call', { args: ['first'], rateLimit: limit, retry: new Retry({ max: 2 }) });
    const second = await queue.enqueueCall('tasks.call', { args: ['second'], rateLimit: limit });
    const ran: string[] = [];
    let answered429 = false;
    const tasks = {
      'tasks.call': (name: string) => {
        ran.push(name);
        if (!answered429) {
          answered429 = true;
          throw new RateLimitError(1200);
        }
        return name;
      },
    };
    const worker = new Worker([queue], { tasks, connection });
    const held: Array<[string, number]> = [];
    worker.on('job:held', (job, _queue, error) => held.push([job.id, error.holdFor]));
    const working = worker.work();
    await waitUntil(async () => (await first.getStatus()) === 'rate_limited', 5000, 'the first job held');
    const heldAt = await serverMs();
    assert.deepEqual(held, [[first.id, 1200]]);
    assert.deepEqual(await redis.admin.zrange('rq:rl:remote:rate_limited', 0, -1), [first.id, second.id], 'first in line again');
    assert.equal(await redis.admin.zcard('rq:rl:remote:allowed'), 0, 'its slot given back');
    const heldUntil = Number(await redis.admin.hget('rq:rl:remote', 'held_until'));
    assert.ok(heldUntil > heldAt && heldUntil <= heldAt + 1200, `held until ${heldUntil - heldAt} ms from now`);
    assert.equal(Number(await redis.admin.zscore('rq:rl-due', 'remote')), heldUntil);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await second.getStatus(), 'rate_limited', 'the key holds every job of it, not only the one that was told');
    await waitUntil(async () => (await second.getStatus()) === 'finished', 5000, 'the second job finished');
    assert.ok((await serverMs()) >= heldUntil);
    worker.stop();
    await working;
    assert.deepEqual(ran, ['first', 'first', 'second'], 'held first, then first again, then the next');
    assert.equal(await first.getStatus(), 'finished');
    const hash = await redis.admin.hgetall(first.key);
    assert.equal(hash['retries_left'], '2', 'no retry used');
    assert.equal(await new FailedJobRegistry(queue).count(), 0);
    const workerHash = await redis.admin.hgetall(worker.key);
    assert.equal(workerHash['failed_job_count'] ?? '0', '0', 'not counted as a failure');
    assert.equal(workerHash['successful_job_count'], '2');
  });

  test('in a work horse (isolated: true) too: the error crosses the process, by name, from another copy of rq-ts', async () => {
    const queue = new Queue('default', { connection });
    const keyed = await queue.enqueueCall('limited.tooMany', { args: [60_000], rateLimit: new RateLimit('horse', 1) });
    const plain = await queue.enqueueCall('limited.tooMany', { args: [60_000] });
    const worker = new Worker([queue], { connection, paths: [FIXTURES], isolated: true });
    const held: string[] = [];
    worker.on('job:held', (job, _queue, error) => held.push(`${job.id}:${error.holdFor}`));
    await worker.work({ burst: true });
    assert.deepEqual(held.sort(), [`${keyed.id}:60000`, `${plain.id}:60000`].sort());
    assert.deepEqual([await keyed.getStatus(), await plain.getStatus()], ['rate_limited', 'scheduled']);
    assert.ok(Number(await redis.admin.hget('rq:rl:horse', 'held_until')) > Date.now() + 50_000);
    assert.equal(await redis.admin.zcard('rq:failed:default'), 0);
  });

  test('a job without a key waits in the scheduled registry for the hold, then runs', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.call');
    let calls = 0;
    const tasks = { 'tasks.call': () => (++calls === 1 ? Promise.reject(new RateLimitError(1500, '429 Too Many Requests')) : 'done') };
    const before = await serverMs();
    await new Worker([queue], { tasks, connection }).work({ burst: true });
    assert.equal(await job.getStatus(), 'scheduled');
    const due = Number(await redis.admin.zscore('rq:scheduled:default', job.id));
    assert.ok(due * 1000 >= before + 1500 && due * 1000 <= before + 3000, `due ${due * 1000 - before} ms after the hold`);
    assert.equal(await redis.admin.zcard('rq:failed:default'), 0);
    await redis.admin.zadd('rq:scheduled:default', 1, job.id); // due now
    await new Worker([queue], { tasks, connection }).work({ burst: true, withScheduler: true });
    assert.equal(await job.returnValue(), 'done');
  });
});
