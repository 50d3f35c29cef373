/**
 * Opening a connection from settings and waiting until it is ready, or failing within a timeout
 * with an error that says where it looked (password masked) and why: for Sentinel, what each
 * sentinel answered about the master, asked by a short-lived probe connection of its own; for a
 * Redis Cluster, what each node answered (cluster-diagnosis.ts). A plain connection that reaches
 * a cluster node is refused here too ({@link assertNotClusterNode}).
 */
import { ReplyError, type Cluster, type Redis, type RedisOptions } from 'ioredis';
import { createClusterClient } from './cluster-client.js';
import { diagnoseCluster } from './cluster-diagnosis.js';
import { clusterOptionsFromSettings, type ClusterConnectionOptions } from './cluster-options.js';
import { isCluster, type RedisConnection } from './connection.js';
import { DEFAULT_CONNECT_BUDGET_MS, DEFAULT_REDIS_PORT, DEFAULT_SENTINEL_MASTER_NAME, DEFAULT_SENTINEL_PORT } from './defaults.js';
import { ConfigurationError } from './errors.js';
import { probeClient, withTimeout } from './probe.js';
import { redisErrorKind } from './redis-errors.js';
import { createClient, type ClusterOnlySettings, type PlainSettings } from './redis-client.js';
import { describeConnection, redisOptionsFromSettings, redisOptionsFromUrl } from './redis-options.js';
import { clusterSettingsOf, type RQSettings } from './settings.js';

/** Options of {@link openConnection}. */
export interface OpenConnectionOptions {
  /** How long to wait for the connection to be ready, in seconds. @default SOCKET_TIMEOUT, else 10 */
  timeout?: number;
}

/**
 * Builds a client from settings (see {@link connectionFromSettings}) and waits until it is ready:
 * a `Redis`, checked not to be a node of a Redis Cluster ({@link assertNotClusterNode}), or for
 * `CLUSTER` settings a `Cluster` whose `CLUSTER INFO` says `cluster_state:ok`.
 * @throws {ConfigurationError} within `timeout` when Redis cannot be reached, saying where it
 * looked (password masked) and, for Sentinel, what the sentinels answered, for a cluster what
 * each node answered; at once when a plain connection reaches a cluster node.
 */
