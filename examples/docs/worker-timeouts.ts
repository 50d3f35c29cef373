/**
 * Job timeouts in a worker's own process (docs/workers.md): at its timeout a job ends failed with
 * JobTimeoutError and its `signal` aborts. A function that passes the signal on stops there; one
 * that ignores it cannot be stopped in-process and keeps running after its job has ended (the
 * isolated mode kills such code: see worker-isolated.ts).
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/worker-timeouts.js
 *
 * It prints how each job ended, and exits with code 1 if one ended otherwise.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, Worker, getCurrentJob } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  let politeStopped = false;
  let stubbornFinishedAt: string | undefined;
  const tasks = {
    // Passes its signal on, as to fetch(url, { signal }): the wait ends when the job times out.
    'exports.polite': async (ms: number) => {
      try {
        await sleep(ms, undefined, { signal: getCurrentJob()!.signal! });
      } catch (error) {
        politeStopped = true;
        throw error;
      }
      return 'done';
    },
    // Ignores its signal: the job ends at its timeout, but this function goes on.
    'exports.stubborn': async (ms: number) => {
      await sleep(ms);
      stubbornFinishedAt = (await getCurrentJob()!.getStatus()) ?? 'gone';
      return 'done';
    },
  };

  const queue = new Queue('exports', { connection });
  const polite = await queue.enqueueCall('exports.polite', { args: [10_000], jobTimeout: 1 });
  const stubborn = await queue.enqueueCall('exports.stubborn', { args: [3_000], jobTimeout: 1 });
  await new Worker([queue], { connection, tasks }).work({ burst: true });

  for (const job of [polite, stubborn]) {
    console.log(`${job.funcName}: ${await job.getStatus()}, ${(await job.excInfo())?.split('\n').at(-1)}`);
    assert.equal(job.status, 'failed');
    assert.match((await job.excInfo()) ?? '', /^JobTimeoutError: Job .* exceeded its timeout of 1 s\./m);
  }
  console.log(`exports.polite saw its signal abort: ${politeStopped}`);
  assert.equal(politeStopped, true);

  // The worker is done, yet the stubborn function is still running.
  console.log(`exports.stubborn still running after the worker stopped: ${stubbornFinishedAt === undefined}`);
  while (stubbornFinishedAt === undefined) await sleep(50);
  console.log(`exports.stubborn returned later anyway; its job was already '${stubbornFinishedAt}'`);
  assert.equal(stubbornFinishedAt, 'failed');
} finally {
  await connection.quit();
}
