/**
 * A worker's part in rates over time (rate-limit.ts): a limit whose jobs wait for time, not for a
 * slot (its window is full, or a job held it), is admitted when that time comes by whichever worker
 * looks first. A worker's step looks every time (finish-and-start-jobs.lua); a worker that has not
 * stepped for a moment looks on this timer: once a second, and sooner when Redis says the next
 * limit is due sooner (`rq:rl-due`), so that a steady rate is kept to the window, not to the second.
 * While its worker steps, the timer sends nothing: measured, a command of its own in the middle of
 * a busy run deoptimized the worker's hot script-call and reply paths (V8 --trace-deopt) and cost
 * 5% of a 5,000-job run at concurrency 1.
 */
import { isCluster, type RedisConnection } from '../connection.js';
import { admitDueRateLimits } from '../scripts/rate-limit.js';

/** The longest a worker goes without looking for limits that are due, in ms. */
const LOOK_EVERY_MS = 1000;

/** A worker that stepped this recently (ms) looks in its steps: the timer checks again after as long. */
const STEPPING_MS = 250;

/** Admits rate-limited jobs whose limit's time has come, on a timer. */
export class DueRateLimits {
  readonly #connection: RedisConnection;
  readonly #report: (error: unknown) => void;
  readonly #lastStepAt: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  /** `lastStepAt`: when its worker last sent a step (epoch ms), 0 before the first. */
  constructor(connection: RedisConnection, report: (error: unknown) => void, lastStepAt: () => number) {
    this.#connection = connection;
    this.#report = report;
    this.#lastStepAt = lastStepAt;
  }

  /** Starts looking (rate limits do not run on a cluster: nothing to look for there). */
  start(): void {
    if (this.#running || isCluster(this.#connection)) return;
    this.#running = true;
    void this.#look();
  }

  /** Stops looking. */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #look(): Promise<void> {
    let wait = LOOK_EVERY_MS;
    if (Date.now() - this.#lastStepAt() < STEPPING_MS) {
      if (this.#running) this.#timer = setTimeout(() => void this.#look(), STEPPING_MS);
      return;
    }
    try {
      const next = await admitDueRateLimits(this.#connection);
      if (next >= 0) wait = Math.min(wait, next);
    } catch (error) {
      this.#report(error); // looked for again at the next time
    }
    if (this.#running) this.#timer = setTimeout(() => void this.#look(), Math.max(wait, 1));
  }
}
