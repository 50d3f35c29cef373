/**
 * Explicit connections: give every Queue the Redis client it must use. This is the recommended
 * way; nothing is implicit, and an explicit `connection` always wins over any connection context.
 *
 * Two queues on two servers: each job lands on the server of the queue it was enqueued on.
 * Run it from the repository root, after `npm run build:test`, with two servers (or two
 * databases of one server):
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/1 RQ_EXAMPLE_URL_2=redis://localhost:6379/2 \
 *     node build/examples/explicit-connections.js
 *
 * It prints where each job went, and exits with code 1 if a job is not where it should be.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Job, NoSuchJobError, Queue, maskUrl, type RedisConnection } from '../src/index.js';

const url1 = process.env['RQ_EXAMPLE_URL_1'];
const url2 = process.env['RQ_EXAMPLE_URL_2'];
if (!url1 || !url2 || url1 === url2) {
  console.error('Set RQ_EXAMPLE_URL_1 and RQ_EXAMPLE_URL_2 to two different Redis servers or databases.');
  process.exit(2);
}

const conn1 = new Redis(url1);
const conn2 = new Redis(url2);
const serverOf = (connection: RedisConnection) => (connection === conn1 ? `server 1 (${maskUrl(url1)})` : `server 2 (${maskUrl(url2)})`);

try {
  const q1 = new Queue('foo', { connection: conn1 });
  const q2 = new Queue('bar', { connection: conn2 });
  console.log(`queue 'foo' uses ${serverOf(q1.connection)}`);
  console.log(`queue 'bar' uses ${serverOf(q2.connection)}`);

  // A job knows the connection of the queue it was enqueued on.
  const job1 = await q1.enqueue('tasks.add', 1, 2);
  const job2 = await q2.enqueue('tasks.add', 3, 4);
  console.log(`job ${job1.id} enqueued on 'foo' went to ${serverOf(job1.connection)}`);
  console.log(`job ${job2.id} enqueued on 'bar' went to ${serverOf(job2.connection)}`);

  // Ask the servers themselves: each job is on its queue's server, and only there.
  assert.ok((await conn1.lrange('rq:queue:foo', 0, -1)).includes(job1.id), 'job 1 is not in rq:queue:foo on server 1');
  assert.ok((await conn2.lrange('rq:queue:bar', 0, -1)).includes(job2.id), 'job 2 is not in rq:queue:bar on server 2');
  assert.equal((await Job.fetch(job1.id, { connection: conn1 })).funcName, 'tasks.add');
  await assert.rejects(Job.fetch(job1.id, { connection: conn2 }), NoSuchJobError, 'job 1 is also on server 2');
  await assert.rejects(Job.fetch(job2.id, { connection: conn1 }), NoSuchJobError, 'job 2 is also on server 1');
  console.log('checked: server 1 holds only job 1, server 2 holds only job 2');
} finally {
  // Close what you opened, or Node keeps running.
  await Promise.all([conn1.quit(), conn2.quit()]);
}
