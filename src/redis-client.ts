/**
 * The ioredis client rq-ts builds from settings, with its reliability defaults: a reconnect on
 * `READONLY`, and for Sentinel a retry strategy that fails wrong settings instead of hanging, plus
 * two workarounds of ioredis 5's Sentinel connector (both described where they are made). Its
 * duplicates (a worker's blocking and pub/sub connections) get the same.
 */
import { Redis, type ChainableCommander, type Cluster, type RedisOptions } from 'ioredis';
import { isCluster, type RedisConnection } from './connection.js';
import { DEFAULT_CONNECT_BUDGET_MS } from './defaults.js';
import { redisOptionsFromSettings, redisOptionsFromUrl } from './redis-options.js';
import { clusterSettingsOf, type ClusterSettings, type RQSettings } from './settings.js';
import { createClusterClient } from './cluster-client.js';
import { clusterOptionsFromSettings } from './cluster-options.js';

/**
 * Builds an ioredis client from settings or a URL. It connects in the background; use
 * {@link openConnection} to wait until it is ready, with a clear error otherwise.
 *
 * With `SENTINEL` settings the client asks the sentinels for the master, follows failovers
 * (`failoverDetector`, and a reconnect on `READONLY`), and stops looking for a master it has never
 * reached after `SOCKET_TIMEOUT` (default 10 s), so that wrong settings fail instead of hanging.
 *
 * With `CLUSTER` settings (and no `REDIS_URL`) it is an ioredis `Cluster` with the defaults of
 * {@link createClusterClient}: it gives up on a cluster it has never reached after
 * `CLUSTER.SOCKET_TIMEOUT` (default 10 s) in the same way. TypeScript knows which one a literal
 * gets: `Redis` for a URL or settings without `CLUSTER`, `Cluster` for settings with `CLUSTER` and
 * without `REDIS_URL`; settings read at run time (`loadSettings`) give a {@link RedisConnection}.
 *
 * @example
 * const cluster = connectionFromSettings({ CLUSTER: { NODES: ['redis://10.0.0.1:7000'], PASSWORD: secret } });
 */
export function connectionFromSettings(settings: string | PlainSettings): Redis;
export function connectionFromSettings(settings: ClusterOnlySettings): Cluster;
export function connectionFromSettings(settings: RQSettings | string): RedisConnection;
export function connectionFromSettings(settings: RQSettings | string): RedisConnection {
  if (typeof settings === 'string') return createClient(redisOptionsFromUrl(settings));
  const cluster = clusterSettingsOf(settings);
  if (cluster === undefined) return createClient(redisOptionsFromSettings(settings));
  const { nodes, options } = clusterOptionsFromSettings(cluster);
  return createClusterClient(nodes, options);
}

/** Settings that name no cluster: {@link connectionFromSettings} gives a `Redis` for them. */
export type PlainSettings = RQSettings & { CLUSTER?: undefined | null };

/** Settings whose `CLUSTER` applies (no `REDIS_URL`): {@link connectionFromSettings} gives a `Cluster` for them. */
export type ClusterOnlySettings = RQSettings & { CLUSTER: ClusterSettings; REDIS_URL?: undefined | null };

/**
 * `new Redis(options)` with rq-ts' reliability defaults: reconnect on `READONLY` (a replica
 * promoted or demoted under us), and for Sentinel a retry strategy that gives up looking for a
 * master only while it has never reached one (wrong settings fail; a failover is waited out), and
 * a reconnection when a failover ended the client (see {@link reconnectAfterAbortedConnect}).
 * Its duplicates (a worker's blocking and pub/sub connections) get the same.
 */
