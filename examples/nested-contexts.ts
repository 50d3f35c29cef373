/**
 * Connection contexts: inside `withConnection(redis, fn)`, every Queue (Worker, Job, registry)
 * created without a `connection` option takes `redis`. An object picks its connection once, when
 * it is created, and keeps it: q2 below still enqueues on server 2 after its context has ended.
 *
 * Run it from the repository root, after `npm run build:test`, with two servers (or two
 * databases of one server):
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/1 RQ_EXAMPLE_URL_2=redis://localhost:6379/2 \
 *     node build/examples/nested-contexts.js
 *
 * It prints which server each queue uses and got each job, and exits with code 1 if one is wrong.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { NoRedisConnectionError, Queue, getCurrentConnection, maskUrl, withConnection, type RedisConnection } from '../src/index.js';

const url1 = process.env['RQ_EXAMPLE_URL_1'];
const url2 = process.env['RQ_EXAMPLE_URL_2'];
if (!url1 || !url2 || url1 === url2) {
  console.error('Set RQ_EXAMPLE_URL_1 and RQ_EXAMPLE_URL_2 to two different Redis servers or databases.');
  process.exit(2);
}

const conn1 = new Redis(url1);
const conn2 = new Redis(url2);
const serverOf = (connection: RedisConnection | undefined) =>
  connection === conn1 ? `server 1 (${maskUrl(url1)})` : connection === conn2 ? `server 2 (${maskUrl(url2)})` : 'no server';

/** Which server holds job `id` in queue `queue`, asking both. */
async function whereIs(queue: string, id: string): Promise<string> {
  const on1 = (await conn1.lrange(`rq:queue:${queue}`, 0, -1)).includes(id);
  const on2 = (await conn2.lrange(`rq:queue:${queue}`, 0, -1)).includes(id);
  return on1 && on2 ? 'both servers' : on1 ? serverOf(conn1) : on2 ? serverOf(conn2) : 'no server';
}

try {
  // RQ's example, in TypeScript.
  let q1!: Queue, q2!: Queue, q3!: Queue;
  await withConnection(conn1, async () => {
    q1 = new Queue('foo');
    await withConnection(conn2, async () => {
      q2 = new Queue('bar');
    });
    q3 = new Queue('qux');
  });
  for (const q of [q1, q2, q3]) console.log(`queue '${q.name}' uses ${serverOf(q.connection)}`);
  assert.notEqual(q1.connection, q2.connection);
  assert.notEqual(q2.connection, q3.connection);
  assert.equal(q1.connection, q3.connection);

  // Every context has ended: there is no current connection, and a new Queue needs one...
  console.log(`outside the contexts the current connection is: ${serverOf(getCurrentConnection())}`);
  assert.throws(() => new Queue('late'), NoRedisConnectionError);
  // ...but the queues made inside keep theirs: q2 still enqueues on server 2.
  for (const q of [q1, q2, q3]) {
    const job = await q.enqueue('tasks.add', 1, 2);
    const where = await whereIs(q.name, job.id);
    console.log(`job ${job.id} enqueued on '${q.name}' is on ${where}`);
    assert.equal(where, serverOf(q.connection));
  }

  // Each context belongs to the async task that opened it (AsyncLocalStorage): two tasks running
  // at once, each in its own context, never see each other's connection, even across awaits.
  const task = (name: string, connection: RedisConnection, delayMs: number) =>
    withConnection(connection, async () => {
      await sleep(delayMs); // the other task runs meanwhile
      const q = new Queue(`concurrent-${name}`);
      console.log(`concurrent task ${name} created its queue on ${serverOf(q.connection)}`);
      assert.equal(q.connection, connection);
    });
  await Promise.all([task('A', conn1, 20), task('B', conn2, 5)]);
  console.log('checked: every queue and every job is on the expected server');
} finally {
  await Promise.all([conn1.quit(), conn2.quit()]);
}
