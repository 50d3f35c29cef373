/**
 * rq-ts, as its users run it: the built package through its public API only (bench/run.mjs'
 * copy of dist/, named by RQ_TS_BENCH_DIST; dist/ itself when run alone). One ioredis connection
 * per producer or worker (the worker opens its own blocking and command connections): a `Redis`,
 * or with `cluster` (startup nodes) a `Cluster`, which gives rq-ts' cluster layout. Jobs call
 * `bench_tasks.noop`, the Python tasks module's name, with the payload as argument.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const root = new URL('../../', import.meta.url);
const entry = process.env.RQ_TS_BENCH_DIST ? pathToFileURL(process.env.RQ_TS_BENCH_DIST) : new URL('dist/index.js', root);
// The ioredis rq-ts itself resolves (the root's), not bench/node_modules' copy.
const { Cluster, Redis } = createRequire(entry)('ioredis');
const { Queue, Worker } = await import(entry.href);

const FUNC = 'bench_tasks.noop';

async function connect({ host, port, cluster }) {
  const connection = cluster ? new Cluster(cluster) : new Redis({ host, port });
  if (connection.status !== 'ready') await once(connection, 'ready');
  return connection;
}

/** With `unkept`, jobs are enqueued with resultTtl 0: no result kept, the job deleted as it finishes (RQ's result_ttl=0). */
export async function openProducer({ host, port, cluster, queue, unkept }) {
  const connection = await connect({ host, port, cluster });
  const q = new Queue(queue, { connection });
  const own = unkept ? { resultTtl: 0 } : {};
  return {
    add: (x) => (unkept ? q.enqueueCall(FUNC, { args: [x], ...own }) : q.enqueue(FUNC, x)),
    addBulk: (xs) => q.enqueueMany(xs.map((x) => Queue.prepareData(FUNC, { args: [x], ...own }))),
    close: async () => connection.quit(),
  };
}

export async function openWorker({ host, port, cluster, queue, concurrency, onComplete, onFail }) {
  const connection = await connect({ host, port, cluster });
  const worker = new Worker([queue], { connection, concurrency, tasks: { [FUNC]: () => null } });
  worker.on('job:finished', (job) => onComplete(job.args[0]));
  worker.on('job:failed', (job, _queue, error) => onFail(error));
  let working;
  return {
    start: () => {
      working = worker.work();
      working.catch(onFail);
    },
    stop: async () => {
      worker.stop();
      await working;
      await connection.quit();
    },
  };
}
