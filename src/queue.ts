/**
 * A queue: the Redis list `rq:queue:<name>` of job ids, oldest first, registered in the set
 * `rq:queues` by its key. Enqueueing writes the job hash and pushes its id in one Lua step, leaving exactly
 * what RQ 1.13's MULTI leaves (RQ-REFERENCE.md §2.7), so Python workers and readers see the same thing.
 */
import { resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { callString } from './call-string.js';
import { DEFAULT_JOB_TIMEOUT, DEFAULT_QUEUE_NAME, DEFAULT_RESULT_TTL } from './defaults.js';
import { confirmWrites, currentSocket, resolveDurability, type DurableOptions, type Durability } from './durable.js';
import { DuplicateJobError, InvalidArgumentError, ReplicationTimeoutError, UnknownFunctionError } from './errors.js';
import { Job, type Kwargs } from './job.js';
import { GROUPS_KEY, JOB_KEY_PREFIX, QUEUES_KEY, groupKey, queueKey, queueNameFromKey } from './keys.js';
import type { DependsOn } from './dependency.js';
import type { CallbackRef } from './callback.js';
import { Repeat } from './repeat.js';
import { Retry } from './retry.js';
import { definedTask, taskName, type Task } from './task.js';
import { serverTime } from './server-time.js';
import { formatTimestamp } from './timestamps.js';
import { execute, Interruption } from './execute.js';
import { applyEnding, type Outcome } from './ending.js';
import { finishJob } from './scripts/finish-and-start-jobs.js';
import {
  CanceledJobRegistry,
  DeferredJobRegistry,
  FailedJobRegistry,
  FinishedJobRegistry,
  ScheduledJobRegistry,
  StartedJobRegistry,
} from './registries/index.js';
import { emptyQueue } from './scripts/empty-queue.js';
import { enqueueJob, enqueueJobs, type BatchJob, type Placement } from './scripts/enqueue-jobs.js';
import { JSONSerializer, type Serializer } from './serializers/index.js';
import { parseDuration, parseJobTimeout, type Duration } from './timeouts.js';

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
}

/** Options of one enqueue: RQ's `enqueue_call` keyword arguments, in camelCase. `A` types `args` for a typed task. */
export interface EnqueueOptions<A extends readonly unknown[] = readonly unknown[]> {
  /** Positional arguments of the function. @default [] */
  args?: A;
  /** Keyword arguments, for a Python function (a JS function gets them as a trailing object). */
  kwargs?: Kwargs;
  /** Longest the job may run, in seconds or as `"10s"`, `"5m"`, `"1h"`, `"2d"`; -1 for none. @default the queue's, 180 */
  jobTimeout?: Duration;
  /** Seconds to keep the finished job and its result; -1 forever, 0 not at all. @default 500 (the worker's) */
  resultTtl?: Duration;
  /** Longest the job may wait in the queue before it expires, in seconds. @default no limit */
  ttl?: Duration;
  /** Seconds to keep the job if it fails. @default one year */
  failureTtl?: Duration;
  /** Description shown by tools. @default the call as Python prints it, `tasks.add(2, y=3)` */
  description?: string;
  /** The job id (letters, digits, `_`, `-`). @default a new UUID4 */
  jobId?: string;
  /** Put the job at the head of the queue instead of the tail. @default false */
  atFront?: boolean;
  /** Metadata stored with the job. */
  meta?: Record<string, unknown>;
  /** Run the job again when it fails, as RQ's `Retry(max, interval)`. */
  retry?: Retry;
  /**
   * Run the job again after each success, as RQ 2.3's `Repeat(times, interval)`: `times` more runs,
   * each after its interval (a worker with the scheduler releases waits above 0).
   */
  repeat?: Repeat;
  /**
   * Jobs (or ids) to wait for, or a {@link Dependency} with RQ's flags: the job waits as `deferred`
   * until they have all finished. They must exist. Works across queues.
   */
  dependsOn?: DependsOn;
  /**
   * Refuse the job, atomically, when a job with its `jobId` exists (RQ 2.8's `unique=True`):
   * enqueue rejects with {@link DuplicateJobError}. Needs `jobId`. @default false
   */
  unique?: boolean;
  /** Run by the worker when the job finishes: `(job, connection, result)`; a throw fails the job. */
  onSuccess?: CallbackRef;
  /** Run by the worker when the job fails: `(job, connection, error)`. */
  onFailure?: CallbackRef;
  /** Run by the worker when the job is stopped (stop-job): `(job, connection)`. */
  onStopped?: CallbackRef;
  /**
   * Enqueue at this time instead of now: the job waits in the scheduled registry until then. An
   * absolute time, chosen by the caller: it is stored as given (in whole seconds) and compared with
   * the Redis server's clock, as any due time. Refused when more than a second in the past by that clock.
   */
  at?: Date;
  /** Enqueue after this delay (seconds or `"10m"`) instead of now: counted from the Redis server's clock, not this process's. */
  in?: Duration;
}

