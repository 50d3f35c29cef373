/**
 * Settings: RQ's way of describing a Redis connection (RQ-REFERENCE.md §1.11), turned into an
 * ioredis client. A URL (`redis://`, `rediss://`, `unix://`), RQ's `REDIS_*` names, or a
 * `SENTINEL` object; read from a config file (`-c`/`RQ_CONFIG`) or from the environment, with
 * RQ's precedence: `--url`/`RQ_REDIS_URL`, then the config file, then the environment.
 *
 * Passwords never leave this module in text form: {@link describeConnection} masks them, and
 * errors built here carry messages only, never ioredis' command arguments.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigurationError } from './errors.js';
import { isRecord } from './is-record.js';
import type { DurableOptions } from './durable.js';
import { DEFAULT_REDIS_PORT, DEFAULT_SENTINEL_MASTER_NAME, DEFAULT_SENTINEL_PORT } from './defaults.js';
import type { RedisConnection } from './connection.js';

/**
 * RQ's `SENTINEL` setting. Keys and meaning as in RQ's docs; `SOCKET_TIMEOUT` is in seconds.
 * `CONNECTION_KWARGS` and `SENTINEL_KWARGS` take redis-py names (`socket_timeout`, `password`,
 * `ssl`...) or ioredis option names in camelCase.
 */
export interface SentinelSettings {
  /** Sentinels as `[host, port]` pairs. @default [['localhost', 26379]] */
  INSTANCES?: ReadonlyArray<readonly [string, number | string]>;
  /** Name of the monitored master. @default 'mymaster' */
  MASTER_NAME?: string;
  /** Database number on the master. @default 0 */
  DB?: number | string;
  /** Username on the master (Redis 6 ACL). */
  USERNAME?: string;
  /** Password of the master; also sent to the sentinels unless SENTINEL_KWARGS says otherwise (RQ 1.13). */
  PASSWORD?: string;
  /**
   * In seconds: the connect timeout, the timeout of commands to the sentinels, and the time allowed
   * to find the master at startup. (Unlike redis-py's, it sets no timeout on the master's commands:
   * a worker's blocking reads wait longer than that.)
   */
  SOCKET_TIMEOUT?: number | string;
  /** Use TLS to the master and the sentinels. @default false */
  SSL?: boolean | string;
  /** Extra options for the master connection. */
  CONNECTION_KWARGS?: Record<string, unknown>;
  /** Options for the connections to the sentinels themselves. */
  SENTINEL_KWARGS?: Record<string, unknown>;
}

/**
 * The settings rq-ts reads, by RQ's names. A config file exports some of them; the environment
 * provides the `REDIS_*` ones as strings.
 */
export interface RQSettings {
  /** A Redis URL; wins over every other connection setting. */
  REDIS_URL?: string;
  /** @default 'localhost' */
  REDIS_HOST?: string;
  /** @default 6379 */
  REDIS_PORT?: number | string;
  /** @default 0 */
  REDIS_DB?: number | string;
  REDIS_USERNAME?: string;
  REDIS_PASSWORD?: string;
  /** TLS: a boolean, or y/yes/t/true/n/no/f/false. @default false */
  REDIS_SSL?: boolean | string;
  /** Path of a PEM file of CA certificates. */
  REDIS_SSL_CA_CERTS?: string;
  /** PEM text of CA certificates. */
  REDIS_SSL_CA_DATA?: string;
  /** Path of the client certificate (PEM). */
  REDIS_SSL_CERTFILE?: string;
  /** Path of the client key (PEM). */
  REDIS_SSL_KEYFILE?: string;
  /** `'required'` (default) or `'none'` to skip verifying the server certificate. */
  REDIS_SSL_CERT_REQS?: string;
  /** A Sentinel-managed Redis; used when REDIS_URL is absent. */
  SENTINEL?: SentinelSettings;
  /** Queues a worker listens on, in priority order. @default ['default'] */
  QUEUES?: string[];
  /** Worker name. */
  NAME?: string;
  /**
   * Durable mode for `rq worker` and `rq enqueue` (an rq-ts setting; RQ has none):
   * `{ REPLICAS, TIMEOUT }`, the replicas that must confirm each write with `WAIT` (the number of
   * replicas of the primary) and seconds to wait for them (default 1). See {@link durableFromSettings}.
   */
  DURABLE?: { REPLICAS?: number | string; TIMEOUT?: number | string } | boolean | string | null;
  /** Any other UPPERCASE setting of the config file. */
  [name: string]: unknown;
}

