/**
 * Settings: RQ's way of describing a Redis connection (RQ-REFERENCE.md §1.11), with rq-ts'
 * `CLUSTER` for a Redis Cluster, and the rest of a worker's configuration, by RQ's names. Read
 * from a config file (`-c`/`RQ_CONFIG`) or from the environment, with RQ's precedence:
 * `--url`/`RQ_REDIS_URL`, then the config file, then the environment; and read value by value as
 * RQ reads them (whole numbers, seconds, "True"/"False").
 *
 * What the settings become lives next door: redis-options.ts turns them into ioredis options
 * (cluster-options.ts for a `CLUSTER`), redis-client.ts builds the client, open-connection.ts
 * waits for it and says why it failed. The config-file lookup here is also `rq cron`'s (cron.ts).
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_REDIS_PORT } from './defaults.js';
import type { DurableOptions } from './durable.js';
import { ConfigurationError } from './errors.js';
import { isRecord } from './is-record.js';

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
 * A Redis Cluster: an rq-ts setting (Python RQ has none), shaped like RQ's `SENTINEL`. The client
 * asks any of `NODES` for the cluster's layout and then talks to every master it learns of.
 * `CONNECTION_KWARGS` takes redis-py names (`socket_timeout`, `ssl`...) or ioredis option names in
 * camelCase, for each node's connection; `CLUSTER_KWARGS` takes ioredis' Cluster options by name
 * (`natMap`, `slotsRefreshTimeout`...).
 */
