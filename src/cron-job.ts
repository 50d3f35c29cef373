/**
 * A cron job: what a cron scheduler enqueues (a function, its queue and the options of each run)
 * and when (every `interval`, or at the times of a cron expression), checked when it is
 * registered. Pure schedule arithmetic: when a run is due, and the next after a run; the only
 * Redis it reads is its own history, `rq:cron_job:<name>:jobs`, in {@link CronJob.getJobIds}.
 *
 * Cron expressions are read by croner: five fields (minute, hour, day of month, month, day of
 * week, with RQ's croniter meaning: a day matches when day of month or day of week does), or
 * `@hourly`-style nicknames; times in UTC, as RQ, unless a timezone is given.
 */
import { Cron } from 'croner';
import { layoutOf, type RedisConnection } from './connection.js';
import { DEFAULT_RESULT_TTL } from './defaults.js';
import type { EnqueueOptions } from './enqueue.js';
import { InvalidArgumentError } from './errors.js';
import type { Kwargs } from './job.js';
import { cronJobHistoryKey } from './keys.js';
import { parseDuration, type Duration } from './timeouts.js';
import { formatTimestamp } from './timestamps.js';

/** When a cron job runs: every `interval`, or at the times of a cron expression. */
export type CronSchedule =
  | {
      /** Seconds between runs (or `"30s"`, `"5m"`, `"1h"`, `"2d"`); the first run when the scheduler starts. */
      interval: Duration;
      cron?: never;
      timezone?: never;
    }
  | {
      /** A cron expression: five fields, `minute hour day-of-month month day-of-week`, or `@hourly`, `@daily`... */
      cron: string;
      /** IANA time zone the expression is read in. @default "UTC", as RQ */
      timezone?: string;
      interval?: never;
    };

/** A cron job's registration: its queue, its call, its schedule, and the options of the jobs it enqueues. */
export type CronJobOptions<A extends readonly unknown[] = readonly unknown[]> = CronSchedule & {
  /** The queue the runs are enqueued on. */
  queue: string;
  /** Arguments of each run. */
  args?: A;
  /** Python keyword arguments, for a Python worker's function. */
  kwargs?: Kwargs;
  /** The name of the cron job: its history key and what monitors show. @default the function name */
  name?: string;
  /** Timeout of each run. @default the queue's (180 s) */
  jobTimeout?: Duration;
  /** Seconds a finished run's result is kept. @default 500, as RQ */
  resultTtl?: Duration;
  /** Seconds a run may wait in the queue. */
  ttl?: Duration;
  /** Seconds a failed run is kept. */
  failureTtl?: Duration;
  /** Metadata of each run. */
  meta?: Record<string, unknown>;
  /** Description of each run. @default the call, as `enqueue` writes it */
  description?: string;
};

/** A registered cron job: what it enqueues, and when it last ran and runs next. */
export class CronJob {
  /** The name: its history key `rq:cron_job:<name>:jobs`. */
  readonly name: string;
  readonly funcName: string;
  readonly queueName: string;
  /** Seconds between runs, for an interval job. */
  readonly interval: number | undefined;
  /** The cron expression, for a cron job. */
  readonly cron: string | undefined;
  /** The time zone of the cron expression. */
  readonly timezone: string | undefined;
  /** When this scheduler last saw a run enqueued (by itself or another scheduler). */
  latestEnqueueTime: Date | undefined = undefined;
  /** When the next run is due; undefined for an interval job that has not run (due at once). */
  nextEnqueueTime: Date | undefined = undefined;
  readonly #options: EnqueueOptions;
  readonly #seconds: Partial<Record<'job_timeout' | 'result_ttl' | 'ttl' | 'failure_ttl', number>>;
  readonly #pattern: Cron | undefined;
  /** When it was registered, by the scheduler's clock: its first tick is the next after this. */
  readonly #registeredAt: Date;

  /** @internal Use {@link CronScheduler.register}. */
  constructor(funcName: string, options: CronJobOptions, now: Date) {
    this.#registeredAt = now;
    const { queue, interval, cron, timezone, name, ...jobOptions } = options;
    if ((interval === undefined) === (cron === undefined)) {
      throw new InvalidArgumentError(`Cron job ${name ?? funcName}: give either interval (seconds between runs) or cron (an expression such as "*/15 * * * *"), not ${interval === undefined ? 'neither' : 'both'}.`);
    }
    this.funcName = funcName;
    this.name = name ?? funcName;
    if (!/^[^\s:]{1,200}$/.test(this.name)) throw new InvalidArgumentError(`Cron job name ${JSON.stringify(this.name)}: use up to 200 characters, no spaces or ':'.`);
    this.queueName = queue;
    if (interval !== undefined) {
      const seconds = parseDuration(interval, 'interval');
      if (seconds < 1) throw new InvalidArgumentError(`Cron job ${this.name}: interval must be at least 1 second, got ${String(interval)}.`);
      this.interval = seconds;
      this.cron = undefined;
      this.timezone = undefined;
      this.#pattern = undefined;
    } else {
      this.interval = undefined;
      this.cron = cron!;
      this.timezone = timezone ?? 'UTC';
      this.#pattern = parseCron(this.name, this.cron, this.timezone);
      const next = this.#pattern.nextRun(now);
      if (next === null) throw new InvalidArgumentError(`Cron job ${this.name}: the cron expression "${this.cron}" never matches a time (such as the 30th of February).`);
      this.nextEnqueueTime = next;
    }
    this.#options = { resultTtl: DEFAULT_RESULT_TTL, ...jobOptions };
    // What the scheduler's hash shows, in seconds as RQ writes them ("10m" becomes 600).
    this.#seconds = {};
    for (const [field, option] of [['job_timeout', 'jobTimeout'], ['result_ttl', 'resultTtl'], ['ttl', 'ttl'], ['failure_ttl', 'failureTtl']] as const) {
      const value = this.#options[option];
      if (value !== undefined) this.#seconds[field] = parseDuration(value, option);
    }
  }

