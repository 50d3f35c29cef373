/**
 * A worker: registers itself as RQ workers do (`rq:worker:<name>` hash, `rq:workers` and
 * `rq:workers:<queue>` sets), takes jobs from its queues in priority order, runs them, and ends
 * each in RQ's finished or failed registry with a results-stream entry, so Python's `rq info`
 * and `Job.fetch` read rq-ts workers and jobs as their own.
 *
 * This is the first slice of the worker (issue #3 grows it): one job at a time, in-process,
 * functions registered by name. A job moves from its queue into the started registry in one Lua
 * step (no id held only in memory); an idle worker blocks, with a finite timeout, on a duplicated
 * connection until a queue has work.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import {
  DEAD_WORKER_TTL,
  DEFAULT_DEQUEUE_TIMEOUT,
  DEFAULT_FAILURE_TTL,
  DEFAULT_JOB_MONITORING_INTERVAL,
  DEFAULT_RESULT_TTL,
  DEFAULT_WORKER_TTL,
  HEARTBEAT_GRACE,
} from './defaults.js';
import { InvalidArgumentError, JobTimeoutError, UnknownFunctionError } from './errors.js';
import { EventEmitter } from 'node:events';
import { importFunction, type TaskFunction } from './functions.js';
import { definedTask, type Task } from './task.js';
import { Job } from './job.js';
import {
  JOB_KEY_PREFIX,
  QUEUE_KEY_PREFIX,
  SUSPENDED_KEY,
  WORKERS_KEY,
  dependenciesKey,
  dependentsKey,
  failedRegistryKey,
  finishedRegistryKey,
  queueKey,
  queueWorkersKey,
  resultsKey,
  startedRegistryKey,
  workerKey,
} from './keys.js';
import { Queue } from './queue.js';
import { scripts } from './scripts/index.js';
import { JSONSerializer, type Serializer } from './serializers/index.js';
import { formatTimestamp } from './timestamps.js';


const runningJob = new AsyncLocalStorage<Job>();

/**
 * The job being run, when called from inside a job function (or anything it awaits), as RQ's
 * `get_current_job()`; undefined elsewhere.
 */
export function getCurrentJob(): Job | undefined {
  return runningJob.getStore();
}

/** The version written to the worker hash's `version` field. */
const RQ_TS_VERSION = '0.1.0';

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
   * export `add` of `tasks.js`) when it is not in `tasks`. @default none: registered tasks only
   */
  paths?: readonly string[];
  /** Worker name, unique among live workers. @default 32 hex characters, as RQ */
  name?: string;
  /** How job data and results are encoded. @default JSONSerializer */
  serializer?: Serializer;
  /** Seconds to keep results of jobs without their own `resultTtl`. @default 500 */
  defaultResultTtl?: number;
  /** Worker key TTL in seconds, refreshed while the worker lives. @default 420 */
  workerTtl?: number;
  /** Seconds between heartbeats of a running job. @default 30 */
  jobMonitoringInterval?: number;
  /** Longest a blocking wait for work lasts before the loop goes round, in seconds. @default 5 */
  dequeueTimeout?: number;
}

/** Options of {@link Worker.work}. */
export interface WorkOptions {
  /** Stop when the queues are empty, instead of waiting for work. @default false */
  burst?: boolean;
  /** Stop after this many jobs. */
  maxJobs?: number;
}

/**
 * Takes jobs off queues and runs them.
 *
 * @example
 * const worker = new Worker(['default'], { connection, tasks: { 'tasks.add': (a, b) => a + b } });
 * await worker.work({ burst: true });
 * await worker.close();
 */
/** Events a worker emits, with their arguments. */
export interface WorkerEvents {
  'job:started': [job: Job, queue: string];
  'job:finished': [job: Job, queue: string, seconds: number];
  'job:failed': [job: Job | undefined, queue: string, error: Error, seconds: number];
  'worker:started': [];
  'worker:stopped': [jobs: number];
}

export class Worker extends EventEmitter<WorkerEvents> {
  /** The worker name (`rq:worker:<name>`). */
  readonly name: string;
  /** The connection used for life. */
  readonly connection: RedisConnection;
  /** Queue names, highest priority first. */
  readonly queueNames: readonly string[];
  readonly #tasks = new Map<string, TaskFunction>();
  readonly #paths: readonly string[];
  readonly #serializer: Serializer;
  readonly #defaultResultTtl: number;
  readonly #workerTtl: number;
  readonly #monitoringInterval: number;
  readonly #dequeueTimeout: number;
  #blocking: RedisConnection | undefined;
  #stopping = false;
  #registered = false;

