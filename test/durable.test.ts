/**
 * Durable mode (src/durable.ts): a Queue's enqueues and a Worker's job endings wait for a replica
 * (`WAIT`), and say so when it does not confirm. Against a real primary and replica; "the replica
 * does not confirm" is a replica stopped with SIGSTOP (its link stays up, it acknowledges nothing).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { InvalidArgumentError, Queue, ReplicationTimeoutError, Worker, type Job } from '../src/index.js';
import {
  ROOT,
  adminClient,
  assertServersIdle,
  runRqAsync,
  sleep,
  startRedis,
  useTempDir,
  waitUntil,
  type RedisProcess,
} from './harness/index.js';

/** Long enough that a WAIT cannot time out while a test looks at it. */
const LONG_TIMEOUT = 10;
/** Short, for the cases where the WAIT must time out. */
const SHORT_TIMEOUT = 0.3;
/** "It did not hang": a rejection after a short timeout must come within this. */
const NO_HANG_MS = 5000;

describe('Durable mode against a primary and a replica', () => {
  let primary: RedisProcess;
  let replica: RedisProcess;
  let admin: Redis;
  let replicaAdmin: Redis;
  let replicaStopped = false;
  const clients: Redis[] = [];
  const dir = useTempDir('rqts-durable-');

  const connect = (name: string) => {
    const client = new Redis({ host: '127.0.0.1', port: primary.port, connectionName: name });
    client.on('error', () => {});
    clients.push(client);
    return client;
  };
  const stopReplica = () => {
    process.kill(replica.pid, 'SIGSTOP');
    replicaStopped = true;
  };
  const resumeReplica = () => {
    if (replicaStopped) process.kill(replica.pid, 'SIGCONT');
    replicaStopped = false;
  };
  /** Whether `promise` is still pending after `ms`. */
  const pendingAfter = async (promise: Promise<unknown>, ms: number) => {
    let settled = false;
    promise.then(() => (settled = true), () => (settled = true));
    await sleep(ms);
    return !settled;
  };
  /** The client named `name` on the primary, once it is blocked in WAIT. */
  const waitingClient = async (name: string) => {
    let id: string | undefined;
    await waitUntil(async () => {
      const line = ((await admin.client('LIST')) as string).split('\n').find((entry) => entry.includes(`name=${name} `) && /\bcmd=wait\b/.test(entry));
      id = line && /\bid=(\d+)/.exec(line)![1];
      return id !== undefined;
    }, 5000, `${name} to block in WAIT`);
    return id!;
  };

  before(async () => {
    primary = await startRedis();
    replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    admin = adminClient(primary);
    replicaAdmin = adminClient(replica);
  });

  after(async () => {
    resumeReplica();
    admin?.disconnect();
    replicaAdmin?.disconnect();
    await Promise.all([replica?.stop(), primary?.stop()]);
  });

  beforeEach(async () => {
    await admin.flushall();
    await admin.script('FLUSH');
    await admin.config('RESETSTAT');
    await waitUntil(async () => (await replicaAdmin.info('replication')).includes('master_link_status:up') && (await replicaAdmin.dbsize()) === 0, 10_000, 'the replica to be in sync');
  });

  afterEach(async () => {
    resumeReplica();
    for (const client of clients.splice(0)) client.disconnect();
    await assertServersIdle([primary, replica]);
  });

  test('a durable enqueue resolves only once the replica has the job', async () => {
    const queue = new Queue('durable', { connection: connect('producer'), durable: { replicas: 1, timeout: LONG_TIMEOUT } });
    stopReplica();
    const enqueued = queue.enqueueCall('tasks.add', { args: [1, 2], jobId: 'waits-for-replica' });
    await waitingClient('producer');
    assert.equal(await pendingAfter(enqueued, 300), true, 'the enqueue resolved while the replica was stopped');
    assert.deepEqual(await admin.lrange('rq:queue:durable', 0, -1), ['waits-for-replica'], 'the job is on the primary meanwhile');
    resumeReplica();
    const job = await enqueued;
    assert.equal(job.id, 'waits-for-replica');
    assert.deepEqual(await replicaAdmin.lrange('rq:queue:durable', 0, -1), ['waits-for-replica']);
    assert.equal(await replicaAdmin.hget('rq:job:waits-for-replica', 'status'), 'queued');
  });

  test('with the replica stopped, a durable enqueue rejects with ReplicationTimeoutError after its timeout, and the job stays enqueued on the primary', async () => {
    const queue = new Queue('durable', { connection: connect('producer'), durable: { replicas: 1, timeout: SHORT_TIMEOUT } });
    stopReplica();
    const startedAt = Date.now();
    const error = await queue.enqueueCall('tasks.add', { args: [1, 2], jobId: 'unconfirmed' }).then(
      () => assert.fail('the enqueue resolved without the replica'),
      (rejection: unknown) => rejection,
    );
    const elapsedMs = Date.now() - startedAt;
    assert.ok(error instanceof ReplicationTimeoutError, String(error));
    assert.deepEqual(error.jobIds, ['unconfirmed']);
    assert.equal(error.replicas, 1);
    assert.equal(error.confirmed, 0);
    assert.equal(error.timeout, SHORT_TIMEOUT);
    assert.match(error.message, /^Enqueued job\(s\) unconfirmed on the primary, but replication was not confirmed: 0 of 1 replica\(s\) confirmed within 0\.3 s\. .*a failover before a replica has them would lose them/);
    assert.ok(elapsedMs >= SHORT_TIMEOUT * 1000 - 50, `rejected after ${elapsedMs} ms, before the timeout`);
    assert.ok(elapsedMs < NO_HANG_MS, `rejected after ${elapsedMs} ms`);
    assert.deepEqual(await admin.lrange('rq:queue:durable', 0, -1), ['unconfirmed']);
  });

  test('concurrent durable enqueues share WAITs: with the replica stopped, 50 of them all reject after one or two WAITs, not 50 in a row', async () => {
    const queue = new Queue('durable', { connection: connect('producer'), durable: { replicas: 1, timeout: SHORT_TIMEOUT } });
    stopReplica();
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, index) => queue.enqueue('tasks.add', index, 1)));
    assert.ok(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof ReplicationTimeoutError));
    const waits = Number(/cmdstat_wait:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    // One WAIT per enqueue would hold the connection 50 x 0.3 s, each enqueue queued behind the last one's WAIT.
    assert.ok(waits >= 1 && waits <= 3, `${waits} WAIT commands for 50 enqueues`);
    assert.equal(await admin.llen('rq:queue:durable'), 50);
  });

  test('a WAIT answered on a new connection does not confirm a write made before the reconnection', async () => {
    const queue = new Queue('durable', { connection: connect('producer'), durable: { replicas: 1, timeout: LONG_TIMEOUT } });
    stopReplica();
    const enqueued = queue.enqueueCall('tasks.add', { args: [1, 2], jobId: 'written-before-reconnect' });
    await admin.client('KILL', 'ID', await waitingClient('producer'));
    // ioredis reconnects and sends WAIT again; on the new connection it would count the replica,
    // now running again, as confirming writes the old connection made (after a failover, writes
    // the old primary took and then lost).
    resumeReplica();
    const error = await enqueued.then(
      () => assert.fail('a WAIT on the new connection confirmed the enqueue'),
      (rejection: unknown) => rejection,
    );
    assert.ok(error instanceof ReplicationTimeoutError, String(error));
    assert.equal(error.confirmed, 0);
    assert.match(error.message, /replication was not confirmed: the connection was re-established .* between the write and WAIT/);
  });

  test('a durable worker emits job:finished only once the replica has the ending', async () => {
    const connection = connect('worker');
    const job = await new Queue('durable', { connection: connect('producer') }).enqueue('tasks.add', 2, 3);
    stopReplica();
    const finished: string[] = [];
    const worker = new Worker('durable', { connection, name: 'durable-worker', durable: { replicas: 1, timeout: LONG_TIMEOUT }, tasks: { 'tasks.add': (a: number, b: number) => a + b } });
    worker.on('job:finished', (finishedJob: Job) => finished.push(finishedJob.id));
    const working = worker.work({ burst: true });
    try {
      await waitUntil(async () => (await admin.hget(`rq:job:${job.id}`, 'status')) === 'finished', 5000, 'the ending on the primary');
      await waitingClient('durable-worker');
      await sleep(300);
      assert.deepEqual(finished, [], 'job:finished came before the replica had the ending');
      resumeReplica();
      await working;
      assert.deepEqual(finished, [job.id]);
      assert.equal(await replicaAdmin.hget(`rq:job:${job.id}`, 'status'), 'finished');
    } finally {
      resumeReplica();
      await worker.close();
    }
  });

  test('a durable worker reports endings the replica did not confirm: replication:timeout and a warning; the job is finished on the primary', async () => {
    const jobs = await new Queue('durable', { connection: connect('producer') }).enqueueMany([Queue.prepareData('tasks.add', { args: [2, 3] })]);
    stopReplica();
    const warnings: string[] = [];
    const reports: ReplicationTimeoutError[] = [];
    const worker = new Worker('durable', {
      connection: connect('worker'),
      durable: { replicas: 1, timeout: SHORT_TIMEOUT },
      tasks: { 'tasks.add': (a: number, b: number) => a + b },
      logger: { debug() {}, info() {}, warn: (line) => warnings.push(line), error() {} },
    });
    worker.on('replication:timeout', (error) => reports.push(error));
    assert.equal(await worker.work({ burst: true }), 1);
    assert.equal(reports.length, 1);
    assert.deepEqual(reports[0]!.jobIds, [jobs[0].id]);
    assert.equal(reports[0]!.confirmed, 0);
    assert.match(warnings.join('\n'), new RegExp(`Ended job\\(s\\) ${jobs[0].id} on the primary, but replication was not confirmed: 0 of 1 replica\\(s\\) confirmed within 0\\.3 s`));
    assert.equal(await admin.hget(`rq:job:${jobs[0].id}`, 'status'), 'finished');
  });

  test('durable options are checked when a Queue or a Worker is built', () => {
    const connection = connect('unused');
    const bad: Array<[unknown, RegExp]> = [
      [{ replicas: 0 }, /durable\.replicas must be a whole number of at least 1, got 0/],
      [{ replicas: 1.5 }, /durable\.replicas must be a whole number of at least 1, got 1\.5/],
      [{ replicas: 1, timeout: 0 }, /durable\.timeout must be a number of seconds above 0, got 0/],
      [{ replicas: 1, timeout: -1 }, /durable\.timeout must be a number of seconds above 0/],
      [{ replicas: 1, timeout: Number.NaN }, /durable\.timeout must be a number of seconds above 0/],
      // No default number of replicas: with 2 replicas, 1 confirmation lost as much as no durable mode.
      [{ timeout: 1 }, /durable needs \{ replicas: N \}, N being the number of replicas of the primary/],
      [true, /durable needs \{ replicas: N \}/],
    ];
    for (const [durable, message] of bad) {
      const options = { connection, durable } as never;
      assert.throws(() => new Queue('durable', options), (error: unknown) => error instanceof InvalidArgumentError && error.message.startsWith("Queue 'durable': ") && message.test(error.message), JSON.stringify(durable));
      assert.throws(() => new Worker('durable', { ...(options as object), name: 'checked' }), (error: unknown) => error instanceof InvalidArgumentError && error.message.startsWith("Worker 'checked': ") && message.test(error.message), JSON.stringify(durable));
    }
  });

  test('rq enqueue and rq worker read DURABLE from the config file: an unconfirmed enqueue is one error line and exit 1, the worker warns', async () => {
    const config = join(dir(), 'durable-settings.mjs');
    writeFileSync(config, `export const REDIS_URL = ${JSON.stringify(primary.url)};\nexport const DURABLE = { REPLICAS: 1, TIMEOUT: ${SHORT_TIMEOUT} };\n`);
    stopReplica();
    const enqueued = await runRqAsync(['enqueue', 'tasks.add', ':2', ':3', '--job-id', 'cli-durable', '-c', config]);
    assert.equal(enqueued.code, 1, enqueued.stdout + enqueued.stderr);
    assert.match(enqueued.stderr, /^Error: Enqueued job\(s\) cli-durable on the primary, but replication was not confirmed: 0 of 1 replica\(s\) confirmed within 0\.3 s\. [^\n]*\n$/);
    assert.equal(await admin.hget('rq:job:cli-durable', 'status'), 'queued', 'the job stands on the primary');
    const worked = await runRqAsync(['worker', '--burst', '-P', join(ROOT, 'test', 'fixtures'), '-c', config]);
    assert.equal(worked.code, 0, worked.stderr);
    assert.match(worked.stderr, /Ended job\(s\) cli-durable on the primary, but replication was not confirmed/);
    assert.equal(await admin.hget('rq:job:cli-durable', 'status'), 'finished');
  });
});
