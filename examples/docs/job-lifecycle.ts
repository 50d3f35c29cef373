/**
 * Jobs (docs/jobs.md): fetching jobs by id, reading their status (the `is*` getters read the last
 * known status; getStatus() and refresh() read Redis), their results and errors, their place in
 * the queue, and deleting them.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/job-lifecycle.js
 *
 * It prints each step, and exits with code 1 if something is not as shown.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Job, NoSuchJobError, Queue, Worker } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  const queue = new Queue('images', { connection });
  const cat = await queue.enqueue('images.resize', 'cat.png', 640);
  const dog = await queue.enqueue('images.resize', 'dog.gif', 640);
  console.log(`${dog.id} is at position ${await dog.getPosition()} in '${dog.origin}'`);

  // Elsewhere (another process, a web request), by id.
  const fetched = await Job.fetch(cat.id, { connection });
  console.log(`Job.fetch -> ${fetched.funcName}(${fetched.args.join(', ')}), status ${fetched.status}, enqueued at ${fetched.enqueuedAt?.toISOString()}`);
  const many = await Job.fetchMany([cat.id, 'no-such-job', dog.id], { connection });
  console.log(`Job.fetchMany -> ${many.map((job) => (job ? job.args[0] : 'null')).join(', ')}`);
  console.log(`Job.exists(cat) -> ${await Job.exists(cat.id, { connection })}`);
  await assert.rejects(Job.fetch('no-such-job', { connection }), (error: Error) => {
    console.log(`Job.fetch('no-such-job') -> ${error.name}: ${error.message}`);
    return error instanceof NoSuchJobError;
  });

  // A worker runs them: the cat resizes, the GIF fails.
  const worker = new Worker([queue], {
    connection,
    tasks: {
      'images.resize': (file: string, width: number) => {
        if (file.endsWith('.gif')) throw new TypeError(`${file}: GIF is not supported`);
        return { file, width, height: Math.round(width * 0.75) };
      },
    },
  });
  await worker.work({ burst: true });

  // The getters read the status this object last saw: still "queued" here.
  console.log(`before reading again: cat.status ${cat.status}, cat.isFinished ${cat.isFinished}`);
  assert.equal(cat.isFinished, false);
  console.log(`cat.getStatus() -> ${await cat.getStatus()}, now cat.isFinished ${cat.isFinished}`);
  await dog.refresh(); // reads every field again
  console.log(`after refresh: dog.isFailed ${dog.isFailed}, ran by ${dog.workerName}, ended at ${dog.endedAt?.toISOString()}`);
  assert.equal(dog.isFailed, true);

  // Results: the return value, or the error text.
  console.log(`cat.returnValue() -> ${JSON.stringify(await cat.returnValue())}`);
  const latest = await dog.latestResult();
  console.log(`dog.latestResult() -> type ${latest?.type} at ${latest?.createdAt.toISOString()}`);
  console.log(`dog.excInfo() -> ${(await dog.excInfo())?.split('\n').at(-1)}`);
  console.log(`dog.returnValue() -> ${await dog.returnValue()}`);
  assert.deepEqual(await cat.returnValue(), { file: 'cat.png', width: 640, height: 480 });

  // Put the failed job back on its queue and run it again: results() holds every run, newest first.
  await queue.failedJobRegistry.requeue(dog); // see docs/registries.md
  await worker.work({ burst: true });
  console.log(`dog.results() after a second run -> types ${(await dog.results()).map((result) => result.type).join(', ')}`);
  assert.deepEqual((await dog.results()).map((result) => result.type), [2, 2]);

  // delete: out of its registry, hash gone; the results stream stays, as in RQ.
  console.log(`cat.delete() -> ${await cat.delete()}; exists ${await Job.exists(cat.id, { connection })}; finished registry has it: ${await queue.finishedJobRegistry.contains(cat)}`);
  console.log(`rq:results:${cat.id} kept: ${(await connection.exists(`rq:results:${cat.id}`)) === 1}`);
  console.log(`cat.getStatus() once deleted -> ${await cat.getStatus()}`);
} finally {
  await connection.quit();
}
