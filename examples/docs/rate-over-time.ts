/**
 * rq-ts' rates over time (docs/limits.md): a queue whose jobs go out at most 3 a second, and a job
 * that meets "429 Too Many Requests" and holds its key for half a second without failing.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/rate-over-time.js
 *
 * It prints what happened, and exits with code 1 if something is not as described.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, RateLimit, RateLimitError, Worker } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  // Every job enqueued through this queue is under the key 'mail-api': at most 3 a second.
  const queue = new Queue('mail', { connection, rateLimit: new RateLimit('mail-api', { max: 3, duration: 1000 }) });
  const jobs = await queue.enqueueMany(['ada', 'bob', 'cy', 'dee', 'eve', 'flo'].map((to) => Queue.prepareData('mail.send', { args: [to] })));
  console.log(`statuses: ${jobs.map((job) => job.status).join(', ')}`);
  console.log(`rq:rl:mail-api: ${JSON.stringify(await connection.hgetall('rq:rl:mail-api'))}`);

  const starts: number[] = [];
  let answered429 = false;
  const tasks = {
    'mail.send': async (to: string) => {
      starts.push(Date.now());
      // The remote side says "too many requests" once: hold the key, and this job, for 500 ms.
      if (to === 'eve' && !answered429) {
        answered429 = true;
        throw new RateLimitError(500, '429 Too Many Requests');
      }
      return `sent to ${to}`;
    },
  };
  const worker = new Worker([queue], { connection, tasks, concurrency: 6 });
  worker.on('job:held', (job, _queue, error) => console.log(`held: ${job.args[0]} waits (${job.status}), mail-api held for ${error.holdFor} ms`));
  const working = worker.work();
  while ((await Promise.all(jobs.map((job) => job.getStatus()))).some((status) => status !== 'finished')) await new Promise((resolve) => setTimeout(resolve, 50));
  worker.stop();
  await working;
  // When each went on the queue (its enqueued_at, Redis' time): 3, then the next a second later.
  const [third, fourth] = await Promise.all([jobs[2]!, jobs[3]!].map(async (job) => (await job.refresh(), job.enqueuedAt!.getTime())));
  const secondBurst = fourth! - third!;
  console.log(`the first 3 went on the queue at once; the next ${secondBurst >= 990 ? 'a second later' : `${secondBurst} ms later`}`);
  console.log(`eve: ${await jobs[4]!.returnValue()}, after ${starts.length} runs for 6 jobs; failed: ${await queue.failedJobRegistry.count()}`);
  assert.ok(secondBurst >= 990);
  assert.equal(starts.length, 7);
} finally {
  await connection.quit();
}
