/**
 * Controlling running workers through Redis (docs/workers.md), from any process, as RQ's
 * `rq.command` does it: stop-job, kill-horse and shutdown are published on the worker's channel
 * `rq:pubsub:<name>`; while workers are suspended (the key `rq:suspended`), they take no job.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/worker-commands.js
 *
 * It prints what each command did, and exits with code 1 if one did something else.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Job, Queue, Worker, getCurrentJob, resume, sendKillHorseCommand, sendShutdownCommand, sendStopJobCommand, suspend } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url); // the worker's
const admin = new Redis(url); // stands for another process: a script, a dashboard, redis-cli

const tasks = { 'videos.encode': async (ms: number) => (await sleep(ms, undefined, { signal: getCurrentJob()!.signal! }), 'encoded') };

async function untilStatus(job: Job, status: string): Promise<void> {
  while ((await job.getStatus()) !== status) await sleep(10);
}

try {
  const queue = new Queue('videos', { connection });
  const worker = new Worker([queue], { connection, tasks, name: 'encoder' });
  worker.on('command:received', (command, slot) => console.log(`command:received ${JSON.stringify(command)} on ${slot}`));
  const working = worker.work();

  // stop-job: to the worker running the job (its name is in the job's worker_name).
  const long = await queue.enqueue('videos.encode', 60_000);
  await untilStatus(long, 'started');
  const runner = (await Job.fetch(long.id, { connection: admin })).workerName!;
  await sendStopJobCommand(runner, long.id, { connection: admin });
  await untilStatus(long, 'stopped');
  console.log(`stop-job: ${long.id} is ${long.status}, in the failed registry: ${await queue.failedJobRegistry.contains(long)}`);

  // kill-horse: ends whatever the worker is running; the job fails.
  const other = await queue.enqueue('videos.encode', 60_000);
  await untilStatus(other, 'started');
  await sendKillHorseCommand('encoder', { connection: admin });
  await untilStatus(other, 'failed');
  console.log(`kill-horse: ${other.id} is ${other.status}: ${(await other.excInfo())?.split('\n').at(-1)}`);

  // Suspension: the worker keeps running but takes no job until rq:suspended is deleted.
  await suspend({ connection: admin }); // as `rq suspend`: SET rq:suspended 1
  await sleep(1_200); // a worker notices within about a second
  const waiting = await queue.enqueue('videos.encode', 10);
  await sleep(1_500);
  console.log(`suspended: job ${await waiting.getStatus()}, worker state ${await admin.hget('rq:worker:encoder', 'state')}`);
  assert.equal(waiting.status, 'queued');
  await resume({ connection: admin }); // as `rq resume`: DEL rq:suspended
  await untilStatus(waiting, 'finished');
  console.log(`resumed: job ${waiting.status}`);

  // shutdown: a warm stop, as worker.stop().
  const listeners = await sendShutdownCommand('encoder', { connection: admin });
  console.log(`shutdown: heard by ${listeners} subscriber(s); work() resolved after ${await working} jobs`);
  assert.equal(await working, 3);
} finally {
  await Promise.all([connection.quit(), admin.quit()]);
}
