/** The abandoned-job sweep of a started registry (clean-started-registry.lua). */
import { layoutOf, type RedisConnection } from '../connection.js';
import { DEFAULT_FAILURE_TTL } from '../defaults.js';
import { QUEUES_KEY, failedRegistryKey, queueKey, scheduledRegistryKey, spanningKey, startedRegistryKey } from '../keys.js';
import { runScript } from './index.js';

/** A sweep of one queue's started registry. */
export interface Sweep {
  readonly queue: string;
  /** Entries scored at or below this are abandoned (epoch seconds). @default now on the Redis server */
  readonly cutoff?: number | undefined;
  /** The exc_info of the jobs it fails, as RQ stores it (zlib of the text). */
  readonly excInfo: Buffer;
  /** How many times an abandoned job without retries goes back on its queue before it fails. */
  readonly maxRequeues: number;
}

/** What a sweep did, by job id. */
export interface SweepResult {
  readonly failed: string[];
  readonly retried: string[];
  readonly requeued: string[];
}

/** Handles the abandoned jobs of a queue's started registry: retried, requeued or failed. */
export async function cleanStartedRegistry(connection: RedisConnection, { queue, cutoff, excInfo, maxRequeues }: Sweep): Promise<SweepResult> {
  const layout = layoutOf(connection);
  const [failed, retried, requeued] = (await runScript(
    connection,
    'cleanStartedRegistry',
    [startedRegistryKey(queue, layout), failedRegistryKey(queue, layout), scheduledRegistryKey(queue, layout), queueKey(queue, layout), spanningKey(QUEUES_KEY, queue, layout)],
    [cutoff === undefined ? '' : String(cutoff), excInfo, DEFAULT_FAILURE_TTL, maxRequeues],
  )) as [string[], string[], string[]];
  return { failed, retried, requeued };
}
