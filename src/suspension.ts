/**
 * Suspending workers, as RQ's `rq suspend`: while the key `rq:suspended` exists, workers (Python's
 * and ours) take no new job; running jobs finish. A duration makes the key expire by itself.
 */
import { resolveConnection, type ConnectionOptions } from './connection.js';
import { InvalidArgumentError } from './errors.js';
import { SUSPENDED_KEY } from './keys.js';

/**
 * Suspends every worker of this Redis, for `duration` seconds (at least 1) or until {@link resume}.
 * @throws {InvalidArgumentError} for a duration below 1 second.
 */
export async function suspend(options: ConnectionOptions & { duration?: number } = {}): Promise<void> {
  const connection = resolveConnection(options.connection, 'suspend()');
  if (options.duration === undefined) {
    await connection.set(SUSPENDED_KEY, '1');
    return;
  }
  if (!Number.isInteger(options.duration) || options.duration < 1) {
    throw new InvalidArgumentError(`Suspension duration must be a whole number of seconds, at least 1; got ${options.duration}.`);
  }
  await connection.set(SUSPENDED_KEY, '1', 'EX', options.duration);
}

/** Lets workers take jobs again. Resolves to whether they were suspended. */
export async function resume(options: ConnectionOptions = {}): Promise<boolean> {
  const connection = resolveConnection(options.connection, 'resume()');
  return (await connection.del(SUSPENDED_KEY)) === 1;
}

/** Whether workers are suspended now. */
export async function isSuspended(options: ConnectionOptions = {}): Promise<boolean> {
  const connection = resolveConnection(options.connection, 'isSuspended()');
  return (await connection.exists(SUSPENDED_KEY)) === 1;
}
