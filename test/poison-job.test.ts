/**
 * A job that crashes its worker's process (RELIABILITY.md §6 row 19), with real `rq worker`
 * processes at concurrency 4: the jobs that ran beside it are not blamed, it fails alone, and a
 * worker restarted under the same --name after the crash starts at once.
 * Before: the three innocent jobs were started with it again, died with it again, and failed as
 * abandoned twice; the restarted worker was refused for about 65 s.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { Queue, StartedJobRegistry } from '../src/index.js';
import { ROOT, RQ_BIN, useRedis, waitUntil } from './harness/index.js';

const redis = useRedis();

/** Runs `rq worker` with the fixtures until it exits; resolves to its exit code or signal, and its stderr. */
function worker(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, [RQ_BIN, 'worker', '-u', redis.server.url, '-P', 'test/fixtures', '--name', 'poisoned', '--concurrency', '4', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((done) => child.once('exit', (code, signal) => (clearTimeout(timer), done({ code, signal, stderr }))));
}

/** What the abandoned-job sweep of a live worker does once the dead worker's heartbeats expire. */
async function sweep(): Promise<{ requeued: string[]; failed: string[] }> {
  return new StartedJobRegistry('default', { connection: redis.connect() }).cleanup({ timestamp: Math.floor(Date.now() / 1000) + 1_000_000, maxAbandonedRequeues: 1 });
}

test('a job that kills its process fails alone: the jobs beside it run again, each alone, and finish', async () => {
  const connection = redis.connect();
  const queue = new Queue('default', { connection });
  const innocents = await queue.enqueueMany([1, 2, 3].map(() => Queue.prepareData('crash.innocent', { args: [800] })));
  const poison = await queue.enqueue('crash.poison', 300);
  const runs = (id: string) => connection.get(`rqts-test:ran:${id}`).then(Number);

  // The four start together; the poison kills the process while the others run.
  const first = await worker([]);
  assert.equal(first.signal, 'SIGKILL');
  assert.equal(await redis.admin.zcard('rq:wip:default'), 4);
  assert.deepEqual((await sweep()).requeued.length, 4, 'all four abandoned and requeued once');

  // Restarted at once under the same name, again after each crash, until the work is done: each
  // abandoned job runs alone, in the order the sweep requeued them; the poison kills its worker
  // once more, alone, and the next sweep fails it.
  const failed: string[] = [];
  for (let restart = 1; (await queue.count()) > 0; restart++) {
    assert.ok(restart <= 3, 'done within three restarts');
    const run = await worker(['--burst']);
    assert.doesNotMatch(run.stderr, /There exists an active worker named/, 'the dead worker\'s name is taken over at once');
    assert.ok(run.code === 0 || run.signal === 'SIGKILL', `exit ${run.code} ${run.signal}: ${run.stderr}`);
    const swept = await sweep();
    assert.deepEqual(swept.requeued, [], 'no job is abandoned a second time but the poison');
    failed.push(...swept.failed);
  }
  assert.deepEqual(failed, [poison.id], 'the poison fails, alone, abandoned a second time');
  assert.match((await poison.excInfo()) ?? '', /^AbandonedJobError/);
  assert.equal(await runs(poison.id), 2);
  assert.deepEqual(await Promise.all(innocents.map((job) => job.getStatus())), ['finished', 'finished', 'finished']);
  assert.deepEqual(await Promise.all(innocents.map((job) => runs(job.id))), [2, 2, 2], 'each innocent ran twice: beside the poison, then alone');
  await waitUntil(async () => (await redis.admin.zcard('rq:wip:default')) === 0, 1000, 'nothing left started');
});
