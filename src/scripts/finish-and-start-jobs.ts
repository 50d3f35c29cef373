/**
 * A worker's step in Redis (finish-and-start-jobs.lua): the endings of the executions that just
 * ran and the starts of the next jobs for free slots, in one script call. An ending carries the
 * result or error in RQ's encodings (see ending.ts); a start names the worker slot the job is for.
 * The script leaves what RQ 1.13's worker leaves, one job at a time, so the batch only saves round
 * trips. A queue with `isAsync: false` ends its one job through the same step.
 */
import { layoutOf, type RedisConnection } from '../connection.js';
import type { EndingRecord } from '../ending.js';
import { QUEUES_KEY, SUSPENDED_KEY, memoryGuardKey, spanningKey } from '../keys.js';
import { runScript } from './index.js';
import { pack, unpack } from './pack.js';
import type { ElsewhereRelease } from './release-dependent.js';

/** Jobs to start: one per slot, from these queues. */
export interface StartRequest {
  /** Worker names of the free slots, in the order they are served. */
  readonly slots: readonly string[];
  /** Queue keys, highest priority first. */
  readonly queueKeys: readonly string[];
  /** Index of the queue to try first. @default 0 */
  readonly firstQueue?: number;
  /** Look for each further job from the queue after the one that gave the last (round_robin). */
  readonly roundRobin?: boolean;
  /** Seconds until a started job counts as abandoned without a heartbeat. */
  readonly heartbeatTtl: number;
}

/** A job the script started: for which slot, from which queue, and its hash as it now is. */
export interface StartedJob {
  readonly slotIndex: number;
  readonly queueIndex: number;
  readonly id: string;
  readonly hash: Record<string, Buffer>;
  /**
   * Its start's time, Redis server time as RQ timestamp text: the `started_at` (and
   * `last_heartbeat`) written in the job, which ending it checks (the fence).
   */
  readonly startedAtText: string;
}

/** What one step did: per ending, what became of the job; whether rq:suspended held starts back; the jobs started. */
export interface StepResult {
  readonly statuses: string[];
  /** Per ending, the status a retried or repeated job has now; undefined for the others. */
  readonly again: Array<'queued' | 'scheduled' | undefined>;
  readonly suspended: boolean;
  readonly started: StartedJob[];
  /** On a cluster: dependents of the jobs that ended, to release in other slots (step.ts does). */
  readonly elsewhere: ElsewhereRelease[];
}

/** One step of a worker. */
export interface Step {
  readonly endings: readonly EndingRecord[];
  /** Worker key TTL once idle, in seconds. */
  readonly idleTtl: number;
  /** Leave failed jobs out of the failed registry and the results stream (RQ's `disable_default_exception_handler`). */
  readonly disableDefaultExceptionHandler?: boolean;
  readonly start?: StartRequest;
}

const STARTED = Buffer.from('started');

/**
 * One step in one script call: on a plain Redis, every step; on a cluster, the part of a step
 * that is in the slot of queue `slotQueue` (its endings, its queue's starts; see step.ts). The
 * times it writes (ended_at, started_at, last_heartbeat, registry scores) are Redis server time,
 * read in the script.
 * @throws {RedisOutOfMemoryError} when Redis is full: the step is refused whole.
 */
export function stepInSlot(connection: RedisConnection, { endings, idleTtl, disableDefaultExceptionHandler, start }: Step, slotQueue: string): Promise<StepResult> {
  const queueKeys = start?.queueKeys ?? [];
  const layout = layoutOf(connection);
  // Not an async function: the script's promise and one `then`, the fewest promises per step.
  return runScript(
    connection,
    'finishAndStartJobs',
    [spanningKey(QUEUES_KEY, slotQueue, layout), spanningKey(SUSPENDED_KEY, slotQueue, layout), memoryGuardKey(slotQueue, layout), ...queueKeys],
    [
      pack([
        endings.map((ending) => ending.entry),
        disableDefaultExceptionHandler ? '1' : '0',
        idleTtl,
        start?.slots ?? [],
        start?.heartbeatTtl ?? 0,
        (start?.firstQueue ?? 0) + 1,
        start?.roundRobin ? '1' : '0',
      ]),
    ],
    { binary: true, alone: true },
  ).then((reply) => readStepReply(reply as Buffer, start));
}

/** The step script's reply, read. */
function readStepReply(reply: Buffer, start: StartRequest | undefined): StepResult {
  const [statuses, suspended, started, again, now, elsewhere] = unpack(reply) as [Buffer[], number, Array<[number, number, Buffer, Buffer[]]>, Buffer[], Buffer, Buffer[][]];
  const startedAtText = now.toString();
  return {
    elsewhere: elsewhere.map(([parent, parentStatus, exclude, id]) => ({ parent: String(parent), parentStatus: String(parentStatus), exclude: String(exclude), id: String(id) })),
    statuses: statuses.map(String),
    again: again.map((status) => (status.length > 0 ? (String(status) as 'queued' | 'scheduled') : undefined)),
    suspended: suspended === 1,
    started: started.map(([slotIndex, queueIndex, id, flat]) => {
      const hash: Record<string, Buffer> = {};
      for (let i = 0; i < flat.length; i += 2) hash[flat[i]!.toString()] = flat[i + 1]!;
      // The fields the start wrote, which the script does not read back.
      Object.assign(hash, { status: STARTED, started_at: now, last_heartbeat: now, worker_name: Buffer.from(start!.slots[slotIndex - 1]!) });
      return { slotIndex: slotIndex - 1, queueIndex: queueIndex - 1, id: id.toString(), hash, startedAtText };
    }),
  };
}
