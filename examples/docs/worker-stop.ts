/**
 * Stopping a worker (docs/workers.md). Warm, on SIGTERM here: the running job finishes, no new
 * job is taken, the worker deregisters, and the promise of work() resolves. Cold: the running job
 * is interrupted now (its signal aborts with ShutDownImminentError) and ends failed.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/worker-stop.js
 *
 * It prints what became of the jobs, and exits with code 1 if it is not as described.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, Worker, getCurrentJob, type Job } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

/** A job that takes `ms`, or less if its signal aborts. */
const tasks = { 'backups.run': async (ms: number) => (await sleep(ms, undefined, { signal: getCurrentJob()!.signal! }), 'backed up') };

async function untilStarted(job: Job): Promise<void> {
  while ((await job.getStatus()) !== 'started') await sleep(10);
}

try {
  const queue = new Queue('backups', { connection });

  // Warm: as a service does on SIGTERM.
  const first = await queue.enqueue('backups.run', 500);
  const second = await queue.enqueue('backups.run', 500);
  const worker = new Worker([queue], { connection, tasks, name: 'backup-worker' });
  process.once('SIGTERM', () => worker.stop());
  const working = worker.work(); // not burst: it would wait for more work
  await untilStarted(first);
  process.kill(process.pid, 'SIGTERM'); // what `kill <pid>` or a container stop sends
  console.log(`warm stop: work() resolved after ${await working} job(s)`);
  console.log(`first: ${await first.getStatus()}, second: ${await second.getStatus()} (left on the queue)`);
  console.log(`backup-worker still in rq:workers: ${(await connection.sismember('rq:workers', worker.key)) === 1}`);
  assert.equal(first.status, 'finished');
  assert.equal(second.status, 'queued');

  // Cold: interrupt the running job now.
  const coldWorker = new Worker([queue], { connection, tasks });
  const coldWorking = coldWorker.work();
  await untilStarted(second);
  coldWorker.stop({ cold: true });
  await coldWorking;
  console.log(`cold stop: second is ${await second.getStatus()}, ${(await second.excInfo())?.split('\n').at(-1)}`);
  assert.equal(second.status, 'failed');
} finally {
  await connection.quit();
}
