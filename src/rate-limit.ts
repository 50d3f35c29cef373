/**
 * RQ's `RateLimit(key, concurrency)` (RQ master, announced for 2.11), in RQ's own Redis layout
 * (keys.ts' rateLimit* builders; docs/limits.md): at most `concurrency` jobs that share `key` are
 * queued or running at once, across every worker and queue; and rq-ts' rates over time beside it
 * (at most `max` jobs admitted per `duration`). A job over the limit waits, status
 * `rate_limited`, on no queue, in `rq:rl:<key>:rate_limited` (oldest first), and is pushed on its
 * queue when the limit allows (rate-limit.lib.lua: one admission path, acquire and release each
 * one script step). A job that throws {@link RateLimitError} holds its key for a while.
 */
import { resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { MAX_RATE_LIMIT_COUNT, MAX_RATE_LIMIT_DURATION_MS } from './defaults.js';
import { InvalidArgumentError, describeValue } from './errors.js';
import { RATE_LIMIT_KEYS, jobKey, rateLimitAllowedKey, rateLimitKey, rateLimitWaitingKey, rateLimitWindowKey } from './keys.js';
import { admitRateLimited, dropIdleRateLimit, releaseRateLimitSlot } from './scripts/rate-limit.js';

/** What a {@link RateLimit} allows, besides RQ's positional concurrency. */
export interface RateLimitOptions {
  /** At most this many jobs with the key queued or running at once (RQ's concurrency). */
  readonly concurrency?: number;
  /** At most this many jobs with the key admitted (put on their queue) per `duration`: rq-ts' rate over time. */
  readonly max?: number;
  /** The window of `max`, in milliseconds. */
  readonly duration?: number;
}

/**
 * A limit shared by the jobs that carry the same `key`: RQ's concurrency (`new RateLimit('api', 2)`,
 * as Python's `RateLimit(key='api', concurrency=2)`), a rate over time (`{ max: 10, duration: 1000 }`,
 * rq-ts' own), or both.
 */
export class RateLimit {
  /** The name that groups jobs under one limit. */
  readonly key: string;
  /** At most this many jobs with this key are queued or running at once; undefined for no bound. */
  readonly concurrency: number | undefined;
  /** At most this many jobs with this key go on their queue per {@link duration}; undefined for no rate. */
  readonly max: number | undefined;
  /** The window of {@link max}, in milliseconds. */
  readonly duration: number | undefined;

  /**
   * @throws {InvalidArgumentError} for an empty key, a key with a brace, a space or a control
   * character (it names Redis keys `rq:rl:<key>`), a concurrency or `max` that is not a whole
   * number from 1 to 2^31-1, a `duration` that is not a whole number of milliseconds from 1 to
   * 366 days,
   * `max` without `duration` or the reverse, or neither a concurrency nor a rate.
   */
  constructor(key: string, limit: number | RateLimitOptions) {
    if (typeof key !== 'string' || key === '' || /[{}\s\p{Cc}]/u.test(key)) {
      throw new InvalidArgumentError(`Bad rate limit key ${JSON.stringify(key)}: use a non-empty name without spaces, braces or control characters (it names the keys rq:rl:<key>).`);
    }
    if (typeof limit !== 'number' && (typeof limit !== 'object' || limit === null)) {
      throw new InvalidArgumentError(`Bad rate limit for key '${key}': give a concurrency (a number) or { concurrency?, max, duration }, got ${describeValue(limit)}.`);
    }
    const options: RateLimitOptions = typeof limit === 'number' ? { concurrency: limit } : limit;
    const whole = (name: keyof RateLimitOptions, unit: string, most: number): number | undefined => {
      const value = options[name] as unknown;
      if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > most)) {
        throw new InvalidArgumentError(`Bad rate limit ${name} ${describeValue(value)} for key '${key}': a whole number${unit} from 1 to ${most}.`);
      }
      return value as number | undefined;
    };
    this.key = key;
    this.concurrency = whole('concurrency', '', MAX_RATE_LIMIT_COUNT);
    this.max = whole('max', '', MAX_RATE_LIMIT_COUNT);
    this.duration = whole('duration', ' of milliseconds', MAX_RATE_LIMIT_DURATION_MS);
    if ((this.max === undefined) !== (this.duration === undefined)) {
      throw new InvalidArgumentError(`Rate limit '${key}': give max and duration together (at most max jobs per duration milliseconds).`);
    }
    if (this.concurrency === undefined && this.max === undefined) {
      throw new InvalidArgumentError(`Rate limit '${key}' limits nothing: give a concurrency, or max and duration.`);
    }
  }
}

