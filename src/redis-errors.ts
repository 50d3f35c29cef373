/**
 * What an error from Redis (through ioredis) means for rq-ts, decided in one place: whether it
 * heals by itself (a lost connection, a failover, a full Redis) or never does (a missing
 * permission, wrong credentials), which typed error a caller gets for it, and its text without
 * secrets. ioredis keeps the failed command on its errors, and for AUTH and HELLO that command's
 * arguments hold the password: {@link scrubError} masks them before an error leaves rq-ts.
 */
import type { RedisConnection } from './connection.js';
import { RedisOutOfMemoryError, RedisPermissionError, RQError } from './errors.js';

/** How rq-ts treats an error from Redis. */
export type RedisErrorKind = 'out-of-memory' | 'permission' | 'other';

/** The kind of `error`, from the error code Redis starts its message with. */
export function redisErrorKind(error: unknown): RedisErrorKind {
  // A MULTI that Redis discarded (EXECABORT) carries the errors of its commands.
  const previous = (error as { previousErrors?: unknown } | null)?.previousErrors;
  if (Array.isArray(previous) && previous.length > 0) return redisErrorKind(previous[0]);
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('OOM ')) return 'out-of-memory';
  // Inside a script, Redis 7.0 reports a command the user may not run as "ERR The user executing
  // the script can't run this command", without the NOPERM code.
  if (/^(WRONGPASS|NOAUTH|ERR invalid password)\b|\bNOPERM\b|user executing the script can't run/.test(message)) return 'permission';
  return 'other';
}

/** Commands whose arguments carry credentials. */
const SECRET_COMMANDS = new Set(['auth', 'hello', 'migrate']);

/**
 * Masks in place the arguments of a failed AUTH or HELLO command that ioredis keeps on `error`
 * (`error.command.args`, shown by `util.inspect` and loggers), and returns the error.
 */
function scrubError<T>(error: T): T {
  const command = (error as { command?: { name?: unknown; args?: unknown } } | null)?.command;
  if (command && typeof command.name === 'string' && SECRET_COMMANDS.has(command.name.toLowerCase()) && Array.isArray(command.args)) {
    command.args = command.args.map(() => '***');
  }
  return error;
}

/**
 * The error a caller of rq-ts gets for `error`: a {@link RedisOutOfMemoryError} or
 * {@link RedisPermissionError} (the Redis error as its `cause`, scrubbed) when Redis said so,
 * else the error itself, scrubbed. `detail` adds what the caller knows (the command a script
 * line runs).
 */
export function toRQError(error: unknown, detail?: string): unknown {
  scrubError(error);
  if (error instanceof RQError) return error;
  const kind = redisErrorKind(error);
  const reply = (error as Error).message;
  if (kind === 'out-of-memory') {
    return new RedisOutOfMemoryError(
      `Redis is out of memory (used memory above maxmemory): it refused the write, and nothing of it was written. ` +
        `Free memory (finished jobs and results expire; rq empty removes waiting jobs) or raise maxmemory, then try again. (${reply})`,
      { cause: error },
    );
  }
  if (kind === 'permission') {
    const what = `${reply.replace(/[.\s]*$/, '')}${detail ? ` (${detail})` : ''}.`;
    return new RedisPermissionError(`Redis refused a command: ${what} Give this user the ACL rule in docs/reliability.md (section "Permissions"), or fix its credentials.`, { cause: error });
  }
  return error;
}

/** Rejects with {@link toRQError} of `error`: for `promise.catch(rejectAsRQError)`. */
export function rejectAsRQError(error: unknown): never {
  throw toRQError(error);
}

/** Connections whose errors are scrubbed as they are emitted. */
const watched = new WeakSet<RedisConnection>();

/**
 * Scrubs every error `connection` emits before anyone else sees it. ioredis emits a failed AUTH's
 * error as an 'error' event and then rejects the waiting commands with that same object, so this
 * also scrubs what those commands reject with. While this is its only 'error' listener, it prints
 * what ioredis would print without one (its stack, which holds no password).
 */
export function scrubConnectionErrors(connection: RedisConnection): void {
  if (watched.has(connection) || typeof connection.prependListener !== 'function') return;
  watched.add(connection);
  const listener = (error: unknown) => {
    scrubError(error);
    if (connection.listenerCount('error') === 1 && error instanceof Error) console.error('[ioredis] Unhandled error event:', error.stack);
  };
  connection.prependListener('error', listener);
}
