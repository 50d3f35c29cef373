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
import { randomUUID } from 'node:crypto';
import { parseCommand, type WorkerCommand } from '../commands.js';
import { resolveConnection, type RedisConnection } from '../connection.js';
import {
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
import { Job, type CallbackKind } from '../job.js';
import {
  JOB_KEY_PREFIX,
  QUEUE_KEY_PREFIX,
  SUSPENDED_KEY,
  queueKey,
  startedRegistryKey,
  workerCommandsChannel,
  workerKey,
} from '../keys.js';
import { Queue } from '../queue.js';
import { Scheduler, SCHEDULER_INTERVAL } from '../scheduler.js';
import { scripts } from '../scripts/index.js';
import { JSONSerializer, type Serializer } from '../serializers/index.js';
import { definedTask, type Task } from '../task.js';
import { formatTimestamp } from '../timestamps.js';
import { execute } from './execute.js';
import { HorsePool } from './isolated.js';
import { QueueWaiter } from './wait.js';
import { SILENT, type DequeueStrategy, type ExceptionHandler, type Logger, type WorkOptions, type WorkerEvents, type WorkerOptions } from './options.js';
import { maintainQueues, sweepAbandoned, type MaintenanceContext } from './maintenance.js';
import { Presence } from './presence.js';
import { finishJob, type Ending, type Execution, type Outcome } from './finish.js';

export { getCurrentJob } from './execute.js';
export { WorkHorseTerminatedError, type IsolationOptions } from './isolated.js';
export type { DequeueStrategy, ExceptionHandler, Logger, WorkOptions, WorkerEvents, WorkerOptions } from './options.js';


/** How often a worker looks for abandoned jobs in its queues' started registries, in ms. */
const ABANDONED_SWEEP_MS = 5000;

/** How long a suspension check stays valid before Redis is asked again, in ms. */
const SUSPENSION_CHECK_MS = 1000;

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
  readonly #presence: Presence;
  readonly #maintenance: MaintenanceContext;
  readonly #slots: Slot[];
  #waiter: QueueWaiter | undefined;
  #subscriber: RedisConnection | undefined;
  #stopping = false;
  #cold = false;
  #suspendedUntil = 0;
  /** Index of the queue that gave the last job, for round_robin. */
  #lastQueueIndex = -1;
  #working: Promise<number> | undefined;
  #wakeLoop: (() => void) | undefined;

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
    this.#presence = new Presence(this.connection, this.queueNames, this.#workerTtl);
    this.#maintenance = { connection: this.connection, serializer: this.#serializer, queueNames: this.queueNames, maxAbandonedRequeues: this.#maxAbandonedRequeues };
    if (options.isolated && (Array.isArray(options.tasks) ? options.tasks.length > 0 : Object.keys(options.tasks ?? {}).length > 0)) {
      throw new InvalidArgumentError(
        'In isolated mode jobs run in child processes, which cannot receive functions: drop `tasks`, and give `paths` (modules looked up by name) or `isolated.modules` (modules that call defineTask).',
      );
    }
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
  work(options: WorkOptions = {}): Promise<number> {
    if (this.#working) throw new InvalidArgumentError(`Worker ${this.name} is already working.`);
    this.#working = this.#work(options).finally(() => {
      this.#working = undefined;
    });
    return this.#working;
  }

  async #work(options: WorkOptions): Promise<number> {
    this.#stopping = false;
    this.#cold = false;
    await this.#presence.refuseLiveNamesakes(this.#slots);
    await this.#presence.nameConnection(this.name);
    await this.#presence.register(this.#slots);
    const timers = [
      setInterval(() => void this.#heartbeat().catch((error: unknown) => this.#backgroundError(error)), this.#monitoringInterval * 1000),
      setInterval(() => void sweepAbandoned(this.#maintenance).catch((error: unknown) => this.#backgroundError(error)), ABANDONED_SWEEP_MS),
      setInterval(() => void maintainQueues(this.#maintenance).catch((error: unknown) => this.#backgroundError(error)), this.#maintenanceInterval * 1000),
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
      await maintainQueues(this.#maintenance).catch((error: unknown) => this.#backgroundError(error));
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
      await this.#presence.unregister(this.#slots).catch((error: unknown) => this.#backgroundError(error)); // its keys expire anyway
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

  /**
   * Stops the worker warmly and waits until `work()` has ended: running jobs finished, the worker
   * deregistered, its own connections closed (not the one it was given).
   */
  async close(): Promise<void> {
    this.stop();
    await this.#working?.catch(() => undefined);
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
    this.#lastQueueIndex = this.queueNames.indexOf(queue);
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
      // As RQ: start after the queue that gave the last job.
      const offset = (this.#lastQueueIndex + 1) % names.length;
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
      const value = await this.#execute(slot, running);
      // As RQ: the success callback runs before the job is recorded, and a throw fails the job.
      await this.#callback(job, 'success', [value]);
      outcome = { kind: 'finished', value };
    } catch (error) {
      outcome = { kind: error instanceof JobStoppedError ? 'stopped' : 'failed', error: toError(error) };
    }
    try {
      const ended = await this.#end(slot, running, outcome, job);
      if (ended.status === 'failed') await this.#callback(job, 'failure', [ended.error]).catch((error: unknown) => this.#backgroundError(error));
      if (ended.status === 'stopped') await this.#callback(job, 'stopped', []).catch((error: unknown) => this.#backgroundError(error));
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
    if (!this.#pool) return execute(await this.#resolve(job.funcName, job), job, controller, timeout);
    const timer = timeout >= 0 ? setTimeout(() => controller.abort(new JobTimeoutError(`Job ${job.id} exceeded its timeout of ${timeout} s; its work horse was killed.`)), timeout * 1000) : undefined;
    try {
      return await this.#pool.run(slot.index, job.id, running.hash, controller);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The function a job (or one of its callbacks) names: registered, defined in this process, or imported from `paths`. */
  async #resolve(name: string, job: Job): Promise<TaskFunction> {
    const known = this.#tasks.get(name) ?? definedTask(name);
    if (known) return known;
    if (this.#paths.length === 0) {
      throw new UnknownFunctionError(
        `Job ${job.id} calls '${name}', which this worker does not know: register it with ` +
          `new Worker(queues, { tasks: { '${name}': fn } }) or worker.register('${name}', fn), or give the worker paths to import it from.`,
      );
    }
    const fn = await importFunction(name, this.#paths);
    this.#tasks.set(name, fn);
    return fn;
  }

  /** Runs the job's callback of this kind, if it has one, within its timeout: `(job, connection, ...args)`. */
  async #callback(job: Job, kind: CallbackKind, args: unknown[]): Promise<void> {
    const callback = job.callback(kind);
    if (!callback) return;
    const fn = await this.#resolve(callback.name, job);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new JobTimeoutError(`The ${kind} callback ${callback.name} of job ${job.id} exceeded its timeout of ${callback.timeout} s.`)), callback.timeout * 1000);
    });
    try {
      await Promise.race([Promise.resolve(fn(job, this.connection, ...args)), expired]);
    } finally {
      clearTimeout(timer);
    }
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
    await Promise.all(this.#slots.filter((slot) => !slot.running).map((slot) => this.#presence.touch(slot, state)));
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
        await this.#presence.touch(slot);
      }
    });
    await Promise.all(heartbeats);
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
