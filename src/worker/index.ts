/**
 * A worker: takes jobs off queues, in priority order, and runs them, `concurrency` at a time.
 *
 * The lifecycle, as verbs: register the slots; loop: start jobs for the free slots (one Lua step
 * moves each from its queue into the started registry), run them, end them (one Lua step into the
 * finished or failed registry, or a retry, which also starts the slot's next job); wait for work
 * when there is none; keep heartbeats and worker keys alive on a timer; sweep abandoned jobs;
 * obey commands; on stop, finish the running jobs (warm) or interrupt them (cold); deregister.
 *
 * Here: the Worker's public face, its lifecycle, its loop and its steps. A job's hot path runs
 * from a step here through its run (tasks.ts) to its ending, queued for the tick's step
 * (pending-endings.ts). Each other role has a file beside this one: the options (config.ts), the
 * slots, their hashes and heartbeats (presence.ts), timers (chores.ts), commands
 * (command-listener.ts), waiting for work (wait.ts), endings Redis refused (held-endings.ts), jobs
 * abandoned before (run-alone.ts), replication (replication.ts).
 */
import { EventEmitter } from 'node:events';
import { layoutOf, type ConnectionOptions, type RedisConnection } from '../connection.js';
import { HEARTBEAT_GRACE } from '../defaults.js';
import { InvalidArgumentError, RedisPermissionError, toError } from '../errors.js';
import { describeEnding, NO_TOTALS, type Outcome } from '../ending.js';
import type { TaskFunction } from '../functions.js';
import { queueKey, workerKey } from '../keys.js';
import type { Queue } from '../queue.js';
import { rejectAsRQError, toRQError } from '../redis-errors.js';
import type { StartedJob, StepResult } from '../scripts/finish-and-start-jobs.js';
import { step } from '../scripts/step.js';
import { Wakeable } from '../wakeable.js';
import { JobStats } from '../job-stats.js';
import { Chores } from './chores.js';
import { CommandListener } from './command-listener.js';
import { resolveWorkerConfig, type WorkerConfig } from './config.js';
import { HeldEndings } from './held-endings.js';
import { allWorkers, fetchWorker, type AllWorkersOptions, type WorkerInfo } from './info.js';
import type { ExceptionHandler, WorkOptions, WorkerEvents, WorkerOptions } from './options.js';
import { PendingEndings, type PendingEnding } from './pending-endings.js';
import { Presence } from './presence.js';
import { Replication } from './replication.js';
import { RunAlone } from './run-alone.js';
import { createSlots, interruptCold, type Running, type Slot } from './slots.js';
import { Tasks } from './tasks.js';
import { QueueWaiter } from './wait.js';

