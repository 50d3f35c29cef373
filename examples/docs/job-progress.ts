/**
 * Inside a running job (docs/jobs.md): getCurrentJob() is the job being run; the job reports its
 * progress with updateProgress(), kept in `meta.progress` and written with saveMeta(), which writes
 * that one field, so that the worker's fields (status, worker_name, started_at) are never
 * overwritten; a watcher reads it with getProgress(); and `job.signal` tells it to stop.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/job-progress.js
 *
 * It prints the progress a watcher saw, and exits with code 1 if it is not as expected.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Job, Queue, Worker, defineTask, getCurrentJob } from '../../src/index.js';

const importContacts = defineTask('contacts.import', async (rows: number) => {
  const job = getCurrentJob()!; // defined: we are inside a job
  for (let done = 0; done < rows; done += 100) {
    // Stop when told to (timeout, stop-job command, cold shutdown). A real import would also
    // pass job.signal on: fetch(url, { signal: job.signal }).
    job.signal?.throwIfAborted();
    await sleep(40); // stands for importing 100 rows
    await job.updateProgress(Math.min(100, Math.round(((done + 100) / rows) * 100)));
  }
  return { imported: rows };
});

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  const queue = new Queue('contacts', { connection });
  const job = await queue.enqueue(importContacts, 500);
  const working = new Worker([queue], { connection }).work({ burst: true });

  // A watcher (a web page's poll, say) reads the progress while the job runs.
  const seen: number[] = [];
  const watched = await Job.fetch(job.id, { connection });
  for (let status = await job.getStatus(); status === 'queued' || status === 'started'; status = await job.getStatus()) {
    const progress = await watched.getProgress();
    if (typeof progress === 'number' && progress !== seen.at(-1)) seen.push(progress);
    await sleep(15);
  }
  await working;
  console.log(`progress seen while running: ${seen.join('% ')}%`);
  console.log(`outside a job, getCurrentJob() -> ${getCurrentJob()}`);
  console.log(`finished: ${await job.getStatus()}, returned ${JSON.stringify(await job.returnValue())}, meta ${JSON.stringify((await Job.fetch(job.id, { connection })).meta)}`);
  assert.ok(seen.length >= 2, `the watcher saw the progress move (${seen.join(', ')})`);
  assert.deepEqual(await job.returnValue(), { imported: 500 });
} finally {
  await connection.quit();
}
