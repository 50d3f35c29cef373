/**
 * Abandoned jobs (docs/workers.md, docs/registries.md): a worker killed with SIGKILL leaves its
 * job `started`, in the started registry `rq:wip:<queue>`, with a heartbeat score that nobody
 * refreshes. Once the score has passed, a cleanup of the registry finds the job abandoned. Worker
 * default (`onAbandoned: 'requeue'`, `maxAbandonedCount: 1`): put it back on its queue once, then
 * fail it with AbandonedJobError. RQ's behaviour (`onAbandoned: 'fail'`): fail it at once.
 *
 * The example runs a worker in a child process (this same file, started with the argument
 * `worker`), kills it in the middle of a job, and cleans the registry as a live worker's sweep
 * does; it passes a `timestamp` 100 s ahead so as not to wait out the heartbeat (90 s).
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/abandoned-jobs.js
 *
 * It prints the job's state at each step, and exits with code 1 if one is not as described.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, Worker } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);
const tasks = { 'ledger.rebuild': (ms: number) => sleep(ms).then(() => 'rebuilt') };

if (process.argv[2] === 'worker') {
  // The child: a worker that will be killed while it runs the job. A killed worker's key lives
  // on until its TTL runs out, and a new worker may not take a live worker's name: hence two names.
  await new Worker(['ledger'], { connection, tasks, name: process.argv[3] ?? 'doomed' }).work();
} else {
  try {
    await main();
  } finally {
    await connection.quit();
  }
}

/** Starts a worker process, waits until it runs the job, and kills it with SIGKILL. */
async function runAndKill(jobKey: string, name: string): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['worker', name]);
  while ((await connection.hget(jobKey, 'status')) !== 'started') await sleep(20);
  child.kill('SIGKILL');
  await once(child, 'exit');
}

async function main(): Promise<void> {
  const queue = new Queue('ledger', { connection });
  const job = await queue.enqueue('ledger.rebuild', 60_000);
  const registry = queue.startedJobRegistry;
  const later = Math.floor(Date.now() / 1000) + 100;

  await runAndKill(job.key, 'doomed');
  console.log(`worker killed: job ${await job.getStatus()}, in ${registry.key}: ${await registry.contains(job)}, rq:worker:doomed in rq:workers: ${(await connection.sismember('rq:workers', 'rq:worker:doomed')) === 1}`);

  // What a worker with the default policy does (it sweeps every few seconds).
  const first = await registry.cleanup({ timestamp: later, maxAbandonedRequeues: 1 });
  console.log(`cleanup: requeued ${first.requeued.length}, failed ${first.failed.length}; job ${await job.getStatus()}, abandoned_count ${await connection.hget(job.key, 'abandoned_count')}`);
  assert.deepEqual(first.requeued, [job.id]);

  // It is abandoned a second time: now it fails.
  await runAndKill(job.key, 'doomed-again');
  const second = await registry.cleanup({ timestamp: later, maxAbandonedRequeues: 1 });
  await job.refresh(); // the status and the other fields, as they are now
  console.log(`second cleanup: failed ${second.failed.length}; job ${job.status}: ${(await job.excInfo())?.slice(0, 88)}...`);
  assert.match((await job.excInfo()) ?? '', /^AbandonedJobError: /);
  assert.deepEqual(second.failed, [job.id]);
  assert.equal(await queue.failedJobRegistry.contains(job), true);

  // The dead worker's key expires (its TTL runs out); maintenance then drops it from rq:workers.
  console.log(`rq:worker:doomed TTL: ${(await connection.ttl('rq:worker:doomed')) > 0 ? 'counting down' : 'none'}`);
}
