/**
 * Settings made into ioredis options, read as RQ and redis-py read them: a URL (`redis://`,
 * `rediss://`, `unix://`), RQ's `REDIS_*` names, or a `SENTINEL` object whose redis-py kwargs are
 * translated to ioredis' names. Also the printable form of those options (describeConnection,
 * maskUrl): passwords never leave this module in text form, and its errors carry messages only.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { RedisOptions } from 'ioredis';
import { DEFAULT_REDIS_PORT, DEFAULT_SENTINEL_MASTER_NAME, DEFAULT_SENTINEL_PORT } from './defaults.js';
import { ConfigurationError } from './errors.js';
import { isRecord } from './is-record.js';
import type { ClusterConnectionOptions } from './cluster-options.js';
import { clusterSettingsOf, flag, integer, seconds, type RQSettings, type SentinelSettings } from './settings.js';

/**
 * ioredis options for these settings, in RQ's order: `REDIS_URL`, then `SENTINEL`, then
 * `REDIS_HOST`/`REDIS_PORT`/`REDIS_DB`/`REDIS_PASSWORD`/`REDIS_SSL*`. Settings that describe a
 * Redis Cluster (`CLUSTER`, without `REDIS_URL`) have no such options: see clusterOptionsFromSettings.
 * @throws {ConfigurationError} on a malformed URL, port, db or SSL flag, and for a `CLUSTER`.
 */
export function redisOptionsFromSettings(settings: RQSettings): RedisOptions {
  if (settings.REDIS_URL !== undefined && settings.REDIS_URL !== null) return redisOptionsFromUrl(String(settings.REDIS_URL));
  if (clusterSettingsOf(settings)) {
    throw new ConfigurationError('These settings describe a Redis Cluster (CLUSTER): build its client with connectionFromSettings or openConnection, or its options with clusterOptionsFromSettings.');
  }
  if (settings.SENTINEL !== undefined && settings.SENTINEL !== null) return sentinelOptions(settings.SENTINEL);
  const options: RedisOptions = {
    host: settings.REDIS_HOST ?? 'localhost',
    port: integer(settings.REDIS_PORT ?? DEFAULT_REDIS_PORT, 'REDIS_PORT'),
    db: integer(settings.REDIS_DB ?? 0, 'REDIS_DB'),
  };
  if (settings.REDIS_USERNAME) options.username = settings.REDIS_USERNAME;
  if (settings.REDIS_PASSWORD) options.password = settings.REDIS_PASSWORD;
  if (flag(settings.REDIS_SSL ?? false, 'REDIS_SSL')) options.tls = tlsFromSettings(settings);
  return options;
}

function unixCredentialsToQuery(url: string): string {
  const match = /^unix:\/\/([^@/]*)@(\/[^?]*)(?:\?(.*))?$/i.exec(url);
  if (!match) return url;
  const [, credentials = '', path, query] = match;
  const [username = '', password] = credentials.split(/:(.*)/s);
  const params = new URLSearchParams(query ?? '');
  if (username) params.set('username', decodeURIComponent(username));
  if (password) params.set('password', decodeURIComponent(password));
  return `unix://${path}?${params.toString()}`;
}

