/**
 * The graceful-failover loss experiment (RELIABILITY.md §6 row 9, issue 14): a producer enqueues
 * about 100 jobs a second through Sentinel, a worker at concurrency 10 runs them, and a
 * `SENTINEL FAILOVER` moves the primary to the replica mid-stream. Every execution is counted in a
 * ledger on a separate redis-server (not replicated, untouched by the failover), so that a job run
 * twice shows up whatever Redis lost.
 *
 * Afterwards, on the final primary (read through a fresh connection to the address the sentinels
 * give): which acknowledged jobs are gone, which ran twice, and how long the producer went without
 * an acknowledgement. "Acknowledged" is what the library told the caller: an enqueue that resolved
 * (in durable mode, only after WAIT confirmed it). Jobs left `started` by endings the failover
 * lost are swept as abandoned (as a live worker's sweep would after their heartbeat TTL) and run
 * by a burst worker, so that their second run is counted too.
 *
 * Used by test/failover-loss.test.ts (durable mode, asserting no acknowledged job is lost) and by
 * tools/failover-experiment.mjs (both modes, several runs, the figures in docs/reliability.md).
 */
import { Redis } from 'ioredis';
import {
  Job,
  NoSuchJobError,
  Queue,
  ReplicationTimeoutError,
  StartedJobRegistry,
  Worker,
  onFailover,
  openConnection,
  type RQSettings,
} from '../../src/index.js';
import { adminClient, sleep, startRedis, startSentinelGroup, waitUntil, type SentinelGroup } from './redis-server.js';

