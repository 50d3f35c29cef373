/**
 * The benchmark's own Redis Cluster: 3 masters and no replicas, each a redis-server of
 * bench/lib/redis-server.mjs (free loopback port, no persistence, its own directory) started with
 * `--cluster-enabled yes`, joined by `redis-cli --cluster create`, which gives the masters the
 * slot ranges 0-5460, 5461-10922 and 10923-16383. Ready when every node says `cluster_state:ok`
 * and they agree on who serves each slot. Stopped, every node, at the end of the run.
 *
 * No replicas: on 2 cores a replica would take CPU from the masters it copies, and the plain Redis
 * it is compared with has none either. A master that feeds a replica spends more per write.
 */
import { spawnSync } from 'node:child_process';
import { startRedisServer } from './redis-server.mjs';

/** How long the cluster may take to agree on its slots after `redis-cli --cluster create`, in ms. */
const READY_TIMEOUT_MS = 30_000;

/** Settings of each node: a cluster node; its nodes.conf goes to its own temporary directory. */
const NODE_ARGS = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'];

function requireRedisCli() {
  const probe = spawnSync('redis-cli', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error('redis-cli is not installed: the cluster scenario joins its nodes with `redis-cli --cluster create`. On Debian or Ubuntu: apt-get install -y redis-tools');
}

/**
 * Starts `masters` cluster nodes and joins them into one cluster.
 * @param {{ connect: (port: number) => import('ioredis').Redis, masters?: number }} options
 * @returns {Promise<{ nodes: Array<{ host: string, port: number, pid: number, slots: [number, number][] }>, startupNodes: Array<{ host: string, port: number }>, masterOfSlot: (slot: number) => object, stop: () => Promise<void> }>}
 */
export async function startRedisCluster({ connect, masters = 3 }) {
  requireRedisCli();
  const servers = [];
  const stop = () => Promise.all(servers.map((server) => server.stop()));
  try {
    for (let i = 0; i < masters; i++) servers.push(await startRedisServer({ connect, args: NODE_ARGS }));
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...servers.map((server) => `${server.host}:${server.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${(create.stderr || create.stdout || String(create.error)).trim().split('\n').slice(-3).join(' | ')}`);
    const slots = await waitUntilReady(servers, connect);
    const nodes = servers.map((server) => ({ host: server.host, port: server.port, pid: server.pid, slots: slots.get(server.port) ?? [] }));
    const masterOfSlot = (slot) => nodes.find((node) => node.slots.some(([from, to]) => slot >= from && slot <= to));
    return { nodes, startupNodes: nodes.map(({ host, port }) => ({ host, port })), masterOfSlot, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits until every node reports `cluster_state:ok` and the same slot owners; resolves to port -> slot ranges. */
async function waitUntilReady(servers, connect) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const admins = servers.map((server) => connect(server.port));
  try {
    while (Date.now() < deadline) {
      try {
        const states = await Promise.all(admins.map((admin) => admin.cluster('INFO')));
        const owners = await Promise.all(admins.map((admin) => admin.cluster('SLOTS')));
        const text = owners.map((ranges) => JSON.stringify([...ranges].map(([from, to, [, port]]) => [from, to, port]).sort((a, b) => a[0] - b[0])));
        const covered = owners[0].reduce((sum, [from, to]) => sum + to - from + 1, 0);
        if (states.every((state) => state.includes('cluster_state:ok')) && text.every((one) => one === text[0]) && covered === 16384) {
          const slots = new Map();
          for (const [from, to, [, port]] of owners[0]) slots.set(port, [...(slots.get(port) ?? []), [from, to]]);
          return slots;
        }
      } catch {
        // a node not yet answering CLUSTER: try again
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the cluster on ports ${servers.map((server) => server.port).join(', ')} did not agree on its slots within ${READY_TIMEOUT_MS} ms`);
  } finally {
    for (const admin of admins) admin.disconnect();
  }
}
