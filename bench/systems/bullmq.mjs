/**
 * BullMQ with its defaults (completed jobs kept, events stream on), as bench/package.json pins it.
 * BullMQ opens its own connections from the options given; the job name is `noop`, the payload
 * is `data.x`.
 *
 * On a Redis Cluster (`cluster`: startup nodes) it gets an ioredis `Cluster` (BullMQ duplicates it
 * for its blocking connection, which needs `maxRetriesPerRequest: null`) and, as BullMQ's guide
 * for Redis Cluster says, a hash tag as prefix, one per queue (`{emails}`) so that queues spread
 * over the masters: `{q0}:q0:wait`, in the slot of rq-ts' `rq:queue:{q0}`.
 */
import { Cluster } from 'ioredis';
import { Queue, Worker } from 'bullmq';

/** The connection and prefix options of a Queue or Worker, and what to close after it. */
function connectionOptions({ host, port, cluster, queue }) {
  if (!cluster) return { options: { connection: { host, port } }, close: async () => undefined };
  const connection = new Cluster(cluster, { redisOptions: { maxRetriesPerRequest: null } });
  // BullMQ does not close a connection it was given.
  return { options: { connection, prefix: `{${queue}}` }, close: async () => void (await connection.quit()) };
}

/** With `unkept`, jobs are added with removeOnComplete: deleted as they complete. */
export async function openProducer({ host, port, cluster, queue, unkept }) {
  const { options, close } = connectionOptions({ host, port, cluster, queue });
  const q = new Queue(queue, options);
  await q.waitUntilReady();
  const opts = unkept ? { removeOnComplete: true } : undefined;
  return {
    add: (x) => q.add('noop', { x }, opts),
    addBulk: (xs) => q.addBulk(xs.map((x) => ({ name: 'noop', data: { x }, ...(opts && { opts }) }))),
    close: async () => {
      await q.close();
      await close();
    },
  };
}

export async function openWorker({ host, port, cluster, queue, concurrency, onComplete, onFail }) {
  const { options, close } = connectionOptions({ host, port, cluster, queue });
  const worker = new Worker(queue, async () => null, { ...options, concurrency, autorun: false });
  worker.on('completed', (job) => onComplete(job.data.x));
  worker.on('failed', (_job, error) => onFail(error));
  worker.on('error', onFail);
  await worker.waitUntilReady();
  let working;
  return {
    start: () => {
      working = worker.run();
      working.catch(onFail);
    },
    stop: async () => {
      await worker.close();
      await working;
      await close();
    },
  };
}
