/**
 * Short-lived connections that ask one server one question, to say why a connection could not be
 * opened (a sentinel about its master, a cluster node about its cluster), and the timeout they
 * are asked under. They never retry, never queue a command, and report their first error.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_DISCONNECT_TIMEOUT_MS } from './defaults.js';

/** A probe made by {@link probeClient}. */
export interface Probe {
  /** The connection; disconnect it when done. */
  readonly client: Redis;
  /**
   * The first error the connection reported. ioredis reports a refused AUTH (or a refused
   * connection) as an 'error' event, then fails the next command with "Stream isn't writeable" or
   * "Connection is closed.": the event says why.
   */
  firstError(): Error | undefined;
}

/** A connection to `target` (host, port, credentials, TLS) that has not connected yet, for one question within `probeMs`. */
export function probeClient(target: RedisOptions, probeMs: number): Probe {
  const client = new Redis({
    ...target,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: probeMs,
    maxRetriesPerRequest: 0,
    disconnectTimeout: DEFAULT_DISCONNECT_TIMEOUT_MS,
  });
  let first: Error | undefined;
  client.on('error', (error: Error) => {
    first ??= error;
  });
  return { client, firstError: () => first };
}

/** `promise`, or a rejection with "timed out" after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
