/**
 * RQ 2.3's `Repeat(times, interval)`: a job that finishes is run again, `times` more times, each
 * after its interval. Stored in the job hash as `repeats_left` and `repeat_intervals` (Python's
 * JSON list); the worker that finishes the job puts it back on its queue (interval 0) or in the
 * scheduled registry (see repeat-job.lib.lua). A failed job is not repeated: that is `Retry`'s
 * work. Pure, no Redis.
 */
import { InvalidArgumentError } from './errors.js';
import { waitsOf } from './retry.js';

/** Options of {@link Repeat}. */
export interface RepeatOptions {
  /** Runs after the first one, each after a success (at least 1): the job runs `times + 1` times. */
  times: number;
  /**
   * Seconds between a run's end and the next run: one number for all, or a list read as RQ 2.3's
   * workers read it, from its end: the wait is `interval[min(repeatsLeft - 1, length - 1)]`, so
   * `times: 5, interval: [5, 10, 15]` waits 15, 15, 15, 10, then 5 s. 0 puts the job back on its
   * queue at once; a wait above 0 needs a worker with the scheduler. @default 0
   */
  interval?: number | readonly number[];
}

/** Repeats for a job, as RQ 2.3's `Repeat`: pass it as `repeat` to `enqueueCall`. */
export class Repeat {
  /** Runs after the first one. */
  readonly times: number;
  /** Waits in seconds, as stored in `repeat_intervals`. */
  readonly intervals: readonly number[];

  /** @throws {InvalidArgumentError} for `times` below 1, or an interval list that is empty or holds a negative or fractional value. */
  constructor(options: RepeatOptions) {
    if (!Number.isInteger(options.times) || options.times < 1) throw new InvalidArgumentError(`Repeat times must be a whole number of at least 1, got ${options.times}.`);
    this.times = options.times;
    this.intervals = waitsOf(options.interval, 'Repeat');
  }
}
