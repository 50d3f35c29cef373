/**
 * Seeing a failover (src/failover.ts), against real Sentinel groups: one primary, one replica and
 * three sentinels (down-after 1000 ms). A graceful `SENTINEL FAILOVER` and a SIGKILL of the primary
 * must each be reported once, with the old and the new primary's address: by a Worker
 * (`connection:failover` and a warning), by onFailover on a queue's client, and by the `rq`
 * command line (`rq worker` through its Worker; `rq dashboard`, like the other commands, through
 * its connection).
 * Each case has a group of its own; both groups start together.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { Queue, Worker, connectionFromSettings, onFailover, openConnection, type FailoverInfo, type RQSettings, type RedisConnection } from '../src/index.js';
import { RQ_BIN, adminClient, assertServersIdle, startSentinelGroup, waitUntil, type SentinelGroup } from './harness/index.js';

/** How long a test waits for a failover to be seen. */
const SEEN_WITHIN_MS = 20_000;
/** After the switch is seen, how long the test goes on watching for a second, wrong report. */
const WATCH_AFTER_MS = 1000;

function settingsFor(group: SentinelGroup): RQSettings {
  return { SENTINEL: { INSTANCES: group.instances, MASTER_NAME: group.masterName, SOCKET_TIMEOUT: 5 } };
}

/** `promise`, or a failure naming `what` once `ms` have passed: a hang fails the test, saying where. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a worker, a queue's client and the rq command line saw of one failover. */
interface Observers {
  readonly workerEvents: FailoverInfo[];
  readonly workerWarnings: string[];
  readonly queueEvents: FailoverInfo[];
  readonly finished: string[];
  readonly queue: Queue;
  /** stderr of `rq worker` and `rq dashboard`, so far, and how they ended if they did. */
  readonly cliOutput: { worker: string; dashboard: string };
  close(): Promise<void>;
}

