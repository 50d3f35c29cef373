/**
 * A worker's part in rates over time (rate-limit.ts): a limit whose jobs wait for time, not for a
 * slot (its window is full, or a job held it), is admitted when that time comes by whichever worker
 * looks first. Each worker looks once a second, and sooner when Redis says the next limit is due
 * sooner (`rq:rl-due`): once a worker has seen a limit due, it wakes at that very millisecond, so a
 * steady rate is kept to the window, not to the second.
 */
import { isCluster, type RedisConnection } from '../connection.js';
import { admitDueRateLimits } from '../scripts/rate-limit.js';

/** The longest a worker goes without looking for limits that are due, in ms. */
const LOOK_EVERY_MS = 1000;

/** Admits rate-limited jobs whose limit's time has come, on a timer. */
export class DueRateLimits {
  readonly #connection: RedisConnection;
  readonly #report: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(connection: RedisConnection, report: (error: unknown) => void) {
    this.#connection = connection;
    this.#report = report;
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
    try {
      const next = await admitDueRateLimits(this.#connection);
      if (next >= 0) wait = Math.min(wait, next);
    } catch (error) {
      this.#report(error); // looked for again at the next time
    }
    if (this.#running) this.#timer = setTimeout(() => void this.#look(), Math.max(wait, 1));
  }
}
