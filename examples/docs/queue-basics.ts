/**
 * Queues (docs/queues.md): enqueue and enqueueCall with RQ's options, what they write in Redis,
 * and the ways to look at a queue, take jobs off it, empty it and delete it.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/queue-basics.js
 *
 * It prints each step and what Redis holds, and exits with code 1 if something is not as shown.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  const emails = new Queue('emails', { connection });

  // enqueue: the function by name, then its arguments, every one passed to the function.
  const welcome = await emails.enqueue('mailer.sendWelcome', 'ada@example.com', 'Ada');
  console.log(`enqueued ${welcome.id}: ${welcome.description}, status ${welcome.status}`);

  // enqueueCall: RQ's options. Durations are seconds, or strings with a unit.
  const reminder = await emails.enqueueCall('mailer.sendReminder', {
    args: ['grace@example.com'],
    kwargs: { days: 3 }, // keyword arguments, as a Python producer passes them
    jobId: 'reminder-grace',
    jobTimeout: '5m', // longest run: 300 s
    resultTtl: 3600, // keep the result an hour
    failureTtl: '7d', // keep a failed job a week
    ttl: '1h', // drop the job if it waits more than an hour
    description: 'reminder to Grace',
    meta: { tenant: 'acme' },
    atFront: true, // head of the queue: taken next
  });

  // What Redis holds now, as redis-cli shows it.
  console.log(`SMEMBERS rq:queues -> ${(await connection.smembers('rq:queues')).join(' ')}`);
  console.log(`LRANGE rq:queue:emails 0 -1 -> ${(await connection.lrange('rq:queue:emails', 0, -1)).join(' ')}`);
  const hash = await connection.hgetall('rq:job:reminder-grace');
  for (const field of ['status', 'origin', 'description', 'timeout', 'result_ttl', 'failure_ttl', 'ttl', 'meta']) {
    console.log(`HGET rq:job:reminder-grace ${field} -> ${hash[field]}`);
  }
  const ttl = await connection.ttl('rq:job:reminder-grace');
  console.log(`TTL rq:job:reminder-grace -> ${ttl > 3590 ? 'about 3600' : ttl}`);
  assert.equal(hash['timeout'], '300');
  assert.equal(hash['failure_ttl'], '604800');
  assert.equal(hash['meta'], '{"tenant":"acme"}');

  // Looking at the queue.
  assert.equal(await emails.count(), 2);
  assert.equal(await emails.isEmpty(), false);
  assert.deepEqual(await emails.getJobIds(), [reminder.id, welcome.id]);
  console.log(`count ${await emails.count()}, first id ${(await emails.getJobIds(0, 1))[0]}`);
  console.log(`getJobs -> ${(await emails.getJobs()).map((job) => job.funcName).join(', ')}`);
  console.log(`position of ${welcome.id}: ${await emails.getJobPosition(welcome)}`);
  const fetched = await emails.fetchJob('reminder-grace');
  console.log(`fetchJob('reminder-grace') -> ${fetched?.funcName}(${JSON.stringify(fetched?.args)}, ${JSON.stringify(fetched?.kwargs)})`);
  console.log(`fetchJob('no-such-job') -> ${await emails.fetchJob('no-such-job')}`);

  // remove takes a job off the queue and keeps its hash; empty deletes the waiting jobs.
  console.log(`remove(welcome) -> ${await emails.remove(welcome)}; job hash kept: ${(await connection.exists(welcome.key)) === 1}`);
  console.log(`empty() -> ${await emails.empty()} job(s) deleted; rq:job:reminder-grace exists: ${(await connection.exists('rq:job:reminder-grace')) === 1}`);
  await welcome.delete();

  // Queue.all reads rq:queues; delete() removes the queue (and, by default, its jobs).
  const reports = new Queue('reports', { connection });
  await reports.enqueue('reports.build', '2026-11');
  console.log(`Queue.all -> ${(await Queue.all({ connection })).map((queue) => queue.name).join(', ')}`);
  await emails.delete();
  await reports.delete();
  const left = (await Queue.all({ connection })).map((queue) => queue.name);
  assert.ok(!left.includes('emails') && !left.includes('reports'));
  console.log(`after delete: rq:queue:reports exists: ${(await connection.exists('rq:queue:reports')) === 1}`);
} finally {
  await connection.quit();
}