/** The worker name a job run with `isAsync: false` records, as RQ's `run_sync`. */
const SYNC_WORKER_NAME = 'sync';

/** Key of the type-only field that carries {@link EnqueueData}'s result type; no object has it at run time. */
declare const resultType: unique symbol;

/**
 * One job of {@link Queue.enqueueMany}, made by {@link Queue.prepareData}. `R` is what its task
 * returns (awaited), so that `enqueueMany` gives a `Job<R>`; `unknown` for a function name.
 */
export interface EnqueueData<R = unknown> {
  /** The dotted function name. */
  readonly funcName: string;
  /** The options of the job, as {@link Queue.enqueueCall} takes them. */
  readonly options: EnqueueOptions;
  /** Never set: only carries `R` for the compiler. */
  readonly [resultType]?: R;
}

/** The result type of one {@link EnqueueData}: its task's, or `unknown` (a function name, or an object made by hand). */
type ResultOf<D> = D extends EnqueueData<infer R> ? R : unknown;

/** The jobs {@link Queue.enqueueMany} resolves to: one per entry, in order, each typed by its entry. */
export type EnqueuedJobs<D extends readonly EnqueueData[]> = { -readonly [K in keyof D]: Job<ResultOf<D[K]>> };

let createJobFor: (queue: Queue, funcName: string, options: EnqueueOptions) => Job;

/**
 * A job as `queue.enqueueCall(funcName, options)` would create it (checked, defaults applied),
 * not yet written. For rq-ts' own modules that write jobs by their own scripts (the cron
 * scheduler); not part of the public API.
 * @throws {InvalidArgumentError} or {@link TimeoutFormatError} for a bad option.
 */