/** Where a connection comes from: a URL, a config file, or the environment (RQ's CLI options). */
export interface SettingsSource {
  /** A Redis URL (`-u/--url`); defaults to `env.RQ_REDIS_URL`. */
  url?: string | undefined;
  /** A config file path or module name (`-c/--config`); defaults to `env.RQ_CONFIG`. */
  config?: string | undefined;
  /** Directories searched for a config module given by name (`-P/--path`). @default [process.cwd()] */
  paths?: readonly string[] | undefined;
  /** The environment to read. @default process.env */
  env?: NodeJS.ProcessEnv | undefined;
}

const ENV_NAMES = [
  'REDIS_URL', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_DB', 'REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_SSL',
  'REDIS_SSL_CA_CERTS', 'REDIS_SSL_CA_DATA', 'REDIS_SSL_CERTFILE', 'REDIS_SSL_KEYFILE', 'REDIS_SSL_CERT_REQS',
] as const;

/**
 * Resolves the settings as RQ's CLI does: with a URL, `{ REDIS_URL: url }` plus the config file's
 * other settings; else the config file's settings; else the `REDIS_*` environment variables.
 * (As in RQ, the environment's `REDIS_*` names are not read when a config file is given.)
 */
export async function loadSettings(source: SettingsSource = {}): Promise<RQSettings> {
  const env = source.env ?? process.env;
  const url = nonEmpty(source.url) ?? nonEmpty(env['RQ_REDIS_URL']);
  const config = nonEmpty(source.config) ?? nonEmpty(env['RQ_CONFIG']);
  const settings = config !== undefined ? await loadConfigFile(config, source.paths) : settingsFromEnv(env);
  return url !== undefined ? { ...settings, REDIS_URL: url } : settings;
}

/** RQ's `REDIS_*` names read from an environment. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): RQSettings {
  const settings: RQSettings = {};
  for (const name of ENV_NAMES) {
    const value = env[name];
    if (value !== undefined) settings[name] = value;
  }
  return settings;
}

const CONFIG_EXTENSIONS = ['.js', '.mjs', '.cjs', '.json', '.ts', '.mts'];

/**
 * Reads the UPPERCASE settings of a config file: `.js`/`.mjs`/`.cjs` (named exports, or an object
 * as default export), `.json`, or `.ts`/`.mts` when Node runs with a TypeScript loader. `name`
 * may be a path, or a module name as RQ takes it (`settings`, `myapp.settings`), looked up in
 * `paths` with each of those extensions.
 * @throws {ConfigurationError} when the file is missing or does not load.
 */
export async function loadConfigFile(name: string, paths: readonly string[] = [process.cwd()]): Promise<RQSettings> {
  const file = findConfigFile(name, paths);
  let loaded: Record<string, unknown>;
  try {
    if (extname(file) === '.json') {
      loaded = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } else {
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const fallback = isRecord(module['default']) ? module['default'] : {};
      loaded = { ...fallback, ...module };
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new ConfigurationError(
        `Config file ${file} is TypeScript, and this Node has no TypeScript loader: run with ` +
          `\`node --import tsx\` (or Node >= 22.6 with --experimental-strip-types), or write the config as .js, .mjs or .json.`,
      );
    }
    throw new ConfigurationError(`Config file ${file} did not load: ${(error as Error).message}`, { cause: error });
  }
  if (!isRecord(loaded)) throw new ConfigurationError(`Config file ${file} must hold an object of settings.`);
  return Object.fromEntries(Object.entries(loaded).filter(([key]) => key === key.toUpperCase() && key !== 'DEFAULT'));
}

