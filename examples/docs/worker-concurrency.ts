/**
 * Concurrency (docs/workers.md): one worker runs up to `concurrency` jobs at once in this
 * process. RQ's tools see each slot as a worker of its own: `rq:worker:<name>`,
 * `rq:worker:<name>-2`, ..., each with its state and current job.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/worker-concurrency.js
 *
 * It prints the slots while they work, and exits with code 1 if they do not run side by side.
 */
import assert from 'node:assert/strict';
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

try {
  const queue = new Queue('pages', { connection });
  const urls = ['/', '/about', '/pricing', '/blog', '/jobs', '/contact'];
  await queue.enqueueMany(urls.map((path) => Queue.prepareData('pages.check', { args: [path] })));

  // An I/O-bound job: while one waits, the others run. `peak` counts how many ran at once.
  let running = 0;
  let peak = 0;
  const tasks = {
    'pages.check': async (path: string) => {
      peak = Math.max(peak, ++running);
      await sleep(300); // stands for an HTTP request
      running -= 1;
      return `${path}: 200 OK`;
    },
  };
  const worker = new Worker([queue], { connection, tasks, concurrency: 3, name: 'crawler' });
  console.log(`slots: ${worker.slotNames.join(', ')}`);

  const working = worker.work({ burst: true });
  while ((await connection.zcard('rq:wip:pages')) < 3) await sleep(10);
  for (const slot of worker.slotNames) {
    const [state, current] = await connection.hmget(`rq:worker:${slot}`, 'state', 'current_job');
    console.log(`rq:worker:${slot}: state=${state} current_job=${current ? 'set' : 'none'}`);
  }
  console.log(`SMEMBERS rq:workers:pages -> ${(await connection.smembers('rq:workers:pages')).sort().join(' ')}`);

  assert.equal(await working, 6);
  console.log(`ran 6 jobs, at most ${peak} at once`);
  assert.equal(peak, 3);
} finally {
  await connection.quit();
}