export async function openConnection(settings: string | PlainSettings, options?: OpenConnectionOptions): Promise<Redis>;
export async function openConnection(settings: ClusterOnlySettings, options?: OpenConnectionOptions): Promise<Cluster>;
export async function openConnection(settings: RQSettings | string, options?: OpenConnectionOptions): Promise<RedisConnection>;
export async function openConnection(settings: RQSettings | string, options: OpenConnectionOptions = {}): Promise<RedisConnection> {
  const cluster = typeof settings === 'string' ? undefined : clusterSettingsOf(settings);
  if (cluster !== undefined) return openCluster(clusterOptionsFromSettings(cluster), options);
  const client = await openRedis(typeof settings === 'string' ? redisOptionsFromUrl(settings) : redisOptionsFromSettings(settings), options);
  try {
    await assertNotClusterNode(client);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return client;
}

/**
 * Refuses a plain connection to a node of a Redis Cluster, which would reach only the keys of
 * that node's slots (every other key answers `MOVED`): one `INFO cluster`, meant for the time a
 * connection is opened. A `Cluster` passes. A server that does not answer `INFO` (an ACL without
 * `+info`, a proxy) passes too: it cannot tell.
 * @throws {ConfigurationError} when `INFO cluster` says `cluster_enabled:1`, saying how to describe the cluster.
 */
export async function assertNotClusterNode(connection: RedisConnection): Promise<void> {
  if (isCluster(connection)) return;
  let info: string;
  try {
    info = await connection.info('cluster');
  } catch (error) {
    if (error instanceof ReplyError) return;
    throw error;
  }
  if (!/^cluster_enabled:1\b/m.test(info)) return;
  const node = `${connection.options.host ?? 'localhost'}:${connection.options.port ?? DEFAULT_REDIS_PORT}`;
  throw new ConfigurationError(
    `Redis at ${describeConnection(connection.options)} is a node of a Redis Cluster (INFO cluster: cluster_enabled:1), opened as a single Redis: ` +
      `it would reach only the keys of that node's slots. Describe the cluster instead: CLUSTER = { NODES: ['${node}'] } in the config file, ` +
      `REDIS_CLUSTER_NODES=${node} in the environment, or --cluster on the rq command line (rq ... -u URL --cluster).`,
  );
}

/** Opens a Redis (standalone or Sentinel) client and waits until it is ready, or says why not. */
async function openRedis(redisOptions: RedisOptions, options: OpenConnectionOptions): Promise<Redis> {
  const timeoutMs = options.timeout !== undefined ? options.timeout * 1000 : redisOptions.connectTimeout ?? DEFAULT_CONNECT_BUDGET_MS;
  const client = createClient({ ...redisOptions, lazyConnect: true });
  let lastError: Error | undefined;
  let failFast: ((error: Error) => void) | undefined;
  const onError = (error: Error) => {
    lastError = error;
    // A plain server that refuses us now will not answer within the timeout either; with
    // Sentinel, keep trying for the whole timeout (a failover may be under way).
    if (!redisOptions.sentinels) failFast?.(error);
  };
  client.on('error', onError);
  try {
    const failed = new Promise<never>((_, reject) => {
      failFast = reject;
    });
    await withTimeout(Promise.race([client.connect(), failed]), timeoutMs);
    return client;
  } catch (error) {
    client.disconnect();
    const reason = lastError?.message ?? (error as Error).message;
    const where = describeConnection(redisOptions);
    if (redisOptions.sentinels) {
      const detail = await diagnoseSentinels(redisOptions, timeoutMs, lastError);
      throw new ConfigurationError(`Cannot connect to Redis at ${where} within ${timeoutMs / 1000} s: ${detail}`);
    }
    const hint = refusedCredentials(lastError)
      ? 'Check the username and password (the URL, REDIS_PASSWORD or the config file).'
      : 'Is redis-server running there? Give another address with -u/--url, REDIS_URL or a config file.';
    throw new ConfigurationError(`Cannot connect to Redis at ${where}: ${reason.replace(/\.+$/, '')}. ${hint}`);
  } finally {
    client.off('error', onError);
  }
}

/**
 * Opens a Cluster client and waits until it is ready: at once when no node answered `CLUSTER
 * SLOTS` (none reachable, credentials refused, not a cluster), within the timeout otherwise (a
 * cluster that is failing over may come back); then says what each node answers.
 */
async function openCluster(cluster: ClusterConnectionOptions, options: OpenConnectionOptions): Promise<Cluster> {
  const timeoutMs = options.timeout !== undefined ? options.timeout * 1000 : cluster.options.redisOptions?.connectTimeout ?? DEFAULT_CONNECT_BUDGET_MS;
  const client = createClusterClient(cluster.nodes, { ...cluster.options, lazyConnect: true });
  // ioredis reports only the last node's error ("Failed to refresh slots cache."): each node is asked below.
  const onError = () => undefined;
  client.on('error', onError);
  let timedOut = false;
  try {
    await clusterReady(client, timeoutMs).catch((error: Error) => {
      timedOut = error.message === 'timed out';
      throw error;
    });
    return client;
  } catch {
    client.disconnect();
    const detail = await diagnoseCluster(cluster, Math.min(2000, timeoutMs));
    throw new ConfigurationError(`Cannot connect to the Redis Cluster at ${describeConnection(cluster)}${timedOut ? ` within ${timeoutMs / 1000} s` : ''}: ${detail}`);
  } finally {
    client.off('error', onError);
  }
}

/**
 * Connects `client` and resolves once it is ready. Not connect() alone: after a failed ready
 * check (`cluster_state:fail`) ioredis connects again, and only 'ready' says it got there. Rejects
 * when its first connect fails (no node answered), when its retry strategy gives up ('end'), or
 * with "timed out" after `timeoutMs`.
 */
async function clusterReady(client: Cluster, timeoutMs: number): Promise<void> {
  let stopListening = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    const onReady = () => resolve();
    const onEnd = () => reject(new Error('the client gave up'));
    client.once('ready', onReady).once('end', onEnd);
    stopListening = () => client.off('ready', onReady).off('end', onEnd);
    client.connect().then(resolve, reject);
  });
  try {
    await withTimeout(ready, timeoutMs);
  } finally {
    stopListening();
  }
}

