/**
 * The options, events and hooks of a {@link Worker}: what a user passes and listens to.
 */
import type { ConnectionOptions } from '../connection.js';
import type { TaskFunction } from '../functions.js';
import type { RateLimitError, RedisOutOfMemoryError } from '../errors.js';
import type { Job } from '../job.js';
import type { Serializer } from '../serializers/index.js';
import type { Task } from '../task.js';
import type { WorkerCommand } from '../commands.js';
import type { IsolationOptions } from './isolated.js';
import type { DurableOptions } from '../durable.js';
import type { ReplicationTimeoutError } from '../errors.js';
import type { FailoverInfo } from '../failover.js';

/**
 * Called when a job fails, after the job is recorded, as RQ's exception handlers: in order; a
 * handler that returns `false` ends the chain (any other value, or none, passes to the next).
 */
export type ExceptionHandler = (job: Job, error: Error) => boolean | void | Promise<boolean | void>;

/** Where a worker writes what it does. Quiet by default; the `rq` command line prints it. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger that drops everything: the library is quiet unless given one. */
export const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The order in which a worker looks at its queues. */
export type DequeueStrategy = 'default' | 'round_robin' | 'random';

/** Options of a {@link Worker}. */
export interface WorkerOptions extends ConnectionOptions {
  /**
   * Functions this worker runs: by the dotted name jobs use (`{ 'tasks.add': add }`), or task
   * handles from {@link defineTask}. Tasks defined with `defineTask` in this process are found
   * without being listed.
   */
  tasks?: Record<string, TaskFunction> | ReadonlyArray<Task<any[], unknown>>;
  /**
   * Directories where a job's dotted function name is looked up as a module (`tasks.add` is the
   * export `add` of `tasks.js`) when it is not among the tasks. @default none: tasks only
   */
  paths?: readonly string[];
  /** Worker name, unique among live workers; slots after the first add `-2`, `-3`... On a Redis Cluster it becomes its hash tag, `{name}` (docs/cluster.md). @default 32 hex characters, as RQ */
  name?: string;
  /** Jobs run at the same time, in this process. @default 1 */
  concurrency?: number;
  /** How job data and results are encoded. @default JSONSerializer */
  serializer?: Serializer;
  /** Seconds to keep results of jobs without their own `resultTtl`. @default 500 */
  defaultResultTtl?: number;
  /** Worker key TTL in seconds (the key lives this + 60 s without a heartbeat). @default 420 */
  workerTtl?: number;
  /** Seconds between heartbeats of the worker and its running jobs. @default 30 */
  jobMonitoringInterval?: number;
  /** Seconds between registry cleanups of the worker's queues (under RQ's lock). @default 600 */
  maintenanceInterval?: number;
  /** Longest a blocking wait for work lasts before the loop goes round, in seconds. @default 5 */
  dequeueTimeout?: number;
  /** Queue order: priority (`default`), `round_robin` or `random`. @default 'default' */
  dequeueStrategy?: DequeueStrategy;
  /**
   * What becomes of a job whose worker died (its heartbeat expired) and that has no retries left:
   * `'requeue'` puts it back on its queue up to `maxAbandonedCount` times, then fails it with
   * AbandonedJobError (at least once delivery, no poison loop); `'fail'` fails it at once, as RQ.
   * @default 'requeue'
   */
  onAbandoned?: 'requeue' | 'fail';
  /** With `onAbandoned: 'requeue'`, how many times an abandoned job is put back. @default 1 */
  maxAbandonedCount?: number;
  /**
   * Run each job in a reused child process (a "work horse", one per slot) instead of this
   * process: a timeout or stop-job kills CPU-bound code, and a job that crashes its process fails
   * alone. Children find functions through `paths` and through `modules` they import first
   * (those calling `defineTask`); `tasks` given as functions cannot cross to them. @default false
   */
  isolated?: boolean | IsolationOptions;
  /** Handlers called when a job fails (see {@link ExceptionHandler}). */
  exceptionHandlers?: readonly ExceptionHandler[];
  /**
   * Record a failed job only by its status: no failed-registry entry, no result, no TTL, as RQ's
   * `--disable-default-exception-handler` (for handlers that take care of failures themselves). @default false
   */
  disableDefaultExceptionHandler?: boolean;
  /** Where to log. @default silent */
  logger?: Logger;
  /**
   * Durable mode: after each step that records job endings, wait until `replicas` replicas have it
   * (Redis' `WAIT`), at most `timeout` seconds (default 1); events such as `job:finished` come after. An ending
   * they did not confirm is reported (`replication:timeout` and a warning); it stands on the
   * primary, and the worker cannot undo it. Give `replicas` the number of replicas of the primary:
   * see {@link DurableOptions}.
   * @default off
   */
  durable?: DurableOptions;
}

/** Options of {@link Worker.work}. */
export interface WorkOptions {
  /** Stop when the queues are empty, instead of waiting for work. @default false */
  burst?: boolean;
  /** Stop after this many jobs. */
  maxJobs?: number;
  /** Stop after this many seconds without a job. */
  maxIdleTime?: number;
  /**
   * Also run the scheduler, as `rq worker --with-scheduler`: move due jobs of the scheduled
   * registries onto the worker's queues, under RQ's per-queue lock. In burst mode, one pass at start.
   * @default false
   */
  withScheduler?: boolean;
}

/** Events a worker emits, with their arguments. */
export interface WorkerEvents {
  'worker:started': [];
  'worker:stopped': [jobs: number];
  /** No job is running and the queues are empty: the worker waits for work. */
  'worker:idle': [];
  'job:started': [job: Job, queue: string];
  'job:finished': [job: Job, queue: string, seconds: number];
  'job:failed': [job: Job | undefined, queue: string, error: Error, seconds: number];
  'job:retried': [job: Job, queue: string, error: Error];
  'job:stopped': [job: Job, queue: string];
  /**
   * The job threw {@link RateLimitError}: it waits again (status `rate_limited` behind its held key,
   * or `scheduled`), neither failed nor retried.
   */
  'job:held': [job: Job, queue: string, error: RateLimitError];
  'command:received': [command: WorkerCommand, slot: string];
  /** A background step (heartbeat, maintenance) failed; the worker goes on. */
  'worker:error': [error: Error];
  /**
   * Redis refused to record job endings because it is out of memory. The worker keeps those
   * endings (the jobs are not run again), sends them again until Redis takes them, and starts no
   * job meanwhile. Emitted once per spell.
   */
  'redis:full': [error: RedisOutOfMemoryError];
  /** The endings held while Redis refused them are recorded: the worker takes jobs again. */
  'redis:writable': [];
  /**
   * The worker's connection became ready at another server than before: a failover. What the old
   * primary acknowledged just before may be lost (Redis replicates asynchronously).
   */
  'connection:failover': [failover: FailoverInfo];
  /**
   * Durable mode: replicas did not confirm the endings of these jobs in time. The endings stand on
   * the primary; should it fail over before a replica has them, the jobs show as started again
   * and run once more after the abandoned-job sweep.
   */
  'replication:timeout': [error: ReplicationTimeoutError];
}