  /** The options of each run, as `enqueueCall` takes them. */
  get jobOptions(): EnqueueOptions {
    return this.#options;
  }

  /** Whether a run is due at `now`. */
  isDue(now: Date): boolean {
    if (this.nextEnqueueTime === undefined) return this.interval !== undefined; // an interval job that has not run yet
    return now.getTime() >= this.nextEnqueueTime.getTime();
  }

  /**
   * @internal For a scheduler that learned the Redis server's clock after registering this job:
   * the first tick is worked out again from the registration time seen by the server's clock
   * (`offsetMs`: server time minus local time). Nothing changes once a run is known.
   */
  shiftFirstRun(offsetMs: number): void {
    if (this.#pattern === undefined || this.latestEnqueueTime !== undefined) return;
    this.nextEnqueueTime = this.#pattern.nextRun(new Date(this.#registeredAt.getTime() + offsetMs)) ?? undefined;
  }

  /** Records that the latest run (by any scheduler) was at `latest`, and works out the next. */
  recordRun(latest: Date, now: Date): void {
    this.latestEnqueueTime = latest;
    if (this.interval !== undefined) {
      this.nextEnqueueTime = new Date(latest.getTime() + this.interval * 1000);
    } else {
      // From now, not from the tick: ticks missed while the scheduler was away are not caught up, as RQ.
      const from = latest.getTime() > now.getTime() ? latest : now;
      this.nextEnqueueTime = this.#pattern!.nextRun(from) ?? undefined;
    }
  }

  /** Ids of the jobs this cron job enqueued (by any scheduler), newest first: `start` to `end` as ZRANGE (inclusive, -1 the last). */
  async getJobIds(connection: RedisConnection, start = 0, end = -1): Promise<string[]> {
    return connection.zrange(cronJobHistoryKey(this.name, this.queueName, layoutOf(connection)), start, end, 'REV');
  }

  /** What RQ 2.5 stores for the cron job in its scheduler's `cron_jobs` field. */
  toDict(): CronJobInfo {
    const options = this.#options;
    const args = options.args ?? [];
    const kwargs = options.kwargs ?? {};
    return {
      func_name: this.funcName,
      name: this.name,
      queue_name: this.queueName,
      args: args.length > 0 ? JSON.stringify(args) : null,
      kwargs: Object.keys(kwargs).length > 0 ? JSON.stringify(kwargs) : null,
      interval: this.interval ?? null,
      cron: this.cron ?? null,
      latest_enqueue_time: this.latestEnqueueTime ? formatTimestamp(this.latestEnqueueTime) : null,
      next_enqueue_time: this.nextEnqueueTime ? formatTimestamp(this.nextEnqueueTime) : null,
      ...this.#seconds,
      ...(options.meta !== undefined && { meta: JSON.stringify(options.meta) }),
    };
  }
}

/** A cron job as a scheduler's hash describes it (RQ 2.5's `CronJob.to_dict()`). */
export interface CronJobInfo {
  func_name: string;
  name: string;
  queue_name: string;
  /** JSON text of the arguments, or null. */
  args: string | null;
  kwargs: string | null;
  interval: number | null;
  cron: string | null;
  latest_enqueue_time: string | null;
  next_enqueue_time: string | null;
  /** Seconds, as the options of each run. */
  job_timeout?: number;
  result_ttl?: number;
  ttl?: number;
  failure_ttl?: number;
  meta?: string;
}

/** A cron expression read by croner, in five-field mode, never running on its own. */
function parseCron(name: string, expression: string, timezone: string): Cron {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith('@') && fields.length !== 5) {
    throw new InvalidArgumentError(`Cron job ${name}: bad cron expression "${expression}": use five fields, minute hour day-of-month month day-of-week (e.g. "*/15 * * * *"), or @hourly, @daily, @weekly, @monthly, @yearly.`);
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone }); // croner finds a bad zone only when it computes a time
    return new Cron(expression, { paused: true, timezone, mode: '5-part' });
  } catch (error) {
    throw new InvalidArgumentError(`Cron job ${name}: bad cron expression "${expression}"${timezone === 'UTC' ? '' : ` or time zone "${timezone}"`}: ${(error as Error).message}`, { cause: error });
  }
}