export function createJob(queue: Queue, funcName: string, options: EnqueueOptions): Job {
  return createJobFor(queue, funcName, options);
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
  /** The Redis key of the queue list, `rq:queue:<name>`. */
  readonly key: string;
  /** The connection this queue uses for life: the explicit one, else the stack's top at construction. */
  readonly connection: RedisConnection;
  /** The serializer of its jobs. */
  readonly serializer: Serializer;
  /** Timeout of jobs enqueued without one, in seconds. */
  readonly defaultTimeout: number;
  /** Whether jobs go to workers (true) or run at enqueue time in this process (false). */
  readonly isAsync: boolean;
  readonly #durability: Durability | undefined;

  /**
   * @throws {NoRedisConnectionError} without `connection` and outside any connection context;
   * {@link InvalidArgumentError} for a bad `durable`.
   */
  constructor(name: string = DEFAULT_QUEUE_NAME, options: QueueOptions = {}) {
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('A queue needs a non-empty name.');
    this.name = name;
    this.key = queueKey(name);
    this.connection = resolveConnection(options.connection, `Queue '${name}'`);
    this.serializer = options.serializer ?? JSONSerializer;
    this.defaultTimeout = parseJobTimeout(options.defaultTimeout ?? DEFAULT_JOB_TIMEOUT);
    this.isAsync = options.isAsync ?? true;
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
    const created = jobs.map(({ funcName, options }) => this.#createJob(funcName, options, groupId));
    const dueTimes = jobs.map(({ options }) => dueOf(options));
    created.forEach((job, index) => {
      const { options } = jobs[index]!;
      if (job.dependencyIds.length > 0 && dueTimes[index] !== undefined) throw new InvalidArgumentError(`Job ${job.id}: a job cannot both wait for other jobs and be scheduled.`);
      if (options.unique && options.jobId === undefined) throw new InvalidArgumentError('A unique job needs a jobId: unique means "refused when a job with this id exists".');
      if (options.unique && dueTimes[index] !== undefined) throw new InvalidArgumentError(`Job ${job.id}: a unique job cannot be scheduled (yet).`);
    });
    // Typed by each entry's task (prepareData's R): the created jobs are the entries' jobs, in order.
    if (created.length === 0) return [] as EnqueuedJobs<D>;
    const enqueuedAt = new Date();
    // Durable mode: the socket that answered the first write, which WAIT must be answered on too.
    let socket: object | undefined;
    const wrote = () => {
      socket ??= currentSocket(this.connection);
    };
    const checked: Job[] = []; // enqueued one by one, by a script that checks first
    const batch: BatchJob[] = [];
    created.forEach((job, index) => {
      job.origin = this.name;
      const { options } = jobs[index]!;
      if (job.dependencyIds.length > 0 || options.unique) {
        checked.push(job);
        return;
      }
      const due = dueTimes[index];
      let placement: Placement;
      if (due !== undefined) {
        // As RQ's enqueue_at: status scheduled, no enqueued_at, scored by the due time in whole
        // seconds: the caller's time, or the delay counted in the script from server time.
        job.status = 'scheduled';
        job.enqueueAtFront = options.atFront ?? false;
        placement = 'at' in due ? { mode: 'scheduled', at: due.at.getTime() / 1000 } : { mode: 'delayed', delay: due.delay };
      } else {
        job.status = 'queued';
        job.enqueuedAt = enqueuedAt;
        // A queue with isAsync false stores the job but pushes nothing: it runs below.
        placement = { mode: !this.isAsync ? 'stored' : options.atFront ? 'front' : 'tail' };
      }
      batch.push({ id: job.id, placement, ttl: job.ttl, fields: job.toHash() });
    });
    if (batch.length > 0) {
      await enqueueJobs(this.connection, { queue: this.name, jobs: batch, group: groupId, pastSlack: PAST_TOLERANCE });
      wrote();
    }
    // After the batch: a job of the batch may depend on an earlier one.
    for (const job of checked) {
      await this.#enqueueChecked(job, jobs[created.indexOf(job)]!.options);
      wrote();
      if (groupId !== undefined) await this.connection.multi().sadd(groupKey(groupId), job.id).sadd(GROUPS_KEY, groupId).exec();
    }
    if (!this.isAsync) {
      for (const [index, job] of created.entries()) if (dueTimes[index] === undefined && job.status === 'queued') await this.#runSync(job);
    }
    if (this.#durability) await this.#confirm(created, socket, this.#durability);
    return created as EnqueuedJobs<D>;
  }

  /**
   * Durable mode: waits until the replicas have what this enqueue wrote (`socket` answered its
   * first write).
   * @throws {ReplicationTimeoutError} when they did not confirm it in time.
   */
  async #confirm(jobs: readonly Job[], socket: object | undefined, durability: Durability): Promise<void> {
    const { confirmed, reason } = await confirmWrites(this.connection, socket, durability);
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
   * Enqueues a unique job or a job with dependencies, in one script: refused when unique and its
   * id exists; else at once when its dependencies are all done, else deferred.
   */
  async #enqueueChecked(job: Job, options: EnqueueOptions): Promise<void> {
    job.status = await enqueueJob(this.connection, {
      id: job.id,
      queue: this.name,
      fields: job.toHash(),
      dependencyIds: job.dependencyIds,
      allowDependencyFailures: job.allowDependencyFailures ?? false,
      atFront: options.atFront ?? false,
      unique: options.unique ?? false,
      ttl: job.ttl,
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

  /** Runs a job here and now, and ends it in Redis as a worker would (RQ's `run_sync`). */
  async #runSync(job: Job): Promise<void> {
    const startedAtMs = Date.now(); // for its working time, which never leaves this process
    const startedAtText = formatTimestamp(await serverTime(this.connection));
    await this.connection.hset(job.key, { status: 'started', started_at: startedAtText, last_heartbeat: startedAtText, worker_name: SYNC_WORKER_NAME });
    let outcome: Outcome;
    try {
      const fn = definedTask(job.funcName);
      if (!fn) throw new UnknownFunctionError(`Job ${job.id} calls '${job.funcName}', which is not defined in this process: a queue with isAsync false runs only functions defined with defineTask().`);
      outcome = { kind: 'finished', value: await execute(fn, job, new Interruption(), job.timeout ?? this.defaultTimeout) };
    } catch (error) {
      outcome = { kind: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
    }
    // As RQ's run_sync: one run, whatever the job's repeats.
    const runner = { workerName: SYNC_WORKER_NAME, hasWorkerHash: false, serializer: this.serializer, defaultResultTtl: DEFAULT_RESULT_TTL, repeats: false };
    const ended = await finishJob(this.connection, runner, { id: job.id, queue: this.name, startedAtText, startedAtMs }, outcome, job);
    applyEnding(job, ended);
  }

  #createJob(funcName: string, options: EnqueueOptions, groupId?: string): Job {
    const args = options.args ?? [];
    const kwargs = options.kwargs ?? {};
    if (!Array.isArray(args)) throw new InvalidArgumentError(`args of ${funcName} must be an array.`);
    const ttl = options.ttl === undefined ? undefined : parseDuration(options.ttl, 'ttl');
    if (options.retry !== undefined && !(options.retry instanceof Retry)) throw new InvalidArgumentError('retry must be a Retry: new Retry({ max: 3, interval: [10, 60] }).');
    if (options.repeat !== undefined && !(options.repeat instanceof Repeat)) throw new InvalidArgumentError('repeat must be a Repeat: new Repeat({ times: 3, interval: 60 }).');
    if (ttl !== undefined && ttl <= 0) throw new InvalidArgumentError(`ttl must be greater than 0, got ${String(options.ttl)}.`);
    for (const name of ['resultTtl', 'failureTtl'] as const) {
      const value = options[name];
      if (value !== undefined && parseDuration(value, name) < -1) throw new InvalidArgumentError(`${name} must be -1 (forever), 0 or more seconds, got ${String(value)}.`);
    }
    return Job.create(
      {
        funcName,
        args,
        kwargs,
        description: options.description ?? callString(funcName, args, kwargs),
        timeout: options.jobTimeout === undefined ? this.defaultTimeout : parseJobTimeout(options.jobTimeout),
        ...(options.resultTtl !== undefined && { resultTtl: parseDuration(options.resultTtl, 'resultTtl') }),
        ...(options.failureTtl !== undefined && { failureTtl: parseDuration(options.failureTtl, 'failureTtl') }),
        ...(ttl !== undefined && { ttl }),
        ...(options.meta !== undefined && { meta: options.meta }),
        ...(options.jobId !== undefined && { id: options.jobId }),
        ...(options.retry !== undefined && { retry: options.retry }),
        ...(options.repeat !== undefined && { repeat: options.repeat }),
        ...(groupId !== undefined && { groupId }),
        ...(options.dependsOn !== undefined && { dependsOn: options.dependsOn }),
        ...(options.onSuccess !== undefined && { onSuccess: options.onSuccess }),
        ...(options.onFailure !== undefined && { onFailure: options.onFailure }),
        ...(options.onStopped !== undefined && { onStopped: options.onStopped }),
      },
      { connection: this.connection, serializer: this.serializer },
    );
  }

  static {
    createJobFor = (queue, funcName, options) => queue.#createJob(funcName, options);
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
    await this.connection.multi().srem(QUEUES_KEY, this.key).del(this.key).exec();
  }

  /** Every queue known to Redis (the set `rq:queues`), sorted by name. */
  static async all(options: QueueOptions = {}): Promise<Queue[]> {
    const connection = resolveConnection(options.connection, 'Queue.all()');
    const keys = await connection.smembers(QUEUES_KEY);
    return keys
      .map((key) => queueNameFromKey(key))
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

/** Slack in seconds: a time this far in the past (by the Redis server's clock) still counts as "now" for `at`. */
const PAST_TOLERANCE = 1;

/**
 * When a job is due: at a time the caller chose (`at`, kept as given), or after a delay counted
 * by the enqueue script from Redis server time (`in`).
 */
type Due = { readonly at: Date } | { readonly delay: number };

/** When a job with these options is due, or undefined to enqueue it now. Whether `at` is past is checked by the enqueue script, by the server's clock. */
function dueOf(options: EnqueueOptions): Due | undefined {
  if (options.at !== undefined && options.in !== undefined) throw new InvalidArgumentError('Give a job either `at` or `in`, not both.');
  if (options.in !== undefined) {
    const seconds = parseDuration(options.in, 'delay');
    if (seconds < 0) throw new InvalidArgumentError(`Bad delay '${String(options.in)}': it cannot be negative.`);
    return { delay: seconds };
  }
  if (options.at === undefined) return undefined;
  if (!(options.at instanceof Date) || Number.isNaN(options.at.getTime())) throw new InvalidArgumentError(`Bad time for at: ${String(options.at)} is not a valid Date.`);
  return { at: options.at };
}

/**
 * Checks the name of a job group that is about to be written: it becomes part of a key
 * (`rq:group:<name>`), so it must be 1 to 256 characters without spaces or control characters.
 * (RQ checks nothing; names it wrote are read as they are.)
 * @throws {InvalidArgumentError}
 */
export function validateGroupName(name: string): string {
  if (typeof name !== 'string' || !/^[^\s\p{Cc}]{1,256}$/u.test(name)) {
    throw new InvalidArgumentError(`Invalid group name ${JSON.stringify(name)}: use 1 to 256 characters, without spaces or control characters.`);
  }
  return name;
}
