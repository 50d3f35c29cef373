/**
 * A job registry: a sorted set of job ids in one state for one queue, scored by the time the
 * entry expires (epoch seconds), as RQ's BaseRegistry. The subclasses differ only in their key
 * and in what `cleanup()` does with expired entries. "Now" is the Redis server's clock (see
 * server-time.ts), never this process's: registries are shared by processes whose clocks differ.
 */
import { layoutOf, resolveConnection, type ConnectionOptions, type RedisConnection } from '../connection.js';
import { checkQueueName, type Layout } from '../keys.js';
import type { NoSuchJobError } from '../errors.js'; // named in JSDoc
import { Job, deleteJob } from '../job.js';
import { removeExpiredEntries } from '../scripts/remove-expired-entries.js';
import { requeueJob } from '../scripts/requeue-job.js';
import { JSONSerializer, type Serializer } from '../serializers/index.js';
import { serverSeconds } from '../server-time.js';

/** Options of a registry: RQ's `name`/`queue`, `connection` and `serializer`. */
export interface RegistryOptions extends ConnectionOptions {
  /** How the jobs read from it are decoded. @default JSONSerializer */
  serializer?: Serializer;
}

/** Something that names a queue: its name, or an object with `name`, `connection` and `serializer` (a Queue). */
export type QueueRef = string | { readonly name: string; readonly connection: RedisConnection; readonly serializer: Serializer };

/** A job or its id. */
export type JobRef = Job | string;

function idOf(job: JobRef): string {
  return typeof job === 'string' ? job : job.id;
}

/** The part every registry shares. */
export abstract class JobRegistry {
  /** The queue name this registry belongs to. */
  readonly name: string;
  /** The sorted set's key, e.g. `rq:failed:default`. */
  readonly key: string;
  /** The connection used for life. */
  readonly connection: RedisConnection;
  /** The serializer of its jobs. */
  readonly serializer: Serializer;

  /**
   * @param queue the queue (or its name) whose registry this is. @default 'default'
   * @throws {NoRedisConnectionError} without a connection: from the options, the queue, or the connection stack.
   */
  constructor(queue: QueueRef = 'default', options: RegistryOptions = {}) {
    const fromQueue = typeof queue === 'string' ? undefined : queue;
    this.name = typeof queue === 'string' ? queue : queue.name;
    this.connection = resolveConnection(options.connection ?? fromQueue?.connection, `${new.target.name} '${this.name}'`);
    this.key = this.keyFor(this.name, checkQueueName(this.name, layoutOf(this.connection)));
    this.serializer = options.serializer ?? fromQueue?.serializer ?? JSONSerializer;
  }

  /** The registry key for queue `name` in `layout`. */
  protected abstract keyFor(name: string, layout: Layout): string;

  /** Removes or handles expired entries, as the RQ registry of the same name does. */
  abstract cleanup(): Promise<unknown>;

  /**
   * Number of jobs in the registry, after a cleanup (as RQ's `count`). With `cleanup: false`, a
   * plain ZCARD that writes nothing (for readers such as dashboards, which must not act on jobs).
   */
  async count(options: { cleanup?: boolean } = {}): Promise<number> {
    if (options.cleanup !== false) await this.cleanup();
    return this.connection.zcard(this.key);
  }

  /** Whether the job is in the registry. */
  async contains(job: JobRef): Promise<boolean> {
    return (await this.connection.zscore(this.key, idOf(job))) !== null;
  }

  /**
   * Ids in the registry, from `start` to `end` inclusive, by ascending score, after a cleanup
   * (as RQ's `get_job_ids`); with `order: 'desc'`, by descending score (the newest entries first
   * in the finished, failed, deferred and canceled registries); with `cleanup: false`, without the
   * cleanup (a plain ZRANGE that writes nothing).
   */
  async getJobIds(start = 0, end = -1, options: { order?: 'asc' | 'desc'; cleanup?: boolean } = {}): Promise<string[]> {
    if (options.cleanup !== false) await this.cleanup();
    return options.order === 'desc' ? this.connection.zrange(this.key, start, end, 'REV') : this.connection.zrange(this.key, start, end);
  }

  /** Ids whose score is at or below `timestamp` (epoch seconds; default now on the Redis server). */
  async getExpiredJobIds(timestamp?: number): Promise<string[]> {
    return this.connection.zrangebyscore(this.key, 0, timestamp ?? (await serverSeconds(this.connection)));
  }

  /**
   * When the job's entry expires (its score), or null when it is not in the registry or never
   * expires (a score of `+inf`, or RQ's `-1` for a failed job kept forever).
   */
  async getExpirationTime(job: JobRef): Promise<Date | null> {
    const score = Number(await this.connection.zscore(this.key, idOf(job)) ?? Number.NaN);
    return Number.isFinite(score) && score >= 0 ? new Date(score * 1000) : null;
  }

  /**
   * Adds a job with a score of now (on the Redis server) + `ttl` seconds (`+inf` when `ttl` is
   * -1), as RQ's `add`. Low level: the job's own status is not changed.
   */
  async add(job: JobRef, ttl = 0): Promise<void> {
    const score = ttl === -1 ? '+inf' : ttl < 0 ? ttl : (await serverSeconds(this.connection)) + ttl;
    await this.connection.zadd(this.key, score, idOf(job));
  }

  /**
   * Removes a job from the registry; with `deleteJob`, deletes the job too.
   * Resolves to whether it was there.
   */
  async remove(job: JobRef, options: { deleteJob?: boolean } = {}): Promise<boolean> {
    const id = idOf(job);
    const removed = await this.connection.zrem(this.key, id);
    if (options.deleteJob) await deleteJob(this.connection, id);
    return removed === 1;
  }

  /**
   * Puts a job of this registry back on its origin queue, as RQ's `requeue`: out of the registry,
   * started and ended times cleared, status queued, pushed at the tail (or head with `atFront`).
   * Atomic. Resolves to the job as it now is.
   * @throws {InvalidJobOperationError} when the job is not in this registry; {@link NoSuchJobError} when its hash is gone.
   */
  async requeue(job: JobRef, options: { atFront?: boolean } = {}): Promise<Job> {
    const id = idOf(job);
    await requeueJob(this.connection, { registry: this.key, id, atFront: options.atFront });
    return Job.fetch(id, { connection: this.connection, serializer: this.serializer });
  }

}

/** A registry whose cleanup drops entries past their score (finished, failed). */
export abstract class ExpiringJobRegistry extends JobRegistry {
  /**
   * Drops entries whose score is at or below `timestamp` (epoch seconds; default now on the Redis
   * server, read by the script that removes them), as RQ does.
   */
  async cleanup(timestamp?: number): Promise<number> {
    return removeExpiredEntries(this.connection, this.key, timestamp);
  }
}

/** A registry whose entries never expire by themselves (deferred, scheduled, canceled). */
export abstract class PermanentJobRegistry extends JobRegistry {
  /** Nothing to clean: RQ keeps this method only so that `count()` can call it. */
  async cleanup(): Promise<number> {
    return 0;
  }
}