/** A rate limit as Redis has it now ({@link RateLimitRegistry.state}). */
export interface RateLimitState {
  readonly key: string;
  /** The concurrency stored for it (`rq:rl:<key>`'s `concurrency`); undefined for no bound. */
  readonly concurrency: number | undefined;
  /** Its rate: at most `max` admitted per `duration` ms; undefined for no rate. */
  readonly max: number | undefined;
  readonly duration: number | undefined;
  /** Until when a job held the key (RateLimitError): undefined unless that is still to come. */
  readonly heldUntil: Date | undefined;
  /** Jobs holding a slot (queued or running). */
  readonly holding: number;
  /** Jobs waiting (status `rate_limited`, on no queue). */
  readonly waiting: number;
  /** Jobs admitted within the last `duration` (0 without a rate). */
  readonly admittedInWindow: number;
}

/** The state of one rate limit in Redis (RQ's `RateLimitRegistry`): who holds a slot, who waits. */
export class RateLimitRegistry {
  /** The limit's key. */
  readonly key: string;
  /** The connection it reads with. */
  readonly connection: RedisConnection;

  /** @throws {NoRedisConnectionError} without a connection. */
  constructor(key: string, options: ConnectionOptions = {}) {
    this.key = key;
    this.connection = resolveConnection(options.connection, `RateLimitRegistry '${key}'`);
  }

  /** Every limit Redis knows (`rq:rl-keys`), sorted by key. */
  static async all(options: ConnectionOptions = {}): Promise<RateLimitRegistry[]> {
    const connection = resolveConnection(options.connection, 'RateLimitRegistry.all()');
    return (await connection.smembers(RATE_LIMIT_KEYS)).sort().map((key) => new RateLimitRegistry(key, { connection }));
  }

  /** The concurrency stored for the key (`rq:rl:<key>`), 0 when none (RQ's `max_concurrency`). */
  async concurrency(): Promise<number> {
    return Number((await this.connection.hget(rateLimitKey(this.key), 'concurrency')) ?? 0);
  }

  /**
   * What the limit is and how full: counts only, never a whole set (one round trip, and one more
   * to count the window of a limit with a rate).
   */
  async state(): Promise<RateLimitState> {
    const answers = await this.connection
      .pipeline()
      .time()
      .hmget(rateLimitKey(this.key), 'concurrency', 'max', 'duration', 'held_until')
      .zcard(rateLimitAllowedKey(this.key))
      .zcard(rateLimitWaitingKey(this.key))
      .exec();
    const [time, config, holding, waiting] = (answers ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const [seconds, micros] = time as [string, string];
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const [concurrency, max, duration, held] = (config as Array<string | null>).map((value) => (value === null ? undefined : Number(value)));
    // Admissions older than the window stay until the next admission drops them: counted out here.
    const admittedInWindow = duration === undefined ? 0 : await this.connection.zcount(rateLimitWindowKey(this.key), `(${now - duration}`, '+inf');
    return {
      key: this.key,
      concurrency,
      max,
      duration,
      heldUntil: held !== undefined && held > now ? new Date(held) : undefined,
      holding: holding as number,
      waiting: waiting as number,
      admittedInWindow,
    };
  }

  /** Ids of the jobs holding a slot (queued or running), oldest first. */
  getAllowedJobIds(): Promise<string[]> {
    return this.connection.zrange(rateLimitAllowedKey(this.key), 0, -1);
  }

  /**
   * Ids of the jobs waiting (status `rate_limited`, on no queue), oldest first: all, or `count`
   * from `start`. Cancel or delete one as any job (`job.cancel()`, `deleteJob`): it leaves the limit.
   */
  getRateLimitedJobIds(start = 0, count = -1): Promise<string[]> {
    return this.connection.zrange(rateLimitWaitingKey(this.key), start, count < 0 ? -1 : start + count - 1);
  }

  /** How many jobs hold a slot (RQ's `get_allowed_job_count`). */
  getAllowedJobCount(): Promise<number> {
    return this.connection.zcard(rateLimitAllowedKey(this.key));
  }

  /** How many jobs wait (RQ's `get_rate_limited_job_count`). */
  getRateLimitedJobCount(): Promise<number> {
    return this.connection.zcard(rateLimitWaitingKey(this.key));
  }

  /**
   * RQ's cleanup: gives back the slots of jobs that are no longer queued or running (a worker
   * killed before it gave its slot back, a job deleted without its limit), admits waiting jobs
   * into free slots, and deletes the limit once nothing holds or waits.
   */
  async cleanup(): Promise<void> {
    const allowed = await this.getAllowedJobIds();
    if (allowed.length > 0) {
      const pipeline = this.connection.pipeline();
      for (const id of allowed) pipeline.hget(jobKey(id), 'status');
      const statuses = ((await pipeline.exec()) ?? []).map(([, status]) => status as string | null);
      for (const [index, id] of allowed.entries()) {
        if (statuses[index] !== 'queued' && statuses[index] !== 'started') await releaseRateLimitSlot(this.connection, this.key, id);
      }
    }
    await admitRateLimited(this.connection, this.key);
    await dropIdleRateLimit(this.connection, this.key);
  }
}
