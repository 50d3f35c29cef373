/**
 * The endings of one tick, sent together. A job that ends queues its ending; at the end of the
 * tick (setImmediate; process.nextTick for a worker of one slot) the endings go to Redis in one
 * step, which also starts the next jobs of their slots: at concurrency 1 one round trip per job,
 * at concurrency N one per batch of jobs that ended together. The slots are split into groups
 * that take turns (STEP_GROUPS).
 */
import type { EndingRecord } from '../ending.js';
import type { Running, Slot } from './slots.js';

/**
 * Slots are split into this many groups, and a step carries the jobs of one group only, sent on
 * its own turn of the event loop. While Redis runs one group's step, this process runs the other
 * group's jobs; with a single group the two would wait for each other. Measured with no-op jobs:
 * 2 groups +25% at concurrency 50 and 100, +60% at 4; 3 or 4 groups were no better, or worse.
 */
export const STEP_GROUPS = 2;

/** An ending waiting for the next step. */
export interface PendingEnding {
  readonly slot: Slot;
  readonly running: Running;
  readonly record: EndingRecord;
  /** Whether the slot takes its next job in the same step: nothing is left to do after this end. */
  readonly next: boolean;
}

/** One worker's endings waiting for their step. */
export class PendingEndings {
  /** Sends the endings of one group in a step. */
  readonly #send: (endings: PendingEnding[]) => void;
  /** When the flush runs: at the end of this tick for a worker of one slot, else on the event loop's next check phase. */
  readonly #schedule: (flush: () => void) => void;
  #pending: PendingEnding[] = [];
  #flushScheduled = false;

  /**
   * With `slots` 1 there is never another ending to wait for: the step goes at the end of the
   * tick (process.nextTick) instead of after the event loop's next poll (setImmediate), which at
   * low load cost 8 µs per job here (a job every 2 ms: reply-to-next-step 102/100/104 -> 94/94/94
   * µs, medians of three alternated runs, timed with the socket hook of bench:parts).
   */
  constructor(send: (endings: PendingEnding[]) => void, slots: number) {
    this.#send = send;
    this.#schedule = slots === 1 ? process.nextTick : setImmediate;
  }

  /** Whether endings wait for their step. */
  get waiting(): boolean {
    return this.#pending.length > 0;
  }

  /** Queues an ending for the step at the end of this tick, which sends every ending of the tick at once. */
  add(ending: PendingEnding): void {
    this.#pending.push(ending);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    this.#schedule(() => this.#flush());
  }

  /** Sends the endings of the first one's group, and leaves the others for the next turn of the event loop. */
  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const group = this.#pending[0]!.slot.group;
    const endings = this.#pending.filter((ending) => ending.slot.group === group);
    this.#pending = this.#pending.filter((ending) => ending.slot.group !== group);
    if (this.#pending.length > 0) {
      this.#flushScheduled = true;
      this.#schedule(() => this.#flush());
    }
    this.#send(endings);
  }
}