/**
 * ioredis options for a Redis URL, read as redis-py's `from_url` reads it:
 * `redis://[user[:password]@]host[:port][/db]`, `rediss://...` (TLS), and
 * `unix://[user[:password]@]/path/to/socket?db=N`; a `db` or `password` query parameter is also read.
 * @throws {ConfigurationError} on another scheme or a malformed URL (the message masks the password).
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    // WHATWG URLs refuse credentials without a host, which redis-py's unix://user:pw@/path allows:
    // move them into the query so that one parser reads every scheme.
    parsed = new URL(unixCredentialsToQuery(url));
  } catch {
    throw new ConfigurationError(`Not a valid Redis URL: '${maskUrl(url)}'. Use redis://[user:password@]host:port/db, rediss://... or unix:///path/to/socket.`);
  }
  const query = parsed.searchParams;
  const options: RedisOptions = {};
  const username = decodeURIComponent(parsed.username) || query.get('username') || '';
  const password = decodeURIComponent(parsed.password) || query.get('password') || '';
  if (username) options.username = username;
  if (password) options.password = password;
  const dbText = query.get('db') ?? (parsed.protocol === 'unix:' ? '' : parsed.pathname.replace(/^\//, ''));
  options.db = dbText === '' ? 0 : integer(dbText, `the database number of ${maskUrl(url)}`);
  switch (parsed.protocol) {
    case 'redis:':
    case 'rediss:':
      options.host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
      options.port = parsed.port ? Number(parsed.port) : DEFAULT_REDIS_PORT;
      if (parsed.protocol === 'rediss:') {
        const tls: TlsOptions = {};
        const ca = query.get('ssl_ca_certs');
        if (ca) tls.ca = readPem(ca, 'ssl_ca_certs');
        if (query.get('ssl_cert_reqs') === 'none') tls.rejectUnauthorized = false;
        options.tls = tls;
      }
      return options;
    case 'unix:':
      if (!parsed.pathname) throw new ConfigurationError(`No socket path in ${maskUrl(url)}: use unix:///path/to/redis.sock`);
      options.path = decodeURIComponent(parsed.pathname);
      return options;
    default:
      throw new ConfigurationError(`Unsupported Redis URL scheme '${parsed.protocol}' in '${maskUrl(url)}': use redis://, rediss:// or unix://.`);
  }
}

function sentinelOptions(sentinel: SentinelSettings): RedisOptions {
  const instances = sentinel.INSTANCES ?? [['localhost', DEFAULT_SENTINEL_PORT]];
  if (!Array.isArray(instances) || instances.length === 0) {
    throw new ConfigurationError('SENTINEL.INSTANCES must be a non-empty list of [host, port] pairs.');
  }
  const sentinels = instances.map((pair, index) => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new ConfigurationError(`SENTINEL.INSTANCES[${index}] must be a [host, port] pair.`);
    }
    return { host: String(pair[0]), port: integer(pair[1], `SENTINEL.INSTANCES[${index}] port`) };
  });
  const options: RedisOptions = {
    sentinels,
    name: sentinel.MASTER_NAME ?? DEFAULT_SENTINEL_MASTER_NAME,
    db: integer(sentinel.DB ?? 0, 'SENTINEL.DB'),
    // Without it a graceful failover or a hung master leaves writes going to the old master,
    // which later discards them (RELIABILITY.md §3.2).
    failoverDetector: true,
  };
  if (sentinel.USERNAME) options.username = sentinel.USERNAME;
  if (sentinel.PASSWORD) {
    options.password = sentinel.PASSWORD;
    options.sentinelPassword = sentinel.PASSWORD; // RQ 1.13 sends PASSWORD to the sentinels too
  }
  if (sentinel.SOCKET_TIMEOUT !== undefined && sentinel.SOCKET_TIMEOUT !== null) {
    const ms = seconds(sentinel.SOCKET_TIMEOUT, 'SENTINEL.SOCKET_TIMEOUT') * 1000;
    options.connectTimeout = ms;
    options.sentinelCommandTimeout = ms;
  }
  if (flag(sentinel.SSL ?? false, 'SENTINEL.SSL')) {
    options.tls = {};
    options.sentinelTLS = {};
    options.enableTLSForSentinelMode = true;
  }
  Object.assign(options, translateKwargs(sentinel.CONNECTION_KWARGS ?? {}, 'SENTINEL.CONNECTION_KWARGS', MASTER_KWARGS));
  Object.assign(options, translateKwargs(sentinel.SENTINEL_KWARGS ?? {}, 'SENTINEL.SENTINEL_KWARGS', SENTINEL_SIDE_KWARGS, 'sentinel'));
  return options;
}

/** Turns the value of one redis-py kwarg into ioredis options; `where` names it in errors. */
export type Translate = (value: unknown, where: string) => Partial<RedisOptions>;

/** redis-py connection kwargs rq-ts understands, for the master connection (and, but `db`, for a cluster's nodes). */
export const MASTER_KWARGS: Record<string, Translate> = {
  password: (v) => ({ password: String(v) }),
  username: (v) => ({ username: String(v) }),
  db: (v, where) => ({ db: integer(v, where) }),
  ssl: (v, where) => (flag(v, where) ? { tls: {}, enableTLSForSentinelMode: true } : {}),
  socket_timeout: (v, where) => ({ commandTimeout: seconds(v, where) * 1000 }),
  socket_connect_timeout: (v, where) => ({ connectTimeout: seconds(v, where) * 1000 }),
  socket_keepalive: (v, where) => ({ keepAlive: flag(v, where) ? 1000 : 0 }),
  client_name: (v) => ({ connectionName: String(v) }),
};

/** redis-py kwargs for the connections to the sentinels. */
const SENTINEL_SIDE_KWARGS: Record<string, Translate> = {
  password: (v) => ({ sentinelPassword: v === null ? undefined : String(v) }),
  username: (v) => ({ sentinelUsername: String(v) }),
  ssl: (v, where) => ({ sentinelTLS: flag(v, where) ? {} : undefined }),
  socket_timeout: (v, where) => ({ sentinelCommandTimeout: seconds(v, where) * 1000 }),
};

/**
 * Options from redis-py style kwargs: known snake_case names translated, camelCase names taken as
 * ioredis options (for SENTINEL_KWARGS only ioredis' `sentinel*` options, which are the ones that
 * apply to the sentinels), anything else refused.
 */
