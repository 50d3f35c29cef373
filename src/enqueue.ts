/**
 * Enqueueing, from what a caller asks for to what is written: RQ's `enqueue_call` options
 * ({@link EnqueueOptions}), the job they describe (checked, defaults applied: {@link createJob}),
 * and one batch of jobs written as RQ 1.13's MULTI leaves them (RQ-REFERENCE.md §2.7). Plain jobs
 * go in one script call for the whole batch (scripts/enqueue-jobs.ts); a unique job or one with
 * dependencies goes by a script of its own that checks first. `Queue.enqueueMany` calls these;
 * the queue runs jobs of `isAsync: false` afterwards (run-sync.ts).
 */
import { callString } from './call-string.js';
import { layoutOf } from './connection.js';
import type { CallbackRef } from './callback.js';
import type { DependsOn } from './dependency.js';
import { currentSocket } from './durable.js';
import { CrossSlotError, InvalidArgumentError } from './errors.js';
import { Job, type Kwargs } from './job.js';
import { GROUPS_KEY, groupKey } from './keys.js';
import { commandBatch } from './redis-client.js';
import type { Queue } from './queue.js';
import { RateLimit } from './rate-limit.js';
import { Repeat } from './repeat.js';
import { Retry } from './retry.js';
import { enqueueJob, enqueueJobs, type BatchJob, type Placement } from './scripts/enqueue-jobs.js';
import { parseDuration, parseJobTimeout, type Duration } from './timeouts.js';
import { parseTimestamp } from './timestamps.js';

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
   * A concurrency limit shared with every job of the same key, as RQ's `RateLimit(key,
   * concurrency)`: at most that many are queued or running at once; the others wait, status
   * `rate_limited`, on no queue, and go on their queue oldest first as slots free (docs/limits.md).
   */
  rateLimit?: RateLimit;
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

/**
 * A job as `queue.enqueueCall(funcName, options)` would create it (checked, defaults applied),
 * not yet written: for {@link Queue.enqueueMany}, and for rq-ts' own modules that write jobs by
 * their own scripts (the cron scheduler); not part of the public API.
 * @throws {InvalidArgumentError} or {@link TimeoutFormatError} for a bad option.
 */
export function createJob(queue: Queue, funcName: string, options: EnqueueOptions, groupId?: string): Job {
  const args = options.args ?? [];
  const kwargs = options.kwargs ?? {};
  if (!Array.isArray(args)) throw new InvalidArgumentError(`args of ${funcName} must be an array.`);
  const ttl = options.ttl === undefined ? undefined : parseDuration(options.ttl, 'ttl');
  if (options.retry !== undefined && !(options.retry instanceof Retry)) throw new InvalidArgumentError('retry must be a Retry: new Retry({ max: 3, interval: [10, 60] }).');
  if (options.repeat !== undefined && !(options.repeat instanceof Repeat)) throw new InvalidArgumentError('repeat must be a Repeat: new Repeat({ times: 3, interval: 60 }).');
  if (options.rateLimit !== undefined && !(options.rateLimit instanceof RateLimit)) throw new InvalidArgumentError("rateLimit must be a RateLimit: new RateLimit('reports', 2).");
  // The job's own limit, else its queue's (unique jobs take none from the queue: RQ refuses the pair).
  const rateLimit = options.rateLimit ?? (options.unique ? undefined : queue.rateLimit);
  if (rateLimit !== undefined && !queue.isAsync) throw new InvalidArgumentError('rateLimit is not supported on a queue with isAsync false (as in RQ): its jobs run at once.');
  if (rateLimit !== undefined && layoutOf(queue.connection) === 'cluster') throw new CrossSlotError(`Rate limits do not run on a Redis Cluster yet: rq:rl:${rateLimit.key} and the queue '${queue.name}' are in different slots.`);
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
      timeout: options.jobTimeout === undefined ? queue.defaultTimeout : parseJobTimeout(options.jobTimeout),
      ...(options.resultTtl !== undefined && { resultTtl: parseDuration(options.resultTtl, 'resultTtl') }),
      ...(options.failureTtl !== undefined && { failureTtl: parseDuration(options.failureTtl, 'failureTtl') }),
      ...(ttl !== undefined && { ttl }),
      ...(options.meta !== undefined && { meta: options.meta }),
      ...(options.jobId !== undefined && { id: options.jobId }),
      ...(options.retry !== undefined && { retry: options.retry }),
      ...(options.repeat !== undefined && { repeat: options.repeat }),
      ...(rateLimit !== undefined && { rateLimit }),
      ...(groupId !== undefined && { groupId }),
      ...(options.dependsOn !== undefined && { dependsOn: options.dependsOn }),
      ...(options.onSuccess !== undefined && { onSuccess: options.onSuccess }),
      ...(options.onFailure !== undefined && { onFailure: options.onFailure }),
      ...(options.onStopped !== undefined && { onStopped: options.onStopped }),
    },
    { connection: queue.connection, serializer: queue.serializer, queue: queue.name },
  );
}

/** Slack in seconds: a time this far in the past (by the Redis server's clock) still counts as "now" for `at`. */
const PAST_TOLERANCE = 1;

/**
 * When a job is due: at a time the caller chose (`at`, kept as given), or after a delay counted
 * by the enqueue script from Redis server time (`in`).
 */
export type Due = { readonly at: Date } | { readonly delay: number };

/** When a job with these options is due, or undefined to enqueue it now. Whether `at` is past is checked by the enqueue script, by the server's clock. */
export function dueOf(options: EnqueueOptions): Due | undefined {
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
 * Checks what each job asks for as a whole, once every job is created: nothing is written when
 * one of them is refused.
 * @throws {InvalidArgumentError}
 */
export function checkJobs(entries: readonly EnqueueData[], created: readonly Job[], dueTimes: readonly (Due | undefined)[]): void {
  created.forEach((job, index) => {
    const { options } = entries[index]!;
    if (job.dependencyIds.length > 0 && dueTimes[index] !== undefined) throw new InvalidArgumentError(`Job ${job.id}: a job cannot both wait for other jobs and be scheduled.`);
    if (options.unique && options.jobId === undefined) throw new InvalidArgumentError('A unique job needs a jobId: unique means "refused when a job with this id exists".');
    if (options.unique && dueTimes[index] !== undefined) throw new InvalidArgumentError(`Job ${job.id}: a unique job cannot be scheduled (yet).`);
    if (options.rateLimit && options.unique) throw new InvalidArgumentError(`Job ${job.id}: a unique job cannot have a rate limit (as in RQ).`);
  });
}

/**
 * Rate-limited jobs were written waiting and may have taken a slot at once: their status as
 * Redis has it now, one read for them all. Called only for a batch with such jobs: an enqueue
 * without a limit pays no further await.
 */
async function readAdmission(queue: Queue, limited: readonly Job[]): Promise<void> {
  const pipeline = queue.connection.pipeline();
  for (const job of limited) pipeline.hmget(job.key, 'status', 'enqueued_at');
  const replies = (await pipeline.exec()) ?? [];
  limited.forEach((job, index) => {
    const [status, enqueuedAt] = (replies[index]?.[1] ?? []) as [string | null, string | null];
    if (status === 'queued') {
      job.status = 'queued';
      job.enqueuedAt = enqueuedAt ? parseTimestamp(enqueuedAt) : job.enqueuedAt;
    }
  });
}

/**
 * Writes created and checked jobs on `queue`: the plain ones in one batch (with `groupId`, in
 * that group), then one by one those that a script must check first (unique, or with
 * dependencies). Sets each job's origin and status as written. Resolves to the socket that
 * answered the first write, on which durable mode's `WAIT` must be answered too.
 */
export async function writeJobs(
  queue: Queue,
  entries: readonly EnqueueData[],
  created: readonly Job[],
  dueTimes: readonly (Due | undefined)[],
  groupId: string | undefined,
): Promise<object | undefined> {
  const { batch, checked } = planBatch(queue, entries, created, dueTimes);
  let socket: object | undefined;
  if (batch.length > 0) {
    await enqueueJobs(queue.connection, { queue: queue.name, jobs: batch, group: groupId, pastSlack: PAST_TOLERANCE });
    socket ??= currentSocket(queue.connection);
    const limited = created.filter((job) => job.status === 'rate_limited');
    if (limited.length > 0) await readAdmission(queue, limited);
  }
  // After the batch: a job of the batch may depend on an earlier one.
  for (const job of checked) {
    await enqueueChecked(queue, job, entries[created.indexOf(job)]!.options);
    socket ??= currentSocket(queue.connection);
    if (groupId !== undefined) await commandBatch(queue.connection, { atomic: true }).sadd(groupKey(groupId), job.id).sadd(GROUPS_KEY, groupId).exec();
  }
  return socket;
}

/**
 * Sorts the jobs into the batch of plain ones, each with its placement (queue tail or head,
 * scheduled, or only stored for `isAsync: false`) and hash, and those a script checks first.
 */
function planBatch(
  queue: Queue,
  entries: readonly EnqueueData[],
  created: readonly Job[],
  dueTimes: readonly (Due | undefined)[],
): { batch: BatchJob[]; checked: Job[] } {
  const enqueuedAt = new Date();
  const checked: Job[] = []; // enqueued one by one, by a script that checks first
  const batch: BatchJob[] = [];
  created.forEach((job, index) => {
    job.origin = queue.name;
    const { options } = entries[index]!;
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
    } else if (job.rateLimitKey !== undefined) {
      // It waits for a slot of its limit (rate-limit.lib.lua); the script may give it one at once.
      job.status = 'rate_limited';
      job.enqueueAtFront = options.atFront ?? false;
      placement = { mode: 'limited' };
    } else {
      job.status = 'queued';
      job.enqueuedAt = enqueuedAt;
      // A queue with isAsync false stores the job but pushes nothing: it runs afterwards.
      placement = { mode: !queue.isAsync ? 'stored' : options.atFront ? 'front' : 'tail' };
    }
    batch.push({ id: job.id, placement, ttl: job.ttl, fields: job.toHash() });
  });
  return { batch, checked };
}

/**
 * Enqueues a unique job or a job with dependencies, in one script: refused when unique and its
 * id exists; else at once when its dependencies are all done, else deferred.
 */
async function enqueueChecked(queue: Queue, job: Job, options: EnqueueOptions): Promise<void> {
  job.status = await enqueueJob(queue.connection, {
    id: job.id,
    queue: queue.name,
    fields: job.toHash(),
    dependencyIds: job.dependencyIds,
    allowDependencyFailures: job.allowDependencyFailures ?? false,
    atFront: options.atFront ?? false,
    unique: options.unique ?? false,
    ttl: job.ttl,
  });
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