export { getCurrentJob } from '../execute.js';
export type { IsolationOptions } from './isolated.js';
export type { DequeueStrategy, ExceptionHandler, Logger, WorkOptions, WorkerEvents, WorkerOptions } from './options.js';

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
  readonly #slots: Slot[];
  readonly #tasks: Tasks;
  readonly #presence: Presence;
  readonly #chores: Chores;
  /** Run and wait times, retries, timeouts and abandoned jobs, written by the chores (job-stats.ts). */
  readonly #stats: JobStats;
  readonly #commands: CommandListener;
  readonly #replication: Replication;
  /** Jobs abandoned before run alone. */
  readonly #alone: RunAlone;
  /** The loop's sleep: a freed slot, an answered step or a stop wakes it. */
  readonly #loopSleep = new Wakeable();
  /** Endings of this tick, sent together. */
  readonly #pending: PendingEndings;
  /** Endings a step could not record (Redis full or unreachable), sent again until Redis takes them. */
  readonly #held: HeldEndings;
  #waiter: QueueWaiter | undefined;
  #working: Promise<number> | undefined;
  #options: WorkOptions = {};
  #stopping = false;
  #cold = false;
  /** An error that does not heal (a missing permission): the worker stops, and work() rejects with it. */
  #fatal: Error | undefined;
  /** Whether the last step found rq:suspended. */
  #suspended = false;
  /** Whether the last step that asked for jobs found fewer than it asked: the queues are empty. */
  #drained = false;
  /** Index of the queue that gave the last job, for round_robin. */
  #lastQueueIndex = -1;
  /** Jobs started since work() began, and when the last one started (for maxIdleTime). */
  #started = 0;
  #idleSince = 0;
  /** Steps sent and not yet answered. */
  #stepsInFlight = 0;
  /** When the last step was sent (epoch ms): the steps admit due rate limits (due-rate-limits.ts). */
  #lastStepAt = 0;

  /**
   * @param queues queue names or {@link Queue}s, highest priority first.
   * @throws {NoRedisConnectionError} without a connection anywhere (an explicit one, the queues',
   * or the connection stack's); {@link InvalidArgumentError} for no queue or a bad option.
   */
  constructor(queues: ReadonlyArray<string | Queue> | string | Queue, options: WorkerOptions = {}) {
    super();
    const config = resolveWorkerConfig(queues, options);
    const report = (error: unknown): void => this.#backgroundError(error);
    this.#config = config;
    this.name = config.name;
    this.connection = config.connection;
    this.queueNames = config.queueNames;
    this.concurrency = config.concurrency;
    this.#pending = new PendingEndings((endings) => this.#send(endings), config.concurrency);
    this.#slots = createSlots(config);
    this.#presence = new Presence(config.connection, config.queueNames, config.workerTtl);
    this.#stats = new JobStats(config.connection);
    this.#chores = new Chores(config, this.#presence, this.#slots, report, () => this.#lastStepAt, this.#stats);
    this.#tasks = new Tasks(config, this, {
      end: (slot, running, outcome) => this.#queueEnding(slot, running, outcome),
      release: (slot, running) => this.#release(slot, running),
      report,
      stats: this.#stats,
    });
    const isStopping = (): boolean => this.#stopping;
    this.#commands = new CommandListener(config.connection, config.name, this.#slots, {
      received: (command, slot) => this.emit('command:received', command, slot.name),
      shutdown: () => this.stop(),
      isStopping,
      report,
    });
    this.#alone = new RunAlone(config, report);
    this.#replication = new Replication(config, this, report);
    this.#held = new HeldEndings(config, this, this.#loopSleep, {
      send: (endings) => this.#step(endings, []),
      release: ({ slot, running }) => this.#release(slot, running),
      isFatal: () => this.#fatal !== undefined,
      isStopping,
      report,
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
    this.#chores.start(options);
    this.#config.logger.info(`Worker ${this.key} started, pid ${process.pid}, ${this.concurrency} slot(s), listening on ${this.queueNames.join(', ')}`);
    this.emit('worker:started');
    const stopWatching = this.#replication.watch();
    try {
      await this.#chores.runFirst();
      await this.#commands.listen();
      await this.#loop();
    } finally {
      this.#stopping = true; // the loop is over: steps still to come end jobs and start none
      stopWatching();
      await this.#chores.stop();
      if (this.#cold) this.#interruptAll();
      while (this.#isBusy()) await this.#nextChange();
      await this.#stats.flush().catch((error: unknown) => this.#backgroundError(error));
      this.#waiter?.close();
      this.#waiter = undefined;
      this.#tasks.close();
      this.#commands.close();
      await this.#presence.unregister(this.#slots).catch((error: unknown) => this.#backgroundError(error)); // its keys expire anyway
      this.#config.logger.info(`Worker ${this.key} stopped after ${this.#started} job(s)`);
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
      await this.#presence.showState(this.#slots, 'suspended');
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
    this.#waiter ??= new QueueWaiter(this.connection, this.queueNames.map((name) => queueKey(name, layoutOf(this.connection))), this.name);
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
    this.#lastStepAt = Date.now();
    try {
      const { durability } = this.#config;
      const writers = durability && endings.length > 0 ? await this.#replication.writers(endings) : undefined;
      const result = await step(
        this.connection,
        {
          endings: endings.map((ending) => ending.record),
          idleTtl: this.#config.workerTtl + HEARTBEAT_GRACE,
          disableDefaultExceptionHandler: this.#config.disableDefaultExceptionHandler,
          ...(asked.length > 0 && {
            start: {
              slots: asked.map((slot) => slot.name),
              queueKeys: order.map((name) => queueKey(name, layoutOf(this.connection))),
              firstQueue: this.#config.dequeueStrategy === 'round_robin' ? (this.#lastQueueIndex + 1) % order.length : 0,
              roundRobin: this.#config.dequeueStrategy === 'round_robin',
              heartbeatTtl: this.#config.heartbeatTtl,
            },
          }),
        },
      );
      if (durability && endings.length > 0) await this.#replication.confirm(endings, durability, writers);
      if (result.suspended) this.#suspended = true;
      if (asked.length > 0 && !result.suspended) this.#drained = result.started.length < asked.length;
      endings.forEach(({ slot, running, record }, index) => {
        const status = result.statuses[index]!;
        if (status !== 'fenced') slot.totals = record.totals;
        void this.#tasks.afterEnd(slot, running, { status, error: record.error, again: result.again[index] });
      });
      const back = this.#startAll(result, asked, order, endings, now.getTime());
      // Last first: each goes to the head of its queue, so they keep their order there.
      for (const putBack of back.reverse()) await putBack();
      return result.started.length;
    } finally {
      for (const slot of asked) slot.reserved = false;
      this.#stepsInFlight -= 1;
      this.#loopSleep.wake();
    }
  }

  /**
   * Starts the jobs a step started for the slots `asked`, but for those that must run alone and
   * cannot (this step started others, or others run): returned, to be put back.
   */
  #startAll(result: StepResult, asked: readonly Slot[], order: readonly string[], endings: readonly PendingEnding[], startedAtMs: number): Array<() => Promise<void>> {
    if (!this.#alone.holds) {
      for (const started of result.started) this.#start(asked[started.slotIndex]!, started, order[started.queueIndex]!, started.startedAtText, startedAtMs);
      return [];
    }
    // Jobs that must run alone may, when this step started nothing else and nothing else runs.
    const ended = new Set(endings.map((ending) => ending.running));
    const shared = result.started.length > 1 || this.#slots.some((slot) => slot.running !== undefined && !ended.has(slot.running));
    if (!shared && asked.length > 0) this.#alone.mayStartAlone();
    const back: Array<() => Promise<void>> = [];
    for (const started of result.started) {
      const slot = asked[started.slotIndex]!;
      const queue = order[started.queueIndex]!;
      slot.reserved = false;
      if (!this.#alone.mustRunAlone(started)) {
        this.#start(slot, started, queue, started.startedAtText, startedAtMs);
      } else if (shared) {
        back.push(() => this.#alone.putBack(slot, started, queue, started.startedAtText));
      } else {
        this.#alone.runs(this.#start(slot, started, queue, started.startedAtText, startedAtMs));
      }
    }
    return back;
  }

  /** How many of `wanted` jobs may start now: maxJobs counts the jobs started and those asked for. */
  #budget(wanted: number): number {
    const alone = this.#alone.budget(wanted, this.#slots);
    if (alone !== undefined) return alone;
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

  /** Counts a job the step started for `slot`, and runs it. */
  #start(slot: Slot, started: StartedJob, queue: string, startedAtText: string, startedAtMs: number): Running {
    this.#started += 1;
    this.#idleSince = Date.now();
    this.#lastQueueIndex = this.queueNames.indexOf(queue);
    // A step sent before a cold stop may answer after it: its jobs are interrupted like the others.
    return this.#tasks.start(slot, started, queue, startedAtText, startedAtMs, this.#cold);
  }

  /** Queues the ending of a job that ran for the step at the end of this tick. */
  #queueEnding(slot: Slot, running: Running, outcome: Outcome): void {
    const record = describeEnding(slot.runner, running, outcome, running.job, slot.totals);
    // A finished job needs nothing after its end (its success callback ran before), so its slot
    // can take the next job in the same step; after a failure come callbacks and handlers first.
    const next = outcome.kind === 'finished' && record.error === undefined;
    this.#pending.add({ slot, running, record, next });
  }

  /** Sends one group's endings of a tick in a step that starts the next jobs of their slots; holds them while Redis refuses endings. */
  #send(endings: PendingEnding[]): void {
    if (this.#held.active) {
      this.#held.add(endings);
      return;
    }
    const slots = endings.filter((ending) => ending.next).map((ending) => ending.slot);
    this.#step(endings, slots).catch((error: unknown) => this.#held.hold(endings, error));
  }

  /** Frees the slot of a job that is over, and wakes the loop. */
  #release(slot: Slot, running: Running): void {
    if (slot.running !== running) return;
    slot.running = undefined;
    this.#alone.ended(running);
    this.#loopSleep.wake();
  }

  /** Whether any job runs or ends, or any step is under way. */
  #isBusy(): boolean {
    return this.#pending.waiting || this.#stepsInFlight > 0 || this.#slots.some((slot) => slot.running !== undefined || slot.reserved);
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
    for (const slot of this.#slots) if (slot.running) interruptCold(slot, slot.running);
  }

  #backgroundError(error: unknown): void {
    const reason = toError(toRQError(error));
    if (reason instanceof RedisPermissionError) return this.#fail(reason);
    this.#config.logger.warn(`${this.name}: ${reason.name}: ${reason.message}`);
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
