/**
 * A worker: takes jobs off queues, in priority order, and runs them, `concurrency` at a time.
 *
 * To RQ's tools a worker of concurrency N is N RQ workers, one per slot (`<name>`, `<name>-2`,
 * ...): each slot has its worker hash `rq:worker:<slot>` in `rq:workers` and
 * `rq:workers:<queue>`, its `current_job`, and its command channel `rq:pubsub:<slot>`.
 *
 * The lifecycle, as verbs: register the slots; loop: start jobs for the free slots (one Lua step
 * moves each from its queue into the started registry), run them, end them (one Lua step into the
 * finished or failed registry, or a retry, which also starts the slot's next job); wait for work
 * when there is none; keep heartbeats and worker keys alive on a timer; sweep abandoned jobs;
 * obey commands; on stop, finish the running jobs (warm) or interrupt them (cold); deregister.
 *
 * Round trips: the endings of one tick go to Redis together, in one step that also starts the
 * next jobs of their slots (transitions.ts). At concurrency 1 that is one round trip per job; at
 * concurrency N, one per batch of jobs that ended together, in two groups of slots that take
 * turns (STEP_GROUPS).
 */
import { EventEmitter } from 'node:events';
import type { ConnectionOptions, RedisConnection } from '../connection.js';
import { HEARTBEAT_GRACE } from '../defaults.js';
import { confirmWrites, currentSocket, type Durability } from '../durable.js';
import { InvalidArgumentError, JobStoppedError, ReplicationTimeoutError, ShutDownImminentError } from '../errors.js';
import { onFailover, type FailoverInfo } from '../failover.js';
import { redisErrorKind, rejectAsRQError, toRQError } from '../redis-errors.js';
import type { TaskFunction } from '../functions.js';
import { Job } from '../job.js';
import { queueKey, workerKey } from '../keys.js';
import type { Queue } from '../queue.js';
import { Scheduler, SCHEDULER_INTERVAL } from '../scheduler.js';
import { heartbeatJob } from '../scripts/heartbeat-job.js';
import { unstartJob } from '../scripts/unstart-job.js';
import { Interruption } from '../execute.js';
import { QueueWaiter } from './wait.js';
import { Wakeable } from '../wakeable.js';
import type { ExceptionHandler, Logger, WorkOptions, WorkerEvents, WorkerOptions } from './options.js';
import { maintainQueues, sweepAbandoned, type MaintenanceContext } from './maintenance.js';
import { Presence } from './presence.js';
import { allWorkers, fetchWorker, type AllWorkersOptions, type WorkerInfo } from './info.js';
import { applyEnding, describeEnding, NO_TOTALS, type Ending, type Outcome } from '../ending.js';
import { step, type StartedJob } from '../scripts/finish-and-start-jobs.js';
import { resolveWorkerConfig, type WorkerConfig } from './config.js';
import { createSlots, type PendingEnding, type Running, type Slot } from './slots.js';
import { Tasks } from './tasks.js';
import { CommandListener } from './command-listener.js';
import { HeldEndings } from './held-endings.js';

export { getCurrentJob } from '../execute.js';
export type { IsolationOptions } from './isolated.js';
export type { DequeueStrategy, ExceptionHandler, Logger, WorkOptions, WorkerEvents, WorkerOptions } from './options.js';


/** How often a worker looks for abandoned jobs in its queues' started registries, in ms. */
const ABANDONED_SWEEP_MS = 5000;

/** How long a suspended worker waits before it asks again, in ms. */
const SUSPENDED_PAUSE_MS = 1000;

/**
 * Takes jobs off queues and runs them.
 *
 * @example
 * const worker = new Worker(['high', 'default'], { connection, tasks: { 'tasks.add': (a, b) => a + b }, concurrency: 10 });
 * process.once('SIGTERM', () => worker.stop());
 * await worker.work();
 */
