/**
 * A queue: the Redis list `rq:queue:<name>` of job ids, oldest first, registered in the set
 * `rq:queues` by its key. Enqueueing writes the job hash and pushes its id in one Lua step, leaving exactly
 * what RQ 1.13's MULTI leaves (RQ-REFERENCE.md §2.7), so Python workers and readers see the same thing.
 *
 * This file is the Queue class: its enqueue methods (which build and write jobs with enqueue.ts,
 * and run them at once with run-sync.ts when `isAsync` is false), and reading the queue and its
 * registries.
 */
import { isCluster, layoutOf, resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { commandBatch } from './redis-client.js';
import { DEFAULT_JOB_TIMEOUT, DEFAULT_QUEUE_NAME } from './defaults.js';
import { clusterWriter, confirmWrites, resolveDurability, type ClusterWriter, type DurableOptions, type Durability } from './durable.js';
import { checkJobs, createJob, dueOf, validateGroupName, writeJobs, type EnqueueData, type EnqueueOptions, type EnqueuedJobs } from './enqueue.js';
import { InvalidArgumentError, ReplicationTimeoutError } from './errors.js';
import { RateLimit } from './rate-limit.js';
import { startProducerSpans } from './tracing.js';
import { Job } from './job.js';
import { JOB_KEY_PREFIX, QUEUES_KEY, checkQueueName, queueKey, queueNameFromKey, type Layout } from './keys.js';
import {
  CanceledJobRegistry,
  DeferredJobRegistry,
  FailedJobRegistry,
  FinishedJobRegistry,
  ScheduledJobRegistry,
  StartedJobRegistry,
} from './registries/index.js';
import { runSync } from './run-sync.js';
import { emptyQueue } from './scripts/empty-queue.js';
import { JSONSerializer, type Serializer } from './serializers/index.js';
import { taskName, type Task } from './task.js';
import { parseJobTimeout, type Duration } from './timeouts.js';

/** Options of a {@link Queue}. */
export interface QueueOptions extends ConnectionOptions {
  /** Timeout of jobs enqueued without one, in seconds or as `"10m"`. @default 180 */
  defaultTimeout?: Duration;
  /** How job data is encoded; every producer and worker of the queue must agree. @default JSONSerializer */
  serializer?: Serializer;
  /**
   * `false` runs each job in this process at enqueue time, before `enqueue` resolves, as RQ's
   * `is_async=False`: for your own tests. The function must be defined with {@link defineTask}.
   * The job is stored and ends finished or failed in its registry as a worker would leave it.
   * @default true
   */
  isAsync?: boolean;
  /**
   * Durable mode: each enqueue resolves only once `replicas` replicas have the job (Redis' `WAIT`,
   * sent after the enqueue), else rejects with {@link ReplicationTimeoutError} after `timeout`
   * seconds (1 by default; at most about twice that when enqueues queue up behind a `WAIT`).
   * Without it an enqueue resolves when the primary has the job, and a failover in the next moment
   * can lose it (docs/connections.md, "What a failover can lose"). Give `replicas` the number of
   * replicas of the primary: see {@link DurableOptions}.
   * @default off
   */
  durable?: DurableOptions;
  /**
   * A {@link RateLimit} for every job enqueued through this queue that does not give its own
   * `rateLimit`: for example at most 10 a second, `new RateLimit('emails', { max: 10, duration: 1000 })`.
   * It travels in each job's hash, so jobs enqueued by other producers (a Python RQ) are not
   * under it unless they carry it too (docs/limits.md).
   * @default none
   */
  rateLimit?: RateLimit;
}

/**
 * A queue of jobs in Redis, named as RQ names it.
 *
 * @example
 * const queue = new Queue('default', { connection: new Redis() });
 * const job = await queue.enqueue('tasks.add', 2, 3);
 */
export class Queue {
  /** The queue name. */
  readonly name: string;
  /** The Redis key of the queue list, `rq:queue:<name>` (`rq:queue:{<name>}` on a cluster). */
  readonly key: string;
  /** The connection this queue uses for life: the explicit one, else the stack's top at construction. */
  readonly connection: RedisConnection;
  /** Its key layout, which its connection decides: RQ 1.13's, or on a Redis Cluster the tagged one (docs/cluster.md). */
  readonly layout: Layout;
  /** The serializer of its jobs. */
  readonly serializer: Serializer;
  /** Timeout of jobs enqueued without one, in seconds. */
  readonly defaultTimeout: number;
  /** Whether jobs go to workers (true) or run at enqueue time in this process (false). */
  readonly isAsync: boolean;
  /** The rate limit of jobs enqueued without their own ({@link QueueOptions.rateLimit}). */
  readonly rateLimit: RateLimit | undefined;
  readonly #durability: Durability | undefined;

  /**
   * @throws {NoRedisConnectionError} without `connection` and outside any connection context;
   * {@link InvalidArgumentError} for a bad `durable`.
   */
  constructor(name: string = DEFAULT_QUEUE_NAME, options: QueueOptions = {}) {
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('A queue needs a non-empty name.');
    this.name = name;
    this.connection = resolveConnection(options.connection, `Queue '${name}'`);
    this.layout = checkQueueName(name, layoutOf(this.connection));
    this.key = queueKey(name, this.layout);
    this.serializer = options.serializer ?? JSONSerializer;
    this.defaultTimeout = parseJobTimeout(options.defaultTimeout ?? DEFAULT_JOB_TIMEOUT);
    this.isAsync = options.isAsync ?? true;
    if (options.rateLimit !== undefined && !(options.rateLimit instanceof RateLimit)) throw new InvalidArgumentError(`Queue '${name}': rateLimit must be a RateLimit: new RateLimit('${name}', { max: 10, duration: 1000 }).`);
    this.rateLimit = options.rateLimit;
    this.#durability = resolveDurability(options.durable, `Queue '${name}'`);
  }

  /**
   * Enqueues a call of a task (typed: its arguments are checked) or of a function by name, with
   * `args`, every one passed to the function. For RQ's options (job id, TTLs, meta...) use
   * {@link Queue.enqueueCall}. A task's job is typed by what the task returns: a task returning
   * `Promise<number>` gives a `Job<number>`, whose `returnValue()` resolves to `number | null`.
   */
  enqueue<A extends unknown[], R>(task: Task<A, R>, ...args: A): Promise<Job<Awaited<R>>>;
  enqueue(funcName: string, ...args: unknown[]): Promise<Job>;
  enqueue(task: Task<any[], unknown> | string, ...args: unknown[]): Promise<Job> {
    return this.enqueueCall(taskName(task), { args });
  }

  /**
   * Enqueues a call with RQ's options, in one atomic step: `SADD rq:queues`, `HSET rq:job:<id>`,
   * the TTLs if `ttl` is set, then `RPUSH` (or `LPUSH` with `atFront`) of the id.
   * A task's job is typed by what the task returns, as with {@link Queue.enqueue}.
   * @throws {InvalidArgumentError} or {@link TimeoutFormatError} for a bad option; nothing is written then.
   */
  enqueueCall<A extends unknown[], R>(task: Task<A, R>, options: EnqueueOptions<A>): Promise<Job<Awaited<R>>>;
  enqueueCall(funcName: string, options?: EnqueueOptions): Promise<Job>;
  async enqueueCall(task: Task<any[], unknown> | string, options: EnqueueOptions = {}): Promise<Job> {
    return (await this.enqueueMany([Queue.prepareData(taskName(task), options)]))[0]!;
  }

  /**
   * Describes one job for {@link Queue.enqueueMany}, as RQ's `Queue.prepare_data`: the same
   * options as {@link Queue.enqueueCall}. For a task, it carries what the task returns, so that
   * `enqueueMany` gives its job that type.
   */
  static prepareData<A extends unknown[], R>(task: Task<A, R>, options: EnqueueOptions<A>): EnqueueData<Awaited<R>>;
  static prepareData(funcName: string, options?: EnqueueOptions): EnqueueData;
  static prepareData(task: Task<any[], unknown> | string, options: EnqueueOptions = {}): EnqueueData {
    return { funcName: taskName(task), options };
  }

  /**
   * Enqueues many jobs in one round trip (one script call for the whole batch, its jobs packed in
   * one MessagePack argument), as RQ's `enqueue_many`. Every job is checked before anything is
   * written. With `groupId` (RQ 2.0's `group_id`; see {@link Group}), every job belongs to that
   * group: its `group_id` field is set and its id added to `rq:group:<groupId>`, in the same script.
   * Resolves to the jobs in the order given, each typed by its task: a batch of one task gives
   * `Job<R>[]`, and a list written out gives one type per place (`[Job<number>, Job<string>]`).
   * @throws {InvalidArgumentError} or {@link TimeoutFormatError} for a bad job; nothing is written then.
   * @throws {ReplicationTimeoutError} in durable mode, when the replicas did not confirm the jobs in
   * time: they are enqueued on the primary all the same.
   */
  async enqueueMany<const D extends readonly EnqueueData[]>(jobs: D, options: { groupId?: string } = {}): Promise<EnqueuedJobs<D>> {
    const { groupId } = options;
    if (groupId !== undefined) validateGroupName(groupId);
    const created = jobs.map(({ funcName, options }) => createJob(this, funcName, options, groupId));
    const dueTimes = jobs.map(({ options }) => dueOf(options));
    checkJobs(jobs, created, dueTimes);
    // Typed by each entry's task (prepareData's R): the created jobs are the entries' jobs, in order.
    if (created.length === 0) return [] as EnqueuedJobs<D>;
    // Durable mode on a cluster: the master the writes go to, read before them (see clusterWriter).
    const writer = this.#durability && isCluster(this.connection) ? ((await clusterWriter(this.connection, this.key)) ?? null) : undefined;
    // Durable mode: the socket that answered the first write, which WAIT must be answered on too.
    // With @opentelemetry/api: a producer span per job, its context carried in the job (tracing.ts).
    const spans = startProducerSpans(this.name, created);
    let socket: object | undefined;
    try {
      socket = await writeJobs(this, jobs, created, dueTimes, groupId);
    } catch (error) {
      spans?.end(error);
      throw error;
    }
    spans?.end();
    if (!this.isAsync) {
      for (const [index, job] of created.entries()) if (dueTimes[index] === undefined && job.status === 'queued') await runSync(this, job);
    }
    if (this.#durability) await this.#confirm(created, writer === undefined ? socket : writer?.socket, this.#durability, writer);
    return created as EnqueuedJobs<D>;
  }

  /**
   * Durable mode: waits until the replicas have what this enqueue wrote (`socket` answered its
   * first write).
   * @throws {ReplicationTimeoutError} when they did not confirm it in time.
   */
  async #confirm(jobs: readonly Job[], socket: object | undefined, durability: Durability, writer?: ClusterWriter | null): Promise<void> {
    const { confirmed, reason } =
      writer === null ? { confirmed: 0, reason: `no master of the cluster was known for ${this.key}'s slot` } : await confirmWrites(writer?.node ?? this.connection, socket, durability);
    if (confirmed >= durability.replicas) return;
    throw new ReplicationTimeoutError('Enqueued job(s)', {
      jobIds: jobs.map((job) => job.id),
      replicas: durability.replicas,
      confirmed,
      timeout: durability.timeoutMs / 1000,
      reason,
    });
  }

  /**
   * Enqueues a call at `when`, as RQ's `enqueue_at`: the job waits in the scheduled registry until
   * a worker's scheduler (`work({ withScheduler: true })`) moves it to the queue. `when` is an
   * absolute time, kept as given; it falls due when the Redis server's clock reaches it.
   * A task's job is typed by what the task returns, as with {@link Queue.enqueue}.
   * @throws {InvalidArgumentError} for a date that is not valid, or more than a second in the past by the Redis server's clock (nothing is written then).
   */
  enqueueAt<A extends unknown[], R>(when: Date, task: Task<A, R>, ...args: A): Promise<Job<Awaited<R>>>;
  enqueueAt(when: Date, funcName: string, ...args: unknown[]): Promise<Job>;
  enqueueAt(when: Date, task: Task<any[], unknown> | string, ...args: unknown[]): Promise<Job> {
    return this.enqueueCall(taskName(task), { args, at: when });
  }

  /**
   * Enqueues a call after `delay` (seconds, or `"10s"`, `"5m"`, `"1h"`, `"2d"`), as RQ's
   * `enqueue_in`, counted from the Redis server's clock (read by the enqueue script), so a
   * producer whose clock is off still schedules it `delay` from now.
   * A task's job is typed by what the task returns, as with {@link Queue.enqueue}.
   */
  enqueueIn<A extends unknown[], R>(delay: Duration, task: Task<A, R>, ...args: A): Promise<Job<Awaited<R>>>;
  enqueueIn(delay: Duration, funcName: string, ...args: unknown[]): Promise<Job>;
  enqueueIn(delay: Duration, task: Task<any[], unknown> | string, ...args: unknown[]): Promise<Job> {
    return this.enqueueCall(taskName(task), { args, in: delay });
  }

  /** Jobs of this queue being run. */
  get startedJobRegistry(): StartedJobRegistry {
    return new StartedJobRegistry(this);
  }

  /** Jobs of this queue that finished, kept for their result TTL. */
  get finishedJobRegistry(): FinishedJobRegistry {
    return new FinishedJobRegistry(this);
  }

  /** Jobs of this queue that failed or were stopped. */
  get failedJobRegistry(): FailedJobRegistry {
    return new FailedJobRegistry(this);
  }

  /** Jobs of this queue waiting on dependencies. */
  get deferredJobRegistry(): DeferredJobRegistry {
    return new DeferredJobRegistry(this);
  }

  /** Jobs of this queue waiting for their time. */
  get scheduledJobRegistry(): ScheduledJobRegistry {
    return new ScheduledJobRegistry(this);
  }

  /** Jobs of this queue that were canceled. */
  get canceledJobRegistry(): CanceledJobRegistry {
    return new CanceledJobRegistry(this);
  }

  /** Number of jobs waiting in the queue (`LLEN`). */
  count(): Promise<number> {
    return this.connection.llen(this.key);
  }

  /** Whether no job is waiting. */
  async isEmpty(): Promise<boolean> {
    return (await this.count()) === 0;
  }

  /** The waiting jobs, from the head, `length` of them from `offset`; ids whose job is gone are skipped. */
  async getJobs(offset = 0, length = -1): Promise<Job[]> {
    const jobs = await Job.fetchMany(await this.getJobIds(offset, length), { connection: this.connection, serializer: this.serializer });
    return jobs.filter((job): job is Job => job !== null);
  }

  /** A job's place in the queue from the head (0), or null when it is not waiting here (`LPOS`). */
  getJobPosition(job: Job | string): Promise<number | null> {
    return this.connection.lpos(this.key, typeof job === 'string' ? job : job.id);
  }

  /** Takes a job off the queue (`LREM` once) without deleting it; resolves to whether it was there. */
  async remove(job: Job | string): Promise<boolean> {
    return (await this.connection.lrem(this.key, 1, typeof job === 'string' ? job : job.id)) === 1;
  }

  /**
   * Deletes the queue: its list and its entry in `rq:queues`, and with `deleteJobs` (the default,
   * as RQ) every waiting job's hash too.
   */
  async delete(options: { deleteJobs?: boolean } = {}): Promise<void> {
    if (options.deleteJobs ?? true) await this.empty();
    await commandBatch(this.connection, { atomic: true }).srem(QUEUES_KEY, this.key).del(this.key).exec();
  }

  /** Every queue known to Redis (the set `rq:queues`), sorted by name. */
  static async all(options: QueueOptions = {}): Promise<Queue[]> {
    const connection = resolveConnection(options.connection, 'Queue.all()');
    const keys = await connection.smembers(QUEUES_KEY);
    return keys
      .map((key) => queueNameFromKey(key, layoutOf(connection)))
      .filter((name): name is string => name !== undefined && name !== '')
      .sort()
      .map((name) => new Queue(name, { ...options, connection }));
  }

  /**
   * Ids of waiting jobs, from the head, `length` of them from `offset` (all when `length` is -1).
   */
  getJobIds(offset = 0, length = -1): Promise<string[]> {
    const end = length < 0 ? -1 : offset + length - 1;
    return this.connection.lrange(this.key, offset, end);
  }

  /**
   * Job `id`, or null when its hash is gone; as RQ does, an id whose hash is gone is then
   * removed from this queue.
   */
  async fetchJob(id: string): Promise<Job | null> {
    const hash = await this.connection.hgetallBuffer(JOB_KEY_PREFIX + id);
    if (Object.keys(hash).length === 0) {
      await this.connection.lrem(this.key, 1, id);
      return null;
    }
    return Job.fromHash(id, hash, this.connection, this.serializer);
  }

  /**
   * Removes every waiting job: its id from the list, its hash and its dependents set, atomically.
   * Registries are untouched, as in RQ. Returns the number of jobs removed.
   */
  async empty(): Promise<number> {
    return emptyQueue(this.connection, this.name);
  }
}
