/**
 * A `CLUSTER` settings block made into what an ioredis `Cluster` is built from: its startup nodes
 * and its options, each node's connection options in `redisOptions`. Read as redis-options.ts
 * reads the other settings (the same redis-py kwargs, the same TLS names); passwords stay out of
 * every message.
 */
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { DEFAULT_REDIS_PORT } from './defaults.js';
import { ConfigurationError } from './errors.js';
import { isRecord } from './is-record.js';
import { MASTER_KWARGS, maskUrl, redisOptionsFromUrl, tlsFromSettings, translateKwargs, type Translate } from './redis-options.js';
import { flag, integer, seconds, type ClusterSettings } from './settings.js';

/** What an ioredis `Cluster` is built from: `new Cluster(nodes, options)`. */
export interface ClusterConnectionOptions {
  /** The nodes the client asks for the cluster's layout at startup; any one that answers is enough. */
  readonly nodes: Array<{ host: string; port: number }>;
  /** ioredis Cluster options; `redisOptions` are those of each node's connection. */
  readonly options: ClusterOptions;
}

/** A node of CLUSTER.NODES, and the options of its URL when given as one. */
interface NodeEntry {
  readonly host: string;
  readonly port: number;
  readonly url?: RedisOptions;
}

/** redis-py kwargs for each node's connection: the master connection's, but a cluster has no database to choose. */
const NODE_KWARGS: Record<string, Translate> = {
  ...MASTER_KWARGS,
  db: (_, where) => {
    throw new ConfigurationError(`${where}: a Redis Cluster has only database 0; remove it.`);
  },
  ssl: (value, where) => (flag(value, where) ? { tls: {} } : {}),
};

/**
 * The startup nodes and ioredis Cluster options a `CLUSTER` block describes: credentials and TLS
 * from `USERNAME`, `PASSWORD`, `SSL` and `SSL_*` (else from the node URLs), `SOCKET_TIMEOUT` as
 * each node's connect timeout, `CONNECTION_KWARGS` for each node's connection, `CLUSTER_KWARGS`
 * as Cluster options. rq-ts' reliability defaults are added when the client is built
 * (connectionFromSettings), not here.
 * @throws {ConfigurationError} on a missing or malformed node, node URLs that disagree on
 * credentials or TLS, or a malformed value.
 */
export function clusterOptionsFromSettings(cluster: ClusterSettings): ClusterConnectionOptions {
  if (!isRecord(cluster as unknown)) throw new ConfigurationError('CLUSTER must be an object: CLUSTER = { NODES: [...], PASSWORD: ... }.');
  const list = cluster.NODES;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigurationError("CLUSTER.NODES must list at least one node of the cluster: NODES: ['redis://10.0.0.1:7000', '10.0.0.2:7000'].");
  }
  const entries = list.map((node, index) => nodeEntry(node as unknown, `CLUSTER.NODES[${index}]`));
  const fromUrls = sharedUrlOptions(entries);
  const redisOptions: RedisOptions = {};
  const username = cluster.USERNAME ?? fromUrls.username;
  const password = cluster.PASSWORD ?? fromUrls.password;
  if (username) redisOptions.username = username;
  if (password) redisOptions.password = password;
  const ssl = flag(cluster.SSL ?? false, 'CLUSTER.SSL');
  if (ssl || fromUrls.tls) redisOptions.tls = { ...fromUrls.tls, ...(ssl ? tlsFromSettings(cluster as Record<string, unknown>, '', 'CLUSTER.') : {}) };
  if (cluster.SOCKET_TIMEOUT !== undefined && cluster.SOCKET_TIMEOUT !== null) {
    redisOptions.connectTimeout = seconds(cluster.SOCKET_TIMEOUT, 'CLUSTER.SOCKET_TIMEOUT') * 1000;
  }
  Object.assign(redisOptions, translateKwargs(cluster.CONNECTION_KWARGS ?? {}, 'CLUSTER.CONNECTION_KWARGS', NODE_KWARGS));
  const options = translateKwargs(cluster.CLUSTER_KWARGS ?? {}, 'CLUSTER.CLUSTER_KWARGS', {}) as ClusterOptions;
  return {
    nodes: entries.map(({ host, port }) => ({ host, port })),
    options: { ...options, redisOptions: { ...redisOptions, ...options.redisOptions } },
  };
}

/** One entry of CLUSTER.NODES: a URL, `host:port`, `[host]:port`, a bare host, a `[host, port]` pair or `{ host, port }`. */
function nodeEntry(node: unknown, where: string): NodeEntry {
  if (typeof node === 'string' && node.includes('://')) {
    const url = redisOptionsFromUrl(node);
    if (url.path !== undefined) throw new ConfigurationError(`${where} is a Unix socket (${maskUrl(node)}): cluster nodes are reached over TCP, redis:// or rediss://.`);
    if (url.db) throw new ConfigurationError(`${where} (${maskUrl(node)}) names database ${url.db}, but a Redis Cluster has only database 0.`);
    return { host: url.host ?? 'localhost', port: url.port ?? DEFAULT_REDIS_PORT, url };
  }
  if (typeof node === 'string') {
    const match = /^\[([^\]]+)\]:(\d+)$/.exec(node.trim()) ?? /^([^:\s[\]]+)(?::(\d+))?$/.exec(node.trim());
    if (!match) throw new ConfigurationError(`${where} is '${maskUrl(node)}': give host:port, a redis:// URL, a [host, port] pair or { host, port }.`);
    return { host: match[1]!, port: match[2] === undefined ? DEFAULT_REDIS_PORT : integer(match[2], `${where} port`) };
  }
  if (Array.isArray(node) && node.length === 2) return { host: String(node[0]), port: integer(node[1], `${where} port`) };
  if (isRecord(node) && typeof node['host'] === 'string') return { host: node['host'], port: integer(node['port'] ?? DEFAULT_REDIS_PORT, `${where}.port`) };
  throw new ConfigurationError(`${where} must be host:port, a redis:// URL, a [host, port] pair or { host, port }.`);
}

/** The credentials and TLS the node URLs give, which must be the same in each URL that gives them (one password opens every node). */
function sharedUrlOptions(entries: readonly NodeEntry[]): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const urls = entries.flatMap((entry) => (entry.url ? [entry.url] : []));
  const agreed = <K extends 'username' | 'password' | 'tls'>(key: K, what: string): RedisOptions[K] => {
    if (new Set(urls.map((url) => JSON.stringify(url[key] ?? null))).size > 1) {
      throw new ConfigurationError(`CLUSTER.NODES: the node URLs give different ${what}, but every node of a cluster takes the same: give them once (CLUSTER.USERNAME, CLUSTER.PASSWORD, CLUSTER.SSL).`);
    }
    return urls[0]?.[key];
  };
  const options: Pick<RedisOptions, 'username' | 'password' | 'tls'> = {};
  const username = agreed('username', 'usernames');
  const password = agreed('password', 'passwords');
  const tls = agreed('tls', 'schemes (redis:// and rediss://) or TLS parameters');
  if (username) options.username = username;
  if (password) options.password = password;
  if (tls) options.tls = tls;
  return options;
}
