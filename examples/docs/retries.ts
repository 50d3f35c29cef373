/**
 * Retries as RQ 1.13 applies them (docs/workers.md): `retry: new Retry({ max, interval })` is
 * stored in the job hash as RQ's `retries_left` and `retry_intervals`, so Python RQ workers retry
 * it too. A failure with retries left is not final: interval 0 puts the job back on its queue at
 * once; a longer interval puts it in the scheduled registry, due that many seconds later, and a
 * worker running the scheduler (`withScheduler`) puts it back on the queue when due.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/retries.js
 *
 * It prints the job's state after each failure, and exits with code 1 if one is not as described.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, Retry, Worker } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  const queue = new Queue('webhooks', { connection });
  const job = await queue.enqueueCall('webhooks.deliver', {
    args: ['https://example.com/hook'],
    retry: new Retry({ max: 2, interval: [0, 60] }), // Python: Retry(max=2, interval=[0, 60])
  });
  const stored = await connection.hmget(job.key, 'retries_left', 'retry_intervals');
  console.log(`stored: retries_left ${stored[0]}, retry_intervals ${stored[1]}`);

  const tasks = { 'webhooks.deliver': (target: string) => Promise.reject(new Error(`${target}: 503 Service Unavailable`)) };
  const worker = new Worker([queue], { connection, tasks });
  worker.on('job:retried', (retried, _queue, error) => console.log(`job:retried ${retried.id}: ${error.message}`));
  worker.on('job:failed', (failed, _queue, error) => console.log(`job:failed ${failed?.id}: ${error.message}`));

  // Run 1 fails: 2 retries left, wait intervals[max(2 - 2, 0)] = 0 -> back on the queue, run again.
  // Run 2 fails: 1 retry left, wait intervals[max(2 - 1, 0)] = 60 s -> scheduled.
  assert.equal(await worker.work({ burst: true }), 2);
  const [status, retriesLeft] = await connection.hmget(job.key, 'status', 'retries_left');
  const due = Number(await connection.zscore('rq:scheduled:webhooks', job.id));
  console.log(`after 2 runs: status ${status}, retries_left ${retriesLeft}, due in rq:scheduled:webhooks in about ${Math.round(due - Date.now() / 1000)} s`);
  console.log(`results written for retried runs: ${await connection.xlen(`rq:results:${job.id}`)}`);
  assert.equal(status, 'scheduled');
  assert.equal(retriesLeft, '0');
  assert.ok(Math.abs(due - (Date.now() / 1000 + 60)) < 5);

  // When it is due, a worker's scheduler (withScheduler) enqueues it. Rather than wait a minute,
  // we requeue it by hand. A run with no retry left fails for good.
  await queue.scheduledJobRegistry.requeue(job);
  await worker.work({ burst: true });
  console.log(`third run: ${await job.getStatus()}, in the failed registry: ${await queue.failedJobRegistry.contains(job)}`);
  assert.equal(job.status, 'failed');
} finally {
  await connection.quit();
}
