/**
 * A worker: takes jobs off queues, in priority order, and runs them, `concurrency` at a time.
 *
 * To RQ's tools a worker of concurrency N is N RQ workers, one per slot (`<name>`, `<name>-2`,
 * ...): each slot has its worker hash `rq:worker:<slot>` in `rq:workers` and
 * `rq:workers:<queue>`, its `current_job`, and its command channel `rq:pubsub:<slot>`.
 *
 * The lifecycle, as verbs: register the slots; loop: claim a job for a free slot (one Lua step
 * from the queue into the started registry), run it, end it (one Lua step into the finished or
 * failed registry, or a retry); wait for work when there is none; keep heartbeats and worker keys
 * alive on a timer; sweep abandoned jobs; obey commands; on stop, finish the running jobs (warm)
 * or interrupt them (cold); deregister.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { parseCommand, type WorkerCommand } from '../commands.js';
import { resolveConnection, type ConnectionOptions, type RedisConnection } from '../connection.js';
import {
  DEAD_WORKER_TTL,
  DEFAULT_DEQUEUE_TIMEOUT,
  DEFAULT_JOB_MONITORING_INTERVAL,
  DEFAULT_JOB_TIMEOUT,
  DEFAULT_MAINTENANCE_INTERVAL,
  DEFAULT_RESULT_TTL,
  DEFAULT_WORKER_TTL,
  HEARTBEAT_GRACE,
} from '../defaults.js';
import { InvalidArgumentError, JobStoppedError, JobTimeoutError, ShutDownImminentError, UnknownFunctionError } from '../errors.js';
import { importFunction, type TaskFunction } from '../functions.js';
import { Job } from '../job.js';
import {
  JOB_KEY_PREFIX,
  QUEUE_KEY_PREFIX,
  SUSPENDED_KEY,
  WORKERS_KEY,
  cleanRegistriesLockKey,
  queueKey,
  queueWorkersKey,
  startedRegistryKey,
  workerCommandsChannel,
  workerKey,
} from '../keys.js';
import { Queue } from '../queue.js';
import { FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry } from '../registries/index.js';
import { Scheduler, SCHEDULER_INTERVAL } from '../scheduler.js';
import { scripts } from '../scripts/index.js';
import { JSONSerializer, type Serializer } from '../serializers/index.js';
import { definedTask, type Task } from '../task.js';
import { formatTimestamp } from '../timestamps.js';
import { execute } from './execute.js';
import { HorsePool, type IsolationOptions } from './isolated.js';
import { QueueWaiter } from './wait.js';
import { finishJob, type Ending, type Execution, type Outcome } from './finish.js';

export { getCurrentJob } from './execute.js';
export { WorkHorseTerminatedError, type IsolationOptions } from './isolated.js';

/** The version written to the worker hash's `version` field. */
const RQ_TS_VERSION = '0.1.0';

/** How often a worker looks for abandoned jobs in its queues' started registries, in ms. */
const ABANDONED_SWEEP_MS = 5000;

/** How long a suspension check stays valid before Redis is asked again, in ms. */
const SUSPENSION_CHECK_MS = 1000;

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

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

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
  /** Worker name, unique among live workers; slots after the first add `-2`, `-3`... @default 32 hex characters, as RQ */
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
  'command:received': [command: WorkerCommand, slot: string];
  /** A background step (heartbeat, maintenance) failed; the worker goes on. */
  'worker:error': [error: Error];
}

interface Running extends Execution {
  readonly job: Job;
  readonly hash: Record<string, Buffer>;
  readonly controller: AbortController;
  done?: Promise<void>;
}

interface Slot {
  readonly index: number;
  readonly name: string;
  readonly key: string;
  running: Running | undefined;
}


/**
 * Takes jobs off queues and runs them.
 *
 * @example
 * const worker = new Worker(['high', 'default'], { connection, tasks: { 'tasks.add': (a, b) => a + b }, concurrency: 10 });
 * process.once('SIGTERM', () => worker.stop());
 * await worker.work();
 */
