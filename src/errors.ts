/**
 * The errors rq-ts throws. Every class is an {@link RQError}; one class per condition a caller
 * can act on, named as RQ names it with an `Error` suffix. Messages say what happened, to what,
 * and what to do about it.
 */

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
        `to its constructor, or create it inside withConnection(redis, async () => { ... }) ` +
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

/** A running job was interrupted by a cold shutdown of its worker. */
export class ShutDownImminentError extends RQError {}

/** A job returned a value its serializer cannot encode (a BigInt, a cycle...). The job fails. */
export class UnserializableResultError extends RQError {}

/** A dependency that does not exist, or that would make a cycle (RQ's `InvalidJobDependency`). */
export class InvalidJobDependencyError extends RQError {}

/** A unique job's id exists already (RQ 2.8's `DuplicateJobError`). Nothing was written. */
export class DuplicateJobError extends RQError {}

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
