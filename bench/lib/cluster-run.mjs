/**
 * `npm run bench -- --cluster`: the Redis Cluster scenario (bench/lib/cluster-scenario.mjs) on a
 * plain redis-server and on a cluster of 3 masters (bench/lib/redis-cluster.mjs), both the
 * benchmark's own, on free loopback ports, stopped at the end. Every redis-server is pinned to the
 * core the plain Redis gets in the other scenarios, the workers to the others, so both targets
 * get the same Redis CPU: the cluster's masters share one core.
 */
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { writeClusterDocs, writeClusterResults, clusterTable, clusterTextTables } from './cluster-report.mjs';
import { CLUSTER_CONCURRENCY, idleCpu, measureSpread, placeQueues, queueNames } from './cluster-scenario.mjs';
import { snapshotDist } from './dist-snapshot.mjs';
import { ensurePeersInstalled } from './install.mjs';
import { takeBenchLock } from './lock.mjs';
import { describeMachine } from './machine.mjs';
import { CLUSTER_SYSTEMS } from './options.mjs';
import { describePinning, pin, pinningPlan } from './pinning.mjs';
import { killChildren } from './processes.mjs';
import { startRedisCluster } from './redis-cluster.mjs';
import { startRedisServer } from './redis-server.mjs';

const TARGETS = ['plain', 'cluster'];

function rotate(list, by) {
  const offset = by % list.length;
  return [...list.slice(offset), ...list.slice(0, offset)];
}

/**
 * Runs the scenario; resolves to the exit code.
 * @param {ReturnType<import('./options.mjs').parseOptions>} options
 * @param {{ root: string, log: (line: string) => void, command: string, connect: (port: number) => import('ioredis').Redis }} context
 */