export class Worker extends EventEmitter<WorkerEvents> {
  /** The worker name: the first slot's (`rq:worker:<name>`). */
  readonly name: string;
  /** The connection used for life. */
  readonly connection: RedisConnection;
  /** Queue names, highest priority first. */
  readonly queueNames: readonly string[];
  /** Jobs run at the same time. */
  readonly concurrency: number;
  readonly #tasks = new Map<string, TaskFunction>();
  readonly #paths: readonly string[];
  readonly #serializer: Serializer;
  readonly #defaultResultTtl: number;
  readonly #workerTtl: number;
  readonly #monitoringInterval: number;
  readonly #maintenanceInterval: number;
  readonly #dequeueTimeout: number;
  readonly #strategy: DequeueStrategy;
  readonly #maxAbandonedRequeues: number;
  readonly #pool: HorsePool | undefined;
  readonly #exceptionHandlers: ExceptionHandler[];
  readonly #disableDefaultExceptionHandler: boolean;
  readonly #log: Logger;
  readonly #slots: Slot[];
  #waiter: QueueWaiter | undefined;
  #subscriber: RedisConnection | undefined;
  #stopping = false;
  #cold = false;
  #suspendedUntil = 0;
  #rotation = 0;
  #wakeLoop: (() => void) | undefined;
  #address = 'unknown';

  /**
   * @param queues queue names or {@link Queue}s, highest priority first.
   * @throws {NoRedisConnectionError} without a connection anywhere (an explicit one, the queues',
   * or the connection stack's); {@link InvalidArgumentError} for no queue or a bad option.
   */
  constructor(queues: ReadonlyArray<string | Queue> | string | Queue, options: WorkerOptions = {}) {
    super();
    const list = Array.isArray(queues) ? queues : [queues as string | Queue];
    if (list.length === 0) throw new InvalidArgumentError('A worker needs at least one queue.');
    const firstQueue = list.find((queue): queue is Queue => queue instanceof Queue);
    this.queueNames = list.map((queue) => (queue instanceof Queue ? queue.name : queue));
    this.name = options.name ?? randomUUID().replaceAll('-', '');
    this.connection = resolveConnection(options.connection ?? firstQueue?.connection, `Worker '${this.name}'`);
    this.concurrency = positiveInteger(options.concurrency ?? 1, 'concurrency');
    this.#paths = options.paths ?? [];
    this.#serializer = options.serializer ?? firstQueue?.serializer ?? JSONSerializer;
    this.#defaultResultTtl = options.defaultResultTtl ?? DEFAULT_RESULT_TTL;
    this.#workerTtl = positiveInteger(options.workerTtl ?? DEFAULT_WORKER_TTL, 'workerTtl');
    this.#monitoringInterval = positiveNumber(options.jobMonitoringInterval ?? DEFAULT_JOB_MONITORING_INTERVAL, 'jobMonitoringInterval');
    this.#maintenanceInterval = positiveNumber(options.maintenanceInterval ?? DEFAULT_MAINTENANCE_INTERVAL, 'maintenanceInterval');
    this.#dequeueTimeout = positiveNumber(options.dequeueTimeout ?? DEFAULT_DEQUEUE_TIMEOUT, 'dequeueTimeout');
    this.#strategy = options.dequeueStrategy ?? 'default';
    this.#maxAbandonedRequeues = options.onAbandoned === 'fail' ? 0 : (options.maxAbandonedCount ?? 1);
    this.#exceptionHandlers = [...(options.exceptionHandlers ?? [])];
    this.#disableDefaultExceptionHandler = options.disableDefaultExceptionHandler ?? false;
    this.#log = options.logger ?? SILENT;
    this.#pool = options.isolated ? new HorsePool(this.connection, this.#paths, options.isolated === true ? {} : options.isolated) : undefined;
    if (!['default', 'round_robin', 'random'].includes(this.#strategy)) {
      throw new InvalidArgumentError(`Unknown dequeue strategy '${this.#strategy}': use default, round_robin or random.`);
    }
    this.#slots = Array.from({ length: this.concurrency }, (_, index) => {
      const name = index === 0 ? this.name : `${this.name}-${index + 1}`;
      return { index, name, key: workerKey(name), running: undefined };
    });
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

  /** Adds an exception handler at the end of the chain (RQ's `push_exc_handler`). */
  pushExcHandler(handler: ExceptionHandler): this {
    this.#exceptionHandlers.push(handler);
    return this;
  }

  /** Removes the last exception handler and returns it (RQ's `pop_exc_handler`). */
  popExcHandler(): ExceptionHandler | undefined {
    return this.#exceptionHandlers.pop();
  }

  /** The Redis key of this worker's (first slot's) hash. */
  get key(): string {
    return workerKey(this.name);
  }

  /** The names under which RQ's tools see this worker: one per slot. */
  get slotNames(): string[] {
    return this.#slots.map((slot) => slot.name);
  }