export function translateKwargs(kwargs: Record<string, unknown>, where: string, known: Record<string, Translate>, ownPrefix?: string): Partial<RedisOptions> {
  if (!isRecord(kwargs)) throw new ConfigurationError(`${where} must be an object.`);
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(kwargs)) {
    const translate = known[key];
    if (translate) Object.assign(options, translate(value, `${where}.${key}`));
    else if (!key.includes('_') && (ownPrefix === undefined || key.startsWith(ownPrefix))) options[key] = value; // an ioredis option, by its own name
    else if (!key.includes('_')) {
      throw new ConfigurationError(`${where}.${key} would not apply to the sentinels: give ioredis' sentinel options there (sentinelPassword, sentinelTLS...), or master options in CONNECTION_KWARGS.`);
    } else {
      throw new ConfigurationError(
        `${where}.${key} is a redis-py option rq-ts does not translate. ` +
          `${Object.keys(known).length > 0 ? `Known: ${Object.keys(known).join(', ')}; or give` : 'Give'} an ioredis option by its camelCase name.`,
      );
    }
  }
  return options as Partial<RedisOptions>;
}

/**
 * TLS options from the `SSL_*` settings of `source`, named `prefix` + `SSL_CA_CERTS` and so on
 * (`REDIS_SSL_CA_CERTS` at the top level, `SSL_CA_CERTS` in a `CLUSTER` block); `where` names the
 * block in errors (`CLUSTER.`).
 * @throws {ConfigurationError} for a file that cannot be read or a bad `SSL_CERT_REQS`.
 */
export function tlsFromSettings(source: Record<string, unknown>, prefix = 'REDIS_', where = ''): TlsOptions {
  const text = (name: string) => {
    const value = source[prefix + name];
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const named = (name: string) => `${where}${prefix}${name}`;
  const tls: TlsOptions = {};
  const caFile = text('SSL_CA_CERTS');
  if (caFile) tls.ca = readPem(caFile, named('SSL_CA_CERTS'));
  if (text('SSL_CA_DATA')) tls.ca = text('SSL_CA_DATA');
  const certFile = text('SSL_CERTFILE');
  if (certFile) tls.cert = readPem(certFile, named('SSL_CERTFILE'));
  const keyFile = text('SSL_KEYFILE');
  if (keyFile) tls.key = readPem(keyFile, named('SSL_KEYFILE'));
  const reqs = text('SSL_CERT_REQS') ?? 'required';
  if (reqs === 'none') tls.rejectUnauthorized = false;
  else if (reqs !== 'required') {
    throw new ConfigurationError(`${named('SSL_CERT_REQS')} is '${reqs}': use 'required' or 'none'.`);
  }
  return tls;
}

function readPem(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`${name}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * A printable description of where a connection goes, with any password masked:
 * `redis://:***@host:6379/0`, `unix:///tmp/redis.sock?db=0`, `sentinel://h1:26379,h2:26379/mymaster/0`,
 * and for a Redis Cluster its startup nodes, `cluster://:***@10.0.0.1:7000,10.0.0.2:7000`
 * (`cluster+tls://` over TLS).
 */
export function describeConnection(options: RedisOptions | ClusterConnectionOptions): string {
  if ('nodes' in options) {
    const node = options.options.redisOptions ?? {};
    const hosts = options.nodes.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
    return `${node.tls ? 'cluster+tls' : 'cluster'}://${authority(node)}${hosts}`;
  }
  const auth = authority(options);
  if (options.sentinels) {
    const hosts = options.sentinels.map((s) => `${s.host ?? 'localhost'}:${s.port ?? DEFAULT_SENTINEL_PORT}`).join(',');
    return `sentinel://${auth}${hosts}/${options.name ?? DEFAULT_SENTINEL_MASTER_NAME}/${options.db ?? 0}`;
  }
  if (options.path) return `unix://${auth}${options.path}?db=${options.db ?? 0}`;
  const scheme = options.tls ? 'rediss' : 'redis';
  return `${scheme}://${auth}${options.host ?? 'localhost'}:${options.port ?? DEFAULT_REDIS_PORT}/${options.db ?? 0}`;
}

/** The `user:***@` part of a description: the username shown, the password masked. */
function authority(options: Pick<RedisOptions, 'username' | 'password'>): string {
  return options.password ? `${options.username ?? ''}:***@` : options.username ? `${options.username}@` : '';
}

/**
 * `url` with any password replaced by `***`, for messages and logs: the `user:password@` part and
 * a `password=` query parameter. Text that is not a URL (`redis//host`) is shown as typed, with
 * whatever looks like a password masked the same way.
 */
export function maskUrl(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url);
  // Not a URL: the user info, if any, starts after a first '//', else at the start.
  const userStart = scheme ? scheme[0].length : url.includes('//') ? url.indexOf('//') + 2 : 0;
  const at = url.lastIndexOf('@');
  const masked = at > userStart ? maskCredentials(url.slice(0, at), userStart, scheme !== null) + url.slice(at) : url;
  return masked.replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** `head` (up to the '@') with the password after `start` masked; in text that is not a URL, all of it when no ':' sets it apart. */
function maskCredentials(head: string, start: number, isUrl: boolean): string {
  const credentials = head.slice(start);
  const colon = credentials.indexOf(':');
  if (colon === -1) return isUrl ? head : `${head.slice(0, start)}***`;
  return `${head.slice(0, start)}${credentials.slice(0, colon)}:***`;
}
