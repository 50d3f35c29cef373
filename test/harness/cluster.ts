/**
 * A real Redis Cluster for tests: 3 masters and 3 replicas (`redis-server --cluster-enabled yes`)
 * on free loopback ports, joined by `redis-cli --cluster create ... --cluster-replicas 1`, and
 * ready when every node says `cluster_state:ok` and agrees on who serves each slot. Stopped (every
 * process killed, every directory removed) afterwards, like the Sentinel group.
 */
import { spawnSync } from 'node:child_process';
import { after, afterEach, before, beforeEach } from 'node:test';
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { adminClient, requireBinary, startRedis, waitUntil, type RedisProcess } from './redis-server.js';

/** A running cluster started by {@link startCluster}. */
export interface RedisClusterGroup {
  /** Every node, masters first as created (the first 3), then their replicas. */
  readonly nodes: readonly RedisProcess[];
  /** `{ host, port }` of every node, for `new Cluster(...)` or a CLUSTER settings block. */
  readonly startupNodes: ReadonlyArray<{ host: string; port: number }>;
  /** The nodes serving slots now (after a failover, a promoted replica counts). */
  masters(): Promise<RedisProcess[]>;
  /** The node serving `slot` now. */
  masterOf(slot: number): Promise<RedisProcess>;
  /** A new ioredis Cluster on this cluster; closed by {@link useCluster} after each test. */
  connect(options?: ClusterOptions): Cluster;
  /** Waits until every live node reports `cluster_state:ok` and the same owner for every slot. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Empties every master (and so its replicas) and flushes their scripts. */
  flush(): Promise<void>;
  /** Kills every node and removes their directories. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts 3 masters and 3 replicas on free loopback ports and waits until the cluster is ready. */
export async function startCluster(options: { password?: string } = {}): Promise<RedisClusterGroup> {
  requireBinary('redis-server');
  const auth = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];
  const nodes = await Promise.all(
    Array.from({ length: 6 }, () => startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000', '--cluster-config-file', 'nodes.conf', ...auth], ...(options.password ? { password: options.password } : {}) })),
  );
  const stopAll = () => Promise.all(nodes.map((node) => node.stop()));
  const create = spawnSync('redis-cli', [...(options.password ? ['-a', options.password, '--no-auth-warning'] : []), '--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '1', '--cluster-yes'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (create.status !== 0) {
    await stopAll();
    throw new Error(`redis-cli --cluster create failed (apt-get install -y redis-tools): ${create.stderr || create.stdout}`);
  }
  const admins = new Map<number, Redis>();
  const admin = (node: RedisProcess) => {
    let client = admins.get(node.port);
    if (!client) {
      client = adminClient(node, options.password);
      client.on('error', () => undefined); // a killed node's admin client: its commands fail
      admins.set(node.port, client);
    }
    return client;
  };
  const alive = (node: RedisProcess) => {
    try {
      process.kill(node.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const slotOwners = async (node: RedisProcess) => {
    const ranges = (await admin(node).cluster('SLOTS')) as unknown as Array<[number, number, [string, number, string]]>;
    return ranges
      .map(([from, to, [, port]]) => `${from}-${to}@${port}`)
      .sort()
      .join(',');
  };
  const group: RedisClusterGroup = {
    nodes,
    startupNodes: nodes.map((node) => ({ host: node.host, port: node.port })),
    async masters() {
      const live = nodes.filter(alive);
      const ranges = (await admin(live[0]!).cluster('SLOTS')) as unknown as Array<[number, number, [string, number, string]]>;
      const ports = new Set(ranges.map(([, , [, port]]) => port));
      return nodes.filter((node) => ports.has(node.port));
    },
    async masterOf(slot) {
      const live = nodes.filter(alive);
      const ranges = (await admin(live[0]!).cluster('SLOTS')) as unknown as Array<[number, number, [string, number, string]]>;
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return nodes.find((node) => node.port === range[2][1])!;
    },
    connect(extra: ClusterOptions = {}) {
      const client = new Cluster(group.startupNodes as Array<{ host: string; port: number }>, {
        ...extra,
        redisOptions: { ...(options.password ? { password: options.password } : {}), ...extra.redisOptions },
      });
      connected.push(client);
      return client;
    },
    async waitReady(timeoutMs = 30_000) {
      await waitUntil(
        async () => {
          const live = nodes.filter(alive);
          try {
            const states = await Promise.all(live.map(async (node) => ((await admin(node).cluster('INFO')) as string).includes('cluster_state:ok')));
            if (!states.every(Boolean)) return false;
            const owners = await Promise.all(live.map(slotOwners));
            return owners.every((owner) => owner === owners[0]) && owners[0]!.split(',').length >= 3;
          } catch {
            return false;
          }
        },
        timeoutMs,
        'the cluster to be ready',
      );
    },
    async flush() {
      for (const node of await group.masters()) {
        await admin(node).flushall();
        await admin(node).script('FLUSH');
      }
    },
    async stop() {
      for (const client of connected.splice(0)) client.disconnect();
      for (const client of admins.values()) client.disconnect();
      admins.clear();
      await stopAll();
    },
  };
  const connected: Cluster[] = [];
  try {
    await group.waitReady();
  } catch (error) {
    await group.stop();
    throw error;
  }
  return group;
}

/** What {@link useCluster} gives a test file. */
export interface ClusterFixture {
  /** The cluster of this file (valid inside tests and hooks). */
  readonly cluster: RedisClusterGroup;
  /** A new Cluster client for the code under test, closed after the test. */
  connect(options?: ClusterOptions): Cluster;
}

/**
 * Starts a cluster for this test file, empties it before each test, and closes the clients a
 * test made after it.
 */
export function useCluster(options: { password?: string } = {}): ClusterFixture {
  let cluster: RedisClusterGroup | undefined;
  const clients: Cluster[] = [];
  before(async () => {
    cluster = await startCluster(options);
  });
  after(async () => {
    await cluster?.stop();
  });
  beforeEach(async () => {
    await cluster!.waitReady();
    await cluster!.flush();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });
  return {
    get cluster() {
      return cluster!;
    },
    connect(extra: ClusterOptions = {}) {
      const client = cluster!.connect(extra);
      clients.push(client);
      return client;
    },
  };
}