  /**
   * @param queues queue names or {@link Queue}s, highest priority first.
   * @throws {NoRedisConnectionError} without a connection anywhere (an explicit one, the queues',
   * or the connection stack's).
   */
  constructor(queues: ReadonlyArray<string | Queue> | string | Queue, options: WorkerOptions = {}) {
    super();
    this.#paths = options.paths ?? [];
    const list = Array.isArray(queues) ? queues : [queues as string | Queue];
    if (list.length === 0) throw new InvalidArgumentError('A worker needs at least one queue.');
    const firstQueue = list.find((queue): queue is Queue => queue instanceof Queue);
    this.queueNames = list.map((queue) => (queue instanceof Queue ? queue.name : queue));
    this.name = options.name ?? randomUUID().replaceAll('-', '');
    this.connection = resolveConnection(options.connection ?? firstQueue?.connection, `Worker '${this.name}'`);
    this.#serializer = options.serializer ?? JSONSerializer;
    this.#defaultResultTtl = options.defaultResultTtl ?? DEFAULT_RESULT_TTL;
    this.#workerTtl = options.workerTtl ?? DEFAULT_WORKER_TTL;
    this.#monitoringInterval = options.jobMonitoringInterval ?? DEFAULT_JOB_MONITORING_INTERVAL;
    this.#dequeueTimeout = options.dequeueTimeout ?? DEFAULT_DEQUEUE_TIMEOUT;
    const tasks = options.tasks ?? {};
    const entries = Array.isArray(tasks) ? tasks.map((task: Task<any[], unknown>) => [task.name, task.fn] as const) : Object.entries(tasks);
    for (const [name, fn] of entries) this.register(name, fn as TaskFunction);
  }

