/**
 * A queue with `isAsync: false` (docs/queues.md), for your own tests: each job runs in this
 * process while `enqueue` is awaited, as RQ's `Queue(is_async=False)`, and ends finished or
 * failed in Redis as a worker would leave it. No worker is needed.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/sync-queue.js
 *
 * It prints what became of each job, and exits with code 1 if it is not what a worker would leave.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, defineTask } from '../../src/index.js';

// The code under test. Only functions defined with defineTask run on a synchronous queue.
const slugify = defineTask('text.slugify', (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, ''));
const parsePrice = defineTask('text.parsePrice', (text: string) => {
  const cents = Math.round(Number(text.replace(/[^0-9.]/g, '')) * 100);
  if (!Number.isFinite(cents) || text.trim() === '') throw new RangeError(`not a price: '${text}'`);
  return cents;
});

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  const queue = new Queue('text', { connection, isAsync: false });

  const job = await queue.enqueue(slugify, '  Hello, Redis Queue! ');
  console.log(`${job.description} -> status ${job.status}, returned ${JSON.stringify(await job.returnValue())}`);
  assert.equal(job.status, 'finished');
  assert.equal(await job.returnValue(), 'hello-redis-queue');

  const failed = await queue.enqueue(parsePrice, '');
  console.log(`${failed.description} -> status ${failed.status}, ${(await failed.excInfo())?.split('\n').at(-1)}`);
  assert.equal(failed.status, 'failed');

  // Left as a worker leaves it: in the registries, never on the queue list, worker_name "sync".
  console.log(`finished registry: ${await queue.finishedJobRegistry.contains(job)}, failed registry: ${await queue.failedJobRegistry.contains(failed)}`);
  console.log(`queue length: ${await queue.count()}, worker_name: ${await connection.hget(job.key, 'worker_name')}`);
  assert.equal(await queue.count(), 0);
} finally {
  await connection.quit();
}
