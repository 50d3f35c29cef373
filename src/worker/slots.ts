/**
 * A worker's slots: to RQ's tools a worker of concurrency N is N RQ workers, one per slot
 * (`<name>`, `<name>-2`, ...), each with its worker hash `rq:worker:<slot>`; a slot runs one job
 * at a time. Here are the slots, the job a slot runs, and the ending a job waits to send in a step.
 */
import type { Job } from '../job.js';
import { workerKey } from '../keys.js';
import { NO_TOTALS, type EndingRecord, type Execution, type Runner, type WorkerTotals } from '../ending.js';
import type { Interruption } from '../execute.js';
import type { WorkerConfig } from './config.js';

/**
 * Slots are split into this many groups, and a step carries the jobs of one group only, sent on
 * its own turn of the event loop. While Redis runs one group's step, this process runs the other
 * group's jobs; with a single group the two would wait for each other. Measured with no-op jobs:
 * 2 groups +25% at concurrency 50 and 100, +60% at 4; 3 or 4 groups were no better, or worse.
 */
const STEP_GROUPS = 2;

/** A job a slot runs, from its start until everything after its end is done. */
export interface Running extends Execution {
  /** Undefined when the job's data could not be read: it is ended failed at once. */
  readonly job: Job | undefined;
  readonly hash: Record<string, Buffer>;
  readonly interruption: Interruption;
}

export interface Slot {
  readonly index: number;
  readonly name: string;
  readonly key: string;
  /** Who ends this slot's jobs, in Redis' terms. */
  readonly runner: Runner;
  /** The group whose steps this slot's jobs go in. */
  readonly group: number;
  running: Running | undefined;
  /** Whether a step in flight asks for a job for this slot. */
  reserved: boolean;
  /** What the slot's worker hash counts (the step writes the totals, not increments). */
  totals: WorkerTotals;
  /**
   * Whether the slot's hash shows a state no step has replaced (`started` from registration,
   * `suspended`): it is set to `idle` when the worker next waits for jobs, as RQ's worker goes idle
   * before it dequeues. A step writes busy or idle itself.
   */
  stale: boolean;
}

/** An ending waiting for the next step. */
export interface PendingEnding {
  readonly slot: Slot;
  readonly running: Running;
  readonly record: EndingRecord;
  /** Whether the slot takes its next job in the same step: nothing is left to do after this end. */
  readonly next: boolean;
}

/** The `concurrency` slots of a worker, free. */
export function createSlots(config: WorkerConfig): Slot[] {
  return Array.from({ length: config.concurrency }, (_, index) => {
    const name = index === 0 ? config.name : `${config.name}-${index + 1}`;
    const runner: Runner = { workerName: name, hasWorkerHash: true, serializer: config.serializer, defaultResultTtl: config.defaultResultTtl, repeats: true };
    return { index, name, key: workerKey(name), runner, group: index % STEP_GROUPS, running: undefined, reserved: false, totals: NO_TOTALS, stale: true };
  });
}
