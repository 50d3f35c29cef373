/**
 * BullMQ with its defaults (completed jobs kept, events stream on), as bench/package.json pins it.
 * BullMQ opens its own connections from the options given; the job name is `noop`, the payload
 * is `data.x`.
 */
import { Queue, Worker } from 'bullmq';

export async function openProducer({ host, port, queue }) {
  const q = new Queue(queue, { connection: { host, port } });
  await q.waitUntilReady();
  return {
    add: (x) => q.add('noop', { x }),
    addBulk: (xs) => q.addBulk(xs.map((x) => ({ name: 'noop', data: { x } }))),
    close: () => q.close(),
  };
}

export async function openWorker({ host, port, queue, concurrency, onComplete, onFail }) {
  const worker = new Worker(queue, async () => null, { connection: { host, port }, concurrency, autorun: false });
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
    },
  };
}
