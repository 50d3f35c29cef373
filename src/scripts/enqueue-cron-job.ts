/** One run of a cron job, written once per tick however many schedulers run (enqueue-cron-job.lua). */
import { layoutOf, type RedisConnection } from '../connection.js';
import { QUEUES_KEY, cronJobHistoryKey, queueKey, spanningKey } from '../keys.js';
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
  const layout = layoutOf(connection);
  const queue = queueKey(run.queue, layout);
  if (layout === 'cluster') await connection.sadd(QUEUES_KEY, queue); // its own slot: first (docs/cluster.md)
  const [written, latest] = (await runScript(
    connection,
    'enqueueCronJob',
    [queue, spanningKey(QUEUES_KEY, run.queue, layout), cronJobHistoryKey(run.name, run.queue, layout)],
    [run.id, run.at, run.gap, run.ttl ?? '', run.historyLimit, run.historyTtl, ...Object.entries(run.fields).flat()],
  )) as [number, string];
  return { written: written === 1, latest: Number(latest) };
}