function findConfigFile(name: string, paths: readonly string[]): string {
  const bases = isAbsolute(name) ? [name] : paths.map((dir) => resolvePath(dir, name));
  const moduleBases = !isAbsolute(name) && !name.includes('/') && extname(name) === '' || /^[\w.]+$/.test(name)
    ? paths.map((dir) => resolvePath(dir, name.replaceAll('.', '/')))
    : [];
  const candidates = [...bases, ...bases.concat(moduleBases).flatMap((base) => CONFIG_EXTENSIONS.map((ext) => base + ext))];
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  if (found === undefined) {
    throw new ConfigurationError(
      `Config file '${name}' not found (looked in ${paths.join(', ')} for it and for it with ${CONFIG_EXTENSIONS.join(', ')}).`,
    );
  }
  return found;
}

/**
 * ioredis options for these settings, in RQ's order: `REDIS_URL`, then `SENTINEL`, then
 * `REDIS_HOST`/`REDIS_PORT`/`REDIS_DB`/`REDIS_PASSWORD`/`REDIS_SSL*`.
 * @throws {ConfigurationError} on a malformed URL, port, db or SSL flag.
 */
export function redisOptionsFromSettings(settings: RQSettings): RedisOptions {
  if (settings.REDIS_URL !== undefined && settings.REDIS_URL !== null) return redisOptionsFromUrl(String(settings.REDIS_URL));
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

type Translate = (value: unknown, where: string) => Partial<RedisOptions>;

/** redis-py connection kwargs rq-ts understands, for the master connection. */
const MASTER_KWARGS: Record<string, Translate> = {
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
function translateKwargs(kwargs: Record<string, unknown>, where: string, known: Record<string, Translate>, ownPrefix?: string): Partial<RedisOptions> {
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
        `${where}.${key} is a redis-py option rq-ts does not translate. Known: ${Object.keys(known).join(', ')}; ` +
          `or give an ioredis option by its camelCase name.`,
      );
    }
  }
  return options as Partial<RedisOptions>;
}

