/**
 * Faults on a real Redis Cluster: a master SIGKILLed while a worker at concurrency 10 processes a
 * steady stream of jobs on queues of all three masters and a producer keeps enqueueing. Its
 * replica takes over; the worker carries on without a restart. Counted: acknowledged jobs lost
 * (a SIGKILL loses what the master acknowledged and had not yet replicated: replication is
 * asynchronous), jobs left in a started registry, jobs run twice, and the outage seen by the
 * producer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Queue, StartedJobRegistry, Worker } from '../src/index.js';
import { sleep, startCluster, waitUntil } from './harness/index.js';

test('a master SIGKILLed under load: its replica takes over, the worker carries on, nothing stays started', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster();
  const connection = cluster.connect({ retryDelayOnFailover: 100, retryDelayOnClusterDown: 200, maxRedirections: 32 });
  const worker = new Worker(['a', 'b', 'c'], {
    connection,
    concurrency: 10,
    name: 'w-fault',
    tasks: { 'tasks.note': (id: string) => void runs.set(id, (runs.get(id) ?? 0) + 1) },
  });
  const runs = new Map<string, number>();
  const acknowledged = new Map<string, number>(); // job id -> time acknowledged
  let producing = true;
  let lastFailure = 0;
  let firstFailure = 0;
  let slowestEnqueueMs = 0; // the outage as the producer sees it: ioredis holds commands through the takeover
  try {
    const queues = ['a', 'b', 'c'].map((name) => new Queue(name, { connection }));
    const working = worker.work();
    const producer = (async () => {
      for (let n = 0; producing; n++) {
        const queue = queues[n % 3]!;
        const id = `{${queue.name}}job-${n}`;
        const sentAt = Date.now();
        try {
          await queue.enqueueCall('tasks.note', { args: [id], jobId: id });
          acknowledged.set(id, Date.now());
          slowestEnqueueMs = Math.max(slowestEnqueueMs, Date.now() - sentAt);
        } catch {
          lastFailure = Date.now();
          firstFailure ||= lastFailure;
        }
        await sleep(5);
      }
    })();
    await sleep(1500);
    const victim = await cluster.masterOfKey('rq:queue:{b}');
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    await waitUntil(async () => (await cluster.masterOfKey('rq:queue:{b}').catch(() => victim)).port !== victim.port, 30_000, 'a replica to take over slot {b}');
    const promotedAfterMs = Date.now() - killedAt;
    await sleep(3000);
    producing = false;
    await producer;
    const startedCount = async () => (await Promise.all(['a', 'b', 'c'].map((name) => connection.zcard(`rq:wip:{${name}}`)))).reduce((sum, n) => sum + n, 0);
    await waitUntil(async () => (await Promise.all(queues.map((queue) => queue.count()))).every((n) => n === 0), 30_000, 'the queues to drain');
    // A start whose reply the kill cut off is on the promoted replica, but no worker runs it: it
    // waits in the started registry until its heartbeat TTL runs out, as on a single Redis
    // (redis-faults.test.ts). Once the worker has recorded the endings it held (it sends them
    // again at most 5 s apart), sweep as a live worker would then.
    await waitUntil(async () => (await startedCount()) === (await sleep(6000), await startedCount()), 40_000, 'the worker to record its endings');
    let sweptBack = 0;
    for (const queue of queues) {
      const swept = await new StartedJobRegistry(queue).cleanup({ timestamp: Math.floor(Date.now() / 1000) + 1_000_000, maxAbandonedRequeues: 1 });
      sweptBack += swept.requeued.length;
    }
    // Every job acknowledged since the takeover, and all but those the kill cut off before, runs.
    // (A job the kill lost never comes: give the others 10 s, then count.)
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && [...acknowledged.keys()].some((id) => !runs.has(id)); ) await sleep(100);
    const missing = [...acknowledged.entries()].filter(([id]) => !runs.has(id));
    const lostAfterTakeover = missing.filter(([, at]) => at > killedAt + promotedAfterMs);
    const ranTwice = [...runs.values()].filter((count) => count > 1).length;
    const started = (await Promise.all(['a', 'b', 'c'].map((name) => connection.zcard(`rq:wip:{${name}}`)))).reduce((sum, n) => sum + n, 0);
    t.diagnostic(
      JSON.stringify({
        acknowledged: acknowledged.size,
        ran: runs.size,
        lost: missing.length,
        lostAckedWithinMsBeforeKill: missing.map(([, at]) => killedAt - at),
        ranTwice,
        leftStarted: started,
        startRepliesLostSweptBack: sweptBack,
        promotedAfterMs,
        producerFailuresSpanMs: firstFailure ? lastFailure - firstFailure : 0,
        slowestEnqueueMs,
      }),
    );
    assert.deepEqual(lostAfterTakeover, [], 'a job acknowledged after the takeover was lost');
    // A SIGKILL can lose only what was acknowledged just before it and not yet replicated.
    for (const [id, at] of missing) assert.ok(killedAt - at < 1000, `job ${id}, acknowledged ${killedAt - at} ms before the kill, was lost`);
    assert.ok(acknowledged.size > 300, `only ${acknowledged.size} jobs were acknowledged`);
    await waitUntil(async () => (await startedCount()) === 0, 30_000, 'no job to stay started');
    worker.stop();
    await working;
  } finally {
    producing = false;
    worker.stop();
    connection.disconnect();
    await cluster.stop();
  }
});

test('the slot of a busy queue migrated to another master during processing: MOVED, ASK and TRYAGAIN are followed, nothing is lost or run twice', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster();
  const connection = cluster.connect({ retryDelayOnTryAgain: 50, retryDelayOnMoved: 20, maxRedirections: 64 });
  const runs = new Map<string, number>();
  const worker = new Worker(['b'], { connection, concurrency: 10, name: 'w-migrate', tasks: { 'tasks.note': (id: string) => void runs.set(id, (runs.get(id) ?? 0) + 1) } });
  const acknowledged = new Set<string>();
  let producing = true;
  try {
    const queue = new Queue('b', { connection });
    const working = worker.work();
    const producer = (async () => {
      for (let n = 0; producing; n++) {
        const id = `{b}job-${n}`;
        await queue.enqueueCall('tasks.note', { args: [id], jobId: id });
        acknowledged.add(id);
        await sleep(5);
      }
    })();
    await sleep(1000);
    const slot = 3300; // {b}
    const source = await cluster.masterOf(slot);
    const target = (await cluster.masters()).find((node) => node.port !== source.port)!;
    const admin = (port: number) => cluster.admin(port);
    const [sourceId, targetId] = await Promise.all([admin(source.port).cluster('MYID'), admin(target.port).cluster('MYID')]);
    await admin(target.port).cluster('SETSLOT', slot, 'IMPORTING', sourceId as string);
    await admin(source.port).cluster('SETSLOT', slot, 'MIGRATING', targetId as string);
    let moved = 0;
    for (;;) {
      const keys = (await admin(source.port).cluster('GETKEYSINSLOT', slot, 10)) as string[];
      if (keys.length === 0) break;
      await admin(source.port).migrate('127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...keys);
      moved += keys.length;
      await sleep(20); // let work go on while the slot is half moved
    }
    for (const node of await cluster.masters()) await admin(node.port).cluster('SETSLOT', slot, 'NODE', targetId as string);
    await sleep(1500);
    producing = false;
    await producer;
    await waitUntil(() => [...acknowledged].every((id) => runs.has(id)), 30_000, 'every acknowledged job to run');
    const ranTwice = [...runs.values()].filter((count) => count > 1).length;
    t.diagnostic(JSON.stringify({ acknowledged: acknowledged.size, ran: runs.size, keysMigrated: moved, ranTwice, nowServedBy: (await cluster.masterOf(slot)).port === target.port ? 'target' : 'source' }));
    assert.equal((await cluster.masterOf(slot)).port, target.port);
    assert.ok(moved > 0, 'no key was migrated');
    assert.equal(ranTwice, 0);
    assert.equal(await connection.zcard('rq:wip:{b}'), 0);
    worker.stop();
    await working;
  } finally {
    producing = false;
    worker.stop();
    connection.disconnect();
    await cluster.stop();
  }
});
