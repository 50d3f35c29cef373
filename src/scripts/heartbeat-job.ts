/** Heartbeats (heartbeat-job.lua for a running job, touch-worker.lua for an idle worker slot). */
import { isCluster, layoutOf, type RedisConnection } from '../connection.js';
import { jobKey, keySlot, spanningKey, startedRegistryKey, workerKey } from '../keys.js';
import { runScript } from './index.js';
import { pack } from './pack.js';

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
  const layout = layoutOf(connection);
  const worker = spanningKey(workerKey(beat.worker), beat.queue, layout);
  const [alive] = await Promise.all([
    runScript(connection, 'heartbeatJob', [jobKey(beat.id), startedRegistryKey(beat.queue, layout), worker], [beat.id, beat.jobTtl, beat.workerTtl, beat.seconds]),
    // On a cluster the worker hash is in a slot of its own (the script leaves it): touched beside it.
    layout === 'cluster' && touchWorker(connection, beat.worker, beat.workerTtl, '', { fields: { current_job_working_time: String(beat.seconds) } }),
  ]);
  return alive === 1;
}

/** What {@link touchWorker} writes besides last_heartbeat, TTL and state. */
export interface WorkerWrite {
  /** More fields to set. */
  readonly fields?: Readonly<Record<string, string>>;
  /** Write only while the worker's current_job is this job. */
  readonly ifCurrentJob?: string;
  /** Clear current_job and current_job_working_time. */
  readonly clearCurrentJob?: boolean;
}

/** Refreshes an idle worker slot's hash (last_heartbeat, and `state` when given) and TTL (`''` keeps it), and writes `more`; false when the hash is gone. */
export async function touchWorker(connection: RedisConnection, worker: string, ttl: number | '', state = '', more: WorkerWrite = {}): Promise<boolean> {
  const [written] = await touchWorkers(connection, [{ worker, ttl, state, ...more }]);
  return written!;
}

/** One worker slot's write for {@link touchWorkers}. */
export interface WorkerSlotWrite extends WorkerWrite {
  readonly worker: string;
  /** Key TTL in seconds, or '' to keep it. */
  readonly ttl: number | '';
  /** A new state, or '' to keep it. */
  readonly state?: string;
}

/**
 * Writes several worker slots' hashes (as {@link touchWorker} does each), one script call for
 * the slots whose hashes share a hash slot: on a cluster those of one worker (keys.ts'
 * workerNameFor), on a plain Redis all. Resolves to whether each hash existed and was written.
 */
export async function touchWorkers(connection: RedisConnection, writes: readonly WorkerSlotWrite[]): Promise<boolean[]> {
  const groups = new Map<number, number[]>();
  writes.forEach((write, index) => {
    const slot = isCluster(connection) ? keySlot(workerKey(write.worker)) : 0;
    groups.set(slot, [...(groups.get(slot) ?? []), index]);
  });
  const written: boolean[] = [];
  await Promise.all(
    [...groups.values()].map(async (indices) => {
      const entries = indices.map((index) => {
        const { ttl, state = '', ifCurrentJob = '', clearCurrentJob, fields = {} } = writes[index]!;
        return [String(ttl), state, ifCurrentJob, clearCurrentJob ? '1' : '0', ...Object.entries(fields).flat()];
      });
      const reply = (await runScript(connection, 'touchWorker', indices.map((index) => workerKey(writes[index]!.worker)), [pack(entries)])) as number[];
      indices.forEach((index, k) => (written[index] = reply[k] === 1));
    }),
  );
  return written;
}
