/**
 * Job operations by id that need no Job object, each one Lua script: delete (the job hash, its
 * dependency sets, and its id from its queue or registry) and cancel (into the canceled registry).
 * The `Job` methods `delete()` and `cancel()` call them; a job's place, queue or registry, is found
 * by remove-from-place.lib.lua from the prefixes passed here.
 */
import { resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { InvalidJobOperationError, NoSuchJobError } from './errors.js';
import {
  GROUP_KEY_PREFIX,
  JOB_KEY_PREFIX,
  QUEUES_KEY,
  QUEUE_KEY_PREFIX,
  canceledRegistryKey,
  deferredRegistryKey,
  failedRegistryKey,
  finishedRegistryKey,
  jobKey,
  scheduledRegistryKey,
  startedRegistryKey,
} from './keys.js';
import { scripts } from './scripts/index.js';

/** Options of {@link Job.delete}. */
export interface DeleteOptions {
  /** Take the job out of its queue or the registry of its status. @default true */
  removeFromQueue?: boolean;
  /** Delete the jobs that depend on it too. @default false */
  deleteDependents?: boolean;
}

/** The queue key prefix and the registry key prefixes, in the order remove-from-place.lib.lua reads them. */
function placePrefixes(): string[] {
  return [QUEUE_KEY_PREFIX, ...[startedRegistryKey, finishedRegistryKey, failedRegistryKey, deferredRegistryKey, scheduledRegistryKey, canceledRegistryKey].map((key) => key(''))];
}

/** Deletes job `id` (see {@link Job.delete}), in one script. Resolves to whether it existed. */
export async function deleteJob(connection: RedisConnection, id: string, options: DeleteOptions = {}): Promise<boolean> {
  const existed = await scripts(connection).deleteJob(
    [jobKey(id)],
    [id, options.removeFromQueue === false ? '0' : '1', options.deleteDependents ? '1' : '0', JOB_KEY_PREFIX, ...placePrefixes(), GROUP_KEY_PREFIX],
  );
  return existed === 1;
}

/**
 * Cancels job `id` (see {@link Job.cancel}), in one script.
 * @throws {InvalidJobOperationError} when it is canceled already; {@link NoSuchJobError} when it does not exist.
 */
export async function cancelJob(id: string, options: ConnectionOptions & { enqueueDependents?: boolean } = {}): Promise<void> {
  const connection = resolveConnection(options.connection, `cancelJob('${id}')`);
  const result = await scripts(connection).cancelJob(
    [jobKey(id), QUEUES_KEY],
    [id, options.enqueueDependents ? '1' : '0', JOB_KEY_PREFIX, ...placePrefixes()],
  );
  if (result === -1) throw new InvalidJobOperationError(`Cannot cancel already canceled job: ${id}`);
  if (result === -2) throw new NoSuchJobError(`No such job: ${jobKey(id)}`);
}
