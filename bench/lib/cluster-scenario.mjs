/**
 * The Redis Cluster scenario (`npm run bench -- --cluster`; issue 16, "How far it scales"): how a
 * load spreads over the masters of a cluster, and what each master's Redis spends on a job.
 *
 * One measurement, for one system on one target (a plain Redis, or the cluster's masters):
 *   1. FLUSHALL on every node; a fill child enqueues the same number of no-op jobs on each queue
 *      (q0, q1, ...) in bulk, untimed;
 *   2. one worker child per queue at concurrency 50 opens its worker and says it is ready;
 *   3. on every node: CONFIG RESETSTAT and INFO (CPU); then every worker is told to start at once;
 *   4. each worker stops after its queue's last job; then INFO on every node again.
 * Throughput is all jobs over the time from the first worker's start to the last job's end (wall
 * clock, comparable across the children). A node's Redis CPU is INFO's used_cpu_sys +
 * used_cpu_user (all its threads) across steps 3-4, and its jobs are those of the queues whose
 * slot it serves; commands are INFO commandstats' calls (those run inside Lua scripts included),
 * keys INFO keyspace's after the run.
 *
 * One worker per queue, not one worker on all queues: a BullMQ Worker serves one queue, so that
 * is the only like-for-like layout; and an rq-ts worker on several queues of a cluster asks them
 * one at a time (docs/cluster.md, "A worker's step"), which would measure its queue order rather
 * than the spread over the masters.
 */
import { runNode } from './processes.mjs';
import { BATCH } from './scenarios.mjs';

/** Each worker's concurrency: scenario 5's, at which one Redis is the bottleneck here. */
export const CLUSTER_CONCURRENCY = 50;

/** The queues of the scenario: q0 to q<count-1>. */
export function queueNames(count) {
  return Array.from({ length: count }, (_, index) => `q${index}`);
}

/** Master names in slot order: A serves the lowest slots. */
const MASTER_NAMES = 'ABCDEFGHIJ';

/**
 * Which master serves each queue: CLUSTER KEYSLOT of the queue's rq-ts key (`rq:queue:{q0}`;
 * BullMQ's `{q0}:q0:wait` has the same tag and so the same slot).
 * @returns {Promise<Array<{ name: string, port: number, slots: [number, number][], queues: string[] }>>} masters in slot order
 */
export async function placeQueues(admin, cluster, queues) {
  const masters = [...cluster.nodes]
    .sort((a, b) => a.slots[0][0] - b.slots[0][0])
    .map((node, index) => ({ name: MASTER_NAMES[index], port: node.port, slots: node.slots, queues: [] }));
  for (const queue of queues) {
    const slot = await admin.cluster('KEYSLOT', `rq:queue:{${queue}}`);
    const port = cluster.masterOfSlot(slot).port;
    masters.find((master) => master.port === port).queues.push(queue);
  }
  return masters;
}

/** INFO's counters of one node. */
async function readNode(admin) {
  const text = await admin.info('everything');
  const number = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  const commands = {};
  for (const [, command, calls] of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) commands[command] = Number(calls);
  return {
    cpuSec: number('used_cpu_sys') + number('used_cpu_user'),
    mainThreadCpuSec: number('used_cpu_sys_main_thread') + number('used_cpu_user_main_thread'),
    reads: number('total_reads_processed'),
    keys: Number(/^db0:keys=(\d+)/m.exec(text)?.[1] ?? 0),
    usedMemory: number('used_memory'),
    commands,
  };
}

/**
 * The Redis CPU each node spends while idle, in ms per second (a cluster node gossips with the
 * others), read over `ms`.
 */
export async function idleCpu(nodes, ms) {
  const before = await Promise.all(nodes.map((node) => readNode(node.admin)));
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await Promise.all(nodes.map((node) => readNode(node.admin)));
  return Object.fromEntries(nodes.map((node, index) => [node.name, ((after[index].cpuSec - before[index].cpuSec) * 1000) / (ms / 1000)]));
}

/**
 * One measurement of `system` on `target`.
 * @param {{ clientCpus?: string, timeoutMs: number }} ctx
 * @param {string} system 'rq-ts' or 'bullmq'
 * @param {{ task: object, nodes: Array<{ name: string, port: number, admin: import('ioredis').Redis, queues: string[] }> }} target
 *   `task`: where the children connect ({ host, port } or { cluster: startup nodes }); `nodes`: the
 *   target's masters with the queues each serves (a plain Redis: one node with every queue)
 * @param {number} perQueue jobs on each queue
 */
export async function measureSpread(ctx, system, target, perQueue) {
  const queues = target.nodes.flatMap((node) => node.queues);
  for (const node of target.nodes) await node.admin.flushall();
  await runNode({ system, role: 'fill', n: perQueue, batch: BATCH, queues, ...target.task }, { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus }).result;
  const workers = queues.map((queue) => runNode({ system, role: 'process', n: perQueue, concurrency: CLUSTER_CONCURRENCY, startOnGo: true, queue, ...target.task }, { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus }));
  await Promise.all(workers.map((worker) => worker.ready)); // a worker that failed is "ready" too: its result tells
  for (const node of target.nodes) await node.admin.config('RESETSTAT');
  const before = await Promise.all(target.nodes.map((node) => readNode(node.admin)));
  for (const worker of workers) worker.send({ go: true });
  const results = await Promise.all(workers.map((worker) => worker.result));
  const after = await Promise.all(target.nodes.map((node) => readNode(node.admin)));

  const total = perQueue * queues.length;
  const wallMs = Math.max(...results.map((result) => result.endedAt)) - Math.min(...results.map((result) => result.startedAt));
  const nodes = target.nodes.map((node, index) => {
    const jobs = perQueue * node.queues.length;
    const cpuSec = after[index].cpuSec - before[index].cpuSec;
    const commands = Object.values(after[index].commands).reduce((sum, calls) => sum + calls, 0);
    return {
      name: node.name,
      port: node.port,
      queues: node.queues,
      jobs,
      cpuSec,
      mainThreadCpuSec: after[index].mainThreadCpuSec - before[index].mainThreadCpuSec,
      cpuPerJobUs: jobs > 0 ? (cpuSec / jobs) * 1e6 : undefined,
      commands,
      commandsByName: after[index].commands,
      reads: after[index].reads - before[index].reads,
      keys: after[index].keys,
      usedMemoryMb: after[index].usedMemory / 2 ** 20,
    };
  });
  const cpuSec = nodes.reduce((sum, node) => sum + node.cpuSec, 0);
  const busiestCpuSec = Math.max(...nodes.map((node) => node.cpuSec));
  return {
    jobs: total,
    wallMs,
    throughput: (total / wallMs) * 1000,
    cpuPerJobUs: (cpuSec / total) * 1e6,
    commandsPerJob: nodes.reduce((sum, node) => sum + node.commands, 0) / total,
    busyPercent: (cpuSec / (wallMs / 1000)) * 100,
    // With a core per node and Redis the only limit: the busiest node saturates first.
    ceiling: total / busiestCpuSec,
    // The same, were the jobs spread evenly over the nodes at this run's CPU per job.
    evenCeiling: (nodes.length * total) / cpuSec,
    workerMaxRssKb: Math.max(...results.map((result) => result.maxRssKb)),
    nodes,
  };
}
