/** The scheduler's pass over one queue (enqueue-due-jobs.lua) and the release of its lock (release-lock.lua). */
import { layoutOf, type RedisConnection } from '../connection.js';
import { QUEUES_KEY, queueKey, scheduledRegistryKey, schedulerLockKey, spanningKey } from '../keys.js';
import { runScript } from './index.js';

/** One pass: who holds the lock, for how long, and how many jobs at most. */
export interface DuePass {
  readonly queue: string;
  /** The value this scheduler writes in the lock (RQ: its pid). */
  readonly holder: string;
  /** Lock TTL, in seconds. */
  readonly lockTtl: number;
  /** Whether this scheduler holds the lock already (it renews it), else it tries to take it. */
  readonly holding: boolean;
  /** Most jobs moved in one pass. */
  readonly batch: number;
}

/**
 * Holds the queue's scheduler lock and moves its due scheduled jobs onto the queue. Resolves to the
 * number moved, or undefined when another scheduler holds the lock.
 */
export async function enqueueDueJobs(connection: RedisConnection, pass: DuePass): Promise<number | undefined> {
  const { queue, holder, lockTtl, holding, batch } = pass;
  const layout = layoutOf(connection);
  const keys = [schedulerLockKey(queue, layout), scheduledRegistryKey(queue, layout), queueKey(queue, layout), spanningKey(QUEUES_KEY, queue, layout)];
  const moved = (await runScript(connection, 'enqueueDueJobs', keys, [holder, lockTtl, holding ? '1' : '0', batch])) as number | null;
  return moved ?? undefined;
}

/** Releases the scheduler lock of `queue` when `holder` still holds it. */
export async function releaseSchedulerLock(connection: RedisConnection, queue: string, holder: string): Promise<void> {
  await runScript(connection, 'releaseLock', [schedulerLockKey(queue, layoutOf(connection))], [holder]);
}
