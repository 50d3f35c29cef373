/**
 * The errors rq-ts throws. Every class is an {@link RQError}; one class per condition a caller
 * can act on, named as RQ names it with an `Error` suffix. Messages say what happened, to what,
 * and what to do about it.
 */

/**
 * A refused value as an error message shows it: a number as it is; anything else with its type
 * and at most 40 characters of it (`string "2"`, `array [1,2]`, `object [object Object]`).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || value === undefined) return String(value);
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    text = Object.prototype.toString.call(value); // an object without toString
  }
  const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return `${type} ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}

/** Base class of every error rq-ts throws. Carries an optional `cause`. */
export class RQError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * No Redis connection was passed and none is on the connection stack.
 * Pass `{ connection }`, or run inside `withConnection(redis, fn)`.
 */
export class NoRedisConnectionError extends RQError {
  constructor(what: string) {
    super(
      `${what} needs a Redis connection, and none was given: pass { connection: new Redis(url) } ` +
        `${what.startsWith('new ') || !what.includes('(') ? 'to its constructor' : 'in its options'}, or call it inside withConnection(redis, async () => { ... }) ` +
        `(or after pushConnection(redis)).`,
    );
  }
}

/** `popConnection()` was called with nothing pushed on the connection stack. */
export class ConnectionStackEmptyError extends RQError {
  constructor() {
    super('popConnection() called, but the connection stack is empty: every popConnection() must match a pushConnection().');
  }
}

/** Settings, a URL or a config file could not be turned into a Redis connection. */
export class ConfigurationError extends RQError {}

/** A job id, function name, timeout or other argument is not valid. */
export class InvalidArgumentError extends RQError {}

/** A timeout string such as `"5x"` could not be read. */
export class TimeoutFormatError extends InvalidArgumentError {}

/** The job hash `rq:job:<id>` does not exist. */
export class NoSuchJobError extends RQError {}

/** The job group `rq:group:<name>` does not exist (RQ 2.0's `NoSuchGroupError`): it never had jobs, or they all expired. */
export class NoSuchGroupError extends RQError {}

/** Stored job data could not be decoded (not JSON, pickle from a Python producer, corrupt zlib). */
export class DeserializationError extends RQError {}

/** The job's function name is not registered with the worker and cannot be imported. */
export class UnknownFunctionError extends RQError {}

/** A job ran longer than its `jobTimeout`. */
export class JobTimeoutError extends RQError {}

/** The operation is not valid for the job in its current state (RQ's `InvalidJobOperation`). */
export class InvalidJobOperationError extends RQError {}

/** A running job was stopped by a `stop-job` command (RQ: "Job stopped by user"). */
export class JobStoppedError extends RQError {}

/**
 * Thrown by a job to say "the remote side is rate limiting me, hold off": the job neither fails
 * nor uses a retry (BullMQ's `RateLimitError`, in RQ's terms). A job under a {@link RateLimit} key
 * gives its slot back and waits again first in line (status `rate_limited`), and the key admits no
 * job for `holdFor` milliseconds, across every worker; a job without a key is scheduled again
 * `holdFor` milliseconds later (status `scheduled`, RQ's scheduled registry).
 */
export class RateLimitError extends RQError {
  /** How long to hold off, in milliseconds. */
  readonly holdFor: number;

  /** @throws {InvalidArgumentError} when `holdFor` is not a whole number of milliseconds of at least 0. */
  constructor(holdFor: number, message = `Rate limited by the remote side: holding off for ${holdFor} ms.`) {
    if (!Number.isInteger(holdFor) || holdFor < 0) throw new InvalidArgumentError(`RateLimitError's holdFor must be a whole number of milliseconds of at least 0, got ${describeValue(holdFor)}.`);
    super(message);
    this.holdFor = holdFor;
  }
}

/**
 * `thrown` as a {@link RateLimitError} when it is one: by class, or by name and `holdFor` (one
 * thrown by another copy of rq-ts, or rebuilt after a work horse sent it); else undefined.
 */
export function asRateLimitError(thrown: unknown): RateLimitError | undefined {
  if (thrown instanceof RateLimitError) return thrown;
  if (!(thrown instanceof Error) || thrown.name !== 'RateLimitError') return undefined;
  const holdFor = (thrown as { holdFor?: unknown }).holdFor;
  if (typeof holdFor !== 'number' || !Number.isInteger(holdFor) || holdFor < 0) return undefined;
  return Object.assign(new RateLimitError(holdFor, thrown.message), { stack: thrown.stack });
}

/** A job that was waited for (`job.waitUntilFinished`) failed or was stopped; `excInfo` is its error text. */
export class JobFailedError extends RQError {
  /** The job's error text (RQ's exc_info), when it has one. */
  readonly excInfo: string | undefined;

  constructor(message: string, excInfo?: string) {
    super(message);
    this.excInfo = excInfo;
  }
}

/** A wait (`job.waitUntilFinished`) ran out of time; the job goes on. */
export class WaitTimeoutError extends RQError {}

/** A running job was interrupted by a cold shutdown of its worker. */
export class ShutDownImminentError extends RQError {}

/**
 * A work horse (a child process of a worker in isolated mode) died while it ran a job, or could
 * not start: the job fails with this error, and the next job gets a new work horse.
 */
export class WorkHorseTerminatedError extends RQError {}

/** A job returned a value its serializer cannot encode (a BigInt, a cycle...). The job fails. */
export class UnserializableResultError extends RQError {}

/** A dependency that does not exist, or that would make a cycle (RQ's `InvalidJobDependency`). */
export class InvalidJobDependencyError extends RQError {}