function tlsFromSettings(settings: RQSettings): TlsOptions {
  const tls: TlsOptions = {};
  if (settings.REDIS_SSL_CA_CERTS) tls.ca = readPem(settings.REDIS_SSL_CA_CERTS, 'REDIS_SSL_CA_CERTS');
  if (settings.REDIS_SSL_CA_DATA) tls.ca = settings.REDIS_SSL_CA_DATA;
  if (settings.REDIS_SSL_CERTFILE) tls.cert = readPem(settings.REDIS_SSL_CERTFILE, 'REDIS_SSL_CERTFILE');
  if (settings.REDIS_SSL_KEYFILE) tls.key = readPem(settings.REDIS_SSL_KEYFILE, 'REDIS_SSL_KEYFILE');
  const reqs = settings.REDIS_SSL_CERT_REQS ?? 'required';
  if (reqs === 'none') tls.rejectUnauthorized = false;
  else if (reqs !== 'required') {
    throw new ConfigurationError(`REDIS_SSL_CERT_REQS is '${reqs}': use 'required' or 'none'.`);
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
 * The `durable` option of a Queue or Worker that the `DURABLE` setting asks for:
 * `{ REPLICAS: 2, TIMEOUT: 0.5 }` gives `{ replicas: 2, timeout: 0.5 }`; undefined when it is
 * absent, null or false.
 * @throws {ConfigurationError} without `REPLICAS` (a plain `True` included: durable mode must know
 * how many replicas the primary has), for an unknown key, or for numbers out of range.
 */
export function durableFromSettings(settings: RQSettings): DurableOptions | undefined {
  const value = settings.DURABLE;
  if (value === undefined || value === null) return undefined;
  const needsReplicas = 'DURABLE needs REPLICAS, the number of replicas of the primary: DURABLE = { REPLICAS: 2 }. ' +
    'What fewer replicas confirmed, a graceful failover can lose.';
  if (!isRecord(value)) {
    if (flag(value, 'DURABLE')) throw new ConfigurationError(needsReplicas);
    return undefined;
  }
  const unknown = Object.keys(value).filter((key) => key !== 'REPLICAS' && key !== 'TIMEOUT');
  if (unknown.length > 0) throw new ConfigurationError(`DURABLE has unknown key(s) ${unknown.join(', ')}: use REPLICAS and TIMEOUT.`);
  if (value['REPLICAS'] === undefined || value['REPLICAS'] === null) throw new ConfigurationError(needsReplicas);
  const options: DurableOptions = { replicas: integer(value['REPLICAS'], 'DURABLE.REPLICAS') };
  if (options.replicas < 1) throw new ConfigurationError('DURABLE.REPLICAS must be at least 1: replicas that confirm each write.');
  if (value['TIMEOUT'] !== undefined && value['TIMEOUT'] !== null) options.timeout = seconds(value['TIMEOUT'], 'DURABLE.TIMEOUT');
  return options;
}

/**
 * Builds an ioredis client from settings or a URL. It connects in the background; use
 * {@link openConnection} to wait until it is ready, with a clear error otherwise.
 *
 * With `SENTINEL` settings the client asks the sentinels for the master, follows failovers
 * (`failoverDetector`, and a reconnect on `READONLY`), and stops looking for a master it has never
 * reached after `SOCKET_TIMEOUT` (default 10 s), so that wrong settings fail instead of hanging.
 */
export function connectionFromSettings(settings: RQSettings | string): RedisConnection {
  const options = typeof settings === 'string' ? redisOptionsFromUrl(settings) : redisOptionsFromSettings(settings);
  return createClient(options);
}

/** How long a new connection may take to become ready, in ms, unless the settings say otherwise. */
const DEFAULT_CONNECT_BUDGET_MS = 10_000;

/**
 * `new Redis(options)` with rq-ts' reliability defaults: reconnect on `READONLY` (a replica
 * promoted or demoted under us), and for Sentinel a retry strategy that gives up looking for a
 * master only while it has never reached one (wrong settings fail; a failover is waited out), and
 * a reconnection when a failover ended the client (see {@link reconnectAfterAbortedConnect}).
 * Its duplicates (a worker's blocking and pub/sub connections) get the same.
 */
function createClient(options: RedisOptions): RedisConnection {
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
  client.duplicate = (override?: Partial<RedisOptions>) => createClient({ ...client.options, ...override });
  return client;
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

/** Options of {@link openConnection}. */
export interface OpenConnectionOptions {
  /** How long to wait for the connection to be ready, in seconds. @default SOCKET_TIMEOUT, else 10 */
  timeout?: number;
}

/**
 * Builds a client from settings (see {@link connectionFromSettings}) and waits until it is ready.
 * @throws {ConfigurationError} within `timeout` when Redis cannot be reached, saying where it
 * looked (password masked) and, for Sentinel, what the sentinels answered.
 */
export async function openConnection(settings: RQSettings | string, options: OpenConnectionOptions = {}): Promise<RedisConnection> {
  const redisOptions = typeof settings === 'string' ? redisOptionsFromUrl(settings) : redisOptionsFromSettings(settings);
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
    const hint = isAuthError(lastError)
      ? 'Check the username and password (the URL, REDIS_PASSWORD or the config file).'
      : 'Is redis-server running there? Give another address with -u/--url, REDIS_URL or a config file.';
    throw new ConfigurationError(`Cannot connect to Redis at ${where}: ${reason.replace(/\.+$/, '')}. ${hint}`);
  } finally {
    client.off('error', onError);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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
  const probe = new Redis({
    host: sentinel.host ?? 'localhost',
    port: sentinel.port ?? DEFAULT_SENTINEL_PORT,
    ...(options.sentinelPassword ? { password: options.sentinelPassword } : {}),
    ...(options.sentinelUsername ? { username: options.sentinelUsername } : {}),
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: probeMs,
    maxRetriesPerRequest: 0,
  });
  // ioredis reports a refused AUTH (or a refused connection) as an 'error' event, then fails the
  // next command with "Stream isn't writeable" or "Connection is closed.": the event says why.
  let probeError: Error | undefined;
  probe.on('error', (error: Error) => {
    probeError ??= error;
  });
  try {
    await withTimeout(probe.connect(), probeMs);
    const master = (await withTimeout(probe.call('SENTINEL', 'get-master-addr-by-name', name), probeMs)) as string[] | null;
    if (master) {
      const named = `sentinel ${address} names ${master[0]}:${master[1]} as master '${name}'`;
      return isAuthError(lastError) ? `${named}, which refused the credentials (${lastError?.message})` : `${named}, which did not answer`;
    }
    const known = ((await probe.call('SENTINEL', 'masters')) as string[][]).map((fields) => fields[fields.indexOf('name') + 1]);
    return `sentinel ${address} knows no master named '${name}' (it knows: ${known.join(', ') || 'none'})`;
  } catch (error) {
    const reason = probeError ?? (error as Error);
    return isAuthError(reason) ? `sentinel ${address} refused the credentials (${reason.message})` : `sentinel ${address} is unreachable (${reason.message})`;
  } finally {
    probe.disconnect();
  }
}

/**
 * Whether Redis refused a password or user. Only the server's reply text is used in messages:
 * ioredis' error objects also carry the AUTH command's arguments, the password among them.
 */
function isAuthError(error: Error | undefined): boolean {
  return error !== undefined && /^(WRONGPASS|NOAUTH|NOPERM|ERR invalid password)/.test(error.message);
}

/**
 * A printable description of where a connection goes, with any password masked:
 * `redis://:***@host:6379/0`, `unix:///tmp/redis.sock?db=0`, `sentinel://h1:26379,h2:26379/mymaster/0`.
 */
export function describeConnection(options: RedisOptions): string {
  const auth = options.password ? `${options.username ?? ''}:***@` : options.username ? `${options.username}@` : '';
  if (options.sentinels) {
    const hosts = options.sentinels.map((s) => `${s.host ?? 'localhost'}:${s.port ?? DEFAULT_SENTINEL_PORT}`).join(',');
    return `sentinel://${auth}${hosts}/${options.name ?? DEFAULT_SENTINEL_MASTER_NAME}/${options.db ?? 0}`;
  }
  if (options.path) return `unix://${auth}${options.path}?db=${options.db ?? 0}`;
  const scheme = options.tls ? 'rediss' : 'redis';
  return `${scheme}://${auth}${options.host ?? 'localhost'}:${options.port ?? DEFAULT_REDIS_PORT}/${options.db ?? 0}`;
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

function integer(value: unknown, name: string): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) throw new ConfigurationError(`${name} must be a whole number, got '${text}'.`);
  return Number(text);
}

function seconds(value: unknown, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new ConfigurationError(`${name} must be a positive number of seconds, got '${String(value)}'.`);
  return number;
}

/** RQ's reading of a boolean setting: a boolean, or y/yes/t/true/1 and n/no/f/false/0/'' (any case). */
function flag(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['y', 'yes', 't', 'true', '1'].includes(text)) return true;
  if (['n', 'no', 'f', 'false', '0', ''].includes(text)) return false;
  throw new ConfigurationError(`${name} is a boolean and must be "True" or "False", got '${String(value)}'.`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
