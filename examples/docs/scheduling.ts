/**
 * Scheduling (docs/queues.md, docs/workers.md): enqueueAt and enqueueIn put a job in the
 * scheduled registry, due at a time; a worker started with `withScheduler` moves due jobs onto
 * their queue, as `rq worker --with-scheduler` does, and then runs them.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/scheduling.js
 *
 * It prints where the jobs wait and when they ran, and exits with code 1 if one is not as shown.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, Worker } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  const queue = new Queue('reminders', { connection });
  const inASecond = new Date(Date.now() + 1000);
  const soon = await queue.enqueueAt(inASecond, 'reminders.send', 'ada@example.com');
  const first = await queue.enqueueCall('reminders.send', { args: ['linus@example.com'], at: inASecond, atFront: true });
  const tomorrow = await queue.enqueueIn('1d', 'reminders.send', 'grace@example.com'); // or seconds: 86400

  const [status, enqueuedAt] = await connection.hmget(soon.key, 'status', 'enqueued_at');
  console.log(`enqueueAt(in a second): status ${status}, enqueued_at ${enqueuedAt ?? 'unset'}, queue length ${await queue.count()}`);
  const due = await queue.scheduledJobRegistry.getScheduledTime(tomorrow);
  console.log(`enqueueIn('1d'): in rq:scheduled:reminders, due in about ${Math.round((due!.getTime() - Date.now()) / 3_600_000)} h`);
  assert.equal(status, 'scheduled');
  assert.equal(await queue.count(), 0);

  // The scheduler checks every second; with maxJobs the worker stops once both due jobs ran.
  const order: string[] = [];
  const tasks = { 'reminders.send': (to: string) => (order.push(to), `sent to ${to}`) };
  const worker = new Worker([queue], { connection, tasks });
  const started = Date.now();
  await worker.work({ withScheduler: true, maxJobs: 2 });
  console.log(`ran ${order.join(', ')} after about ${Math.round((Date.now() - started) / 1000)} s (atFront first)`);
  console.log(`${soon.id}: ${await soon.getStatus()}; tomorrow's job: ${await tomorrow.getStatus()}`);
  assert.deepEqual(order, ['linus@example.com', 'ada@example.com']);
  assert.equal(await first.getStatus(), 'finished');
  assert.equal(await tomorrow.getStatus(), 'scheduled');
  console.log(`rq:scheduler-lock:reminders after the worker stopped: ${(await connection.exists('rq:scheduler-lock:reminders')) === 1 ? 'held' : 'released'}`);
} finally {
  await connection.quit();
}
