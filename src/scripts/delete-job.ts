/** Deleting and canceling a job (delete-job.lua, cancel-job.lua), as RQ's job.delete() and job.cancel(). */
import { layoutOf, type RedisConnection } from '../connection.js';
import { SCRIPT_FAILURES, scriptFailure, type ScriptFailureCode } from '../errors.js';
import { QUEUES_KEY, jobKey, slotQueueOfJob, spanningKey } from '../keys.js';
import { runScript } from './index.js';
import { releaseElsewhere } from './release-dependent.js';

/** What a delete takes with it. */
export interface Deletion {
  /** Take the job out of its queue or the registry of its status. @default true */
  readonly removeFromQueue?: boolean | undefined;
  /** Delete the jobs that depend on it too. @default false */
  readonly deleteDependents?: boolean | undefined;
}

/** Deletes job `id`: its hash, dependents and dependencies sets, its place, its group entry; resolves to whether it existed. */
export async function deleteJob(connection: RedisConnection, id: string, { removeFromQueue = true, deleteDependents = false }: Deletion = {}): Promise<boolean> {
  const result = (await runScript(connection, 'deleteJob', [jobKey(id)], [id, removeFromQueue ? '1' : '0', deleteDependents ? '1' : '0'])) as number | [number, ...string[]];
  if (typeof result === 'number') return result === 1;
  // On a cluster: dependents in other slots, deleted each in its own.
  const [existed, ...elsewhere] = result;
  await Promise.all(elsewhere.map((dependent) => deleteJob(connection, dependent)));
  return existed === 1;
}

/**
 * Cancels job `id`: out of its place, status canceled, in the canceled registry; with
 * `enqueueDependents`, the jobs waiting on it are released as if it had finished.
 * @throws {InvalidJobOperationError} when it is canceled already; {@link NoSuchJobError} when it does not exist.
 */
export async function cancelJob(connection: RedisConnection, id: string, enqueueDependents = false): Promise<void> {
  const reply = (await runScript(connection, 'cancelJob', [jobKey(id), spanningKey(QUEUES_KEY, slotQueueOfJob(id, layoutOf(connection)), layoutOf(connection))], [id, enqueueDependents ? '1' : '0'])) as number | [1, ...string[]];
  // On a cluster: dependents in other slots, released each in its own as if this job had finished.
  if (Array.isArray(reply)) {
    await releaseElsewhere(connection, reply.slice(1).map((dependent) => ({ id: String(dependent), parent: id, parentStatus: 'canceled', exclude: id })));
    return;
  }
  const result = reply;
  if (result === 1) return;
  const message = result === SCRIPT_FAILURES.ALREADY_CANCELED ? `Cannot cancel already canceled job: ${id}` : `No such job: ${jobKey(id)}`;
  throw scriptFailure(result as ScriptFailureCode, message);
}
