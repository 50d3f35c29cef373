/** Putting back a job a slot started but will not run now (unstart-job.lua). */
import { layoutOf, type RedisConnection } from '../connection.js';
import { jobKey, queueKey, spanningKey, startedRegistryKey, workerKey } from '../keys.js';
import { touchWorker } from './heartbeat-job.js';
import { runScript } from './index.js';

/** The start to undo: the job, its queue, the slot's worker name and the start's time (the fence). */
export interface Unstart {
  readonly id: string;
  readonly queue: string;
  readonly worker: string;
  readonly startedAtText: string;
}

/** Puts the job back at the head of its queue, status queued, the slot idle; false when it is no longer this start's (fenced). */
export async function unstartJob(connection: RedisConnection, { id, queue, worker, startedAtText }: Unstart): Promise<boolean> {
  const layout = layoutOf(connection);
  const keys = [jobKey(id), startedRegistryKey(queue, layout), queueKey(queue, layout), spanningKey(workerKey(worker), queue, layout)];
  const unstarted = (await runScript(connection, 'unstartJob', keys, [id, worker, startedAtText])) === 1;
  // On a cluster the worker hash is in a slot of its own: set idle beside the script.
  if (unstarted && layout === 'cluster') await touchWorker(connection, worker, '', 'idle', { ifCurrentJob: id, clearCurrentJob: true });
  return unstarted;
}