/** A worker and a producer on `group` (each with a Sentinel client of its own), and two `rq` commands. */
async function observe(group: SentinelGroup, dir: string): Promise<Observers> {
  const settings = settingsFor(group);
  const connections: RedisConnection[] = [await openConnection(settings), await openConnection(settings)];
  for (const connection of connections) connection.on('error', () => {});
  const [workerConnection, queueConnection] = connections as [RedisConnection, RedisConnection];
  const workerEvents: FailoverInfo[] = [];
  const workerWarnings: string[] = [];
  const finished: string[] = [];
  const worker = new Worker('failover', {
    connection: workerConnection,
    tasks: { 'tasks.echo': (value: unknown) => value },
    logger: { debug() {}, info() {}, warn: (line) => workerWarnings.push(line), error() {} },
  });
  worker.on('connection:failover', (failover) => workerEvents.push(failover));
  worker.on('job:finished', (job) => finished.push(job.id));
  worker.on('worker:error', () => {});
  const working = worker.work();
  const queueEvents: FailoverInfo[] = [];
  const queue = new Queue('failover', { connection: queueConnection });
  const stopWatching = onFailover(queue.connection, (failover) => queueEvents.push(failover));

  const config = join(dir, `settings-${group.masterName}.mjs`);
  writeFileSync(config, `export const SENTINEL = ${JSON.stringify(settings.SENTINEL)};\n`);
  const cliOutput = { worker: '', dashboard: '' };
  const children: Array<{ child: ChildProcess; exited: Promise<unknown>; name: string }> = [];
  const stdout = { worker: '', dashboard: '' };
  const startRq = (key: 'worker' | 'dashboard', args: string[]) => {
    const child = spawn(process.execPath, [RQ_BIN, ...args, '-c', config], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (stdout[key] += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (cliOutput[key] += chunk.toString()));
    // An early end shows in the output the assertions print.
    child.once('exit', (code, signal) => (cliOutput[key] += `[rq ${key} ended: code ${code}, signal ${signal}]\n`));
    children.push({ child, exited: new Promise((resolve) => child.once('exit', resolve)), name: `rq ${key}` });
  };
  startRq('worker', ['worker', 'failover-cli']);
  startRq('dashboard', ['dashboard', '--port', '0']);
  await waitUntil(() => /Listening on failover-cli/.test(stdout.worker) && /dashboard on http/.test(stdout.dashboard), 15_000, '`rq worker` and `rq dashboard` to start');
  await within(queue.enqueue('tasks.echo', 'before'), 10_000, 'an enqueue before the failover');
  await waitUntil(() => finished.length === 1, 10_000, 'the worker to run a job before the failover');

  return {
    workerEvents,
    workerWarnings,
    queueEvents,
    finished,
    queue,
    cliOutput,
    async close() {
      stopWatching();
      try {
        for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        for (const { child, exited, name } of children) {
          await within(exited, 15_000, `${name} after SIGTERM`).catch((error: unknown) => {
            child.kill('SIGKILL');
            throw error;
          });
        }
        await within(worker.close(), 15_000, 'worker.close()');
        await within(working, 15_000, 'worker.work()');
      } finally {
        for (const connection of connections) connection.disconnect();
      }
    },
  };
}

/** Waits until every observer saw the switch, watches a little longer, then checks each saw it once, from `from` to `to`. */
async function assertSeenOnce(observers: Observers, from: number, to: number): Promise<void> {
  const { workerEvents, queueEvents, cliOutput } = observers;
  const lines = (text: string) => text.split('\n').filter((line) => line.includes(`Redis primary changed from 127.0.0.1:${from} to 127.0.0.1:${to}`)).length;
  await waitUntil(
    () => workerEvents.length > 0 && queueEvents.length > 0 && lines(cliOutput.worker) > 0 && lines(cliOutput.dashboard) > 0,
    SEEN_WITHIN_MS,
    'the worker, the queue client and both rq commands to see the failover',
  ).catch((error: Error) => {
    throw new Error(`${error.message}: worker ${workerEvents.length}, queue client ${queueEvents.length} report(s); rq worker stderr:\n${cliOutput.worker}\nrq dashboard stderr:\n${cliOutput.dashboard}`);
  });
  // The worker goes on at the new primary, and nothing is reported twice meanwhile.
  const job = await within(observers.queue.enqueue('tasks.echo', 'after'), 15_000, 'an enqueue after the failover');
  await waitUntil(() => observers.finished.includes(job.id), 10_000, 'the worker to run a job after the failover');
  await new Promise((resolve) => setTimeout(resolve, WATCH_AFTER_MS));

  const expected = { previous: `127.0.0.1:${from}`, current: `127.0.0.1:${to}` };
  for (const [who, events] of [['worker', workerEvents], ['queue client', queueEvents]] as const) {
    assert.equal(events.length, 1, `${who}: ${JSON.stringify(events)}`);
    assert.deepEqual({ previous: events[0]!.previous, current: events[0]!.current }, expected, who);
    assert.ok(events[0]!.at instanceof Date);
  }
  const warnings = observers.workerWarnings.filter((warning) => /Redis primary changed/.test(warning));
  assert.equal(warnings.length, 1, observers.workerWarnings.join('\n'));
  assert.match(warnings[0]!, new RegExp(`from ${expected.previous} to ${expected.current}: .*may be lost, as replication is asynchronous \\(durable mode confirms each ending with WAIT\\)`));
  for (const command of ['worker', 'dashboard'] as const) {
    assert.equal(lines(cliOutput[command]), 1, `rq ${command} stderr:\n${cliOutput[command]}`);
  }
}

describe('Failovers are reported once, with the old and the new primary', () => {
  let graceful: SentinelGroup;
  let crash: SentinelGroup;
  let hung: SentinelGroup;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rqts-failover-'));
    [graceful, crash, hung] = await Promise.all([
      startSentinelGroup({ masterName: 'rqts-graceful' }),
      startSentinelGroup({ masterName: 'rqts-crash' }),
      startSentinelGroup({ masterName: 'rqts-hung-sentinel' }),
    ]);
  });

  after(async () => {
    await Promise.all([graceful?.stop(), crash?.stop(), hung?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    // Not the primaries SIGKILLed, nor the sentinel stopped.
    await assertServersIdle([graceful.primary, graceful.replica, ...graceful.sentinels, crash.replica, ...crash.sentinels, hung.replica, ...hung.sentinels.slice(1)]);
  });

  test('a graceful SENTINEL FAILOVER: connection:failover and one warning from a Worker, onFailover on a queue client, one line from rq worker and rq dashboard', async () => {
    const observers = await observe(graceful, dir);
    try {
      const sentinel = adminClient(graceful.sentinels[0]!);
      try {
        await sentinel.call('SENTINEL', 'FAILOVER', graceful.masterName);
      } finally {
        sentinel.disconnect();
      }
      await assertSeenOnce(observers, graceful.primary.port, graceful.replica.port);
    } finally {
      await observers.close();
    }
  });

  test('a SIGKILL of the primary: the same reports, once each, naming the promoted replica', async () => {
    const observers = await observe(crash, dir);
    try {
      await crash.primary.kill('SIGKILL');
      await assertSeenOnce(observers, crash.primary.port, crash.replica.port);
    } finally {
      await observers.close();
    }
  });

  test('a Sentinel client that is connecting again when +switch-master arrives does not end: it and its duplicate reach the new primary', async () => {
    // The sentinel a client asks first hangs, so the client's question to it is under way (for its
    // connect timeout, 5 s) when the other two promote the replica and publish +switch-master.
    const client = connectionFromSettings(settingsFor(hung));
    const duplicate = client.duplicate();
    const switches: FailoverInfo[] = [];
    try {
      for (const connection of [client, duplicate]) {
        connection.on('error', () => {});
        onFailover(connection, (failover) => switches.push(failover));
        await within(connection.ping(), 10_000, 'a PING before the failover');
      }
      process.kill(hung.sentinels[0]!.pid, 'SIGSTOP');
      try {
        await hung.primary.kill('SIGKILL');
        await waitUntil(() => switches.length === 2, SEEN_WITHIN_MS, 'both clients to reach the new primary').catch((error: Error) => {
          throw new Error(`${error.message}: client ${client.status}, duplicate ${duplicate.status}`);
        });
      } finally {
        process.kill(hung.sentinels[0]!.pid, 'SIGCONT');
      }
      for (const failover of switches) assert.equal(failover.current, `127.0.0.1:${hung.replica.port}`);
      assert.equal(await within(client.ping(), 10_000, 'a PING after the failover'), 'PONG');
      assert.equal(await within(duplicate.ping(), 10_000, 'a PING of the duplicate'), 'PONG');
    } finally {
      client.disconnect();
      duplicate.disconnect();
    }
  });
});
