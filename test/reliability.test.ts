import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { Queue, StartedJobRegistry } from '../src/index.js';
import { ROOT, RQ_BIN, sleep, useRedis, waitUntil } from './harness/index.js';

const redis = useRedis();

function startWorker(url: string, burst = false): { child: ChildProcess; exited: Promise<number | null> } {
  const args = [RQ_BIN, 'worker', '-q', '-u', url, '-P', 'test/fixtures', '--concurrency', '4', ...(burst ? ['--burst'] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, exited };
}

test('workers killed with SIGKILL at random moments under load lose no job', async (t) => {
  const N = 300;
  const connection = redis.connect();
  const queue = new Queue('default', { connection });
  // 80 ms a job: about 2 s of work for the 12 slots, so that the kills (one every 150-500 ms) land
  // while jobs run; with 30 ms jobs the queue could drain after only two kills (seen once in CI).
  const jobs = await queue.enqueueMany(Array.from({ length: N }, () => Queue.prepareData('tasks.markRan', { args: [80] })));

  const workers = [startWorker(redis.server.url), startWorker(redis.server.url), startWorker(redis.server.url)];
  let kills = 0;
  const deadline = Date.now() + 6000;
  while (Date.now() < deadline && (await queue.count()) > 0) {
    await sleep(150 + Math.random() * 350);
    const index = Math.floor(Math.random() * workers.length);
    workers[index]!.child.kill('SIGKILL');
    await workers[index]!.exited;
    kills += 1;
    workers[index] = startWorker(redis.server.url);
  }
  await waitUntil(async () => (await queue.count()) === 0, 60_000, 'the queue to drain');
  for (const worker of workers) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((worker) => worker.exited));

  // Every worker is gone now: whatever is still "started" was abandoned by a killed worker. Sweep
  // it as a live worker would once the heartbeats expire, then let one worker drain the requeued jobs.
  const swept = await new StartedJobRegistry('default', { connection }).cleanup({ timestamp: Math.floor(Date.now() / 1000) + 1_000_000, maxAbandonedRequeues: 1 });
  const last = startWorker(redis.server.url, true);
  assert.equal(await last.exited, 0);

  const statuses = await Promise.all(jobs.map((job) => job.getStatus()));
  const finished = statuses.filter((status) => status === 'finished').length;
  const failed = statuses.filter((status) => status === 'failed').length;
  const runs = await Promise.all(jobs.map(async (job) => Number(await connection.get(`rqts-test:ran:${job.id}`) ?? 0)));
  t.diagnostic(`${kills} SIGKILLs; ${swept.requeued.length} abandoned jobs requeued, ${swept.failed.length} failed; ` +
    `${finished} finished, ${failed} failed; ${runs.filter((count) => count > 1).length} jobs ran more than once`);
  assert.ok(kills >= 3, `only ${kills} kills happened`);
  assert.equal(finished + failed, N, 'every job ended finished or failed');
  assert.equal(await connection.zcard('rq:wip:default'), 0);
  assert.equal(await queue.count(), 0);
  for (const [index, status] of statuses.entries()) {
    if (status === 'finished') assert.ok(runs[index]! >= 1, `job ${jobs[index]!.id} is finished but never ran`);
  }
  // A failed job here can only be one abandoned twice (killed while running, twice).
  for (const id of await queue.failedJobRegistry.getJobIds()) {
    const job = await queue.fetchJob(id);
    assert.match((await job?.excInfo()) ?? '', /^AbandonedJobError/);
  }
});
