/**
 * Opening a connection from settings and waiting until it is ready, or failing within a timeout
 * with an error that says where it looked (password masked) and why: for Sentinel, what each
 * sentinel answered about the master, asked by a short-lived probe connection of its own.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConnection } from './connection.js';
import { DEFAULT_CONNECT_BUDGET_MS, DEFAULT_SENTINEL_MASTER_NAME, DEFAULT_SENTINEL_PORT } from './defaults.js';
import { ConfigurationError } from './errors.js';
import { redisErrorKind } from './redis-errors.js';
import { createClient } from './redis-client.js';
import { describeConnection, redisOptionsFromSettings, redisOptionsFromUrl } from './redis-options.js';
import type { RQSettings } from './settings.js';

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
    const hint = refusedCredentials(lastError)
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
      return refusedCredentials(lastError) ? `${named}, which refused the credentials (${lastError?.message})` : `${named}, which did not answer`;
    }
    const known = ((await probe.call('SENTINEL', 'masters')) as string[][]).map((fields) => fields[fields.indexOf('name') + 1]);
    return `sentinel ${address} knows no master named '${name}' (it knows: ${known.join(', ') || 'none'})`;
  } catch (error) {
    const reason = probeError ?? (error as Error);
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