export interface ClusterSettings {
  /**
   * Nodes to start from; any one that answers is enough. Each is a URL (`redis://[user:password@]host:port`,
   * `rediss://...` for TLS), `'host:port'`, a `[host, port]` pair or `{ host, port }`; the port
   * defaults to 6379. A URL's credentials and TLS apply to every node.
   */
  NODES?: ReadonlyArray<string | readonly [string, number | string] | { host?: string; port?: number | string }>;
  /** Username on every node (Redis 6 ACL). */
  USERNAME?: string;
  /** Password of every node. */
  PASSWORD?: string;
  /** Use TLS to every node. @default false (true when a node is given as `rediss://`) */
  SSL?: boolean | string;
  /** Path of a PEM file of CA certificates (with SSL). */
  SSL_CA_CERTS?: string;
  /** PEM text of CA certificates (with SSL). */
  SSL_CA_DATA?: string;
  /** Path of the client certificate, PEM (with SSL). */
  SSL_CERTFILE?: string;
  /** Path of the client key, PEM (with SSL). */
  SSL_KEYFILE?: string;
  /** `'required'` (default) or `'none'` to skip verifying the servers' certificates (with SSL). */
  SSL_CERT_REQS?: string;
  /**
   * In seconds: the connect timeout to each node, and the time allowed to reach the cluster at
   * startup. Not a timeout on commands: use `CONNECTION_KWARGS.socket_timeout` for that. @default 10
   */
  SOCKET_TIMEOUT?: number | string;
  /** Extra options for each node's connection. */
  CONNECTION_KWARGS?: Record<string, unknown>;
  /** ioredis Cluster options, by their camelCase names. */
  CLUSTER_KWARGS?: Record<string, unknown>;
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
  /** A Redis Cluster (an rq-ts setting); used when REDIS_URL is absent. See {@link ClusterSettings}. */
  CLUSTER?: ClusterSettings;
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

/**
 * RQ's `REDIS_*` names read from an environment, and rq-ts' `REDIS_CLUSTER_NODES`: a
 * comma-separated list of cluster nodes (`host:port` or URLs), which becomes a `CLUSTER` block
 * with the credentials and TLS of the other `REDIS_*` names (see {@link asClusterSettings}).
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): RQSettings {
  const settings: RQSettings = {};
  for (const name of ENV_NAMES) {
    const value = env[name];
    if (value !== undefined) settings[name] = value;
  }
  const nodes = nonEmpty(env['REDIS_CLUSTER_NODES']?.trim());
  if (nodes !== undefined) settings.CLUSTER = asClusterSettings(settings, nodes.split(',').map((node) => node.trim()).filter(Boolean));
  return settings;
}

/**
 * The `CLUSTER` block that takes the Redis these settings name as a node of a cluster: `nodes`
 * when given, else `REDIS_URL` (credentials and TLS included), else `REDIS_HOST:REDIS_PORT`; with
 * `REDIS_USERNAME`, `REDIS_PASSWORD` and `REDIS_SSL*` unless a URL is used. `REDIS_CLUSTER_NODES`
 * and `rq --cluster` are read through it.
 * @throws {ConfigurationError} when `REDIS_DB` names another database than 0 (a cluster has only 0).
 */
export function asClusterSettings(settings: RQSettings, nodes?: readonly string[]): ClusterSettings {
  const url = settings.REDIS_URL ?? undefined;
  if (nodes === undefined && url !== undefined) return { NODES: [String(url)] };
  const db = String(settings.REDIS_DB ?? '').trim();
  if (db !== '' && db !== '0') {
    throw new ConfigurationError(`REDIS_DB is ${String(settings.REDIS_DB)}, but a Redis Cluster has only database 0: leave REDIS_DB unset for a cluster.`);
  }
  const cluster: ClusterSettings = { NODES: nodes ?? [`${settings.REDIS_HOST ?? 'localhost'}:${settings.REDIS_PORT ?? DEFAULT_REDIS_PORT}`] };
  for (const name of ['USERNAME', 'PASSWORD', 'SSL', 'SSL_CA_CERTS', 'SSL_CA_DATA', 'SSL_CERTFILE', 'SSL_KEYFILE', 'SSL_CERT_REQS'] as const) {
    const value = settings[`REDIS_${name}`];
    if (value !== undefined && value !== null) (cluster as Record<string, unknown>)[name] = value;
  }
  return cluster;
}

/**
 * The `CLUSTER` block that applies to these settings, in RQ's order: none when `REDIS_URL` is set
 * (it wins over every other connection setting), else `CLUSTER` if given.
 * @throws {ConfigurationError} when both `SENTINEL` and `CLUSTER` are given.
 */
export function clusterSettingsOf(settings: RQSettings): ClusterSettings | undefined {
  if (settings.REDIS_URL !== undefined && settings.REDIS_URL !== null) return undefined;
  if (settings.CLUSTER === undefined || settings.CLUSTER === null) return undefined;
  if (settings.SENTINEL !== undefined && settings.SENTINEL !== null) {
    throw new ConfigurationError('Both SENTINEL and CLUSTER are set: a Redis is either Sentinel-managed or a cluster. Keep the one that describes yours.');
  }
  if (!isRecord(settings.CLUSTER)) throw new ConfigurationError('CLUSTER must be an object: CLUSTER = { NODES: [...], PASSWORD: ... }.');
  return settings.CLUSTER;
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
  const file = findConfigFile(name, paths, CONFIG_EXTENSIONS);
  if (file === undefined) {
    throw new ConfigurationError(
      `Config file '${name}' not found (looked in ${paths.join(', ')} for it and for it with ${CONFIG_EXTENSIONS.join(', ')}).`,
    );
  }
  const loaded = await readConfigFile(file);
  if (!isRecord(loaded)) throw new ConfigurationError(`Config file ${file} must hold an object of settings.`);
  return Object.fromEntries(Object.entries(loaded).filter(([key]) => key === key.toUpperCase() && key !== 'DEFAULT'));
}

/** What a settings file holds: a `.json` file's value, or a module's named exports over an object default export. */
async function readConfigFile(file: string): Promise<unknown> {
  if (extname(file) !== '.json') {
    const module = await importConfigModule(file, (error) => configFileError(file, error));
    const fallback = isRecord(module['default']) ? module['default'] : {};
    return { ...fallback, ...module };
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw configFileError(file, error);
  }
}

/** Why a settings file did not load; a `.ts` file without a TypeScript loader gets the way to one. */
function configFileError(file: string, error: unknown): ConfigurationError {
  if ((error as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
    return new ConfigurationError(
      `Config file ${file} is TypeScript, and this Node has no TypeScript loader: run with ` +
        `\`node --import tsx\` (or Node >= 22.6 with --experimental-strip-types), or write the config as .js, .mjs or .json.`,
    );
  }
  return new ConfigurationError(`Config file ${file} did not load: ${(error as Error).message}`, { cause: error });
}

/**
 * The config file `name` stands for: `name` itself when absolute, else `name` under each of
 * `paths`; failing that, each of those with each of `extensions`, and for a module name as RQ
 * takes it (`myapp.settings`) its path (`myapp/settings`) with each of them. The first that is a
 * file, or undefined. Settings files and `rq cron`'s config are looked up by it.
 */
export function findConfigFile(name: string, paths: readonly string[], extensions: readonly string[] = []): string | undefined {
  const bases = isAbsolute(name) ? [name] : paths.map((dir) => resolvePath(dir, name));
  const moduleBases = !isAbsolute(name) && !name.includes('/') && extname(name) === '' || /^[\w.]+$/.test(name)
    ? paths.map((dir) => resolvePath(dir, name.replaceAll('.', '/')))
    : [];
  const candidates = [...bases, ...bases.concat(moduleBases).flatMap((base) => extensions.map((ext) => base + ext))];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

/**
 * Imports the config module at `file` (found by {@link findConfigFile}), for settings and for
 * `rq cron`'s registrations.
 * @throws {ConfigurationError} the one `failed` words, when it does not load.
 */
export async function importConfigModule(file: string, failed: (error: unknown) => ConfigurationError): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw failed(error);
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

/** A whole-number setting (`REDIS_PORT`, `DB`...), given as text or a number. @throws {ConfigurationError} */
export function integer(value: unknown, name: string): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) throw new ConfigurationError(`${name} must be a whole number, got '${text}'.`);
  return Number(text);
}

/** A setting in seconds, above 0 (`SOCKET_TIMEOUT`, `DURABLE.TIMEOUT`...). @throws {ConfigurationError} */
export function seconds(value: unknown, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new ConfigurationError(`${name} must be a positive number of seconds, got '${String(value)}'.`);
  return number;
}

/** RQ's reading of a boolean setting: a boolean, or y/yes/t/true/1 and n/no/f/false/0/'' (any case). */
export function flag(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['y', 'yes', 't', 'true', '1'].includes(text)) return true;
  if (['n', 'no', 'f', 'false', '0', ''].includes(text)) return false;
  throw new ConfigurationError(`${name} is a boolean and must be "True" or "False", got '${String(value)}'.`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
