/**
 * Keeping a worker's queues clean, as RQ's worker maintenance does: expired entries out of the
 * finished and failed registries, abandoned jobs out of the started registry, dead workers out of
 * the worker sets. The full cleanup runs under RQ's lock per queue (`rq:clean_registries:<q>`,
 * 899 s) so that many workers do it once; the abandoned-job sweep is cheap and runs often. Job
 * groups are cleaned as RQ 2.x's maintenance cleans them (Group.cleanRegistries).
 */
import { layoutOf, type RedisConnection } from '../connection.js';
import { RateLimitRegistry } from '../rate-limit.js';
import { commandBatch } from '../redis-client.js';
import { releaseDeferred } from '../scripts/release-dependent.js';
import { Group } from '../group.js';
import { Job } from '../job.js';
import type { JobStats } from '../job-stats.js';
import { QUEUES_KEY, WORKERS_KEY, cleanRegistriesLockKey, queueKey, queueWorkersKey } from '../keys.js';
import { FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry, type StartedCleanup } from '../registries/index.js';
import type { Serializer } from '../serializers/index.js';

/** What maintenance needs to know. */
export interface MaintenanceContext {
  readonly connection: RedisConnection;
  readonly serializer: Serializer;
  readonly queueNames: readonly string[];
  /** Times an abandoned job is put back before it fails (0: RQ's behaviour). */
  readonly maxAbandonedRequeues: number;
}

/** Seconds RQ's registry-cleaning lock is held. */
const CLEAN_LOCK_TTL = 899;

/**
 * Handles the jobs whose heartbeat expired in the context's queues (see StartedJobRegistry.cleanup),
 * counting them in `stats` by function.
 */
export async function sweepAbandoned(context: MaintenanceContext, stats?: JobStats): Promise<void> {
  for (const queue of context.queueNames) {
    const registry = new StartedJobRegistry(queue, { connection: context.connection, serializer: context.serializer });
    await countAbandoned(context, queue, await registry.cleanup({ maxAbandonedRequeues: context.maxAbandonedRequeues }), stats);
  }
}

/** Counts a sweep's jobs in `stats` by function ('' for a job whose data cannot be read): one read, and only when there are any. */
async function countAbandoned(context: MaintenanceContext, queue: string, swept: StartedCleanup, stats: JobStats | undefined): Promise<void> {
  const ids = [...swept.failed, ...swept.retried, ...swept.requeued];
  if (!stats || ids.length === 0) return;
  const jobs = await Job.fetchMany(ids, { connection: context.connection, serializer: context.serializer }).catch(() => ids.map(() => null));
  for (const job of jobs) stats.recordAbandoned(queue, job?.funcName ?? '');
}

/**
 * RQ's maintenance of each queue whose cleaning lock this worker takes, then of `rq:workers` and
 * the job groups; abandoned jobs counted in `stats`.
 */
export async function maintainQueues(context: MaintenanceContext, stats?: JobStats): Promise<void> {
  const { connection } = context;
  const layout = layoutOf(connection);
  // On a cluster rq:queues is written beside the scripts, not in them: keep this worker's queues
  // listed, should `rq empty` or Queue.delete() have taken one out while jobs still flow to it.
  if (layout === 'cluster') await connection.sadd(QUEUES_KEY, ...context.queueNames.map((queue) => queueKey(queue, layout)));
  for (const queue of context.queueNames) {
    const locked = await connection.set(cleanRegistriesLockKey(queue, layout), '1', 'EX', CLEAN_LOCK_TTL, 'NX');
    if (locked !== 'OK') continue;
    const options = { connection, serializer: context.serializer };
    await new FinishedJobRegistry(queue, options).cleanup();
    await countAbandoned(context, queue, await new StartedJobRegistry(queue, options).cleanup({ maxAbandonedRequeues: context.maxAbandonedRequeues }), stats);
    await new FailedJobRegistry(queue, options).cleanup();
    await pruneDeadWorkers(connection, queueWorkersKey(queue, layout));
    // On a cluster, what a process killed between a parent's end and a dependent's release left deferred.
    if (layout === 'cluster') await releaseDeferred(connection, queue);
  }
  await pruneDeadWorkers(connection, WORKERS_KEY);
  // RQ's rate limit cleanup: slots of jobs no longer queued or running, waiting jobs admitted.
  if (layout === 'plain') for (const registry of await RateLimitRegistry.all({ connection })) await registry.cleanup();
  await Group.cleanRegistries({ connection });
}

/** Takes out of a worker set the workers whose hash has expired. */
export async function pruneDeadWorkers(connection: RedisConnection, setKey: string): Promise<void> {
  const keys = await connection.smembers(setKey);
  if (keys.length === 0) return;
  const pipeline = commandBatch(connection, { atomic: false });
  for (const key of keys) pipeline.exists(key);
  const replies = (await pipeline.exec()) ?? [];
  const dead = keys.filter((_, index) => replies[index]?.[1] === 0);
  if (dead.length > 0) await connection.srem(setKey, ...dead);
}