export async function runClusterBench(options, { root, log, command, connect }) {
  const systems = options.systems.filter((system) => CLUSTER_SYSTEMS.includes(system));
  const skipped = options.systems.filter((system) => !CLUSTER_SYSTEMS.includes(system));
  if (skipped.length > 0) log(`Not on a cluster: ${skipped.join(', ')} (Bee-Queue's client has no cluster mode; Python RQ has no cluster support).`);
  if (systems.length === 0) throw new Error(`--cluster runs ${CLUSTER_SYSTEMS.join(' and ')}; --systems named neither`);
  if (systems.includes('bullmq')) ensurePeersInstalled({ allowed: options.install, log });
  const releaseLock = options.smoke ? () => undefined : await takeBenchLock(log);
  const snapshot = snapshotDist(root);
  process.env.RQ_TS_BENCH_DIST = join(snapshot, 'dist', 'index.js'); // read by bench/systems/rq-ts.mjs in the children
  const started = [];
  const admins = [];
  const cleanup = async () => {
    killChildren();
    for (const admin of admins) admin.disconnect();
    await Promise.all(started.map((server) => server.stop()));
    rmSync(snapshot, { recursive: true, force: true });
    releaseLock();
  };
  const onSignal = (signal) => {
    log(`\n${signal}: stopping the benchmark's processes and redis-servers.`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const plain = await startRedisServer({ connect });
    started.push(plain);
    const cluster = await startRedisCluster({ connect });
    started.push(cluster);
    const admin = (port) => {
      const client = connect(port);
      admins.push(client);
      return client;
    };
    const plainAdmin = admin(plain.port);
    const startedAt = new Date();
    const machine = describeMachine(await plainAdmin.info('server'));
    const plan = pinningPlan({ enabled: options.pin });
    for (const pid of [plain.pid, ...cluster.nodes.map((node) => node.pid)]) {
      if (plan && !pin(pid, plan.redis)) throw new Error(`taskset could not pin redis-server (pid ${pid}); run with --no-pin`);
    }
    machine.pinning = plan ? `every redis-server (the one Redis, and the cluster's 3 masters together) on CPU ${plan.redis}, producers and workers on CPU ${plan.clients}` : describePinning(plan);
    log(`Redis ${machine.redis}: one on port ${plain.port}; a cluster of 3 masters, no replicas, on ports ${cluster.nodes.map((node) => node.port).join(', ')}. ${machine.cpu}, ${machine.cores} cores; Node ${process.version}`);
    log(`CPU pinning: ${machine.pinning}`);

    const queues = queueNames(options.clusterQueues);
    const perQueue = Math.max(1, Math.round(options.counts.nCluster / queues.length));
    const masters = await placeQueues(admin(cluster.nodes[0].port), cluster, queues);
    const masterNodes = masters.map((master) => ({ ...master, admin: admin(master.port) }));
    log(`Queues: ${masters.map((master) => `master ${master.name} (slots ${master.slots.map(([from, to]) => `${from}-${to}`).join(',')}): ${master.queues.join(', ') || 'none'}`).join('; ')}`);
    const targets = {
      plain: { task: { host: plain.host, port: plain.port }, nodes: [{ name: 'one', port: plain.port, admin: plainAdmin, queues }] },
      cluster: { task: { cluster: cluster.startupNodes }, nodes: masterNodes },
    };
    const idleMs = options.smoke ? 300 : 2000;
    const idle = { ...(await idleCpu(targets.plain.nodes, idleMs)), ...(await idleCpu(masterNodes, idleMs)) };
    log(`Idle Redis CPU (ms per s): ${Object.entries(idle).map(([name, ms]) => `${name === 'one' ? 'one Redis' : `master ${name}`} ${ms.toFixed(1)}`).join(', ')}`);
    log(`Systems: ${systems.join(', ')}; ${options.runs} run(s) of ${perQueue * queues.length} jobs (${perQueue} on each of ${queues.length} queues)${options.smoke ? '; smoke mode' : ''}`);
    const loadAtStart = loadavg()[0];
    if (loadAtStart > cpus().length / 2) log(`Note: the machine is busy (1-min load average ${loadAtStart.toFixed(2)} before the first measurement); other processes skew the numbers.`);

    const ctx = { timeoutMs: 600_000, clientCpus: plan?.clients };
    const measurements = [];
    const errors = [];
    const pairs = systems.flatMap((system) => TARGETS.map((target) => [system, target]));
    for (let run = 0; run < options.runs; run++) {
      for (const [system, target] of rotate(pairs, run)) {
        const label = `[cluster] run ${run + 1}/${options.runs} ${system} on ${target === 'plain' ? 'one Redis' : 'the cluster'}`;
        try {
          const measured = await measureSpread(ctx, system, targets[target], perQueue);
          measurements.push({ run: run + 1, system, target, ...measured });
          const perNode = measured.nodes.length > 1 ? `; per master ${measured.nodes.map((node) => `${node.name} ${node.cpuPerJobUs?.toFixed(1) ?? '—'}`).join(', ')} us/job` : '';
          log(`${label}: ${Math.round(measured.throughput).toLocaleString('en-US')} jobs/s, Redis CPU ${measured.cpuPerJobUs.toFixed(1)} us/job (${measured.busyPercent.toFixed(0)}% of a core)${perNode}`);
        } catch (error) {
          killChildren(); // a worker left waiting would take the next measurement's jobs
          errors.push({ system, target, run: run + 1, message: error.message });
          log(`${label}: FAILED: ${error.message}`);
        }
      }
    }
    const result = {
      startedAt: startedAt.toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      command,
      smoke: options.smoke,
      runs: options.runs,
      systems,
      queues,
      perQueue,
      concurrency: CLUSTER_CONCURRENCY,
      masters: masters.map(({ name, slots, queues: served }) => ({ name, slots, queues: served })),
      idleCpuMsPerSecond: idle,
      machine: { ...machine, loadAverage: { start: Number(loadAtStart.toFixed(2)), end: Number(loadavg()[0].toFixed(2)) } },
      redis: { plain: { port: plain.port, pid: plain.pid }, cluster: cluster.nodes.map(({ port, pid }) => ({ port, pid })) },
      measurements,
      errors,
    };
    const table = clusterTable(result);
    log(`\n${clusterTextTables(result, table)}\n`);
    const written = writeClusterResults(result, table, options.out ?? join(root, 'bench', 'results'));
    const docs = options.docs ? [writeClusterDocs(result, table)] : [];
    for (const path of [...Object.values(written), ...docs]) log(`Wrote ${relative(process.cwd(), path) || path}`);
    if (errors.length > 0) log(`${errors.length} measurement(s) failed; see above.`);
    return errors.length > 0 ? 1 : 0;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
