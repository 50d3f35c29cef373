/**
 * Exception handlers (docs/workers.md), as RQ's: functions called in order when a job fails, after
 * the failure is recorded; one that returns `false` ends the chain. With
 * `disableDefaultExceptionHandler`, a failed job gets only its status: no failed-registry entry,
 * no result, no TTL, for handlers that keep failures somewhere else.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/exception-handlers.js
 *
 * It prints which handlers ran and where the failures went, and exits with code 1 if one is wrong.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, Worker, type ExceptionHandler } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

const tasks = { 'payments.charge': (card: string) => Promise.reject(new Error(`card ${card} declined`)) };
const calls: string[] = [];
// Ends the chain for declined cards: they are expected, so the alerting handler is not called.
const skipDeclined: ExceptionHandler = (job, error) => {
  calls.push(`skipDeclined(${job.args[0]})`);
  return error.message.includes('declined') ? false : undefined;
};
const alert: ExceptionHandler = async (job) => {
  calls.push(`alert(${job.args[0]})`);
};

try {
  const queue = new Queue('payments', { connection });
  const declined = await queue.enqueue('payments.charge', '4242');
  await new Worker([queue], { connection, tasks, exceptionHandlers: [skipDeclined, alert] }).work({ burst: true });
  console.log(`handlers called: ${calls.join(', ')}`);
  console.log(`with the default handler: status ${await declined.getStatus()}, in the failed registry: ${await queue.failedJobRegistry.contains(declined)}, results: ${await connection.xlen(`rq:results:${declined.id}`)}`);
  assert.deepEqual(calls, ['skipDeclined(4242)']);

  // Without the default handler: the job says failed, and nothing else is kept.
  const other = await queue.enqueue('payments.charge', '5555');
  const archive: string[] = [];
  const worker = new Worker([queue], { connection, tasks, disableDefaultExceptionHandler: true });
  worker.pushExcHandler((job, error) => void archive.push(`${job.id}: ${error.message}`));
  await worker.work({ burst: true });
  console.log(`without it: status ${await other.getStatus()}, in the failed registry: ${await queue.failedJobRegistry.contains(other)}, results: ${await connection.xlen(`rq:results:${other.id}`)}, TTL ${await connection.ttl(other.key)}`);
  console.log(`archived by the handler: ${archive.length} failure(s)`);
  assert.equal(await other.getStatus(), 'failed');
  assert.equal(await queue.failedJobRegistry.contains(other), false);
  assert.deepEqual(archive, [`${other.id}: card 5555 declined`]);
} finally {
  await connection.quit();
}
