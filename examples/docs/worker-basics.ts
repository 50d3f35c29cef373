/**
 * A worker (docs/workers.md): two queues in priority order; functions found in `tasks`, or by
 * name in the modules under `paths` (`tasks.add` is the export `add` of jobs/tasks.js); the
 * worker's events; and its hash `rq:worker:<name>` as RQ's tools read it.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/worker-basics.js
 *
 * It prints the worker's events and the jobs' results, and exits with code 1 if one is wrong.
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
const jobsDir = fileURLToPath(new URL('./jobs/', import.meta.url)); // holds tasks.js

try {
  const high = new Queue('high', { connection });
  const low = new Queue('low', { connection });
  const sum = await low.enqueue('tasks.add', 2, 3); // found under paths: jobs/tasks.js, export add
  const greeting = await low.enqueueCall('tasks.greet', { args: ['Ada'], kwargs: { greeting: 'Welcome' } });
  const refund = await high.enqueue('billing.refund', 'order-42'); // found in tasks
  const unknown = await low.enqueue('billing.nowhere');

  const worker = new Worker([high, low], {
    connection,
    name: 'docs-worker',
    paths: [jobsDir],
    tasks: { 'billing.refund': (order: string) => `refunded ${order}` },
  });
  worker.on('worker:started', () => console.log(`worker:started ${worker.name} on ${worker.queueNames.join(', ')}`));
  worker.on('job:started', (job, queue) => console.log(`job:started ${queue}: ${job.description}`));
  worker.on('job:finished', (job, _queue, seconds) => console.log(`job:finished ${job.description} in ${seconds < 1 ? 'under a second' : `${seconds} s`}`));
  worker.on('job:failed', (job, _queue, error) => console.log(`job:failed ${job?.description}: ${error.name}`));
  worker.on('worker:stopped', (jobs) => console.log(`worker:stopped after ${jobs} jobs`));

  const ran = await worker.work({ burst: true }); // until the queues are empty
  assert.equal(ran, 4);
  console.log(`results: ${await sum.returnValue()}, ${await greeting.returnValue()}, ${await refund.returnValue()}`);
  console.log(`unknown function: ${(await unknown.excInfo())?.split('\n').at(-1)?.slice(0, 90)}...`);
  assert.equal(await sum.returnValue(), 5);
  assert.equal(await greeting.returnValue(), 'Welcome, Ada!');
  assert.equal(await unknown.getStatus(), 'failed');

  // The worker's hash stays 60 s after it stopped, as RQ's does.
  const hash = await connection.hgetall('rq:worker:docs-worker');
  console.log(`rq:worker:docs-worker: queues=${hash['queues']} state=${hash['state']} successful_job_count=${hash['successful_job_count']} failed_job_count=${hash['failed_job_count']} death=${hash['death'] ? 'set' : 'unset'}`);
  console.log(`in rq:workers: ${(await connection.sismember('rq:workers', 'rq:worker:docs-worker')) === 1}, TTL ${await connection.ttl('rq:worker:docs-worker')} s`);
} finally {
  await connection.quit();
}
