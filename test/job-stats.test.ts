/**
 * Job statistics (src/job-stats.ts): what rq-ts workers write in `rq:stats:<queue>` and in the
 * throughput hashes' `<minute>:run:<le>` fields, for jobs of known run time, wait, retry, timeout
 * and abandonment; what collectMetrics() and getThroughput() read back from them; and that the
 * statistics a worker gathered survive a refused write.
 */
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Queue, Retry, TIME_BUCKETS, Worker, collectMetrics, getJobStats, getThroughput, quantile } from '../src/index.js';
import { JobStats } from '../src/job-stats.js';
import { useRedis } from './harness/index.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tasks = {
  'tasks.nap': (ms: number) => sleep(ms),
  'tasks.fail': () => Promise.reject(new Error('no good')),
};

test('a worker writes run and wait histograms, retries, timeouts and abandoned jobs per queue and function', async () => {
  const queue = new Queue('stats', { connection });
  for (let i = 0; i < 3; i++) await queue.enqueue('tasks.nap', 30);
  await queue.enqueueCall('tasks.nap', { args: [3000], jobTimeout: 1 });
  await queue.enqueueCall('tasks.fail', { retry: new Retry({ max: 1 }) });
  // An abandoned job: in the started registry with a heartbeat deadline long past, as a killed worker leaves it.
  const abandoned = await queue.enqueue('tasks.lost');
  assert.equal(await connection.lrem('rq:queue:stats', 0, abandoned.id), 1);
  await connection.hset(`rq:job:${abandoned.id}`, 'status', 'started');
  await connection.zadd('rq:wip:stats', 1, abandoned.id);
  await sleep(200); // every job waits at least this long before it starts

  await new Worker([queue], { connection, tasks }).work({ burst: true });

  const hash = await connection.hgetall('rq:stats:stats');
  assert.equal(hash['run:0.05:tasks.nap'], '3', 'three naps of 30 ms, each in the bucket up to 50 ms');
  assert.equal(hash['run:2.5:tasks.nap'], '1', 'a nap cut at its timeout of 1 s, never before the second has passed: in the bucket above 1 s');
  assert.equal(hash['timeouts:tasks.nap'], '1');
  assert.equal(hash['run:0.001:tasks.fail'], '2', 'a failure and its retry');
  assert.equal(hash['retries:tasks.fail'], '1');
  assert.equal(hash['abandoned:tasks.lost'], '1', 'counted by the worker\'s sweep at start');
  assert.equal(hash['run:0.001:tasks.lost'], '1', 'put back on its queue once (the worker\'s default), then run: an unknown function');
  const runSum = Number(hash['run_sum:tasks.nap']);
  assert.ok(runSum >= 1.08 && runSum < 1.5, `run_sum ${runSum}: 3 x 30 ms (each timer may fire a fraction of a millisecond early) and 1 s`);
  const waits = Object.entries(hash).filter(([field]) => field.startsWith('wait:') && field.endsWith(':tasks.nap'));
  assert.equal(waits.reduce((sum, [, count]) => sum + Number(count), 0), 4, 'one wait per execution');
  for (const [field] of waits) assert.ok(Number(field.split(':')[1]) >= 0.25, `${field}: every nap waited at least 200 ms`);
  const ttl = await connection.ttl('rq:stats:stats');
  assert.ok(ttl > 604_000 && ttl <= 604_800, `kept 7 days after the last write, TTL ${ttl}`);

  const [entry] = (await getJobStats({ connection, queue: 'stats' })).filter((stats) => stats.func === 'tasks.nap');
  assert.equal(entry!.run.counts.reduce((sum, count) => sum + count, 0), 4);
  assert.equal(quantile(entry!.run.counts, 0.5)! <= 0.05, true, 'the median nap is in the 50 ms bucket');

  // The throughput hash of the hour holds the per-minute run-time histogram the chart reads.
  const keys = await connection.keys('rq:throughput:stats:*');
  assert.equal(keys.length, 1);
  const perMinute = await connection.hgetall(keys[0]!);
  const runFields = Object.entries(perMinute).filter(([field]) => /^\d+:run:/.test(field));
  assert.equal(runFields.reduce((sum, [, count]) => sum + Number(count), 0), 7, 'every execution that ran, in the minute it ended');
  const points = (await getThroughput({ connection, queue: 'stats', minutes: 5 })).filter((point) => point.runP50 !== null);
  assert.ok(points.length >= 1 && points.length <= 2, 'the run times are in the minute (or two) the jobs ended');
  for (const point of points) assert.ok(point.runP95! >= point.runP50!, 'p95 at least p50');
});