/**
 * Asks every sentinel about the master, to say why no master could be reached. The sentinels are
 * asked at once, each for at most the connect budget (and 2 s): asked one by one, hung sentinels
 * added 2 s each after the budget had already run out. `lastError`, the client's last error, tells
 * a master that refused our credentials from one that did not answer.
 */
async function diagnoseSentinels(options: RedisOptions, budgetMs: number, lastError: Error | undefined): Promise<string> {
  const name = options.name ?? DEFAULT_SENTINEL_MASTER_NAME;
  const probeMs = Math.min(2000, budgetMs);
  const answers = await Promise.all((options.sentinels ?? []).map((sentinel) => askSentinel(sentinel, name, options, probeMs, lastError)));
  const check = answers.some((answer) => answer.includes('refused the credentials'))
    ? "SENTINEL.PASSWORD and SENTINEL.USERNAME (and SENTINEL_KWARGS for the sentinels' own)"
    : 'SENTINEL.INSTANCES and SENTINEL.MASTER_NAME';
  return `${answers.join('; ')}. Check ${check}.`;
}

/** What one sentinel says about master `name`, as a phrase of {@link diagnoseSentinels}' message. */
async function askSentinel(
  sentinel: NonNullable<RedisOptions['sentinels']>[number],
  name: string,
  options: RedisOptions,
  probeMs: number,
  lastError: Error | undefined,
): Promise<string> {
  const address = `${sentinel.host ?? 'localhost'}:${sentinel.port ?? DEFAULT_SENTINEL_PORT}`;
  const { client: probe, firstError } = probeClient({
    host: sentinel.host ?? 'localhost',
    port: sentinel.port ?? DEFAULT_SENTINEL_PORT,
    ...(options.sentinelPassword ? { password: options.sentinelPassword } : {}),
    ...(options.sentinelUsername ? { username: options.sentinelUsername } : {}),
  }, probeMs);
  try {
    await withTimeout(probe.connect(), probeMs);
    const master = (await withTimeout(probe.call('SENTINEL', 'get-master-addr-by-name', name), probeMs)) as string[] | null;
    if (master) {
      const named = `sentinel ${address} names ${master[0]}:${master[1]} as master '${name}'`;
      return refusedCredentials(lastError) ? `${named}, which refused the credentials (${lastError?.message})` : `${named}, which did not answer`;
    }
    const known = ((await probe.call('SENTINEL', 'masters')) as string[][]).map((fields) => fields[fields.indexOf('name') + 1]);
    return `sentinel ${address} knows no master named '${name}' (it knows: ${known.join(', ') || 'none'})`;
  } catch (error) {
    const reason = firstError() ?? (error as Error);
    return refusedCredentials(reason) ? `sentinel ${address} refused the credentials (${reason.message})` : `sentinel ${address} is unreachable (${reason.message})`;
  } finally {
    probe.disconnect();
  }
}

/**
 * Whether Redis refused the credentials (or the user's rights), as redis-errors.ts judges Redis'
 * errors. Only the server's reply text goes into messages: ioredis' error objects also carry the
 * AUTH command's arguments, the password among them.
 */
function refusedCredentials(error: Error | undefined): boolean {
  return error !== undefined && redisErrorKind(error) === 'permission';
}
