/**
 * A running job's progress (src/progress.ts): `job.updateProgress()` inside the job, in
 * `meta.progress` (written with the meta field alone), read by a watcher with `getProgress()`, by
 * Python RQ 1.13 in `job.meta`, and shown on the dashboard's job page; bad values refused with
 * nothing written.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import type { Redis } from 'ioredis';
import { createDashboard } from '../src/dashboard/index.js';
import { InvalidArgumentError, Job, Queue, Worker, getCurrentJob } from '../src/index.js';
import { ROOT, useRedis, waitUntil } from './harness/index.js';
import { PYTHON, skipWithoutPythonRq } from './harness/python.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

test('a job reports progress while it runs; a watcher, Python and the dashboard read it from meta', { skip: skipWithoutPythonRq() }, async () => {
  const queue = new Queue('default', { connection });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const tasks = {
    'tasks.import': async () => {
      const job = getCurrentJob()!;
      job.meta['owner'] = 'ada';
      await job.updateProgress(40);
      await gate;
      await job.updateProgress({ done: 3, total: 5 });
      return 'ok';
    },
  };
  const job = await queue.enqueue('tasks.import');
  const worker = new Worker([queue], { connection: redis.connect(), tasks });
  const working = worker.work({ burst: true });
  const watcher = await Job.fetch(job.id, { connection });
  await waitUntil(async () => (await watcher.getProgress()) === 40, 5000, 'progress 40');
  assert.equal(await redis.admin.hget(job.key, 'status'), 'started', 'the worker\'s fields are untouched');
  assert.deepEqual(JSON.parse((await redis.admin.hget(job.key, 'meta'))!), { owner: 'ada', progress: 40 });
  const python = JSON.parse(execFileSync(PYTHON, [join(ROOT, 'test/python/peer.py'), String(redis.server.port), 'read', JSON.stringify({ ids: [job.id] })], { encoding: 'utf8' }));
  assert.equal(python[job.id].meta.progress, 40, 'Python RQ reads it in job.meta');
  const dashboard = createDashboard({ instances: [{ name: 'main', connection }] });
  const server = createServer((req, res) => dashboard(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    const page = await (await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/jobs/${job.id}`)).text();
    assert.match(page, /<progress max="100" value="40" data-progress="40"><\/progress> 40%/);
  } finally {
    server.close();
  }
  release();
  await working;
  assert.deepEqual(await watcher.getProgress(), { done: 3, total: 5 });
  assert.equal(watcher.meta['owner'], 'ada');
  assert.equal(await job.returnValue(), 'ok');
});

test('bad progress is refused, and nothing is written', async () => {
  const job = await new Queue('default', { connection }).enqueueCall('tasks.x', { meta: { keep: 1 } });
  const circular: Record<string, unknown> = {};
  circular['self'] = circular;
  for (const value of [Number.NaN, Infinity, 'half', [1, 2], new Date(), circular, { blob: 'x'.repeat(20_000) }, null]) {
    await assert.rejects(job.updateProgress(value as never), InvalidArgumentError, String(value));
  }
  const long = 'y'.repeat(20_000);
  await assert.rejects(job.updateProgress(long as never), (error: Error) => error instanceof InvalidArgumentError && error.message.length < 300 && /Bad progress string "y{39}\.\.\./.test(error.message));
  await assert.rejects(job.updateProgress(Object.create(null) as never), /Bad progress object \[object Object\]/);
  assert.deepEqual(JSON.parse((await redis.admin.hget(job.key, 'meta'))!), { keep: 1 });
  assert.equal(await job.getProgress(), undefined);
});
