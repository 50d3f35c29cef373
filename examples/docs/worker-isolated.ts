/**
 * The isolated mode (docs/workers.md): each job runs in a work horse, a child process reused
 * from job to job (one per slot). At its timeout a job's horse is killed, which stops even a
 * CPU-bound loop, and the next job gets a new horse. Horses find functions through `paths` and
 * through the `isolated.modules` they import first (here jobs/reports.js, which calls defineTask).
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/worker-isolated.js
 *
 * It prints where each job ran and how the runaway one ended; exits with code 1 if one is wrong.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, Worker } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);
const jobsDir = fileURLToPath(new URL('./jobs/', import.meta.url)); // tasks.js, reports.js

type Report = { month: string; jobId: string; pid: number };

try {
  const queue = new Queue('reports', { connection });
  const october = await queue.enqueue('monthly.report', '2026-10'); // defined in reports.js
  const november = await queue.enqueue('monthly.report', '2026-11');
  const runaway = await queue.enqueueCall('reports.runaway', { jobTimeout: 1 }); // export of reports.js
  const december = await queue.enqueue('monthly.report', '2026-12');
  const sum = await queue.enqueue('tasks.add', 20, 22); // export of tasks.js

  const worker = new Worker([queue], {
    connection,
    paths: [jobsDir],
    isolated: { modules: [`${jobsDir}reports.js`] },
  });
  await worker.work({ burst: true });

  const [oct, nov, dec] = (await Promise.all([october, november, december].map((job) => job.returnValue()))) as Report[];
  console.log(`the worker's pid ${process.pid === oct!.pid ? 'is' : 'is not'} the pid of the horse that ran ${oct!.month}`);
  console.log(`${oct!.month} and ${nov!.month} ran in ${oct!.pid === nov!.pid ? 'the same horse' : 'two horses'}`);
  console.log(`reports.runaway: ${await runaway.getStatus()}, ${(await runaway.excInfo())?.split('\n').at(-1)}`);
  console.log(`${dec!.month} ran in ${dec!.pid === nov!.pid ? 'the same horse' : 'a new horse'}`);
  console.log(`tasks.add(20, 22) -> ${await sum.returnValue()}`);
  assert.notEqual(oct!.pid, process.pid);
  assert.equal(oct!.jobId, october.id, 'getCurrentJob() works in a horse');
  assert.equal(oct!.pid, nov!.pid, 'a horse is reused');
  assert.notEqual(dec!.pid, nov!.pid, 'the runaway job killed its horse');
  assert.equal(await runaway.getStatus(), 'failed');
  assert.equal(await sum.returnValue(), 42);
} finally {
  await connection.quit();
}