  /**
   * Registers the worker, then takes and runs jobs until {@link Worker.stop} (or a `shutdown`
   * command), or, in burst mode, until the queues are empty. Resolves to the number of jobs run.
   */
  async work(options: WorkOptions = {}): Promise<number> {
    this.#stopping = false;
    this.#cold = false;
    await this.#register();
    const timers = [
      setInterval(() => void this.#heartbeat().catch((error: unknown) => this.#backgroundError(error)), this.#monitoringInterval * 1000),
      setInterval(() => void this.#sweepAbandoned().catch((error: unknown) => this.#backgroundError(error)), ABANDONED_SWEEP_MS),
      setInterval(() => void this.#maintain().catch((error: unknown) => this.#backgroundError(error)), this.#maintenanceInterval * 1000),
    ];
    this.#log.info(`Worker ${this.key} started, pid ${process.pid}, ${this.concurrency} slot(s), listening on ${this.queueNames.join(', ')}`);
    this.emit('worker:started');
    let started = 0;
    const scheduler = options.withScheduler ? new Scheduler(this.connection, this.queueNames) : undefined;
    if (scheduler && !options.burst) {
      timers.push(setInterval(() => void scheduler.tick().catch((error: unknown) => this.#backgroundError(error)), SCHEDULER_INTERVAL * 1000));
    }
    try {
      await scheduler?.tick().catch((error: unknown) => this.#backgroundError(error));
      // Neither step may end the worker when Redis blinks at startup: both are retried later.
      await this.#maintain().catch((error: unknown) => this.#backgroundError(error));
      await this.#subscribe();
      started = await this.#loop(options);
    } finally {
      for (const timer of timers) clearInterval(timer);
      await scheduler?.release().catch((error: unknown) => this.#backgroundError(error));
      if (this.#cold) this.#interruptAll();
      await Promise.allSettled(this.#slots.map((slot) => slot.running?.done));
      this.#waiter?.close();
      this.#waiter = undefined;
      this.#pool?.close();
      this.#subscriber?.disconnect();
      this.#subscriber = undefined;
      await this.#unregister().catch((error: unknown) => this.#backgroundError(error)); // its keys expire anyway
      this.#log.info(`Worker ${this.key} stopped after ${started} job(s)`);
      this.emit('worker:stopped', started);
    }
    return started;
  }

  /**
   * Stops the worker. Warm (the default): running jobs finish, no new job is taken. Cold: running
   * jobs are interrupted now and end failed (or retried when they have retries left).
   */
  stop(options: { cold?: boolean } = {}): void {
    this.#stopping = true;
    if (options.cold) {
      this.#cold = true;
      this.#interruptAll();
    }
    this.#waiter?.close();
    this.#wakeLoop?.();
  }

  /** Stops the worker warmly and waits for `work()` to end. Closes only connections the worker opened. */
  async close(): Promise<void> {
    this.stop();
    await Promise.allSettled(this.#slots.map((slot) => slot.running?.done));
  }

  async #loop(options: WorkOptions): Promise<number> {
    const progress = { started: 0, idleSince: Date.now() };
    let backoffMs = 0;
    while (!this.#stopping) {
      try {
        if ((await this.#step(options, progress)) === 'stop') break;
        backoffMs = 0;
      } catch (error) {
        // Redis unreachable (restart, failover, killed connection): ioredis reconnects; wait and go on.
        this.#backgroundError(error);
        backoffMs = Math.min(Math.max(backoffMs * 2, 250), 5000);
        await this.#pause(backoffMs);
      }
    }
    return progress.started;
  }

  /** One turn of the loop: claim a job, or wait for one; 'stop' when the work is over. */
  async #step(options: WorkOptions, progress: { started: number; idleSince: number }): Promise<'go' | 'stop'> {
    if (options.maxJobs !== undefined && progress.started >= options.maxJobs) return 'stop';
    if (await this.#isSuspended()) {
      if (options.burst) return 'stop';
      await this.#setState('suspended');
      await this.#pause(1000);
      return 'go';
    }
    const slot = this.#slots.find((candidate) => candidate.running === undefined);
    if (!slot) {
      await this.#nextCompletion();
      return 'go';
    }
    if (await this.#claim(slot)) {
      progress.started += 1;
      progress.idleSince = Date.now();
      return 'go';
    }
    const busy = this.#slots.some((candidate) => candidate.running !== undefined);
    if (options.burst) {
      if (!busy) return 'stop';
      await this.#nextCompletion();
      return 'go';
    }
    if (!busy) {
      if (options.maxIdleTime !== undefined && Date.now() - progress.idleSince >= options.maxIdleTime * 1000) return 'stop';
      this.emit('worker:idle');
    }
    const timeout = options.maxIdleTime !== undefined ? Math.max(1, Math.min(this.#dequeueTimeout, Math.ceil(options.maxIdleTime))) : this.#dequeueTimeout;
    this.#waiter ??= new QueueWaiter(this.connection, this.queueNames.map(queueKey), this.name);
    await this.#waiter.wait(timeout);
    return 'go';
  }

  /** Claims the next job for `slot` and starts running it; resolves to whether there was one. */
  async #claim(slot: Slot): Promise<boolean> {
    const startedAtText = formatTimestamp(new Date());
    const heartbeatTtl = this.#monitoringInterval + HEARTBEAT_GRACE;
    const reply = (await scripts(this.connection, true).startJob(
      [slot.key, ...this.#queueOrder().map(queueKey)],
      [JOB_KEY_PREFIX, startedRegistryKey(''), slot.name, startedAtText, heartbeatTtl, heartbeatTtl, QUEUE_KEY_PREFIX],
    )) as [Buffer, Buffer, Buffer[]] | null;
    if (!reply) return false;
    const [key, idBytes, flat] = reply;
    const queue = key.toString().slice(QUEUE_KEY_PREFIX.length);
    const id = idBytes.toString();
    const hash: Record<string, Buffer> = {};
    for (let i = 0; i < flat.length; i += 2) hash[flat[i]!.toString()] = flat[i + 1]!;
    let job: Job;
    try {
      job = Job.fromHash(id, hash, this.connection, this.#serializer);
    } catch (error) {
      // A job whose data cannot be read fails alone; the worker goes on.
      await this.#end(slot, { id, queue, startedAtText, startedAtMs: Date.now() }, { kind: 'failed', error: toError(error) }, undefined);
      this.emit('job:failed', undefined, queue, toError(error), 0);
      return true;
    }
    const running: Running = { id, job, hash, queue, startedAtText, startedAtMs: Date.now(), controller: new AbortController() };
    slot.running = running;
    running.done = this.#run(slot, running).finally(() => {
      slot.running = undefined;
      this.#wakeLoop?.();
    });
    return true;
  }

  #queueOrder(): readonly string[] {
    const names = this.queueNames;
    if (this.#strategy === 'round_robin') {
      const offset = this.#rotation++ % names.length;
      return [...names.slice(offset), ...names.slice(0, offset)];
    }
    if (this.#strategy === 'random') return [...names].sort(() => Math.random() - 0.5);
    return names;
  }

  async #run(slot: Slot, running: Running): Promise<void> {
    const { job, queue } = running;
    this.emit('job:started', job, queue);
    let outcome: Outcome;
    try {
      outcome = { kind: 'finished', value: await this.#execute(slot, running) };
    } catch (error) {
      outcome = { kind: error instanceof JobStoppedError ? 'stopped' : 'failed', error: toError(error) };
    }
    try {
      const ended = await this.#end(slot, running, outcome, job);
      const seconds = (Date.now() - running.startedAtMs) / 1000;
      if (ended.status === 'finished') this.emit('job:finished', job, queue, seconds);
      else if (ended.status === 'retried') this.emit('job:retried', job, queue, ended.error!);
      else if (ended.status === 'stopped') this.emit('job:stopped', job, queue);
      else if (ended.status === 'failed') this.emit('job:failed', job, queue, ended.error!, seconds);
      // As RQ: the handlers see failures, retried or not, after the job is recorded; not a stop.
      if ((ended.status === 'failed' || ended.status === 'retried') && ended.error) await this.#handleException(job, ended.error);
    } catch (error) {
      // Redis unreachable at the end of a job: the job stays in the started registry, and the
      // abandoned-job sweep of any worker handles it once its heartbeat expires.
      this.#backgroundError(error);
    }
  }

  /** Runs the job's function: in a work horse when isolated, else in this process. */
  async #execute(slot: Slot, running: Running): Promise<unknown> {
    const { job, controller } = running;
    const timeout = job.timeout ?? DEFAULT_JOB_TIMEOUT;
    if (!this.#pool) {
      const fn = this.#tasks.get(job.funcName) ?? definedTask(job.funcName) ?? (await this.#import(job));
      return execute(fn, job, controller, timeout);
    }
    const timer = timeout >= 0 ? setTimeout(() => controller.abort(new JobTimeoutError(`Job ${job.id} exceeded its timeout of ${timeout} s; its work horse was killed.`)), timeout * 1000) : undefined;
    try {
      return await this.#pool.run(slot.index, job.id, running.hash, controller);
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

  /** Ends a job in Redis, in one script; resolves to what became of it. */
  #end(slot: Slot, execution: Execution, outcome: Outcome, job: Job | undefined): Promise<Ending> {
    const runner = {
      workerName: slot.name,
      workerKey: slot.key,
      idleTtl: this.#workerTtl + HEARTBEAT_GRACE,
      serializer: this.#serializer,
      defaultResultTtl: this.#defaultResultTtl,
      disableDefaultExceptionHandler: this.#disableDefaultExceptionHandler,
    };
    return finishJob(this.connection, runner, execution, outcome, job);
  }

  #nextCompletion(): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeLoop = resolve;
    });
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wakeLoop = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #interruptAll(): void {
    for (const slot of this.#slots) {
      slot.running?.controller.abort(new ShutDownImminentError(`Job ${slot.running.job.id} interrupted: worker ${slot.name} was shut down cold.`));
    }
  }

  async #isSuspended(): Promise<boolean> {
    if (Date.now() < this.#suspendedUntil) return false;
    if ((await this.connection.exists(SUSPENDED_KEY)) === 1) return true;
    this.#suspendedUntil = Date.now() + SUSPENSION_CHECK_MS;
    return false;
  }

  async #setState(state: string): Promise<void> {
    await Promise.all(this.#slots.filter((slot) => !slot.running).map((slot) => this.#touch(slot, state)));
  }

  /** Refreshes an idle slot's worker key (and state); registers the slot again when its key is gone. */
  async #touch(slot: Slot, state = ''): Promise<void> {
    const alive = await scripts(this.connection).touchWorker([slot.key], [this.#workerTtl + HEARTBEAT_GRACE, formatTimestamp(new Date()), state]);
    // The key is gone (Redis restarted without persistence, or it expired): register again, whole.
    if (alive === 0) await this.#register([slot]);
  }

  async #register(slots: readonly Slot[] = this.#slots): Promise<void> {
    if (slots === this.#slots) await this.#nameConnection();
    const now = formatTimestamp(new Date());
    const transaction = this.connection.multi();
    for (const slot of slots) {
      transaction
        .del(slot.key)
        .hset(slot.key, {
          birth: now,
          last_heartbeat: now,
          queues: this.queueNames.join(','),
          pid: String(process.pid),
          hostname: hostname(),
          ip_address: this.#address,
          version: RQ_TS_VERSION,
          python_version: `Node.js ${process.version} (rq-ts)`,
          state: slot.running ? 'busy' : 'started',
          ...(slot.running && { current_job: slot.running.id }),
        })
        .sadd(WORKERS_KEY, slot.key)
        .expire(slot.key, this.#workerTtl + HEARTBEAT_GRACE);
      for (const queue of this.queueNames) transaction.sadd(queueWorkersKey(queue), slot.key);
    }
    await transaction.exec();
  }

  /** CLIENT SETNAME, so RQ's tools can find the worker, and the address it is seen at (CLIENT INFO). */
  async #nameConnection(): Promise<void> {
    try {
      await this.connection.client('SETNAME', this.name);
      const info = (await this.connection.client('INFO')) as string;
      this.#address = /\baddr=(\S+)/.exec(info)?.[1] ?? 'unknown';
    } catch {
      // best effort: ACLs may forbid CLIENT; the address stays 'unknown'
    }
  }

  async #unregister(): Promise<void> {
    const transaction = this.connection.multi();
    const death = formatTimestamp(new Date());
    for (const slot of this.#slots) {
      transaction.srem(WORKERS_KEY, slot.key);
      for (const queue of this.queueNames) transaction.srem(queueWorkersKey(queue), slot.key);
      transaction.hset(slot.key, 'death', death, 'state', 'idle').expire(slot.key, DEAD_WORKER_TTL);
    }
    await transaction.exec();
  }

  /** One heartbeat: every slot's worker key, and every running job's started-registry score. */
  async #heartbeat(): Promise<void> {
    const now = formatTimestamp(new Date());
    const jobTtl = this.#monitoringInterval + HEARTBEAT_GRACE;
    const heartbeats = this.#slots.map(async (slot) => {
      const running = slot.running;
      if (running) {
        await scripts(this.connection).heartbeatJob(
          [running.job.key, startedRegistryKey(running.queue), slot.key],
          [running.job.id, now, jobTtl, jobTtl, (Date.now() - running.startedAtMs) / 1000],
        );
      } else {
        await this.#touch(slot);
      }
    });
    await Promise.all(heartbeats);
  }

  /** Handles jobs whose heartbeat expired in this worker's queues (see {@link StartedJobRegistry.cleanup}). */
  async #sweepAbandoned(): Promise<void> {
    for (const queue of this.queueNames) {
      const registry = new StartedJobRegistry(queue, { connection: this.connection, serializer: this.#serializer });
      await registry.cleanup({ maxAbandonedRequeues: this.#maxAbandonedRequeues });
    }
  }

  /**
   * RQ's maintenance, under its lock per queue (`rq:clean_registries:<q>`, 899 s): registry
   * cleanup, and dead workers (keys expired) taken out of the worker sets.
   */
  async #maintain(): Promise<void> {
    for (const queue of this.queueNames) {
      const locked = await this.connection.set(cleanRegistriesLockKey(queue), '1', 'EX', 899, 'NX');
      if (locked !== 'OK') continue;
      const options = { connection: this.connection, serializer: this.#serializer };
      await new FinishedJobRegistry(queue, options).cleanup();
      await new StartedJobRegistry(queue, options).cleanup({ maxAbandonedRequeues: this.#maxAbandonedRequeues });
      await new FailedJobRegistry(queue, options).cleanup();
      await this.#pruneDeadWorkers(queueWorkersKey(queue));
    }
    await this.#pruneDeadWorkers(WORKERS_KEY);
  }

  async #pruneDeadWorkers(setKey: string): Promise<void> {
    const keys = await this.connection.smembers(setKey);
    if (keys.length === 0) return;
    const pipeline = this.connection.pipeline();
    for (const key of keys) pipeline.exists(key);
    const replies = (await pipeline.exec()) ?? [];
    const dead = keys.filter((_, index) => replies[index]?.[1] === 0);
    if (dead.length > 0) await this.connection.srem(setKey, ...dead);
  }

  async #subscribe(): Promise<void> {
    const subscriber = this.connection.duplicate({ maxRetriesPerRequest: null, connectionName: `${this.name}:commands` });
    subscriber.on('error', () => undefined); // reconnects and resubscribes by itself
    subscriber.on('message', (channel: string, payload: string) => {
      const slot = this.#slots.find((candidate) => workerCommandsChannel(candidate.name) === channel);
      const command = parseCommand(payload);
      if (slot && command) this.#obey(command, slot);
    });
    this.#subscriber = subscriber;
    const channels = this.#slots.map((slot) => workerCommandsChannel(slot.name));
    const attempt = async (): Promise<void> => {
      try {
        await subscriber.subscribe(...channels); // ioredis subscribes again by itself after a reconnect
      } catch (error) {
        this.#backgroundError(error);
        if (!this.#stopping && this.#subscriber === subscriber) setTimeout(() => void attempt(), 1000).unref();
      }
    };
    await attempt();
  }

  #obey(command: WorkerCommand, slot: Slot): void {
    this.emit('command:received', command, slot.name);
    const running = slot.running;
    switch (command.command) {
      case 'shutdown':
        this.stop();
        break;
      case 'kill-horse':
        running?.controller.abort(new Error(`Work-horse terminated: kill-horse command to ${slot.name} while it ran job ${running.job.id}.`));
        break;
      case 'stop-job':
        if (running?.job.id === command.job_id) running.controller.abort(new JobStoppedError('Job stopped by user, work-horse terminated.'));
        break;
    }
  }

  async #handleException(job: Job, error: Error): Promise<void> {
    for (const handler of this.#exceptionHandlers) {
      try {
        if ((await handler(job, error)) === false) break;
      } catch (handlerError) {
        this.#backgroundError(handlerError); // a broken handler never stops the worker
      }
    }
  }

  #backgroundError(error: unknown): void {
    const reason = toError(error);
    this.#log.warn(`${this.name}: ${reason.name}: ${reason.message}`);
    if (this.listenerCount('worker:error') > 0) this.emit('worker:error', reason);
  }
}

function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got ${value}.`);
  return value;
}

function positiveNumber(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got ${value}.`);
  return value;
}
