/** One run of a cron job, written once per tick however many schedulers run (enqueue-cron-job.lua). */
import { isCluster, type RedisConnection } from '../connection.js';
import { CrossSlotError } from '../errors.js';
import { QUEUES_KEY, cronJobHistoryKey, queueKey } from '../keys.js';
import { runScript } from './index.js';

/** A run: its job, the cron job's history, the run's time and the least gap since the last run. */
export interface CronRun {
  readonly name: string;
  readonly queue: string;
  readonly id: string;
  readonly fields: Readonly<Record<string, string | Buffer>>;
  /** Seconds, or undefined for none. */
  readonly ttl: number | undefined;
  /** The run's time, epoch seconds. */
  readonly at: number;
  /** A run is written only when the latest is at or before `at - gap`. */
  readonly gap: number;
  /** History entries kept, and the history key's TTL in seconds. */
  readonly historyLimit: number;
  readonly historyTtl: number;
}

/** Writes the run unless another scheduler has; resolves to whether this call wrote it, and the latest run's time (epoch seconds). */
export async function enqueueCronJob(connection: RedisConnection, run: CronRun): Promise<{ written: boolean; latest: number }> {
  if (isCluster(connection)) {
    throw new CrossSlotError(`Cron job '${run.name}' cannot run on a Redis Cluster yet: its history (${cronJobHistoryKey(run.name)}) and its queue (${queueKey(run.queue, 'cluster')}) are in different slots, and rq-ts writes them in one step.`);
  }
  const [written, latest] = (await runScript(
    connection,
    'enqueueCronJob',
    [queueKey(run.queue, 'plain'), QUEUES_KEY, cronJobHistoryKey(run.name)],
    [run.id, run.at, run.gap, run.ttl ?? '', run.historyLimit, run.historyTtl, ...Object.entries(run.fields).flat()],
  )) as [number, string];
  return { written: written === 1, latest: Number(latest) };
}