test('collectMetrics() writes the statistics as Prometheus histograms and counters, cumulative buckets with +Inf, count and sum', async () => {
  const queue = new Queue('m', { connection });
  await queue.enqueue('tasks.nap', 30);
  await queue.enqueue('tasks.nap', 30);
  await queue.enqueueCall('tasks.fail', { retry: new Retry({ max: 1 }) });
  await new Worker([queue], { connection, tasks }).work({ burst: true });

  const lines = (await collectMetrics({ connection })).split('\n');
  assert.ok(lines.includes('# TYPE rq_job_run_time_seconds histogram'));
  assert.ok(lines.includes('# TYPE rq_job_wait_time_seconds histogram'));
  assert.ok(lines.includes('# TYPE rq_job_retries_total counter'));
  assert.ok(lines.includes('rq_job_run_time_seconds_bucket{function="tasks.nap",le="0.025",queue="m"} 0.0'));
  assert.ok(lines.includes('rq_job_run_time_seconds_bucket{function="tasks.nap",le="0.05",queue="m"} 2.0'));
  assert.ok(lines.includes('rq_job_run_time_seconds_bucket{function="tasks.nap",le="1800.0",queue="m"} 2.0'));
  assert.ok(lines.includes('rq_job_run_time_seconds_bucket{function="tasks.nap",le="+Inf",queue="m"} 2.0'));
  assert.ok(lines.includes('rq_job_run_time_seconds_count{function="tasks.nap",queue="m"} 2.0'));
  assert.ok(lines.includes('rq_job_retries_total{function="tasks.fail",queue="m"} 1.0'));
  assert.ok(lines.includes('rq_job_timeouts_total{function="tasks.fail",queue="m"} 0.0'));
  const buckets = lines.filter((line) => line.startsWith('rq_job_run_time_seconds_bucket{function="tasks.nap"'));
  assert.equal(buckets.length, TIME_BUCKETS.length, 'one line per bucket, +Inf last');
  const values = buckets.map((line) => Number(line.split(' ')[1]));
  assert.deepEqual(values, [...values].sort((a, b) => a - b), 'cumulative');
  const sum = lines.find((line) => line.startsWith('rq_job_run_time_seconds_sum{function="tasks.nap"'));
  // A 30 ms timer may fire a fraction of a millisecond early by the wall clock (Node's timers
  // run on a cached monotonic loop time), so two naps sum to a little under 60 ms at worst.
  assert.ok(Number(sum!.split(' ')[1]) >= 0.058, sum);
});

test('increments a write could not make are kept for the next, and nothing is counted twice', async () => {
  const stats = new JobStats(connection);
  const sample = { queue: 'kept', func: 'tasks.x', runSeconds: 0.2, waitSeconds: 1, endedAtMs: Date.now(), retried: true, timedOut: false };
  stats.recordEnd(sample);
  await connection.config('SET', 'maxmemory', '1');
  await connection.config('SET', 'maxmemory-policy', 'noeviction');
  try {
    await assert.rejects(stats.flush(), /OOM|EXECABORT/);
  } finally {
    await connection.config('SET', 'maxmemory', '0');
  }
  assert.equal(await connection.exists('rq:stats:kept'), 0, 'the refused MULTI wrote nothing');
  stats.recordEnd(sample);
  await stats.flush();
  assert.equal(stats.pending, false);
  const hash = await connection.hgetall('rq:stats:kept');
  assert.equal(hash['run:0.25:tasks.x'], '2');
  assert.equal(hash['retries:tasks.x'], '2');
  assert.equal(Number(hash['wait_sum:tasks.x']), 2);
  await stats.flush(); // nothing pending: nothing written
  assert.equal((await connection.hgetall('rq:stats:kept'))['run:0.25:tasks.x'], '2');
});
