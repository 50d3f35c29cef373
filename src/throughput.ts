/**
 * Jobs finished and failed per minute, as rq-ts workers count them in Redis (see
 * finish-and-start-jobs.lua), and the run-time percentiles of the jobs that ended in each minute,
 * from the histograms the workers write beside them (job-stats.ts): the dashboard's charts.
 * Python RQ workers count nothing there, so their jobs are not in it. Kept 25 hours.
 */
import { layoutOf, resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { BUCKET_NAMES, quantile } from './job-stats.js';
import { commandBatch } from './redis-client.js';
import { throughputKey } from './keys.js';
import { Queue } from './queue.js';
import { serverTime } from './server-time.js';

/** One minute's counts. */
export interface ThroughputPoint {
  /** The minute's start. */
  readonly minute: Date;
  readonly finished: number;
  readonly failed: number;
  /** Median run time of the jobs that ended in the minute, in seconds (from a histogram: an estimate); null without any. */
  readonly runP50: number | null;
  /** 95th percentile of their run time, in seconds; null without any. */
  readonly runP95: number | null;
}

/**
 * Now by the Redis server's clock, which the workers count minutes by; by this process's clock when
 * the user may not run TIME (a read-only ACL such as `+@read`, which a dashboard may be given).
 */
async function chartTime(connection: RedisConnection): Promise<Date> {
  try {
    return await serverTime(connection);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOPERM')) return new Date();
    throw error;
  }
}

/**
 * Per-minute counts over the last `minutes` (at most 1440, default 360), oldest first, ending with
 * the minute of `now` (default: now on the Redis server, whose clock the workers count by), of
 * `queue`, or of every queue in `rq:queues` summed. Minutes without jobs are zeros. Reads one hash
 * per queue and hour, pipelined.
 */
export async function getThroughput(options: ConnectionOptions & { queue?: string; minutes?: number; now?: Date } = {}): Promise<ThroughputPoint[]> {
  const connection = resolveConnection(options.connection, 'getThroughput()');
  const minutes = Math.max(1, Math.min(1440, Math.floor(options.minutes ?? 360)));
  const nowSeconds = Math.floor((options.now ?? (await chartTime(connection))).getTime() / 1000);
  const lastMinute = nowSeconds - (nowSeconds % 60);
  const firstMinute = lastMinute - (minutes - 1) * 60;
  const queues = options.queue !== undefined ? [options.queue] : (await Queue.all({ connection })).map((queue) => queue.name);
  const hours: number[] = [];
  for (let hour = firstMinute - (firstMinute % 3600); hour <= lastMinute; hour += 3600) hours.push(hour);
  const points = Array.from({ length: minutes }, (_, index) => ({ minute: new Date((firstMinute + index * 60) * 1000), finished: 0, failed: 0, runP50: null as number | null, runP95: null as number | null }));
  if (queues.length === 0) return points;
  const runTimes = points.map(() => BUCKET_NAMES.map(() => 0));
  const pipeline = commandBatch(connection, { atomic: false });
  for (const queue of queues) for (const hour of hours) pipeline.hgetall(throughputKey(queue, hour, layoutOf(connection)));
  const replies = (await pipeline.exec()) ?? [];
  let reply = 0;
  for (let q = 0; q < queues.length; q++) {
    for (const hour of hours) {
      const hash = (replies[reply++]?.[1] ?? {}) as Record<string, string>;
      for (const [field, value] of Object.entries(hash)) {
        const [minuteText, kind, bucket] = field.split(':');
        const index = (hour + Number(minuteText) * 60 - firstMinute) / 60;
        const point = points[index];
        if (!point) continue;
        if (kind === 'finished' || kind === 'failed') point[kind] += Number(value) || 0;
        else if (kind === 'run') {
          const at = BUCKET_NAMES.indexOf(bucket!);
          if (at >= 0) runTimes[index]![at]! += Number(value) || 0;
        }
      }
    }
  }
  points.forEach((point, index) => {
    point.runP50 = quantile(runTimes[index]!, 0.5) ?? null;
    point.runP95 = quantile(runTimes[index]!, 0.95) ?? null;
  });
  return points;
}
