/**
 * Registries (docs/registries.md): per queue, a sorted set of job ids for each state, scored by
 * when the entry expires. Reading them (count, getJobIds, contains, getExpirationTime), requeueing
 * a failed job, removing entries, and what cleanup() does.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/registries.js
 *
 * It prints each registry's key and content, and exits with code 1 if one is not as shown.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { FailedJobRegistry, Queue, Worker } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  const queue = new Queue('orders', { connection });
  const registries = [queue.startedJobRegistry, queue.finishedJobRegistry, queue.failedJobRegistry, queue.deferredJobRegistry, queue.scheduledJobRegistry, queue.canceledJobRegistry];
  console.log(`keys: ${registries.map((registry) => `${registry.constructor.name} ${registry.key}`).join(', ')}`);

  // Three jobs: one finishes (result kept 10 minutes), one is kept forever, one fails.
  const shipped = await queue.enqueueCall('orders.ship', { args: ['order-1'], resultTtl: 600 });
  const archived = await queue.enqueueCall('orders.ship', { args: ['order-2'], resultTtl: -1 });
  const broken = await queue.enqueueCall('orders.ship', { args: ['order-3'], failureTtl: '1d' });
  const tasks = { 'orders.ship': (order: string) => (order === 'order-3' ? Promise.reject(new Error('no address')) : `${order} shipped`) };
  await new Worker([queue], { connection, tasks }).work({ burst: true });

  const finished = queue.finishedJobRegistry;
  console.log(`finished: count ${await finished.count()}, ids in score order ${(await finished.getJobIds()).map((id) => (id === shipped.id ? 'order-1' : 'order-2')).join(', ')}`);
  const inTenMinutes = (await finished.getExpirationTime(shipped))!.getTime() / 1000 - Date.now() / 1000;
  console.log(`order-1 leaves the finished registry in about ${Math.round(inTenMinutes / 60)} minutes; order-2's score is ${await connection.zscore(finished.key, archived.id)}`);
  assert.equal(await finished.count(), 2);

  // A registry can also be made from the queue's name.
  const failed = new FailedJobRegistry('orders', { connection });
  console.log(`failed: ${await failed.count()}, contains order-3: ${await failed.contains(broken)}, expires in about ${Math.round(((await failed.getExpirationTime(broken))!.getTime() - Date.now()) / 3_600_000)} h`);
  assert.deepEqual(await failed.getJobIds(), [broken.id]);

  // requeue: back on its queue, with a cleared run; the worker takes it again.
  const requeued = await failed.requeue(broken);
  console.log(`requeue: status ${requeued.status}, on rq:queue:orders at ${await queue.getJobPosition(broken)}, failed count ${await failed.count()}`);
  assert.equal(requeued.status, 'queued');

  // remove takes the entry out (the job stays); { deleteJob: true } deletes the job too.
  console.log(`remove(order-2): ${await finished.remove(archived)}, job kept: ${(await connection.exists(archived.key)) === 1}`);
  console.log(`remove(order-1, deleteJob): ${await finished.remove(shipped, { deleteJob: true })}, job kept: ${(await connection.exists(shipped.key)) === 1}`);

  // add is low level: it writes the entry (score now + ttl seconds) and nothing else.
  await failed.add('order-4', 3600);
  console.log(`add('order-4', 3600): contains ${await failed.contains('order-4')}, job exists ${(await connection.exists('rq:job:order-4')) === 1}`);
  await failed.remove('order-4');

  // cleanup drops entries whose score has passed (count and getJobIds call it first).
  await connection.zadd(finished.key, Math.floor(Date.now() / 1000) - 5, 'expired-long-ago');
  console.log(`cleanup of the finished registry removed ${await finished.cleanup()} expired entry`);
  assert.equal(await finished.count(), 0);
} finally {
  await connection.quit();
}