export class Worker extends EventEmitter<WorkerEvents> {
  /**
   * The live workers (Python RQ's and rq-ts'; each slot of an rq-ts worker with concurrency is one),
   * of `queue` when given, as RQ's `Worker.all()`: read from `rq:workers` (or `rq:workers:<queue>`)
   * and their hashes; names whose hash expired are dropped from the set (unless `cleanup: false`).
   */
  static all(options: AllWorkersOptions = {}): Promise<WorkerInfo[]> {
    return allWorkers(options);
  }

  /** The worker `name` as its hash describes it, or undefined when there is none. */
  static fetch(name: string, options: ConnectionOptions = {}): Promise<WorkerInfo | undefined> {
    return fetchWorker(name, options);
  }

  /** The worker name: the first slot's (`rq:worker:<name>`). */
  readonly name: string;
  /** The connection used for life. */
  readonly connection: RedisConnection;
  /** Queue names, highest priority first. */
  readonly queueNames: readonly string[];
  /** Jobs run at the same time. */
  readonly concurrency: number;
  readonly #config: WorkerConfig;
  readonly #tasks: Tasks;
  readonly #log: Logger;
  readonly #presence: Presence;
  readonly #maintenance: MaintenanceContext;
  readonly #slots: Slot[];
  #waiter: QueueWaiter | undefined;
  readonly #commands: CommandListener;
  #stopping = false;
  #cold = false;
  /** Whether the last step found rq:suspended. */
  #suspended = false;
  /** Whether the last step that asked for jobs found fewer than it asked: the queues are empty. */
  #drained = false;
  /** Index of the queue that gave the last job, for round_robin. */
  #lastQueueIndex = -1;
  #working: Promise<number> | undefined;
  /** The loop's sleep: a freed slot, an answered step or a stop wakes it. */
  readonly #loopSleep = new Wakeable();
  #options: WorkOptions = {};
  /** Jobs started since work() began, and when the last one started (for maxIdleTime). */
  #started = 0;
  #idleSince = 0;
  /** Endings of this tick, sent together by #flush. */
  #pending: PendingEnding[] = [];
  /** Endings a step could not record (Redis full or unreachable), sent again until Redis takes them. */
  readonly #held: HeldEndings;
  /**
   * A job that was abandoned before (its hash counts `abandoned_count`: a worker died while it
   * ran) runs alone: in this process a job that crashes it takes every job beside it down too;
   * alone, a poison job fails by itself and the others are not blamed. Started beside others, it
   * goes back to the head of its queue, and the worker takes one job at a time once the others
   * are done. This is the job running alone, if one is.
   */
  #runningAlone: Running | undefined;
  /** Whether a job that must run alone was put back: one job at a time, once no other runs. */
  #aloneWanted = false;
  /** An error that does not heal (a missing permission): the worker stops, and work() rejects with it. */
  #fatal: Error | undefined;
  #flushScheduled = false;
  /** Steps sent and not yet answered. */
  #stepsInFlight = 0;