/** Options of {@link runFailoverExperiment}. */
export interface FailoverExperimentOptions {
  /** Durable mode (`durable: { replicas: durableReplicas, timeout: durableTimeout }`) for the producer's queue and the worker. */
  durable: boolean;
  /** WAIT timeout in durable mode, in seconds. @default 1 */
  durableTimeout?: number;
  /** Replicas in the Sentinel group. @default 1 */
  replicas?: number;
  /** Durable mode: replicas that must confirm each write (`durable.replicas`). @default 1 */
  durableReplicas?: number;
  /** Enqueues per second. @default 100 */
  rate?: number;
  /** Worker concurrency. @default 10 */
  concurrency?: number;
  /** How long each job runs, in ms. @default 50 */
  jobMs?: number;
  /** Producing before the failover, in ms. @default 2000 */
  warmupMs?: number;
  /** Acknowledgements of enqueues sent after the switch, wanted before the producer stops. @default 20 */
  acksAfterSwitch?: number;
  /** Longest the producer goes on after the failover, in ms. @default 30000 */
  maxAfterMs?: number;
  /** Wait until the old primary is a synced replica of the new one before reading the results (and measure when). @default true */
  waitForRejoin?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What one run measured. Times in ms. */
export interface FailoverExperimentResult {
  mode: 'default' | 'durable';
  /** Replicas in the group. */
  replicas: number;
  /** Durable mode: replicas that had to confirm each write (0 in default mode). */
  durableReplicas: number;
  /** Enqueues sent. */
  sent: number;
  /** Enqueues acknowledged (resolved). */
  acknowledged: number;
  /** Acknowledged jobs whose hash is gone on the final primary (Job.fetch: no such job). */
  lost: number;
  /** Of those, the ones that never ran. */
  lostNeverRan: number;
  /** Durable mode: enqueues rejected with ReplicationTimeoutError. */
  unconfirmed: number;
  /** Of those, the ones gone on the final primary. */
  unconfirmedLost: number;
  /** Enqueues rejected with another error. */
  failed: number;
  /** Jobs whose ledger count is 2 or more. */
  ranTwice: number;
  /** Jobs left `started` on the final primary after the worker had drained the queue (they ran again after the sweep). */
  leftStarted: number;
  /** From SENTINEL FAILOVER to the producer's connection:failover (onFailover): how long it wrote to the old primary, at most. */
  switchMs: number | undefined;
  /** Longest time without an acknowledged enqueue, from 1 s before the failover to the end. */
  outageMs: number;
  /** Acknowledgements between SENTINEL FAILOVER and the switch (default mode: written to the old primary). */
  acknowledgedBeforeSwitch: number;
  /** Times the producer's and the worker's connection reported a failover. */
  producerFailovers: number;
  workerFailovers: number;
  /** Durable mode: jobs whose endings the worker reported as unconfirmed (replication:timeout). */
  workerUnconfirmed: number;
  /** Jobs run twice that the worker did not report as unconfirmed. */
  ranTwiceUnreported: number;
  /** From SENTINEL FAILOVER until the old primary was a replica of the new one, in sync (undefined: not within the run, or not waited for). */
  oldPrimaryRejoinedMs: number | undefined;
  /** Ports: the primary before, the primary after. */
  primaryBefore: number;
  primaryAfter: number;
}

interface Sent {
  readonly seq: number;
  readonly sentAt: number;
  outcome?: 'ack' | 'unconfirmed' | 'failed';
  at?: number;
}

const QUEUE = 'failover-experiment';
const LEDGER_KEY = 'failover-experiment:runs';

/** Runs the experiment once, on a Sentinel group and a ledger server of its own. */
export async function runFailoverExperiment(options: FailoverExperimentOptions): Promise<FailoverExperimentResult> {
  const log = options.log ?? (() => {});
  const [group, ledgerServer] = await Promise.all([startSentinelGroup({ masterName: 'experiment', replicas: options.replicas ?? 1 }), startRedis()]);
  const ledger = adminClient(ledgerServer);
  const closers: Array<() => unknown> = [];
  try {
    return await experiment(group, ledger, options, log, closers);
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
    ledger.disconnect();
    await Promise.all([group.stop(), ledgerServer.stop()]);
  }
}

async function experiment(
  group: SentinelGroup,
  ledger: Redis,
  options: FailoverExperimentOptions,
  log: (line: string) => void,
  closers: Array<() => unknown>,
): Promise<FailoverExperimentResult> {
  const rate = options.rate ?? 100;
  const durable = options.durable ? { replicas: options.durableReplicas ?? 1, timeout: options.durableTimeout ?? 1 } : undefined;
  const settings: RQSettings = { SENTINEL: { INSTANCES: group.instances, MASTER_NAME: group.masterName, SOCKET_TIMEOUT: 5 } };
  const producerConnection = await openConnection(settings);
  closers.push(() => producerConnection.disconnect());
  const workerConnection = await openConnection(settings);
  closers.push(() => workerConnection.disconnect());
  producerConnection.on('error', () => {});
  workerConnection.on('error', () => {});

  let switchAt: number | undefined;
  let producerFailovers = 0;
  closers.push(onFailover(producerConnection, (failover) => {
    producerFailovers += 1;
    switchAt ??= failover.at.getTime();
    log(`producer: primary ${failover.previous} -> ${failover.current}`);
  }));

  const jobMs = options.jobMs ?? 50;
  const worker = new Worker(QUEUE, {
    connection: workerConnection,
    concurrency: options.concurrency ?? 10,
    ...(durable && { durable }),
    tasks: {
      'experiment.run': async (seq: number) => {
        await ledger.hincrby(LEDGER_KEY, String(seq), 1);
        await sleep(jobMs);
      },
    },
  });
  let workerFailovers = 0;
  const workerUnconfirmed = new Set<string>();
  worker.on('connection:failover', () => (workerFailovers += 1));
  worker.on('replication:timeout', (error) => error.jobIds.forEach((id) => workerUnconfirmed.add(id)));
  worker.on('worker:error', () => {});
  const working = worker.work();
  closers.push(() => worker.close());

  // The producer: `rate` enqueues a second, each sent without waiting for the previous one.
  const queue = new Queue(QUEUE, { connection: producerConnection, ...(durable && { durable }) });
  const sent: Sent[] = [];
  const pending = new Set<Promise<void>>();
  let producing = true;
  const startedAt = Date.now();
  const produce = async () => {
    while (producing) {
      const due = Math.floor(((Date.now() - startedAt) * rate) / 1000);
      while (sent.length < due && pending.size < 2000) {
        const entry: Sent = { seq: sent.length, sentAt: Date.now() };
        sent.push(entry);
        const promise = queue.enqueueCall('experiment.run', { args: [entry.seq], jobId: `exp-${entry.seq}` }).then(
          () => {
            entry.outcome = 'ack';
          },
          (error: unknown) => {
            entry.outcome = error instanceof ReplicationTimeoutError ? 'unconfirmed' : 'failed';
          },
        ).finally(() => {
          entry.at = Date.now();
          pending.delete(promise);
        });
        pending.add(promise);
      }
      await sleep(5);
    }
  };
  const producer = produce();

  await sleep(options.warmupMs ?? 2000);
  const primaryBefore = await group.currentMasterPort();
  const failoverAt = Date.now();
  const sentinel = adminClient(group.sentinels[0]!);
  try {
    await sentinel.call('SENTINEL', 'FAILOVER', group.masterName);
  } finally {
    sentinel.disconnect();
  }
  log(`SENTINEL FAILOVER sent (primary was ${primaryBefore})`);
  // When the old primary becomes a replica of the new one: before that, the new primary has none.
  let oldPrimaryRejoinedAt: number | undefined;
  let watchingRejoin = true;
  const oldPrimary = adminClient({ port: primaryBefore });
  closers.push(() => {
    watchingRejoin = false;
    oldPrimary.disconnect();
  });
  const rejoined = (async () => {
    while (watchingRejoin && oldPrimaryRejoinedAt === undefined && Date.now() < failoverAt + 60_000) {
      const info = await oldPrimary.info('replication').catch(() => '');
      if (/role:slave/.test(info) && /master_link_status:up/.test(info)) oldPrimaryRejoinedAt = Date.now();
      else await sleep(100);
    }
  })();

  // Produce until enough enqueues sent after the switch were acknowledged (durable mode: until the
  // new primary has a replica again), or for maxAfterMs.
  const wanted = options.acksAfterSwitch ?? 20;
  const deadline = failoverAt + (options.maxAfterMs ?? 30_000);
  while (Date.now() < deadline) {
    if (switchAt !== undefined && sent.filter((entry) => entry.outcome === 'ack' && entry.sentAt > switchAt!).length >= wanted) break;
    await sleep(50);
  }
  producing = false;
  await producer;
  await Promise.all(pending);
  log(`producer stopped: ${sent.length} sent`);
  if (options.waitForRejoin ?? true) await rejoined;

  // The final primary, read through fresh connections.
  await waitUntil(async () => (await group.currentMasterPort()) !== primaryBefore, 30_000, 'the sentinels to name the new primary');
  const primaryAfter = await group.currentMasterPort();
  const primary = adminClient({ port: primaryAfter });
  closers.push(() => primary.disconnect());

  // Let the worker see the switch (it should, within seconds) and drain the queue; then stop it, sweep what the failover left started, and run it.
  await waitUntil(() => workerFailovers > 0, 10_000, 'the worker to see the switch').catch(() => log('the worker did not see the switch within 10 s'));
  await waitUntil(async () => (await primary.llen(`rq:queue:${QUEUE}`)) === 0, 120_000, 'the worker to drain the queue');
  await worker.close();
  await working;
  const registry = new StartedJobRegistry(QUEUE, { connection: producerConnection });
  const leftStarted = (await registry.cleanup({ timestamp: Math.floor(Date.now() / 1000) + 1_000_000, maxAbandonedRequeues: 1 })).requeued.length;
  const sweeper = new Worker(QUEUE, { connection: workerConnection, tasks: { 'experiment.run': async (seq: number) => void (await ledger.hincrby(LEDGER_KEY, String(seq), 1)) } });
  await sweeper.work({ burst: true });
  log(`worker drained; ${leftStarted} job(s) left started, run again`);

  const runs = new Map(Object.entries(await ledger.hgetall(LEDGER_KEY)).map(([seq, count]) => [Number(seq), Number(count)]));
  const exists = async (entry: Sent) => {
    try {
      await Job.fetch(`exp-${entry.seq}`, { connection: primary });
      return true;
    } catch (error) {
      if (error instanceof NoSuchJobError) return false;
      throw error;
    }
  };
  const acked = sent.filter((entry) => entry.outcome === 'ack');
  const unconfirmed = sent.filter((entry) => entry.outcome === 'unconfirmed');
  const lost: Sent[] = [];
  for (const entry of acked) if (!(await exists(entry))) lost.push(entry);
  let unconfirmedLost = 0;
  for (const entry of unconfirmed) if (!(await exists(entry))) unconfirmedLost += 1;

  const ackTimes = acked.map((entry) => entry.at!).filter((at) => at >= failoverAt - 1000).sort((a, b) => a - b);
  let outageMs = 0;
  for (let i = 1; i < ackTimes.length; i++) outageMs = Math.max(outageMs, ackTimes[i]! - ackTimes[i - 1]!);

  return {
    mode: options.durable ? 'durable' : 'default',
    replicas: options.replicas ?? 1,
    durableReplicas: options.durable ? options.durableReplicas ?? 1 : 0,
    sent: sent.length,
    acknowledged: acked.length,
    lost: lost.length,
    lostNeverRan: lost.filter((entry) => !runs.has(entry.seq)).length,
    unconfirmed: unconfirmed.length,
    unconfirmedLost,
    failed: sent.filter((entry) => entry.outcome === 'failed').length,
    ranTwice: [...runs.values()].filter((count) => count >= 2).length,
    ranTwiceUnreported: [...runs].filter(([seq, count]) => count >= 2 && !workerUnconfirmed.has(`exp-${seq}`)).length,
    oldPrimaryRejoinedMs: oldPrimaryRejoinedAt === undefined ? undefined : oldPrimaryRejoinedAt - failoverAt,
    leftStarted,
    switchMs: switchAt === undefined ? undefined : switchAt - failoverAt,
    outageMs,
    acknowledgedBeforeSwitch: switchAt === undefined ? 0 : acked.filter((entry) => entry.at! >= failoverAt && entry.at! < switchAt!).length,
    producerFailovers,
    workerFailovers,
    workerUnconfirmed: workerUnconfirmed.size,
    primaryBefore,
    primaryAfter,
  };
}
