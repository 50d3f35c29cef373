/**
 * Which Redis connection an object uses. RQ's rules (RQ-REFERENCE.md §1.10), in Node:
 *
 * - an explicit `connection` option always wins;
 * - otherwise an object takes the top of the connection stack when it is constructed, and keeps
 *   that connection for life (nothing after a constructor reads the stack);
 * - the stack lives in AsyncLocalStorage: `withConnection(redis, fn)` gives `fn` (and everything it
 *   awaits) its own copy of the stack with `redis` on top, so concurrent tasks never see each
 *   other's connections; outside any `withConnection` there is one process-wide stack;
 * - `useConnection()` (deprecated, as in RQ) sets a process-wide default under the stack.
 *
 * {@link resolveConnection} is the single place that applies these rules.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Cluster, Redis } from 'ioredis';
import { ConfigurationError, ConnectionStackEmptyError, NoRedisConnectionError, RQError } from './errors.js';
import type { Layout } from './keys.js';
import { scrubConnectionErrors } from './redis-errors.js';

/**
 * A Redis client rq-ts can use: an ioredis `Redis` (standalone or Sentinel-managed) or an ioredis
 * `Cluster` (see docs/cluster.md).
 */
export type RedisConnection = Redis | Cluster;

/**
 * Whether `connection` is an ioredis `Cluster` (read from its `isCluster` flag, so that a Cluster
 * of another copy of ioredis counts too).
 */
export function isCluster(connection: RedisConnection): connection is Cluster {
  return connection.isCluster === true;
}

/** The key layout of `connection`: on a Cluster the tagged one, else RQ 1.13's (docs/cluster.md). */
export function layoutOf(connection: RedisConnection): Layout {
  return isCluster(connection) ? 'cluster' : 'plain';
}

/** Options every connection-holding rq-ts object accepts. */
export interface ConnectionOptions {
  /**
   * The Redis client this object uses for life. When omitted, the top of the connection stack
   * at construction time is used (see {@link withConnection}); with neither, construction throws
   * {@link NoRedisConnectionError}.
   */
  connection?: RedisConnection;
}

const contextStacks = new AsyncLocalStorage<RedisConnection[]>();
const processStack: RedisConnection[] = [];
let processDefault: RedisConnection | undefined;
let warnedUseConnection = false;

function currentStack(): RedisConnection[] {
  return contextStacks.getStore() ?? processStack;
}

/**
 * Runs `fn` with `connection` on top of the connection stack, and returns what `fn` returns.
 * Objects constructed inside `fn`, including after any `await`, take `connection` unless given
 * one explicitly. Contexts nest; the stack outside is untouched.
 *
 * @example
 * await withConnection(new Redis(url), async () => {
 *   const q = new Queue('emails'); // uses the connection above, for life
 *   await q.enqueue('tasks.send', 'ada@example.com');
 * });
 */
export function withConnection<T>(connection: RedisConnection, fn: () => T): T {
  return contextStacks.run([...currentStack(), connection], fn);
}

/** A pushed connection; disposing it pops it (`using _ = pushConnection(redis)`). */
export interface PushedConnection extends Disposable {
  /** The connection that was pushed. */
  readonly connection: RedisConnection;
}

/**
 * Pushes `connection` on the current connection stack (the one of the enclosing
 * {@link withConnection}, or the process-wide one). Meant for a test's setup, paired with
 * {@link popConnection} in its teardown; or write `using _ = pushConnection(redis)` and the end of
 * the block pops it.
 */
export function pushConnection(connection: RedisConnection): PushedConnection {
  const stack = currentStack();
  stack.push(connection);
  return {
    connection,
    [Symbol.dispose]() {
      if (stack.at(-1) !== connection) {
        throw new RQError('The connection stack changed under a `using pushConnection(...)`: pop connections in the reverse order they were pushed.');
      }
      stack.pop();
    },
  };
}

/**
 * Pops the top of the current connection stack and returns it.
 * @throws {ConnectionStackEmptyError} when nothing was pushed.
 */
export function popConnection(): RedisConnection {
  const connection = currentStack().pop();
  if (connection === undefined) throw new ConnectionStackEmptyError();
  return connection;
}

/**
 * The connection a new object would take now: the top of the connection stack, else the
 * default set by {@link useConnection}, else undefined.
 */
export function getCurrentConnection(): RedisConnection | undefined {
  return currentStack().at(-1) ?? processDefault;
}

/**
 * Sets the process-wide default connection, used whenever the stack is empty. Without an
 * argument, a client for Redis on localhost:6379 (it connects on first use).
 *
 * @deprecated As in RQ, where `use_connection()` is deprecated: pass `{ connection }` to each
 * object, or use {@link withConnection} / {@link pushConnection}.
 */
export function useConnection(connection?: RedisConnection): RedisConnection {
  if (!warnedUseConnection) {
    warnedUseConnection = true;
    process.emitWarning(
      'useConnection() is deprecated, as RQ\'s use_connection() is: pass { connection } to Queue, Worker and Job, ' +
        'or use withConnection(redis, fn) / pushConnection(redis).',
      { type: 'DeprecationWarning', code: 'RQTS_USE_CONNECTION' },
    );
  }
  processDefault = connection ?? new Redis({ host: 'localhost', port: 6379, lazyConnect: true });
  return processDefault;
}

/**
 * The connection an object being constructed must use: `explicit` if given, else the current
 * one ({@link getCurrentConnection}).
 * @param what names the object in the error, e.g. `Queue 'emails'`.
 * @throws {NoRedisConnectionError} when there is none.
 */
export function resolveConnection(explicit: RedisConnection | undefined, what: string): RedisConnection {
  const connection = explicit ?? getCurrentConnection();
  if (connection === undefined) throw new NoRedisConnectionError(what);
  if (connection.options.keyPrefix) {
    // ioredis prefixes the keys it sees, not those our Lua scripts derive from job ids: the data
    // would end up half prefixed, and invisible to Python RQ.
    throw new ConfigurationError(
      `${what}: its Redis client has keyPrefix '${connection.options.keyPrefix}', which rq-ts cannot use (RQ's key layout has no prefix). ` +
        'Use a client without keyPrefix, or a separate database (redis://host:6379/1).',
    );
  }
  scrubConnectionErrors(connection);
  return connection;
}

/** Internal, for tests: forgets the default set by useConnection() and the process-wide stack. */
export function resetConnectionState(): void {
  processDefault = undefined;
  processStack.length = 0;
}
