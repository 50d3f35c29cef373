/**
 * Dependencies, callbacks, unique jobs and cancel (docs/queues.md): a report that waits for two
 * imports, on another queue; a callback that records the report's result; a unique job that a
 * second producer cannot enqueue twice; a canceled job whose dependent waits for good.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/dependencies.js
 *
 * It prints each step, and exits with code 1 if one is not as described.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Dependency, DuplicateJobError, Queue, Worker, defineTask, type Job } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

const importFile = defineTask('etl.importFile', (file: string) => `${file}: 100 rows`);
const buildReport = defineTask('etl.buildReport', (month: string) => `report for ${month}`);
const notify = defineTask('etl.notify', async (job: Job, redis: Redis, result: unknown) => {
  await redis.set(`notified:${job.id}`, String(result)); // a callback: (job, connection, result)
});

try {
  const imports = new Queue('imports', { connection });
  const reports = new Queue('reports', { connection });

  // The report waits for both imports, on another queue; once released it goes to the front.
  const a = await imports.enqueue(importFile, 'a.csv');
  const b = await imports.enqueue(importFile, 'b.csv');
  const report = await reports.enqueueCall(buildReport, {
    args: ['march'],
    dependsOn: new Dependency({ jobs: [a, b], enqueueAtFront: true }),
    onSuccess: notify,
  });
  console.log(`report ${report.status}; waits for ${await connection.scard(`rq:job::${report.id}:dependencies`)} jobs; in rq:deferred:reports: ${(await connection.zscore('rq:deferred:reports', report.id)) !== null}`);

  // A unique job: the second producer is refused, atomically.
  await reports.enqueueCall(buildReport, { args: ['april'], jobId: 'report-april', unique: true });
  try {
    await reports.enqueueCall(buildReport, { args: ['april'], jobId: 'report-april', unique: true });
  } catch (error) {
    console.log(`second enqueue of report-april: ${(error as Error).name}`);
    assert.ok(error instanceof DuplicateJobError);
  }

  // A canceled job never runs, and what depends on it waits for good.
  const doomed = await imports.enqueue(importFile, 'c.csv');
  const orphan = await reports.enqueueCall(buildReport, { args: ['may'], dependsOn: doomed });
  await doomed.cancel();
  console.log(`canceled ${doomed.id === (await imports.canceledJobRegistry.getJobIds())[0] ? 'c.csv import' : '?'}; its dependent: ${await orphan.getStatus()}`);

  await new Worker([imports]).work({ burst: true });
  console.log(`after the imports: report ${await report.getStatus()}, reports queue head is the report: ${(await reports.getJobIds())[0] === report.id}`);
  await new Worker([reports]).work({ burst: true });
  console.log(`report -> ${String(await report.returnValue())}; callback wrote: ${await connection.get(`notified:${report.id}`)}`);
  assert.equal(await orphan.getStatus(), 'deferred');
} finally {
  await connection.quit();
}
