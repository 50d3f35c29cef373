/**
 * `npm run bench:counts`: what one processed job makes the worker's process create, counted, not
 * timed (issue 19): promises, process.nextTick callbacks, timers and immediates per job, with
 * async_hooks, for an rq-ts worker running N pre-enqueued no-op jobs at concurrency 1 and 50 on a
 * redis-server of its own. Unlike throughput, a count does not move with the machine's noise, so a
 * change that adds or removes a promise on a job's way shows at once. The hook itself slows the
 * worker: the counts are the figure, not the time.
 *
 *   npm run bench:counts            # N = 5000 (COUNTS_N), concurrency 1 and 50
 */
import { createHook } from 'node:async_hooks';
import { Redis } from 'ioredis';
import { startRedisServer } from './lib/redis-server.mjs';

const N = Number(process.env.COUNTS_N ?? 5000);
const { Queue, Worker } = await import(new URL('../dist/index.js', import.meta.url).href);
const FUNC = 'bench_tasks.noop';

function connect(port) {
  const client = new Redis({ host: '127.0.0.1', port, retryStrategy: () => null, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // reported by the failing command
  return client;
}
const redis = await startRedisServer({ connect });
const counts = new Map();
let counting = false;
createHook({
  init(_id, type) {
    if (counting) counts.set(type, (counts.get(type) ?? 0) + 1);
  },
}).enable();

/** Runs N no-op jobs at `concurrency`, counting what is created from the worker's start to the last job's end. */
async function measure(concurrency) {
  const admin = connect(redis.port);
  await admin.flushall();
  const queue = new Queue('bench', { connection: admin });
  for (let i = 0; i < N; i += 1000) await queue.enqueueMany(Array.from({ length: Math.min(1000, N - i) }, (_, k) => Queue.prepareData(FUNC, { args: [i + k] })));
  const worker = new Worker(['bench'], { connection: connect(redis.port), concurrency, tasks: { [FUNC]: () => null } });
  let done = 0;
  const finished = new Promise((resolve) => worker.on('job:finished', () => ++done === N && resolve()));
  counts.clear();
  counting = true;
  const working = worker.work();
  await finished;
  counting = false;
  worker.stop();
  await working;
  await worker.connection.quit();
  await admin.quit();
  const per = (type) => ((counts.get(type) ?? 0) / N).toFixed(2);
  return { concurrency, promises: per('PROMISE'), ticks: per('TickObject'), timers: per('Timeout'), immediates: per('Immediate') };
}

try {
  const rows = [await measure(1), await measure(50)];
  console.log(`Per processed no-op job, ${N} jobs (rq-ts worker, async_hooks):`);
  console.table(rows);
} finally {
  await redis.stop();
}