/** A unique job's id exists already (RQ 2.8's `DuplicateJobError`). Nothing was written. */
export class DuplicateJobError extends RQError {}

/**
 * An operation on a Redis Cluster that would write, in one atomic step, keys of two hash slots
 * (two queues' keys, or a job id whose tag names another queue): refused before anything is
 * written, naming the keys (docs/cluster.md says what each operation needs).
 */
export class CrossSlotError extends InvalidArgumentError {}

/** A cron scheduler with this name is running already (its heartbeat is fresh in `rq:cron_schedulers`). */
export class DuplicateCronSchedulerError extends RQError {}

/** No cron scheduler of that name is registered (RQ's `SchedulerNotFound`). */
export class NoSuchCronSchedulerError extends RQError {}

/**
 * Redis refused a write because it is out of memory (`OOM command not allowed when used memory >
 * 'maxmemory'`, under the `noeviction` policy). Nothing of the refused operation was written.
 * It heals by itself once memory frees (results and finished jobs expire), or with more memory.
 */
export class RedisOutOfMemoryError extends RQError {}

/**
 * Redis refused a command for a reason that does not heal by itself: the user's ACL lacks a
 * command or key (`NOPERM`), or the credentials are wrong (`WRONGPASS`, `NOAUTH`). Its message
 * names what is missing.
 */
export class RedisPermissionError extends RQError {}

/**
 * Durable mode: writes that fewer replicas than asked confirmed (`WAIT`) within the timeout. The
 * writes were made on the primary and were not undone: they survive unless the primary fails over
 * before a replica has them, and then they may be lost. For an enqueue, the jobs are in their queue
 * now. To make sure a job exists without running it twice, enqueue it again later with the same
 * `jobId` and `unique: true`: refused with {@link DuplicateJobError} when it is there.
 */
export class ReplicationTimeoutError extends RQError {
  /** The jobs whose writes were not confirmed (enqueued, or ended by a worker). */
  readonly jobIds: readonly string[];
  /** Replicas asked for. */
  readonly replicas: number;
  /** Replicas that confirmed the writes (0 when the confirmation was lost with the connection). */
  readonly confirmed: number;
  /** How long WAIT waited, in seconds. */
  readonly timeout: number;

  constructor(what: string, details: { jobIds: readonly string[]; replicas: number; confirmed: number; timeout: number; reason?: string | undefined }) {
    const { jobIds, replicas, confirmed, timeout, reason } = details;
    const shown = jobIds.length > 5 ? `${jobIds.slice(0, 5).join(', ')} and ${jobIds.length - 5} more` : jobIds.join(', ');
    const why = reason ?? `${confirmed} of ${replicas} replica(s) confirmed within ${timeout} s`;
    super(
      `${what} ${shown} on the primary, but replication was not confirmed: ${why}. ` +
        'The writes stand on the primary; a failover before a replica has them would lose them. Check the replicas (INFO replication).',
    );
    this.jobIds = jobIds;
    this.replicas = replicas;
    this.confirmed = confirmed;
    this.timeout = timeout;
  }
}

/** What was thrown, as an Error: at a job's boundary anything thrown (even a string) becomes one. */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/**
 * What a script's negative reply means: one code per condition, the same in every script. The Lua
 * prelude (scripts/prelude.ts) defines them by name (`FAILURE.NO_SUCH_JOB`), so that a script
 * never writes a bare number and a caller never guesses what `-1` meant there.
 */
export const SCRIPT_FAILURES = {
  /** The job is not in the registry the caller named. */
  NOT_IN_REGISTRY: -1,
  /** The job hash does not exist. */
  NO_SUCH_JOB: -2,
  /** A key of another type stands where the job hash should be. */
  NOT_A_JOB: -3,
  /** A dependency does not exist. */
  NO_SUCH_DEPENDENCY: -4,
  /** A dependency would make a cycle. */
  DEPENDENCY_CYCLE: -5,
  /** A unique job's id exists already. */
  DUPLICATE_JOB: -6,
  /** A scheduled time is in the past by Redis' clock. */
  SCHEDULED_IN_PAST: -7,
  /** The job is canceled already. */
  ALREADY_CANCELED: -8,
  /** The job waits or holds a slot under one rate limit and would be written under another, or none. */
  RATE_LIMIT_KEY_CHANGED: -9,
} as const;

/** A script failure code. */
export type ScriptFailureCode = (typeof SCRIPT_FAILURES)[keyof typeof SCRIPT_FAILURES];

const FAILURE_CLASSES: Record<ScriptFailureCode, new (message: string) => RQError> = {
  [SCRIPT_FAILURES.NOT_IN_REGISTRY]: InvalidJobOperationError,
  [SCRIPT_FAILURES.NO_SUCH_JOB]: NoSuchJobError,
  [SCRIPT_FAILURES.NOT_A_JOB]: InvalidJobOperationError,
  [SCRIPT_FAILURES.NO_SUCH_DEPENDENCY]: InvalidJobDependencyError,
  [SCRIPT_FAILURES.DEPENDENCY_CYCLE]: InvalidJobDependencyError,
  [SCRIPT_FAILURES.DUPLICATE_JOB]: DuplicateJobError,
  [SCRIPT_FAILURES.SCHEDULED_IN_PAST]: InvalidArgumentError,
  [SCRIPT_FAILURES.ALREADY_CANCELED]: InvalidJobOperationError,
  [SCRIPT_FAILURES.RATE_LIMIT_KEY_CHANGED]: InvalidJobOperationError,
};

/** The error for script failure `code`, with the message its caller words for it. */
export function scriptFailure(code: ScriptFailureCode, message: string): RQError {
  return new FAILURE_CLASSES[code](message);
}
