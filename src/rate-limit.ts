/**
 * RQ's `RateLimit(key, concurrency)` (RQ master, announced for 2.11), in RQ's own Redis layout
 * (keys.ts' rateLimit* builders; docs/limits.md): at most `concurrency` jobs that share `key` are
 * queued or running at once, across every worker and queue. A job over the limit waits, status
 * `rate_limited`, on no queue, in `rq:rl:<key>:rate_limited` (oldest first), and is pushed on its
 * queue when a slot frees (rate-limit.lib.lua: one admission path, acquire and release each one
 * script step).
 */
import { resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { InvalidArgumentError } from './errors.js';
import { RATE_LIMIT_KEYS, jobKey, rateLimitAllowedKey, rateLimitKey, rateLimitWaitingKey } from './keys.js';
import { admitRateLimited, dropIdleRateLimit, releaseRateLimitSlot } from './scripts/rate-limit.js';

/** A concurrency limit shared by the jobs that carry the same `key`. */
export class RateLimit {
  /** The name that groups jobs under one limit. */
  readonly key: string;
  /** At most this many jobs with this key are queued or running at once. */
  readonly concurrency: number;

  /**
   * @throws {InvalidArgumentError} for an empty key, a key with a brace, a space or a control
   * character (it names Redis keys `rq:rl:<key>`), or a concurrency that is not a whole number of
   * at least 1.
   */
  constructor(key: string, concurrency: number) {
    if (typeof key !== 'string' || key === '' || /[{}\s\p{Cc}]/u.test(key)) {
      throw new InvalidArgumentError(`Bad rate limit key ${JSON.stringify(key)}: use a non-empty name without spaces, braces or control characters (it names the keys rq:rl:<key>).`);
    }
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidArgumentError(`Bad rate limit concurrency ${String(concurrency)} for key '${key}': a whole number of at least 1.`);
    }
    this.key = key;
    this.concurrency = concurrency;
  }
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

  /** The concurrency stored for the key (`rq:rl:<key>`), 0 when none. */
  async concurrency(): Promise<number> {
    return Number((await this.connection.hget(rateLimitKey(this.key), 'concurrency')) ?? 0);
  }

  /** Ids of the jobs holding a slot (queued or running), oldest first. */
  getAllowedJobIds(): Promise<string[]> {
    return this.connection.zrange(rateLimitAllowedKey(this.key), 0, -1);
  }

  /** Ids of the jobs waiting for a slot (status `rate_limited`, on no queue), oldest first. */
  getRateLimitedJobIds(): Promise<string[]> {
    return this.connection.zrange(rateLimitWaitingKey(this.key), 0, -1);
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
