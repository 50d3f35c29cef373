/**
 * A worker's slots: to RQ's tools a worker of concurrency N is N RQ workers, one per slot
 * (`<name>`, `<name>-2`, ...), each with its worker hash `rq:worker:<slot>`; a slot runs one job
 * at a time. Here are the slots and the job a slot runs.
 */
import type { ConsumerSpan } from '../tracing.js';
import { ShutDownImminentError } from '../errors.js';
import type { Job } from '../job.js';
import { workerKey } from '../keys.js';
import { NO_TOTALS, type Execution, type Runner, type WorkerTotals } from '../ending.js';
import type { Interruption } from '../execute.js';
import type { WorkerConfig } from './config.js';
import { STEP_GROUPS } from './pending-endings.js';

/** A job a slot runs, from its start until everything after its end is done. */
export interface Running extends Execution {
  /** Undefined when the job's data could not be read: it is ended failed at once. */
  readonly job: Job | undefined;
  readonly hash: Record<string, Buffer>;
  readonly interruption: Interruption;
  /** Its OpenTelemetry consumer span, with @opentelemetry/api (tracing.ts); ended with the ending. */
  trace?: ConsumerSpan | undefined;
  /** Seconds its function ran (with its success callback), once it has run: the job statistics' run time. */
  ranSeconds?: number | undefined;
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

/** The `concurrency` slots of a worker, free. */
export function createSlots(config: WorkerConfig): Slot[] {
  return Array.from({ length: config.concurrency }, (_, index) => {
    const name = index === 0 ? config.name : `${config.name}-${index + 1}`;
    const runner: Runner = { workerName: name, hasWorkerHash: true, serializer: config.serializer, defaultResultTtl: config.defaultResultTtl, repeats: true };
    return { index, name, key: workerKey(name), runner, group: index % STEP_GROUPS, running: undefined, reserved: false, totals: NO_TOTALS, stale: true };
  });
}

/** Interrupts the job a slot runs for a cold shutdown of its worker. */
export function interruptCold(slot: Slot, running: Running): void {
  running.interruption.interrupt(new ShutDownImminentError(`Job ${running.id} interrupted: worker ${slot.name} was shut down cold.`));
}
