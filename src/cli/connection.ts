/**
 * The Redis connection of an `rq` command: opened from the shared options (-u, -c, -P, the
 * REDIS_* environment), reported in one line while Redis is away, and always closed: by the
 * command when it is done ({@link withOpenConnection}), else by the program after an error
 * ({@link closeAll}), so that no command is held open by a socket of ours.
 */
import { asClusterSettings, loadSettings, onFailover, openConnection, redisOptionsFromUrl, type RQSettings, type RedisConnection } from '../index.js';
import { UsageError, checkFlag, pathsOf, type SharedOptions } from './shared.js';

/** How {@link connect} reports. */
export interface ConnectOptions {
  /** Say on stderr when the primary changes (a failover). @default true; false for `rq worker`, whose Worker logs it */
  readonly reportFailover?: boolean;
}

/** The settings the shared options describe (--url, else --config, else the REDIS_* environment; a cluster with --cluster). */
export async function settingsOf(shared: SharedOptions): Promise<RQSettings> {
  const { flags } = shared;
  // An empty RQ_REDIS_URL is no URL, as loadSettings reads it.
  if (flags.url) checkFlag('-u/--url', () => redisOptionsFromUrl(flags.url!));
  const settings = await loadSettings({ url: flags.url, config: flags.config, paths: pathsOf(flags) });
  return flags.cluster ? asCluster(settings) : settings;
}

/**
 * --cluster: the settings with the Redis they name (the URL, else REDIS_HOST and REDIS_PORT) taken
 * as a node of a Redis Cluster; settings that already describe a cluster as they are.
 * @throws {UsageError} when they describe a Sentinel-managed Redis, or a database other than 0.
 */
function asCluster(settings: RQSettings): RQSettings {
  const hasUrl = settings.REDIS_URL !== undefined && settings.REDIS_URL !== null;
  if (!hasUrl && settings.CLUSTER) return settings;
  if (!hasUrl && settings.SENTINEL) {
    throw new UsageError('--cluster: the settings describe a Sentinel-managed Redis (SENTINEL), not a cluster node. Give a node with -u, or leave --cluster out.');
  }
  const { REDIS_URL: _url, ...rest } = settings;
  return { ...rest, CLUSTER: checkFlag('--cluster', () => asClusterSettings(settings)) };
}

/** Connections opened by {@link connect} and not closed yet: {@link closeAll} closes them. */
const open = new Set<RedisConnection>();

/**
 * Opens the connection the shared options describe. While Redis is unreachable later on, says so
 * in one line on stderr (not a stack trace at each reconnection attempt), and once more when back;
 * and when it comes back at another server (a failover), says that too, unless
 * `reportFailover` is false.
 */
export async function connect(shared: SharedOptions, options: ConnectOptions = {}): Promise<RedisConnection> {
  const connection = await openConnection(await settingsOf(shared));
  open.add(connection);
  let down = false;
  connection.on('error', (error: Error) => {
    if (!down) process.stderr.write(`Redis connection lost, reconnecting: ${error.message}\n`);
    down = true;
  });
  connection.on('ready', () => {
    if (down) process.stderr.write('Redis connection back\n');
    down = false;
  });
  if (options.reportFailover ?? true) {
    onFailover(connection, ({ previous, current }) => {
      process.stderr.write(`Redis primary changed from ${previous} to ${current}: writes ${previous} acknowledged just before the switch may be lost (replication is asynchronous)\n`);
    });
  }
  return connection;
}

/** Opens the connection the shared options describe, runs `run` with it, and closes it however `run` ends. */
export async function withOpenConnection<T>(shared: SharedOptions, run: (connection: RedisConnection) => Promise<T>, options: ConnectOptions = {}): Promise<T> {
  const connection = await connect(shared, options);
  try {
    return await run(connection);
  } finally {
    await closeConnection(connection);
  }
}

/** Closes a connection whatever its state: QUIT when it is up, else drop it. */
export async function closeConnection(connection: RedisConnection): Promise<void> {
  open.delete(connection);
  if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
  else connection.disconnect();
}

/** Closes every connection {@link connect} opened that is still open: after a command, whatever became of it. */
export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((connection) => closeConnection(connection)));
}
