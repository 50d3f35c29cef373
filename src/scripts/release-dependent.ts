/**
 * Releasing deferred jobs whose dependencies span slots of a Redis Cluster
 * (release-dependent.lua), in steps that are each idempotent: a dependent is told of its parents
 * in their slots (enqueue-jobs.ts), a parent that ends names the dependents it could not release
 * in its own slot (step.ts), and each is released in its own slot with the statuses of its other
 * dependencies read just before. Whoever ends last among a job's dependencies sees them all done
 * (each writes its own status before it reads the others'), and a release sent twice enqueues the
 * job once. What a process killed between two steps leaves deferred, maintenance releases
 * ({@link releaseDeferred}). On a plain Redis none of this runs: one script does it all.
 */
import { layoutOf, type RedisConnection } from '../connection.js';
import { QUEUES_KEY, deferredRegistryKey, dependenciesKey, dependentsKey, jobKey, memoryGuardKey, queueOfTaggedId, spanningKey } from '../keys.js';
import { runScript } from './index.js';

/** A deferred job to release in its own slot, and the parent whose end released it, if one did. */
export interface ElsewhereRelease {
  readonly id: string;
  /** The parent that ended, or '' for none (maintenance, an enqueue behind parents elsewhere). */
  readonly parent: string;
  readonly parentStatus: string;
  /** RQ's exclude_job_id: a canceled parent that releases as if it had finished, or ''. */
  readonly exclude: string;
}

/** What became of a release: enqueued, no such job, still waiting. */
export type ReleaseOutcome = 'released' | 'gone' | 'waiting';

/** Whether job ids `a` and `b` carry one tag (are in one slot), as the prelude's same_slot. */
function sameTag(a: string, b: string): boolean {
  return queueOfTaggedId(a) === queueOfTaggedId(b);
}

/**
 * Releases deferred job `id` when its dependencies are all met: reads the statuses of those in
 * other slots, then decides and writes in the job's slot.
 */
export async function releaseDependent(connection: RedisConnection, release: ElsewhereRelease): Promise<ReleaseOutcome> {
  const { id } = release;
  const layout = layoutOf(connection);
  const queue = queueOfTaggedId(id) ?? '';
  const remote = (await connection.smembers(dependenciesKey(id))).filter((dependency) => !sameTag(dependency, id) && dependency !== release.parent);
  const statuses = await Promise.all(remote.map(async (dependency) => (await connection.hget(jobKey(dependency), 'status')) ?? ''));
  const known = remote.flatMap((dependency, index) => [dependency, statuses[index]!]);
  const keys = [jobKey(id), spanningKey(QUEUES_KEY, queue, layout), memoryGuardKey(queue, layout)];
  const outcome = (await runScript(connection, 'releaseDependent', keys, [id, release.parent, release.parentStatus, release.exclude, ...known])) as ReleaseOutcome | 'elsewhere';
  // 'elsewhere' means a dependency appeared between the read and the script: it is not met yet.
  return outcome === 'elsewhere' ? 'waiting' : outcome;
}

/**
 * Releases the dependents a parent's step or cancel left for other slots, then takes those
 * released (or gone) out of the parent's dependents set. Resolves to the number released. Errors
 * are the caller's: what is left deferred, maintenance releases.
 */
export async function releaseElsewhere(connection: RedisConnection, releases: readonly ElsewhereRelease[]): Promise<number> {
  const outcomes = await Promise.all(
    releases.map(async (release) => {
      const outcome = await releaseDependent(connection, release);
      if (outcome !== 'waiting' && release.parent !== '') await connection.srem(dependentsKey(release.parent), release.id);
      return outcome;
    }),
  );
  return outcomes.filter((outcome) => outcome === 'released').length;
}

/**
 * Maintenance on a cluster: releases the jobs of `queue`'s deferred registry whose dependencies
 * are all met (left deferred by a process killed between a parent's end and the release), at most
 * `limit` of them, oldest first. Resolves to the number released.
 */
export async function releaseDeferred(connection: RedisConnection, queue: string, limit = 1000): Promise<number> {
  const ids = await connection.zrange(deferredRegistryKey(queue, layoutOf(connection)), 0, limit - 1);
  const outcomes = await Promise.all(ids.map((id) => releaseDependent(connection, { id, parent: '', parentStatus: '', exclude: '' })));
  return outcomes.filter((outcome) => outcome === 'released').length;
}
