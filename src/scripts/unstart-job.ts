/** Putting back a job a slot started but will not run now (unstart-job.lua). */
import type { RedisConnection } from '../connection.js';
import { jobKey, queueKey, startedRegistryKey, workerKey } from '../keys.js';
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
  return (await runScript(connection, 'unstartJob', [jobKey(id), startedRegistryKey(queue), queueKey(queue), workerKey(worker)], [id, worker, startedAtText])) === 1;
}
