/**
 * The set-up every side benchmark shares (bench:floor, bench:parts): its own redis-server, pinned
 * to its core as `npm run bench` pins it, an admin connection that fails rather than retries, and
 * a runner of benchmark children on the other cores.
 */
import { Redis } from 'ioredis';
import { runNode } from './processes.mjs';
import { pin, pinningPlan } from './pinning.mjs';
import { startRedisServer } from './redis-server.mjs';

/** A connection to the benchmark's redis-server on `port` that fails rather than retries. */
export function adminConnection(port) {
  const client = new Redis({ host: '127.0.0.1', port, retryStrategy: () => null, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // reported by the failing command
  return client;
}

/**
 * Starts the redis-server and pins it (when the machine allows). `child(task, options)` runs a
 * bench/child.mjs task against it on the clients' cores; `timeoutMs` bounds each child.
 */
export async function ownRedis({ timeoutMs }) {
  const redis = await startRedisServer({ connect: adminConnection });
  const plan = pinningPlan({ enabled: true });
  if (plan) pin(redis.pid, plan.redis);
  const admin = adminConnection(redis.port);
  const child = (fields, options = {}) => runNode({ host: redis.host, port: redis.port, ...fields }, { timeoutMs, cpus: plan?.clients, ...options });
  return { redis, plan, admin, child };
}
