/** Heartbeats (heartbeat-job.lua for a running job, touch-worker.lua for an idle worker slot). */
import type { RedisConnection } from '../connection.js';
import { jobKey, startedRegistryKey, workerKey } from '../keys.js';
import { runScript } from './index.js';

/** A running job's heartbeat: which job, on which queue and worker slot, and the TTLs to set. */
export interface JobHeartbeat {
  readonly id: string;
  readonly queue: string;
  /** The worker slot's name. */
  readonly worker: string;
  /** Seconds until the job counts as abandoned without another heartbeat. */
  readonly jobTtl: number;
  /** Seconds the worker key lives without another heartbeat. */
  readonly workerTtl: number;
  /** Seconds the job has run. */
  readonly seconds: number;
}

/** Keeps a running job alive; resolves to false when its hash is gone (nothing is recreated). */
export async function heartbeatJob(connection: RedisConnection, beat: JobHeartbeat): Promise<boolean> {
  const alive = await runScript(connection, 'heartbeatJob', [jobKey(beat.id), startedRegistryKey(beat.queue), workerKey(beat.worker)], [beat.id, beat.jobTtl, beat.workerTtl, beat.seconds]);
  return alive === 1;
}

/** Refreshes an idle worker slot's hash (last_heartbeat, and `state` when given) and TTL; false when the hash is gone. */
export async function touchWorker(connection: RedisConnection, worker: string, ttl: number, state = ''): Promise<boolean> {
  return (await runScript(connection, 'touchWorker', [workerKey(worker)], [ttl, state])) === 1;
}
