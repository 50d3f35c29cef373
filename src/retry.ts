/**
 * RQ's `Retry(max, interval)`: how many times a failed job is run again, and how long to wait
 * before each run. Stored in the job hash as `retries_left` and `retry_intervals`; the wait before
 * a retry follows RQ 1.13's rule (see retry-job.lib.lua). Pure, no Redis.
 */
import { InvalidArgumentError } from './errors.js';

/** Options of {@link Retry}. */
export interface RetryOptions {
  /** Runs after the first failure (at least 1). */
  max: number;
  /**
   * Seconds to wait before a retry: one number for all, or a list (RQ 1.13 picks from it by
   * `max(len - retries_left, 0)`, so with `max: 3, interval: [5, 30]` the waits are 5, 5, 30).
   * 0 puts the job back on its queue at once. @default 0
   */
  interval?: number | readonly number[];
}

/** Retries for a job, as RQ's `Retry`: pass it as `retry` to `enqueueCall`. */
export class Retry {
  /** Runs after the first failure. */
  readonly max: number;
  /** Waits in seconds, as stored in `retry_intervals`. */
  readonly intervals: readonly number[];

  /** @throws {InvalidArgumentError} for a `max` below 1 or a negative or fractional interval. */
  constructor(options: RetryOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) throw new InvalidArgumentError(`Retry max must be a whole number of at least 1, got ${options.max}.`);
    this.max = options.max;
    this.intervals = waitsOf(options.interval, 'Retry');
  }
}

/**
 * The waits of a Retry or Repeat: one number of seconds for all, or a list, as stored in
 * `retry_intervals` / `repeat_intervals`. @default [0]
 * @throws {InvalidArgumentError} for an empty list, or a negative or fractional wait.
 */
export function waitsOf(interval: number | readonly number[] | undefined, what: 'Retry' | 'Repeat'): readonly number[] {
  const given = interval ?? 0;
  const waits = typeof given === 'number' ? [given] : [...given];
  if (waits.length === 0 || waits.some((value) => !Number.isInteger(value) || value < 0)) {
    throw new InvalidArgumentError(`${what} intervals must be whole numbers of seconds, 0 or more, got ${JSON.stringify(given)}.`);
  }
  return waits;
}

/** A list of numbers as Python's json.dumps writes it (`[5, 30]`), so rq-ts writes what RQ writes. */
export function pythonJsonList(values: readonly (number | string)[]): string {
  return `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;
}
