/** Putting a job of a registry back on its queue (requeue-job.lua), as RQ's registry.requeue(). */
import { layoutOf, type RedisConnection } from '../connection.js';
import { SCRIPT_FAILURES, scriptFailure, type ScriptFailureCode } from '../errors.js';
import { QUEUES_KEY, jobKey, slotQueueOfJob, spanningKey } from '../keys.js';
import { runScript } from './index.js';

/** Which job leaves which registry, and whether it goes to the head of its queue. */
export interface Requeue {
  /** The registry's key, e.g. `rq:failed:<queue>`. */
  readonly registry: string;
  readonly id: string;
  readonly atFront?: boolean | undefined;
}

/** What became of a requeue: done, or why not. */
export type RequeueOutcome = 'requeued' | 'not-in-registry' | 'gone' | 'not-a-job';

const OUTCOMES: Record<number, RequeueOutcome> = {
  1: 'requeued',
  [SCRIPT_FAILURES.NOT_IN_REGISTRY]: 'not-in-registry',
  [SCRIPT_FAILURES.NO_SUCH_JOB]: 'gone',
  [SCRIPT_FAILURES.NOT_A_JOB]: 'not-a-job',
};

/**
 * Moves job `id` out of `registry` onto its origin queue (started and ended times cleared, status
 * queued, pushed at the tail or head) and says what became of it: `gone` when its hash is gone
 * (its id leaves the registry), `not-a-job` when its key is of another type (nothing changes).
 */
export async function tryRequeueJob(connection: RedisConnection, { registry, id, atFront }: Requeue): Promise<RequeueOutcome> {
  const result = (await runScript(connection, 'requeueJob', [registry, jobKey(id), spanningKey(QUEUES_KEY, slotQueueOfJob(id, layoutOf(connection)), layoutOf(connection))], [id, atFront ? '1' : '0'])) as number;
  return OUTCOMES[result]!;
}

/**
 * {@link tryRequeueJob}, with an error for a job it could not requeue.
 * @throws {InvalidJobOperationError} when the job is not in the registry, or its key is no hash;
 * {@link NoSuchJobError} when its hash is gone (its id leaves the registry).
 */
export async function requeueJob(connection: RedisConnection, requeue: Requeue): Promise<void> {
  const { registry, id } = requeue;
  const outcome = await tryRequeueJob(connection, requeue);
  if (outcome === 'requeued') return;
  const failures: Record<Exclude<RequeueOutcome, 'requeued'>, [ScriptFailureCode, string]> = {
    'not-in-registry': [SCRIPT_FAILURES.NOT_IN_REGISTRY, `Job ${id} is not in ${registry}: only jobs of this registry can be requeued from it.`],
    gone: [SCRIPT_FAILURES.NO_SUCH_JOB, `No such job: ${jobKey(id)} (its id was removed from ${registry})`],
    'not-a-job': [SCRIPT_FAILURES.NOT_A_JOB, `${jobKey(id)} is not a job hash (another type of key has its name): job ${id} was left in ${registry}.`],
  };
  throw scriptFailure(...failures[outcome]);
}
