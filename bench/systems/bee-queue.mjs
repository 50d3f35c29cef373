/**
 * Bee-Queue with its defaults (jobs kept after success, worker events published), as
 * bench/package.json pins it. The producer neither runs jobs nor subscribes to events; the payload
 * is `data.x`.
 */
import BeeQueue from 'bee-queue';

export async function openProducer({ host, port, queue }) {
  const q = new BeeQueue(queue, { redis: { host, port }, isWorker: false, getEvents: false });
  await q.ready();
  return {
    add: (x) => q.createJob({ x }).save(),
    addBulk: async (xs) => {
      const errors = await q.saveAll(xs.map((x) => q.createJob({ x })));
      if (errors.size > 0) throw [...errors.values()][0];
    },
    close: () => q.close(),
  };
}

/** With `unkept`, the worker removes each job that succeeded (Bee-Queue's removeOnSuccess). */
export async function openWorker({ host, port, queue, concurrency, unkept, onComplete, onFail }) {
  const q = new BeeQueue(queue, { redis: { host, port }, getEvents: false, removeOnSuccess: unkept === true });
  q.on('succeeded', (job) => onComplete(job.data.x));
  q.on('failed', (_job, error) => onFail(error));
  q.on('error', onFail);
  await q.ready();
  return {
    start: () => q.process(concurrency, async () => null),
    stop: () => q.close(),
  };
}
