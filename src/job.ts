/**
 * A job: one function call, stored as the Redis hash `rq:job:<id>` in RQ 1.13's layout. `Job`
 * reads and writes that hash (HGETALL, HSET), reads the job's results stream `rq:results:<id>`,
 * and acts on the job: status, meta, delete, cancel, requeue. What the hash holds, field by field,
 * is job-hash.ts' table; how a results entry reads is results.ts'; delete and cancel by id, one
 * script each, are job-operations.ts'.
 */
import { layoutOf, resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { CrossSlotError, InvalidArgumentError, InvalidJobOperationError, NoSuchJobError } from './errors.js';
import { commandBatch, duplicateConnection } from './redis-client.js';
import { scrubConnectionErrors } from './redis-errors.js';
import { dependentsKey, failedRegistryKey, jobKey, queueKey, queueOfTaggedId, queueTag, resultsKey } from './keys.js';
import { toCallback, type CallbackRef } from './callback.js';
import { Dependency, toDependency, type DependsOn } from './dependency.js';
import { cancelJob, deleteJob, type DeleteOptions } from './job-operations.js';
import { newJobId, validateJobId } from './job-id.js';
import { checkProgress, progressOf, PROGRESS_META_KEY, type Progress } from './progress.js';
import { publishProgress, waitForJob, type QueueEvents } from './queue-events.js';
import { OPTIONAL_FIELDS, decodeMeta, readCallback, readJobHash, writeCallback, writeJobHash, type CallbackKind, type JobFields, type JobHash, type JobStatus, type Kwargs } from './job-hash.js';
import type { RateLimit } from './rate-limit.js';
import type { Repeat } from './repeat.js';
import { ResultType, parseResults, type JobResult, type StreamEntries } from './results.js';
import type { Retry } from './retry.js';
import { requeueJob as requeueJobScript } from './scripts/requeue-job.js';
import { JSONSerializer, type Serializer } from './serializers/index.js';
import { inflateText } from './zlib-format.js';

export type { CallbackKind, JobStatus, Kwargs } from './job-hash.js';
export { cancelJob, deleteJob, type DeleteOptions } from './job-operations.js';
export { validateJobId } from './job-id.js';

/** What a job is made of; everything a producer sets before enqueueing. */
export interface JobData {
  /** The job id. @default a new UUID4 */
  id?: string;
  /** Dotted name of the function, as RQ names it (`"tasks.sendEmail"`). */
  funcName: string;
  /** Positional arguments. @default [] */
  args?: readonly unknown[];
  /** Keyword arguments (a Python caller's kwargs). @default {} */
  kwargs?: Kwargs;
  /** Human-readable description. @default '' (queues pass the call as Python prints it: `tasks.add(2, y=3)`) */
  description?: string;
  /** Job timeout in seconds; -1 for none. */
  timeout?: number;
  /** Seconds to keep a finished job and its result (-1 forever, 0 not at all). */
  resultTtl?: number;
  /** Seconds a failed job is kept. */
  failureTtl?: number;
  /** Seconds the job may wait in its queue before its key expires. */
  ttl?: number;
  /** Free-form metadata, saved as its own field. */
  meta?: Record<string, unknown>;
  /** Retries after a failure. */
  retry?: Retry;
  /** Runs again after a success (RQ 2.3). */
  repeat?: Repeat;
  /** The job group it belongs to (RQ 2.0's `group_id`); set by `Group.enqueueMany`. */
  groupId?: string;
  /** The limit it shares with the jobs of the same key (RQ master's `RateLimit`, with rq-ts' rates). */
  rateLimit?: RateLimit;
  /** Jobs to wait for. */
  dependsOn?: DependsOn;
  /** Run when the job finishes: `(job, connection, result)`. */
  onSuccess?: CallbackRef;
  /** Run when the job fails: `(job, connection, error)`. */
  onFailure?: CallbackRef;
  /** Run when the job is stopped: `(job, connection)`. */
  onStopped?: CallbackRef;
}

/** Options of {@link Job.fetch} and {@link Job.create}. */
export interface JobOptions extends ConnectionOptions {
  /** How `data`, `meta` and results are encoded. @default JSONSerializer */
  serializer?: Serializer;
  /**
   * The queue the job is for. On a Redis Cluster a new id starts with its tag, and a given id must
   * (docs/cluster.md); on a plain Redis it changes nothing.
   */
  queue?: string;
}


let attach: (job: Job, running: { readonly signal: AbortSignal }) => void;

/** Gives `job` the signal of its execution in this process (for the worker; not exported by rq-ts). */
export function attachInterruption(job: Job, running: { readonly signal: AbortSignal }): void {
  attach(job, running);
}

/**
 * A job, as stored in `rq:job:<id>`. `R` is what its function returns (awaited), as far as the
 * code that enqueued it knows: `queue.enqueue(task, ...)` gives a `Job<R>` for a task defined with
 * {@link defineTask}; a job enqueued by function name, or read back from Redis, is a `Job<unknown>`.
 * @example
 * const square = defineTask('tasks.square', (n: number) => n * n);
 * const job = await queue.enqueue(square, 4); // Job<number>
 * const value = await job.returnValue();      // number | null
 */
export class Job<R = unknown> implements JobFields {
  /** The job id (a UUID4 unless the producer chose one). */
  readonly id: string;
  /** The connection this job reads and writes through, fixed at construction. */
  readonly connection: RedisConnection;
  /** The serializer of `data`, `meta` and results. */
  readonly serializer: Serializer;
  /** Dotted function name, as RQ names it. */
  funcName = '';
  /** Positional arguments. */
  args: unknown[] = [];
  /** Keyword arguments. */
  kwargs: Kwargs = {};
  /** Human-readable description. */
  description = '';
  /** Name of the queue the job was enqueued on. */
  origin: string | undefined = undefined;
  /** Status, as last read or written. */
  status: JobStatus | undefined = undefined;
  /** Job timeout in seconds (-1: none); undefined means the queue's default. */
  timeout: number | undefined = undefined;
  /** Seconds to keep the result; undefined means the worker's default (500). */
  resultTtl: number | undefined = undefined;
  /** Seconds to keep a failed job; undefined means one year. */
  failureTtl: number | undefined = undefined;
  /** Seconds the job may wait in its queue. */
  ttl: number | undefined = undefined;
  /** Metadata; save it alone with `saveMeta()`. */
  meta: Record<string, unknown> = {};
  /** Whether the job goes to the head of its queue when the scheduler (or a dependency) releases it. */
  enqueueAtFront = false;
  /** Retries left after a failure (RQ's `retries_left`); undefined when the job has no retry. */
  retriesLeft: number | undefined = undefined;
  /** Seconds to wait before each retry (RQ's `retry_intervals`). */
  retryIntervals: number[] | undefined = undefined;
  /** Repeats left after a success (RQ 2.3's `repeats_left`); undefined when the job has no repeat. */
  repeatsLeft: number | undefined = undefined;
  /** Seconds to wait before each repeat (RQ 2.3's `repeat_intervals`). */
  repeatIntervals: number[] | undefined = undefined;
  /** Name of the {@link Group} the job belongs to (RQ 2.0's `group_id`); undefined when none. */
  groupId: string | undefined = undefined;
  /** The key of the {@link RateLimit} the job is under (RQ's `rate_limit_key`); undefined when none. */
  rateLimitKey: string | undefined = undefined;
  /** That limit's concurrency as the job was enqueued with it (RQ's `rate_limit_concurrency`). */
  rateLimitConcurrency: number | undefined = undefined;
  /** At most this many jobs of its key admitted per {@link rateLimitDuration} ms (rq-ts' `rate_limit_max`); undefined when none. */
  rateLimitMax: number | undefined = undefined;
  /** The window of {@link rateLimitMax}, in milliseconds (rq-ts' `rate_limit_duration`). */
  rateLimitDuration: number | undefined = undefined;
  /** Ids of the jobs this one waits for (RQ's `dependency_ids`). */
  dependencyIds: string[] = [];
  /** Whether a failed dependency counts as done (RQ's `allow_dependency_failures`); undefined when not given. */
  allowDependencyFailures: boolean | undefined = undefined;
  /** When the job was created. */
  createdAt = new Date();
  /** When the job was last put on a queue. */
  enqueuedAt: Date | undefined = undefined;
  /** When a worker started it. */
  startedAt: Date | undefined = undefined;
  /** When it finished or failed. */
  endedAt: Date | undefined = undefined;
  /** The running job's last heartbeat. */
  lastHeartbeat: Date | undefined = undefined;
  /** Name of the worker that ran it. */
  workerName: string | undefined = undefined;
  /** The execution in progress in this process, whose signal {@link Job.signal} gives. */
  #running: { readonly signal: AbortSignal } | undefined = undefined;
  /** Fields rq-ts does not model (callbacks, exc_info...), kept as they were read on re-save (see job-hash.ts). */
  #extra: JobHash = {};

  /** A job made of `data`; without it, an empty one for {@link Job.fromHash} to fill. */
  private constructor(id: string, connection: RedisConnection, serializer: Serializer, data?: JobData) {
    this.id = id;
    this.connection = connection;
    this.serializer = serializer;
    if (data) this.#setUp(data);
  }

  #setUp(data: JobData): void {
    this.funcName = data.funcName;
    this.args = [...(data.args ?? [])];
    this.kwargs = { ...(data.kwargs ?? {}) };
    this.description = data.description ?? '';
    this.timeout = data.timeout;
    this.resultTtl = data.resultTtl;
    this.failureTtl = data.failureTtl;
    this.ttl = data.ttl;
    this.meta = { ...(data.meta ?? {}) };
    if (data.retry) {
      this.retriesLeft = data.retry.max;
      this.retryIntervals = [...data.retry.intervals];
    }
    this.groupId = data.groupId;
    this.rateLimitKey = data.rateLimit?.key;
    this.rateLimitConcurrency = data.rateLimit?.concurrency;
    this.rateLimitMax = data.rateLimit?.max;
    this.rateLimitDuration = data.rateLimit?.duration;
    if (data.repeat) {
      this.repeatsLeft = data.repeat.times;
      this.repeatIntervals = [...data.repeat.intervals];
    }
    for (const [kind, ref] of [['success', data.onSuccess], ['failure', data.onFailure], ['stopped', data.onStopped]] as const) {
      if (ref !== undefined) writeCallback(this.#extra, kind, toCallback(ref));
    }
    if (data.dependsOn !== undefined) {
      const dependency = toDependency(data.dependsOn);
      this.dependencyIds = [...dependency.ids];
      if (data.dependsOn instanceof Dependency) {
        // As RQ: the flags are written only when a Dependency was given.
        this.allowDependencyFailures = dependency.allowFailure;
        this.enqueueAtFront = dependency.enqueueAtFront;
      }
    }
  }

  /**
   * A new job, not yet saved. Its connection is `options.connection`, else the top of the
   * connection stack now.
   * @throws {InvalidArgumentError} for a bad id or function name; {@link NoRedisConnectionError}.
   */
  static create(data: JobData, options: JobOptions = {}): Job {
    if (typeof data.funcName !== 'string' || data.funcName === '') {
      throw new InvalidArgumentError('A job needs a function name, such as "tasks.sendEmail".');
    }
    const connection = resolveConnection(options.connection, `Job ${data.id ?? ''}`.trimEnd());
    const layout = layoutOf(connection);
    const id = data.id === undefined ? newJobId(options.queue ?? '', layout) : validateJobId(data.id, layout);
    if (layout === 'cluster' && options.queue !== undefined && queueOfTaggedId(id) !== options.queue) {
      throw new CrossSlotError(`Job id '${id}' names another queue's slot than queue '${options.queue}' it is for: on a Redis Cluster a job's id starts with its queue's tag, '${queueTag(options.queue)}'.`);
    }
    return new Job(id, connection, options.serializer ?? JSONSerializer, data);
  }

  /**
   * Reads job `id` from Redis.
   * @throws {NoSuchJobError} when `rq:job:<id>` does not exist; {@link DeserializationError}
   * when its data cannot be read.
   */
  static async fetch(id: string, options: JobOptions = {}): Promise<Job> {
    const connection = resolveConnection(options.connection, `Job.fetch('${id}')`);
    const hash = await connection.hgetallBuffer(jobKey(id));
    if (Object.keys(hash).length === 0) throw new NoSuchJobError(`No such job: ${jobKey(id)}`);
    return Job.fromHash(id, hash, connection, options.serializer ?? JSONSerializer);
  }

  /** Builds a job from the fields of its hash, as HGETALL returned them. */
  static fromHash(id: string, hash: Record<string, Buffer>, connection: RedisConnection, serializer: Serializer = JSONSerializer): Job {
    const job = new Job(id, connection, serializer);
    job.#extra = readJobHash(job, hash);
    return job;
  }

  /**
   * Reads several jobs in one round trip (pipelined HGETALL); null for each id whose job is gone.
   * @throws {DeserializationError} when one of them cannot be read.
   */
  static async fetchMany(ids: readonly string[], options: JobOptions = {}): Promise<Array<Job | null>> {
    const connection = resolveConnection(options.connection, 'Job.fetchMany()');
    const pipeline = commandBatch(connection, { atomic: false });
    for (const id of ids) pipeline.hgetallBuffer(jobKey(id));
    const replies = (await pipeline.exec()) ?? [];
    return ids.map((id, index) => {
      const [error, hash] = replies[index] ?? [null, {}];
      if (error) throw error;
      const fields = hash as Record<string, Buffer>;
      return Object.keys(fields).length === 0 ? null : Job.fromHash(id, fields, connection, options.serializer ?? JSONSerializer);
    });
  }

  /** Whether job `id` exists in Redis. */
  static async exists(id: string, options: ConnectionOptions = {}): Promise<boolean> {
    const connection = resolveConnection(options.connection, `Job.exists('${id}')`);
    return (await connection.exists(jobKey(id))) === 1;
  }

  /**
   * Reads the job again from Redis.
   * @throws {NoSuchJobError} when it is gone.
   */
  async refresh(): Promise<this> {
    const hash = await this.connection.hgetallBuffer(this.key);
    if (Object.keys(hash).length === 0) throw new NoSuchJobError(`No such job: ${this.key}`);
    this.#extra = readJobHash(this, hash);
    return this;
  }

  /** Writes every field of the job (HSET), as RQ's `save()`. Optional fields left unset are removed. */
  async save(): Promise<void> {
    const fields = this.toHash();
    const unset = OPTIONAL_FIELDS.filter((field) => !(field in fields));
    const transaction = this.connection.multi().hset(this.key, fields);
    if (unset.length > 0) transaction.hdel(this.key, ...unset);
    await transaction.exec();
  }

  /** Writes only the `meta` field, as RQ's `save_meta()`, so a running job's meta is not overwritten by other fields. */
  async saveMeta(): Promise<void> {
    if (Object.keys(this.meta).length === 0) await this.connection.hdel(this.key, 'meta');
    else await this.connection.hset(this.key, 'meta', Buffer.from(this.serializer.dumps(this.meta)));
  }

  /** Reports the job's progress (a number, or a JSON object of at most 16 KiB) in `meta.progress`. @throws {InvalidArgumentError} */
  async updateProgress(value: Progress): Promise<void> {
    this.meta[PROGRESS_META_KEY] = checkProgress(value);
    await this.saveMeta();
    if (this.origin !== undefined) await publishProgress(this.connection, this.origin, this.id, value);
  }

  /** What the job returned, once `events` (its queue's, started) tells it finished; rejects with JobFailedError or WaitTimeoutError. */
  waitUntilFinished(events: QueueEvents, options: { timeoutMs?: number } = {}): Promise<R | null> {
    return waitForJob(this, events, options.timeoutMs) as Promise<R | null>;
  }

  /** The progress last reported (`meta.progress`), read anew from Redis with the meta; undefined when none. */
  async getProgress(): Promise<Progress | undefined> {
    const bytes = await this.connection.hgetBuffer(this.key, 'meta');
    this.meta = bytes ? decodeMeta(this.id, bytes, this.serializer) : {};
    return progressOf(this.meta);
  }

  /** Whether the status last read or written is `queued` (call `refresh()` or `getStatus()` to read it anew). */
  get isQueued(): boolean {
    return this.status === 'queued';
  }

  /** Whether the status last read is `started`. */
  get isStarted(): boolean {
    return this.status === 'started';
  }

  /** Whether the status last read is `finished`. */
  get isFinished(): boolean {
    return this.status === 'finished';
  }

  /** Whether the status last read is `failed`. */
  get isFailed(): boolean {
    return this.status === 'failed';
  }

  /** Whether the status last read is `deferred` (waiting on dependencies). */
  get isDeferred(): boolean {
    return this.status === 'deferred';
  }

  /** Whether the status last read is `scheduled`. */
  get isScheduled(): boolean {
    return this.status === 'scheduled';
  }

  /** Whether the status last read is `stopped`. */
  get isStopped(): boolean {
    return this.status === 'stopped';
  }

  /** Whether the status last read is `canceled`. */
  get isCanceled(): boolean {
    return this.status === 'canceled';
  }

  /**
   * Deletes the job, as RQ's `job.delete()`: out of its queue or the registry of its status
   * (`removeFromQueue`, default true), its hash and dependency sets deleted, and with
   * `deleteDependents` the jobs waiting on it too. The results stream is kept, as RQ keeps it.
   * Atomic. Resolves to whether the job existed.
   */
  delete(options: DeleteOptions = {}): Promise<boolean> {
    return deleteJob(this.connection, this.id, options);
  }

  /**
   * Cancels the job, as RQ's `job.cancel()`: out of its queue or registry, status `canceled`, in
   * the canceled registry; it never runs, and its dependents wait for good, unless
   * `enqueueDependents` releases them as if it had finished. Atomic.
   * @throws {InvalidJobOperationError} when it is canceled already.
   */
  async cancel(options: { enqueueDependents?: boolean } = {}): Promise<void> {
    await cancelJob(this.id, { connection: this.connection, ...options });
    this.status = 'canceled';
  }

  /**
   * Puts the failed (or stopped) job back on its queue, as RQ's `job.requeue()`; resolves to the
   * job as it now is.
   * @throws {InvalidJobOperationError} when it is not in its queue's failed registry.
   */
  async requeue(options: { atFront?: boolean } = {}): Promise<Job<R>> {
    if (this.origin === undefined) throw new InvalidJobOperationError(`Job ${this.id} has no origin queue: it was never enqueued.`);
    await requeueJobScript(this.connection, { registry: failedRegistryKey(this.origin, layoutOf(this.connection)), id: this.id, atFront: options.atFront });
    const requeued = await Job.fetch(this.id, { connection: this.connection, serializer: this.serializer });
    this.status = requeued.status;
    // The same job, read again: it calls the same function, so it returns what this one does.
    return requeued as Job<R>;
  }

  /** The callback of a kind (its dotted name and timeout in seconds), when the job has one. */
  callback(kind: CallbackKind): { name: string; timeout: number } | undefined {
    return readCallback(this.#extra, kind);
  }

  /** The job's place in its queue, from the head (0), or null when it is not waiting there (`LPOS`). */
  async getPosition(): Promise<number | null> {
    if (this.origin === undefined) return null;
    return this.connection.lpos(queueKey(this.origin, layoutOf(this.connection)), this.id);
  }

  /**
   * While a worker runs the job in this process: aborted at the job's timeout, on a stop-job
   * command, or on a cold shutdown. Long jobs should pass it on (`fetch(url, { signal })`) or check
   * it. Undefined when the job is not running here.
   */
  get signal(): AbortSignal | undefined {
    return this.#running?.signal;
  }

  static {
    attach = (job, running) => {
      job.#running = running;
    };
  }

  /** The Redis key of this job's hash. */
  get key(): string {
    return jobKey(this.id);
  }

  /** Reads the job's status from Redis (undefined when the job is gone), and keeps it in `status`. */
  async getStatus(): Promise<JobStatus | undefined> {
    this.status = ((await this.connection.hget(this.key, 'status')) || undefined) as JobStatus | undefined;
    return this.status;
  }

  /** Ids of the jobs waiting for this one (its `rq:job:<id>:dependents` set), as RQ's `dependent_ids`. */
  async getDependentIds(): Promise<string[]> {
    return (await this.connection.smembers(dependentsKey(this.id))).sort();
  }

  /** Every result of the job, newest first (RQ keeps about ten), as RQ's `results()`. Successes hold an `R`. */
  async results(): Promise<Array<JobResult<R>>> {
    return parseResults<R>(await this.connection.xrevrangeBuffer(resultsKey(this.id), '+', '-'), this.serializer);
  }

  /**
   * The newest entry of the job's results stream, as RQ's `latest_result()`: what the job
   * returned or the error text it failed with. Undefined when the job has no result yet; with
   * `timeout` (seconds, as RQ 2.x), waits up to that long for the first one (XREAD BLOCK, on a
   * connection of its own). A success (`type === ResultType.SUCCESSFUL`, 1) holds an `R`.
   */
  async latestResult(options: { timeout?: number } = {}): Promise<JobResult<R> | undefined> {
    const latest = parseResults<R>(await this.connection.xrevrangeBuffer(resultsKey(this.id), '+', '-', 'COUNT', 1), this.serializer)[0];
    if (latest || !options.timeout || options.timeout <= 0) return latest;
    const blocking = duplicateConnection(this.connection, { maxRetriesPerRequest: null });
    blocking.on('error', () => undefined); // the XREAD below rejects if the connection is lost
    scrubConnectionErrors(blocking);
    try {
      // From 0-0: an entry written since the read above is returned at once, so none is missed.
      const reply = await blocking.xreadBuffer('BLOCK', Math.ceil(options.timeout * 1000), 'STREAMS', resultsKey(this.id), '0-0');
      return reply ? parseResults<R>(reply[0]![1] as StreamEntries, this.serializer).at(-1) : undefined;
    } finally {
      blocking.disconnect();
    }
  }

  /** The error text of the job's latest failure, as RQ's `exc_info`; undefined when it has not failed. */
  async excInfo(): Promise<string | undefined> {
    const result = await this.latestResult();
    if (result?.type === ResultType.FAILED) return result.excString;
    // Written by RQ on Redis < 5, and by the abandoned-job cleanup: read it fresh.
    const legacy = await this.connection.hgetBuffer(this.key, 'exc_info');
    return legacy && legacy.length > 0 ? inflateText(legacy) : undefined;
  }

  /**
   * What the job returned, from its latest result when that is a success; null when there is no
   * result yet, when the latest run failed, or when the job returned `undefined` or `null`.
   */
  async returnValue(): Promise<R | null> {
    const result = await this.latestResult();
    return result?.type === ResultType.SUCCESSFUL ? result.returnValue : null;
  }

  /**
   * The hash fields RQ 1.13 writes for this job (job-hash.ts' table): always the core set, the
   * optional ones only when set. Fields read from Redis that rq-ts does not model are kept as they were.
   */
  toHash(): Record<string, string | Buffer> {
    return writeJobHash(this, this.#extra);
  }
}

/**
 * Requeues failed job `id` from its queue's failed registry, as RQ's `requeue_job`.
 * @throws {NoSuchJobError}; {@link InvalidJobOperationError} when it is not in the failed registry.
 */
export async function requeueJob(id: string, options: JobOptions & { atFront?: boolean } = {}): Promise<Job> {
  return (await Job.fetch(id, options)).requeue(options.atFront === undefined ? {} : { atFront: options.atFront });
}
