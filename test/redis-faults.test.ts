/**
 * Faults of Redis itself under load, with a real `rq worker` process (concurrency 10) whose jobs
 * count their runs in a separate ledger Redis (RELIABILITY.md §6 rows 7 and 11):
 * - redis-server SIGKILLed mid-stream and started again on its AOF (appendfsync everysec, always):
 *   no acknowledged job is lost, none runs twice;
 * - CLIENT PAUSE 3000 ALL, three times, while jobs run: no job is taken for abandoned, none runs twice.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { Queue, StartedJobRegistry } from '../src/index.js';
import { ROOT, RQ_BIN, adminClient, sleep, startRedis, startRedisOnPort, useRedis, waitUntil, type RedisProcess } from './harness/index.js';

const ledger = useRedis();

/** `rq worker` on `url`, its jobs counting runs in the ledger. */
function startWorker(url: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [RQ_BIN, 'worker', '-q', '-u', url, '-P', 'test/fixtures', '--concurrency', '10', '--job-monitoring-interval', '1'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, RQTS_LEDGER_URL: ledger.server.url },
  });
  return { child, exited: new Promise((done) => child.once('exit', (code) => done(code))) };
}

/** Runs of each job, from the ledger. */
async function runsOf(ids: readonly string[]): Promise<number[]> {
  return ids.length === 0 ? [] : (await ledger.admin.mget(ids.map((id) => `ran:${id}`))).map(Number);
}

/** Checks that each job is finished and ran exactly once; reports the counts. */
async function assertEachRanOnce(t: TestContext, connection: Redis, ids: readonly string[]): Promise<void> {
  const runs = await runsOf(ids);
  const statuses = await Promise.all(ids.map((id) => connection.hget(`rq:job:${id}`, 'status')));
  const lost = ids.filter((_, index) => statuses[index] === null);
  const twice = runs.filter((count) => count > 1).length;
  t.diagnostic(`${ids.length} acknowledged jobs: ${lost.length} lost, ${runs.filter((count) => count === 0).length} never ran, ${twice} ran twice`);
  assert.deepEqual(lost, [], 'every acknowledged job is still there');
  assert.deepEqual(statuses.filter((status) => status !== 'finished'), [], 'and finished');
  assert.equal(twice, 0, 'no job ran twice');
  assert.ok(runs.every((count) => count === 1), 'every job ran once');
}

// One at a time: the ledger's leak check after one test would see the other's worker still counting.
describe('Redis SIGKILLed under load and started again on its AOF', () => {
  for (const fsync of ['everysec', 'always']) {
    test(`appendfsync ${fsync}: no acknowledged job is lost, none runs twice`, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'rqts-aof-'));
      const args = ['--appendonly', 'yes', '--appendfsync', fsync];
      let server: RedisProcess = await startRedis({ dir, args });
      const producer = new Redis({ port: server.port, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 100 });
      producer.on('error', () => undefined);
      const worker = startWorker(server.url);
      const acknowledged: string[] = [];
      let producing = true;
      const queue = new Queue('default', { connection: producer });
      const produce = (async () => {
        while (producing) {
          // Acknowledged = the enqueue resolved; a refused one (Redis down) is not.
          await queue.enqueue('ledger.mark', 20).then((job) => acknowledged.push(job.id), () => undefined);
          await sleep(2);
        }
      })();
      try {
        await sleep(1000);
        await server.kill('SIGKILL');
        server = await startRedisOnPort(server.port, { dir, args });
        await sleep(1000);
        producing = false;
        await produce;
        const admin = adminClient(server);
        try {
          await waitUntil(async () => (await admin.llen('rq:queue:default')) === 0, 30_000, 'the queue to drain');
          // A start whose reply the kill cut off is in Redis (the AOF kept it) but no worker runs
          // it: it waits in the started registry until its heartbeat TTL (61 s here) runs out.
          // Once the worker has recorded every ending it held (it sends them again at most 5 s
          // apart), sweep as a live worker then would: what is left never ran.
          await waitUntil(async () => (await admin.zcard('rq:wip:default')) === (await sleep(6000), await admin.zcard('rq:wip:default')), 40_000, 'the worker to record its endings');
          const swept = await new StartedJobRegistry('default', { connection: admin }).cleanup({ timestamp: Math.floor(Date.now() / 1000) + 1_000_000, maxAbandonedRequeues: 1 });
          t.diagnostic(`${swept.requeued.length} started jobs whose start reply was lost swept back`);
          await waitUntil(async () => (await admin.llen('rq:queue:default')) === 0 && (await admin.zcard('rq:wip:default')) === 0, 30_000, 'every job to end');
          assert.ok(acknowledged.length > 100, `enough load (${acknowledged.length} jobs)`);
          await assertEachRanOnce(t, admin, acknowledged);
        } finally {
          admin.disconnect();
        }
      } finally {
        producing = false;
        worker.child.kill('SIGKILL');
        await worker.exited;
        producer.disconnect();
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

test('CLIENT PAUSE 3000 ALL, three times under load: no job is taken for abandoned, none runs twice', async (t) => {
  const server = await startRedis();
  const admin = adminClient(server);
  const worker = startWorker(server.url);
  try {
    const jobs = await new Queue('default', { connection: admin }).enqueueMany(Array.from({ length: 300 }, () => Queue.prepareData('ledger.mark', { args: [50] })));
    const sweeps: string[] = [];
    for (let pause = 0; pause < 3; pause++) {
      await sleep(300);
      await admin.client('PAUSE', 3000, 'ALL');
      await sleep(3200);
      // What any worker's sweep would find now, by Redis' clock: no running job is abandoned.
      const swept = await new StartedJobRegistry('default', { connection: admin }).cleanup();
      sweeps.push(...swept.requeued, ...swept.failed);
    }
    assert.deepEqual(sweeps, [], 'no job was taken for abandoned');
    await waitUntil(async () => (await admin.llen('rq:queue:default')) === 0 && (await admin.zcard('rq:wip:default')) === 0, 30_000, 'every job to end');
    await assertEachRanOnce(t, admin, jobs.map((job) => job.id));
  } finally {
    worker.child.kill('SIGKILL');
    await worker.exited;
    admin.disconnect();
    await server.stop();
  }
});
