/**
 * A concurrency limit as RQ's `RateLimit(key, concurrency)` (docs/limits.md): at most 2 report
 * jobs are queued or running at once, across every worker; the others wait, status
 * `rate_limited`, on no queue, and go on the queue oldest first as slots free.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/rate-limits.js
 *
 * It prints where each job is, and exits with code 1 if one is not as described.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, RateLimit, RateLimitRegistry, Worker } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  const queue = new Queue('reports', { connection });
  const limit = new RateLimit('report-api', 2); // Python: RateLimit(key='report-api', concurrency=2)
  const jobs = [];
  for (const month of ['jan', 'feb', 'mar', 'apr']) jobs.push(await queue.enqueueCall('reports.build', { args: [month], rateLimit: limit }));
  console.log(`statuses: ${jobs.map((job) => job.status).join(', ')}`);
  const registry = new RateLimitRegistry('report-api', { connection });
  console.log(`holding a slot: ${(await registry.getAllowedJobIds()).length}, waiting: ${(await registry.getRateLimitedJobIds()).length}, on the queue: ${await queue.count()}`);
  assert.deepEqual(jobs.map((job) => job.status), ['queued', 'queued', 'rate_limited', 'rate_limited']);

  // Four worker slots, but never more than two of these jobs at once.
  let running = 0;
  let most = 0;
  const tasks = {
    'reports.build': async (month: string) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      return `report for ${month}`;
    },
  };
  let ran = 0;
  while (ran < 4) ran += await new Worker([queue], { connection, tasks, concurrency: 4 }).work({ burst: true });
  console.log(`ran ${ran} jobs, at most ${most} at once; last: ${await jobs[3]!.returnValue()}`);
  assert.equal(most, 2);
} finally {
  await connection.quit();
}