export function createClient(options: RedisOptions): Redis {
  const result: RedisOptions = { ...options };
  result.reconnectOnError ??= (error) => (error.message.startsWith('READONLY') ? 2 : false);
  let everReady = false;
  if (options.sentinels && options.sentinelRetryStrategy === undefined) {
    const budgetMs = options.connectTimeout ?? DEFAULT_CONNECT_BUDGET_MS;
    const startedAt = Date.now();
    result.sentinelRetryStrategy = (attempt) => {
      if (!everReady && Date.now() - startedAt > budgetMs) return null;
      return Math.min(attempt * 10, 1000);
    };
  }
  const client = new Redis(result);
  client.once('ready', () => {
    everReady = true;
  });
  if (result.sentinels && result.failoverDetector) {
    // ioredis 5 closes the failover detector's subscriptions to the sentinels only in
    // disconnect(): after quit(), or once reconnecting gives up, they stay open and keep the
    // process alive (redis/ioredis#1362, fixed upstream by #2198). Close them when the client ends.
    client.on('end', () => {
      const internals = client as unknown as { connector?: { failoverDetector?: { cleanup(): void } } };
      internals.connector?.failoverDetector?.cleanup();
    });
    reconnectAfterAbortedConnect(client, () => everReady);
  }
  client.duplicate = (override?: Partial<RedisOptions>) => createClient({ ...client.options, ...override }) as Redis;
  return client;
}

/**
 * Commands to send together, whose keys may span queues: on a plain Redis a MULTI (with `atomic`)
 * or a pipeline, as before; on a cluster, where such keys sit in several slots and neither may
 * span them, each command on its own, all at once. Commands on one key keep their order (one node,
 * one socket); across keys they are not atomic, so callers order writes so that a half-done batch
 * is harmless and maintenance makes it whole (docs/cluster.md). `exec()` answers as ioredis'.
 */
export function commandBatch(connection: RedisConnection, options: { atomic: boolean }): ChainableCommander {
  if (!isCluster(connection)) return options.atomic ? connection.multi() : connection.pipeline();
  const calls: Array<[string, unknown[]]> = [];
  const commands = connection as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const batch: ChainableCommander = new Proxy({} as ChainableCommander, {
    get(_, name) {
      if (name === 'exec') {
        return () =>
          Promise.all(calls.splice(0).map(([command, args]) => commands[command]!.apply(connection, args).then((reply) => [null, reply], (error: unknown) => [error, null])));
      }
      if (name === 'length') return calls.length;
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (...args: unknown[]) => {
        calls.push([name, args]);
        return batch;
      };
    },
  });
  return batch;
}

/** What a duplicate of a connection overrides: the options of each of its sockets. */
export type DuplicateOptions = Pick<RedisOptions, 'maxRetriesPerRequest' | 'connectionName' | 'enableOfflineQueue'>;

/**
 * A new client to the same Redis as `connection`, with its options but `overrides`: for a
 * connection of its own (blocking reads, pub/sub). A Cluster's duplicate is a Cluster with the
 * same startup nodes, whose node connections take the overrides.
 */
export function duplicateConnection(connection: RedisConnection, overrides: DuplicateOptions): RedisConnection {
  if (isCluster(connection)) {
    const { enableOfflineQueue, ...perNode } = overrides;
    return connection.duplicate([], {
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      redisOptions: { ...connection.options.redisOptions, ...perNode },
    });
  }
  return connection.duplicate(overrides);
}

/**
 * ioredis 5.11.1 ends a Sentinel client for good when its failover detector hears
 * `+switch-master` while the client is connecting again: the detector's disconnect aborts the
 * connection under way ("Connection is closed.") and nothing connects afterwards. Measured: with
 * the sentinel the client asks first hung (SIGSTOP) and the primary SIGKILLed, the client ended
 * 5 s later and failed every command from then on (an idle `rq dashboard` client that once never
 * came back after a SIGKILL of the primary, in failover.test.ts, fits this; its cause was not
 * measured). So a client that has been ready
 * and ends while connecting, without its user closing it (`disconnect()`, `quit()`), connects again.
 */
function reconnectAfterAbortedConnect(client: RedisConnection, everReady: () => boolean): void {
  let closedByUser = false;
  const disconnect = client.disconnect.bind(client);
  client.disconnect = (reconnect = false) => {
    if (!reconnect) closedByUser = true;
    disconnect(reconnect);
  };
  const quit = client.quit.bind(client);
  client.quit = ((callback?: Parameters<typeof quit>[0]) => {
    closedByUser = true;
    return quit(callback);
  }) as typeof client.quit;
  // ioredis emits each status as an event, in order: 'end' right after 'connecting' is the aborted connect.
  let previous = '';
  for (const status of ['connecting', 'connect', 'ready', 'close', 'reconnecting']) client.on(status, () => (previous = status));
  client.on('end', () => {
    if (previous === 'connecting' && !closedByUser && everReady()) client.connect().catch(() => undefined);
    previous = 'end';
  });
}
