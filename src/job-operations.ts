/**
 * Job operations by id that need no Job object: delete (the job hash, its dependency sets, its id
 * out of its queue or registry) and cancel (into the canceled registry), each one script
 * (scripts/delete-job.ts). The `Job` methods `delete()` and `cancel()` call them.
 */
import { resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { cancelJob as cancelJobScript, deleteJob as deleteJobScript } from './scripts/delete-job.js';

/** Options of `Job.delete()`. */
export interface DeleteOptions {
  /** Take the job out of its queue or the registry of its status. @default true */
  removeFromQueue?: boolean;
  /** Delete the jobs that depend on it too. @default false */
  deleteDependents?: boolean;
}

/**
 * Deletes job `id` (see `Job.delete()`), in one script, without reading it first: it works on a
 * job whose data cannot be decoded. Resolves to whether it existed.
 */
export function deleteJob(connection: RedisConnection, id: string, options: DeleteOptions = {}): Promise<boolean> {
  return deleteJobScript(connection, id, options);
}

/**
 * Cancels job `id` (see `Job.cancel()`), in one script.
 * @throws {InvalidJobOperationError} when it is canceled already; {@link NoSuchJobError} when it does not exist.
 */
export async function cancelJob(id: string, options: ConnectionOptions & { enqueueDependents?: boolean } = {}): Promise<void> {
  const connection = resolveConnection(options.connection, `cancelJob('${id}')`);
  await cancelJobScript(connection, id, options.enqueueDependents ?? false);
}