  /** Registers `fn` under the dotted name jobs call it by. */
  register(name: string, fn: TaskFunction): this {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`Task '${name}' must be a function.`);
    this.#tasks.set(name, fn);
    return this;
  }

  /** The Redis key of this worker's hash. */
  get key(): string {
    return workerKey(this.name);
  }

  /**
   * Registers the worker, then takes and runs jobs until {@link Worker.stop} is called, or, in
   * burst mode, until the queues are empty. Returns the number of jobs run.
   */
  async work(options: WorkOptions = {}): Promise<number> {
    await this.#register();
    this.emit('worker:started');
    let done = 0;
    try {
      while (!this.#stopping && (options.maxJobs === undefined || done < options.maxJobs)) {
        if ((await this.connection.exists(SUSPENDED_KEY)) === 1) {
          if (options.burst) break;
          await this.connection.hset(this.key, 'state', 'suspended');
          await sleep(1000);
          continue;
        }
        const started = await this.#startNext();
        if (started) {
          await this.#perform(started.queue, started.job);
          done += 1;
        } else if (options.burst) {
          break;
        } else {
          await this.#waitForWork();
        }
      }
    } finally {
      await this.#unregister();
      this.emit('worker:stopped', done);
    }
    return done;
  }

  /** Asks the worker to stop after the job it is running (a warm shutdown). */
  stop(): void {
    this.#stopping = true;
    this.#blocking?.disconnect();
    this.#blocking = undefined;
  }

  /** Stops the worker and closes the connections it opened (not the one it was given). */
  async close(): Promise<void> {
    this.stop();
  }

  async #register(): Promise<void> {
    const now = formatTimestamp(new Date());
    const transaction = this.connection
      .multi()
      .del(this.key)
      .hset(this.key, {
        birth: now,
        last_heartbeat: now,
        queues: this.queueNames.join(','),
        pid: String(process.pid),
        hostname: hostname(),
        ip_address: 'unknown',
        version: RQ_TS_VERSION,
        python_version: `Node.js ${process.version} (rq-ts)`,
        state: 'started',
      })
      .sadd(WORKERS_KEY, this.key);
    for (const queue of this.queueNames) transaction.sadd(queueWorkersKey(queue), this.key);
    await transaction.expire(this.key, this.#workerTtl + HEARTBEAT_GRACE).exec();
    await this.connection.client('SETNAME', this.name).catch(() => undefined); // best effort: ACLs may forbid it
    this.#registered = true;
  }

  async #unregister(): Promise<void> {
    this.#blocking?.disconnect();
    this.#blocking = undefined;
    if (!this.#registered) return;
    this.#registered = false;
    const transaction = this.connection.multi().srem(WORKERS_KEY, this.key);
    for (const queue of this.queueNames) transaction.srem(queueWorkersKey(queue), this.key);
    await transaction
      .hset(this.key, 'death', formatTimestamp(new Date()), 'state', 'idle')
      .expire(this.key, DEAD_WORKER_TTL)
      .exec();
  }

  async #startNext(): Promise<{ queue: string; job: Job } | undefined> {
    const heartbeatTtl = this.#monitoringInterval + HEARTBEAT_GRACE;
    const reply = (await scripts(this.connection, true).startJob(
      [this.key, ...this.queueNames.map(queueKey)],
      [JOB_KEY_PREFIX, startedRegistryKey(''), this.name, formatTimestamp(new Date()), heartbeatTtl, heartbeatTtl, QUEUE_KEY_PREFIX],
    )) as [Buffer, Buffer, Buffer[]] | null;
    if (!reply) return undefined;
    const [key, idBytes, flat] = reply;
    const queue = key.toString().slice(QUEUE_KEY_PREFIX.length);
    const id = idBytes.toString();
    const hash: Record<string, Buffer> = {};
    for (let i = 0; i < flat.length; i += 2) hash[flat[i]!.toString()] = flat[i + 1]!;
    try {
      return { queue, job: Job.fromHash(id, hash, this.connection, this.#serializer) };
    } catch (error) {
      // A job whose data cannot be read fails alone; the worker goes on.
      await this.#end(queue, id, undefined, { ok: false, error: toError(error) }, 0);
      this.emit('job:failed', undefined, queue, toError(error), 0);
      return this.#startNext();
    }
  }

  /** Blocks until the highest-priority queue has a job, without taking it (a list rotation). */
  async #waitForWork(): Promise<void> {
    this.#blocking ??= this.connection.duplicate({ maxRetriesPerRequest: null, connectionName: `${this.name}:wait` });
    this.#blocking.on('error', () => undefined); // reconnects by itself; the loop retries
    const keys = this.queueNames.map(queueKey);
    try {
      if (keys.length === 1) {
        // Source and destination are the same list: BLMOVE only waits, it moves nothing.
        await this.#blocking.blmove(keys[0]!, keys[0]!, 'LEFT', 'LEFT', this.#dequeueTimeout);
      } else {
        // Several queues: BLMOVE watches one key, so look at them all in turn, briefly.
        await sleep(Math.min(this.#dequeueTimeout * 1000, 200));
      }
    } catch {
      if (!this.#stopping) await sleep(200); // connection lost: go round, the loop retries
    }
  }

  async #perform(queue: string, job: Job): Promise<void> {
    const startedAt = Date.now();
    this.emit('job:started', job, queue);
    const heartbeatTtl = this.#monitoringInterval + HEARTBEAT_GRACE;
    const heartbeat = setInterval(() => {
      void scripts(this.connection)
        .heartbeatJob(
          [job.key, startedRegistryKey(queue), this.key],
          [job.id, formatTimestamp(new Date()), heartbeatTtl, heartbeatTtl, (Date.now() - startedAt) / 1000],
        )
        .catch(() => undefined); // a missed heartbeat is retried at the next interval
    }, this.#monitoringInterval * 1000);
    let outcome: Outcome;
    try {
      outcome = { ok: true, value: await this.#call(job) };
    } catch (error) {
      outcome = { ok: false, error: toError(error) };
    } finally {
      clearInterval(heartbeat);
    }
    const seconds = (Date.now() - startedAt) / 1000;
    await this.#end(queue, job.id, job, outcome, seconds);
    if (outcome.ok) this.emit('job:finished', job, queue, seconds);
    else this.emit('job:failed', job, queue, outcome.error, seconds);
  }

  async #call(job: Job): Promise<unknown> {
    const fn = this.#tasks.get(job.funcName) ?? definedTask(job.funcName) ?? (await this.#import(job));
    const args = Object.keys(job.kwargs).length > 0 ? [...job.args, job.kwargs] : job.args;
    const timeout = job.timeout ?? 180;
    const run = () => runningJob.run(job, () => fn(...args));
    if (timeout < 0) return run();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new JobTimeoutError(`Job ${job.id} exceeded its timeout of ${timeout} s.`)), timeout * 1000);
    });
    try {
      return await Promise.race([Promise.resolve(run()), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #import(job: Job): Promise<TaskFunction> {
    if (this.#paths.length === 0) {
      throw new UnknownFunctionError(
        `Job ${job.id} calls '${job.funcName}', which this worker does not know: register it with ` +
          `new Worker(queues, { tasks: { '${job.funcName}': fn } }) or worker.register('${job.funcName}', fn), or give the worker paths to import it from.`,
      );
    }
    const fn = await importFunction(job.funcName, this.#paths);
    this.#tasks.set(job.funcName, fn);
    return fn;
  }

  async #end(queue: string, id: string, job: Job | undefined, outcome: Outcome, seconds: number): Promise<void> {
    const idleTtl = this.#workerTtl + HEARTBEAT_GRACE;
    let ttl: number;
    let field = '';
    let value = '';
    if (outcome.ok) {
      ttl = job?.resultTtl ?? this.#defaultResultTtl;
      if (outcome.value !== undefined && outcome.value !== null) {
        field = 'return_value';
        value = Buffer.from(this.#serializer.dumps(outcome.value)).toString('base64');
      }
    } else {
      ttl = job?.failureTtl ?? DEFAULT_FAILURE_TTL;
      field = 'exc_string';
      value = deflateSync(Buffer.from(describeError(outcome.error))).toString('base64');
    }
    await scripts(this.connection).finishJob(
      [
        JOB_KEY_PREFIX + id,
        startedRegistryKey(queue),
        outcome.ok ? finishedRegistryKey(queue) : failedRegistryKey(queue),
        resultsKey(id),
        this.key,
        dependentsKey(id),
        dependenciesKey(id),
      ],
      [id, this.name, outcome.ok ? 'finished' : 'failed', formatTimestamp(new Date()), ttl, job?.failureTtl !== undefined ? 1 : 0, field, value, seconds, idleTtl],
    );
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** The error text stored as the job's exc_string: Python tools show it as the traceback. */
function describeError(error: Error): string {
  return error.stack ?? `${error.name}: ${error.message}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