  /**
   * @param queues queue names or {@link Queue}s, highest priority first.
   * @throws {NoRedisConnectionError} without a connection anywhere (an explicit one, the queues',
   * or the connection stack's); {@link InvalidArgumentError} for no queue or a bad option.
   */
  constructor(queues: ReadonlyArray<string | Queue> | string | Queue, options: WorkerOptions = {}) {
    super();
    const config = resolveWorkerConfig(queues, options);
    this.#config = config;
    this.name = config.name;
    this.connection = config.connection;
    this.queueNames = config.queueNames;
    this.concurrency = config.concurrency;
    this.#log = config.logger;
    this.#presence = new Presence(config.connection, config.queueNames, config.workerTtl);
    this.#maintenance = { connection: config.connection, serializer: config.serializer, queueNames: config.queueNames, maxAbandonedRequeues: config.maxAbandonedRequeues };
    this.#slots = createSlots(config);
    this.#tasks = new Tasks(config, (error) => this.#backgroundError(error));
    this.#commands = new CommandListener(config.connection, config.name, this.#slots, {
      received: (command, slot) => this.emit('command:received', command, slot.name),
      shutdown: () => this.stop(),
      isStopping: () => this.#stopping,
      report: (error) => this.#backgroundError(error),
    });
    this.#held = new HeldEndings(config, this, this.#loopSleep, {
      send: (endings) => this.#step(endings, []),
      release: ({ slot, running }) => this.#release(slot, running),
      report: (error) => this.#backgroundError(error),
      isFatal: () => this.#fatal !== undefined,
      isStopping: () => this.#stopping,
    });
  }

  /** Registers `fn` under the dotted name jobs call it by. */
  register(name: string, fn: TaskFunction): this {
    this.#tasks.register(name, fn);
    return this;
  }

  /** Adds an exception handler at the end of the chain (RQ's `push_exc_handler`). */
  pushExcHandler(handler: ExceptionHandler): this {
    this.#tasks.pushExceptionHandler(handler);
    return this;
  }

  /** Removes the last exception handler and returns it (RQ's `pop_exc_handler`). */
  popExcHandler(): ExceptionHandler | undefined {
    return this.#tasks.popExceptionHandler();
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
    this.#working = this.#work(options).catch(rejectAsRQError).finally(() => {
      this.#working = undefined;
    });
    return this.#working;
  }

  async #work(options: WorkOptions): Promise<number> {
    this.#stopping = false;
    this.#fatal = undefined;
    this.#cold = false;
    this.#suspended = false;
    this.#drained = false;
    this.#options = options;
    this.#started = 0;
    this.#idleSince = Date.now();
    for (const slot of this.#slots) slot.totals = NO_TOTALS; // register() writes the hashes anew
    await this.#presence.refuseLiveNamesakes(this.#slots);
    await this.#presence.nameConnection(this.name);
    await this.#held.whenWritable(() => this.#presence.register(this.#slots));
    const timers = [
      setInterval(() => void this.#heartbeat().catch((error: unknown) => this.#backgroundError(error)), this.#config.jobMonitoringInterval * 1000),
      setInterval(() => void sweepAbandoned(this.#maintenance).catch((error: unknown) => this.#backgroundError(error)), ABANDONED_SWEEP_MS),
      setInterval(() => void maintainQueues(this.#maintenance).catch((error: unknown) => this.#backgroundError(error)), this.#config.maintenanceInterval * 1000),
    ];
    this.#log.info(`Worker ${this.key} started, pid ${process.pid}, ${this.concurrency} slot(s), listening on ${this.queueNames.join(', ')}`);
    this.emit('worker:started');
    const scheduler = options.withScheduler ? new Scheduler(this.connection, this.queueNames) : undefined;
    if (scheduler && !options.burst) {
      timers.push(setInterval(() => void scheduler.tick().catch((error: unknown) => this.#backgroundError(error)), SCHEDULER_INTERVAL * 1000));
    }
    const stopWatching = onFailover(this.connection, (failover) => this.#failedOver(failover));
    try {
      await scheduler?.tick().catch((error: unknown) => this.#backgroundError(error));
      // Neither step may end the worker when Redis blinks at startup: both are retried later.
      await maintainQueues(this.#maintenance).catch((error: unknown) => this.#backgroundError(error));
      await this.#commands.listen();
      await this.#loop();
    } finally {
      this.#stopping = true; // the loop is over: steps still to come end jobs and start none
      for (const timer of timers) clearInterval(timer);
      stopWatching();
      await scheduler?.release().catch((error: unknown) => this.#backgroundError(error));
      if (this.#cold) this.#interruptAll();
      while (this.#isBusy()) await this.#nextChange();
      this.#waiter?.close();
      this.#waiter = undefined;
      this.#tasks.close();
      this.#commands.close();
      await this.#presence.unregister(this.#slots).catch((error: unknown) => this.#backgroundError(error)); // its keys expire anyway
      this.#log.info(`Worker ${this.key} stopped after ${this.#started} job(s)`);
      this.emit('worker:stopped', this.#started);
    }
    if (this.#fatal) throw this.#fatal;
    return this.#started;
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
    this.#loopSleep.wake();
  }

  /**
   * Stops the worker warmly and waits until `work()` has ended: running jobs finished, the worker
   * deregistered, its own connections closed (not the one it was given).
   */
  async close(): Promise<void> {
    this.stop();
    await this.#working?.catch(() => undefined);
  }

  async #loop(): Promise<void> {
    let backoffMs = 0;
    while (!this.#stopping) {
      try {
        if ((await this.#turn()) === 'stop') break;
        backoffMs = 0;
      } catch (error) {
        // Redis unreachable (restart, failover, killed connection): ioredis reconnects; wait and go on.
        this.#backgroundError(error);
        backoffMs = Math.min(Math.max(backoffMs * 2, 250), 5000);
        await this.#pause(backoffMs);
      }
    }
  }

  /** One turn of the loop: start jobs for the free slots, or wait; 'stop' when the work is over. */
  async #turn(): Promise<'go' | 'stop'> {
    const options = this.#options;
    if (options.maxJobs !== undefined && this.#started >= options.maxJobs) return 'stop';
    if (this.#suspended) {
      if (options.burst) return 'stop';
      await this.#setState('suspended');
      await this.#pause(SUSPENDED_PAUSE_MS);
      this.#suspended = false; // the next step finds out whether it still is
      return 'go';
    }
    if (this.#held.active) {
      // Redis would not record the last endings: start nothing until it does.
      await this.#nextChange();
      return 'go';
    }
    const idle = this.#slots.filter((slot) => slot.running === undefined && !slot.reserved);
    const free = idle.filter((slot) => slot.group === idle[0]?.group);
    if (free.length === 0 || this.#budget(free.length) === 0) {
      await this.#nextChange();
      return 'go';
    }
    // After a step found the queues empty, look again only once woken: a round trip saved per job at low load.
    if (!this.#drained && ((await this.#step([], free)) > 0 || this.#suspended)) return 'go';
    const busy = this.#isBusy();
    if (options.burst) {
      if (!busy) return 'stop';
      await this.#nextChange();
      this.#drained = false; // a job that ended may have been retried onto the queue
      return 'go';
    }
    if (!busy) {
      if (options.maxIdleTime !== undefined && Date.now() - this.#idleSince >= options.maxIdleTime * 1000) return 'stop';
      this.emit('worker:idle');
    }
    const { dequeueTimeout } = this.#config;
    const timeout = options.maxIdleTime !== undefined ? Math.max(1, Math.min(dequeueTimeout, Math.ceil(options.maxIdleTime))) : dequeueTimeout;
    const stale = this.#slots.filter((slot) => slot.stale && !slot.running && !slot.reserved);
    if (stale.length > 0) {
      for (const slot of stale) slot.stale = false;
      await Promise.all(stale.map((slot) => this.#presence.touch(slot, 'idle')));
    }
    this.#waiter ??= new QueueWaiter(this.connection, this.queueNames.map(queueKey), this.name);
    await this.#waiter.wait(timeout);
    this.#drained = false;
    return 'go';
  }

  /**
   * Sends one step: the endings given, and a job asked for each of `slots` (as far as maxJobs,
   * suspension and stopping allow). Runs what it started; resolves to the number of jobs started.
   */
  async #step(endings: readonly PendingEnding[], slots: readonly Slot[]): Promise<number> {
    const asked = this.#stopping || this.#suspended || this.#held.active ? [] : slots.slice(0, this.#budget(slots.length));
    if (asked.length === 0 && endings.length === 0) return 0;
    for (const slot of asked) slot.reserved = true;
    const order = this.#queueOrder();
    const now = new Date();
    this.#stepsInFlight += 1;
    try {
      const result = await step(
        this.connection,
        {
          endings: endings.map((ending) => ending.record),
          idleTtl: this.#config.workerTtl + HEARTBEAT_GRACE,
          disableDefaultExceptionHandler: this.#config.disableDefaultExceptionHandler,
          ...(asked.length > 0 && {
            start: {
              slots: asked.map((slot) => slot.name),
              queueKeys: order.map(queueKey),
              firstQueue: this.#config.dequeueStrategy === 'round_robin' ? (this.#lastQueueIndex + 1) % order.length : 0,
              roundRobin: this.#config.dequeueStrategy === 'round_robin',
              heartbeatTtl: this.#config.heartbeatTtl,
            },
          }),
        },
      );
      const { durability } = this.#config;
      if (durability && endings.length > 0) await this.#confirmEndings(endings, currentSocket(this.connection), durability);
      if (result.suspended) this.#suspended = true;
      if (asked.length > 0 && !result.suspended) this.#drained = result.started.length < asked.length;
      endings.forEach(({ slot, running, record }, index) => {
        const status = result.statuses[index]!;
        if (status !== 'fenced') slot.totals = record.totals;
        void this.#afterEnd(slot, running, { status, error: record.error, again: result.again[index] });
      });
      const startedAtText = result.startedAtText;
      // Jobs that must run alone may, when this step started nothing else and nothing else runs.
      const ended = new Set(endings.map((ending) => ending.running));
      const shared = result.started.length > 1 || this.#slots.some((slot) => slot.running !== undefined && !ended.has(slot.running));
      if (!shared && asked.length > 0) this.#aloneWanted = false;
      const back: Array<() => Promise<void>> = [];
      for (const started of result.started) {
        const slot = asked[started.slotIndex]!;
        const queue = order[started.queueIndex]!;
        slot.reserved = false;
        if (!this.#mustRunAlone(started)) {
          this.#start(slot, started, queue, startedAtText, now.getTime());
        } else if (shared) {
          back.push(() => this.#putBack(slot, started, queue, startedAtText));
        } else {
          this.#start(slot, started, queue, startedAtText, now.getTime());
          this.#runningAlone = slot.running;
          this.#log.info(`${this.name}: job ${started.id} was abandoned before: running it alone`);
        }
      }
      // Last first: each goes to the head of its queue, so they keep their order there.
      for (const putBack of back.reverse()) await putBack();
      return result.started.length;
    } finally {
      for (const slot of asked) slot.reserved = false;
      this.#stepsInFlight -= 1;
      this.#loopSleep.wake();
    }
  }

  /** How many of `wanted` jobs may start now: maxJobs counts the jobs started and those asked for. */
  #budget(wanted: number): number {
    if (this.#runningAlone) return 0;
    // A job waits to run alone: one job at a time, once nothing runs here.
    if (this.#aloneWanted) return this.#slots.some((slot) => slot.running !== undefined || slot.reserved) ? 0 : Math.min(wanted, 1);
    const { maxJobs } = this.#options;
    if (maxJobs === undefined) return wanted;
    const reserved = this.#slots.filter((slot) => slot.reserved).length;
    return Math.max(0, Math.min(wanted, maxJobs - this.#started - reserved));
  }

  /** Queue names in the order this step tries them. */
  #queueOrder(): readonly string[] {
    if (this.#config.dequeueStrategy === 'random') return [...this.queueNames].sort(() => Math.random() - 0.5);
    return this.queueNames; // round_robin: the script starts after the queue of the last job, as RQ
  }

  /** A job the step started for `slot`: runs it, or ends it failed at once when its data cannot be read. */
  #start(slot: Slot, started: StartedJob, queue: string, startedAtText: string, startedAtMs: number): void {
    this.#started += 1;
    this.#idleSince = Date.now();
    this.#lastQueueIndex = this.queueNames.indexOf(queue);
    const { id, hash } = started;
    let job: Job | undefined;
    let unreadable: Error | undefined;
    try {
      job = Job.fromHash(id, hash, this.connection, this.#config.serializer);
    } catch (error) {
      unreadable = toError(error); // a job whose data cannot be read fails alone; the worker goes on
    }
    const running: Running = { id, job, hash, queue, startedAtText, startedAtMs, interruption: new Interruption() };
    slot.running = running;
    slot.stale = false; // the step wrote it busy
    // A step sent before a cold stop may answer after it: its jobs are interrupted like the others.
    if (this.#cold) running.interruption.interrupt(new ShutDownImminentError(`Job ${id} interrupted: worker ${slot.name} was shut down cold.`));
    if (job) void this.#run(slot, running, job);
    else this.#queueEnding(slot, running, { kind: 'failed', error: unreadable! });
  }

  /** Whether a job must run with no other beside it: it was abandoned before, and jobs here share this process. */
  #mustRunAlone(started: StartedJob): boolean {
    return !this.#config.isolation && this.concurrency > 1 && Number(started.hash['abandoned_count']?.toString() || 0) > 0;
  }

  /** Puts a job that must run alone back at the head of its queue, for when no other job runs here. */
  async #putBack(slot: Slot, started: StartedJob, queue: string, startedAtText: string): Promise<void> {
    this.#aloneWanted = true;
    this.#log.info(`${this.name}: job ${started.id} was abandoned before: back on ${queue} until it can run alone here`);
    await unstartJob(this.connection, { id: started.id, queue, worker: slot.name, startedAtText }).catch((error: unknown) => this.#backgroundError(error)); // left started: the abandoned-job sweep finds it
  }

  /** Runs the job, then queues its ending for the next step. Never rejects. */
  async #run(slot: Slot, running: Running, job: Job): Promise<void> {
    try {
      this.emit('job:started', job, running.queue);
    } catch (error) {
      this.#backgroundError(error); // a throwing event listener never fails the job
    }
    let outcome: Outcome;
    try {
      const value = await this.#tasks.execute(slot.index, running, job);
      // As RQ: the success callback runs before the job is recorded, and a throw fails the job.
      await this.#tasks.callback(job, 'success', [value]);
      outcome = { kind: 'finished', value };
    } catch (error) {
      outcome = { kind: error instanceof JobStoppedError ? 'stopped' : 'failed', error: toError(error) };
    }
    this.#queueEnding(slot, running, outcome);
  }

  /** Queues an ending for the step at the end of this tick, which sends every ending of the tick at once. */
  #queueEnding(slot: Slot, running: Running, outcome: Outcome): void {
    const record = describeEnding(slot.runner, running, outcome, running.job, slot.totals);
    // A finished job needs nothing after its end (its success callback ran before), so its slot
    // can take the next job in the same step; after a failure come callbacks and handlers first.
    const next = outcome.kind === 'finished' && record.error === undefined;
    this.#pending.push({ slot, running, record, next });
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const group = this.#pending[0]!.slot.group;
    const endings = this.#pending.filter((ending) => ending.slot.group === group);
    this.#pending = this.#pending.filter((ending) => ending.slot.group !== group);
    if (this.#pending.length > 0) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    if (this.#held.active) {
      this.#held.add(endings);
      return;
    }
    const slots = endings.filter((ending) => ending.next).map((ending) => ending.slot);
    this.#step(endings, slots).catch((error: unknown) => this.#held.hold(endings, error));
  }

  /** What follows a job's end in Redis: callbacks, events, exception handlers; then its slot is free. Never rejects. */
  async #afterEnd(slot: Slot, running: Running, ending: Ending): Promise<void> {
    const { job, queue } = running;
    try {
      if (!job) {
        this.emit('job:failed', undefined, queue, ending.error!, 0);
        return;
      }
      applyEnding(job, ending);
      if (ending.status === 'failed') await this.#tasks.callback(job, 'failure', [ending.error]).catch((error: unknown) => this.#backgroundError(error));
      if (ending.status === 'stopped') await this.#tasks.callback(job, 'stopped', []).catch((error: unknown) => this.#backgroundError(error));
      const seconds = (Date.now() - running.startedAtMs) / 1000;
      if (ending.status === 'finished' || ending.status === 'repeated') this.emit('job:finished', job, queue, seconds);
      else if (ending.status === 'retried') this.emit('job:retried', job, queue, ending.error!);
      else if (ending.status === 'stopped') this.emit('job:stopped', job, queue);
      else if (ending.status === 'failed') this.emit('job:failed', job, queue, ending.error!, seconds);
      // As RQ: the handlers see failures, retried or not, after the job is recorded; not a stop.
      if ((ending.status === 'failed' || ending.status === 'retried') && ending.error) await this.#tasks.handleException(job, ending.error);
    } catch (error) {
      this.#backgroundError(error); // a throwing event listener never stops the worker
    } finally {
      this.#release(slot, running);
    }
  }

  /** Frees the slot of a job that is over, and wakes the loop. */
  #release(slot: Slot, running: Running): void {
    if (slot.running !== running) return;
    slot.running = undefined;
    if (this.#runningAlone === running) this.#runningAlone = undefined;
    this.#loopSleep.wake();
  }

  /** Whether any job runs or ends, or any step is under way. */
  #isBusy(): boolean {
    return this.#pending.length > 0 || this.#stepsInFlight > 0 || this.#slots.some((slot) => slot.running !== undefined || slot.reserved);
  }

  /** Resolves at the next change the loop may care about: a slot freed, a step answered, a stop. */
  #nextChange(): Promise<void> {
    return this.#loopSleep.sleep();
  }

  /** Waits `ms`, or less when the loop is woken (a stop). */
  #pause(ms: number): Promise<void> {
    return this.#loopSleep.sleep(ms);
  }

  #interruptAll(): void {
    for (const slot of this.#slots) {
      slot.running?.interruption.interrupt(new ShutDownImminentError(`Job ${slot.running.id} interrupted: worker ${slot.name} was shut down cold.`));
    }
  }

  async #setState(state: string): Promise<void> {
    const free = this.#slots.filter((slot) => !slot.running);
    for (const slot of free) slot.stale = true;
    await Promise.all(free.map((slot) => this.#presence.touch(slot, state)));
  }

  /** One heartbeat: every slot's worker key, and every running job's started-registry score (in server time, by the scripts). */
  async #heartbeat(): Promise<void> {
    const jobTtl = this.#config.heartbeatTtl;
    const heartbeats = this.#slots.map(async (slot) => {
      const running = slot.running;
      if (running) {
        await heartbeatJob(this.connection, { id: running.id, queue: running.queue, worker: slot.name, jobTtl, workerTtl: jobTtl, seconds: (Date.now() - running.startedAtMs) / 1000 });
      } else {
        await this.#presence.touch(slot);
      }
    });
    await Promise.all(heartbeats);
  }

  /**
   * Durable mode: waits until the replicas have the endings a step recorded (`socket` answered the
   * step); reports those they did not confirm. Never rejects.
   */
  async #confirmEndings(endings: readonly PendingEnding[], socket: object | undefined, durability: Durability): Promise<void> {
    const { confirmed, reason } = await confirmWrites(this.connection, socket, durability);
    if (confirmed >= durability.replicas) return;
    const error = new ReplicationTimeoutError('Ended job(s)', {
      jobIds: endings.map(({ running }) => running.id),
      replicas: durability.replicas,
      confirmed,
      timeout: durability.timeoutMs / 1000,
      reason,
    });
    this.#log.warn(`${this.name}: ${error.message}`);
    try {
      this.emit('replication:timeout', error);
    } catch (listenerError) {
      this.#backgroundError(listenerError);
    }
  }

  /** The connection now talks to another server: says so, once per switch. */
  #failedOver(failover: FailoverInfo): void {
    const hint = this.#config.durability ? 'job endings the replicas did not confirm are reported' : 'durable mode confirms each ending with WAIT';
    this.#log.warn(
      `${this.name}: Redis primary changed from ${failover.previous} to ${failover.current}: job endings and enqueues ${failover.previous} ` +
        `acknowledged just before the switch may be lost, as replication is asynchronous (${hint}).`,
    );
    try {
      this.emit('connection:failover', failover);
    } catch (error) {
      this.#backgroundError(error); // a throwing event listener never stops the worker
    }
  }

  #backgroundError(error: unknown): void {
    const reason = toError(toRQError(error));
    if (redisErrorKind(reason.cause ?? reason) === 'permission') return this.#fail(reason);
    this.#log.warn(`${this.name}: ${reason.name}: ${reason.message}`);
    if (this.listenerCount('worker:error') > 0) this.emit('worker:error', reason);
  }

  /**
   * Ends the worker for an error that will not heal (a missing permission, wrong credentials):
   * it stops, warm, and work() rejects with the error, which says what is missing.
   */
  #fail(error: Error): void {
    if (this.#fatal) return;
    this.#fatal = error;
    this.stop();
  }
}

function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
