/**
 * A job's run in a slot, from the step that started it to its slot freed, and the user's code it
 * calls: the job read from the hash the step returned (one that cannot be read fails at once);
 * `job:started`; the job's function, found among the tasks registered with the worker, then those
 * `defineTask` registered in this process, then by importing it under `paths` (DESIGN.md §7a),
 * and run in this process or, in the isolated mode, in a work horse; the success callback (as RQ,
 * before the job is recorded: a throw fails it). Once a step has recorded the end: the failure or
 * stopped callback, each within its timeout, the job's event, RQ's exception handlers. Nothing
 * the user's code throws stops the worker.
 */
import type { EventEmitter } from 'node:events';
import type { RedisConnection } from '../connection.js';
import { DEFAULT_JOB_TIMEOUT } from '../defaults.js';
import { asRateLimitError, InvalidArgumentError, JobStoppedError, type RateLimitError, JobTimeoutError, UnknownFunctionError, toError } from '../errors.js';
import { applyEnding, type Ending, type Outcome } from '../ending.js';
import { execute, Interruption } from '../execute.js';
import { startConsumerSpan } from '../tracing.js';
import { importFunction, type TaskFunction } from '../functions.js';
import { Job, type CallbackKind } from '../job.js';
import type { JobStats } from '../job-stats.js';
import type { StartedJob } from '../scripts/finish-and-start-jobs.js';
import type { Serializer } from '../serializers/index.js';
import { definedTask } from '../task.js';
import type { WorkerConfig } from './config.js';
import { HorsePool } from './isolated.js';
import type { ExceptionHandler, WorkerEvents } from './options.js';
import { interruptCold, type Running, type Slot } from './slots.js';
import { parseTimestamp } from '../timestamps.js';
import { afterSeconds } from '../deadline.js';

/** What the tasks need of their worker. */
export interface TasksHost {
  /** Queues the ending of a job that ran for the next step. */
  end(slot: Slot, running: Running, outcome: Outcome): void;
  /** Frees the slot of a job that is over. */
  release(slot: Slot, running: Running): void;
  /** Reports an error that does not stop the worker (a throwing listener, callback or handler). */
  report(error: unknown): void;
  /** The worker's job statistics, which each ending adds to. */
  readonly stats: JobStats;
}

/** How one worker runs its jobs: its tasks, work horses and exception handlers. */
export class Tasks {
  readonly #tasks = new Map<string, TaskFunction>();
  readonly #paths: readonly string[];
  readonly #connection: RedisConnection;
  readonly #serializer: Serializer;
  readonly #pool: HorsePool | undefined;
  readonly #exceptionHandlers: ExceptionHandler[];
  readonly #events: EventEmitter<WorkerEvents>;
  readonly #host: TasksHost;

  /** @throws {InvalidArgumentError} for a task that is not a function. */
  constructor(config: WorkerConfig, events: EventEmitter<WorkerEvents>, host: TasksHost) {
    this.#paths = config.paths;
    this.#connection = config.connection;
    this.#serializer = config.serializer;
    this.#pool = config.isolation ? new HorsePool(config.connection, config.paths, config.isolation) : undefined;
    this.#exceptionHandlers = [...config.exceptionHandlers];
    this.#events = events;
    this.#host = host;
    for (const [name, fn] of config.tasks) this.register(name, fn);
  }

  /** Registers `fn` under the dotted name jobs call it by. */
  register(name: string, fn: TaskFunction): void {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`Task '${name}' must be a function.`);
    this.#tasks.set(name, fn);
  }

  /**
   * A job a step started for `slot`: runs it, or ends it failed at once when its data cannot be
   * read; interrupted at once when the worker was `cold` stopped meanwhile.
   */
  start(slot: Slot, started: StartedJob, queue: string, startedAtText: string, startedAtMs: number, cold: boolean): Running {
    const { id, hash } = started;
    let job: Job | undefined;
    let unreadable: Error | undefined;
    try {
      job = Job.fromHash(id, hash, this.#connection, this.#serializer);
    } catch (error) {
      unreadable = toError(error); // a job whose data cannot be read fails alone; the worker goes on
    }
    // Every field from the start, so that each running job has one shape (V8's hidden class) on the hot path.
    const running: Running = { id, job, hash, queue, startedAtText, startedAtMs, interruption: new Interruption(), trace: undefined, ranSeconds: undefined };
    slot.running = running;
    slot.stale = false; // the step wrote it busy
    if (cold) interruptCold(slot, running);
    if (job) void this.run(slot, running, job);
    else this.#host.end(slot, running, { kind: 'failed', error: unreadable! });
    return running;
  }

  /** Runs the job, then queues its ending for the next step. Never rejects. */
  async run(slot: Slot, running: Running, job: Job): Promise<void> {
    try {
      this.#events.emit('job:started', job, running.queue);
    } catch (error) {
      this.#host.report(error); // a throwing event listener never fails the job
    }
    let outcome: Outcome;
    running.trace = startConsumerSpan(running.queue, job, slot.name);
    const began = performance.now();
    try {
      const { trace } = running;
      outcome = { kind: 'finished', value: await (trace ? trace.run(() => this.#succeed(slot, running, job)) : this.#succeed(slot, running, job)) };
    } catch (error) {
      const held = asRateLimitError(error);
      if (held) outcome = { kind: 'held', error: held };
      else outcome = { kind: error instanceof JobStoppedError ? 'stopped' : 'failed', error: toError(error) };
    }
    running.ranSeconds = (performance.now() - began) / 1000;
    this.#host.end(slot, running, outcome);
  }

  /** What follows a job's end in Redis: callbacks, events, exception handlers; then its slot is free. Never rejects. */
  async afterEnd(slot: Slot, running: Running, ending: Ending): Promise<void> {
    const { job, queue } = running;
    try {
      if (!job) {
        this.#events.emit('job:failed', undefined, queue, ending.error!, 0);
        return;
      }
      running.trace?.end(ending.status, ending.error);
      this.#record(running, job, ending);
      applyEnding(job, ending);
      if (ending.status === 'failed') await this.#callback(job, 'failure', [ending.error]).catch((error: unknown) => this.#host.report(error));
      if (ending.status === 'stopped') await this.#callback(job, 'stopped', []).catch((error: unknown) => this.#host.report(error));
      const seconds = (Date.now() - running.startedAtMs) / 1000;
      if (ending.status === 'finished' || ending.status === 'repeated') this.#events.emit('job:finished', job, queue, seconds);
      else if (ending.status === 'retried') this.#events.emit('job:retried', job, queue, ending.error!);
      else if (ending.status === 'stopped') this.#events.emit('job:stopped', job, queue);
      else if (ending.status === 'held') this.#events.emit('job:held', job, queue, ending.error as RateLimitError);
      else if (ending.status === 'failed') this.#events.emit('job:failed', job, queue, ending.error!, seconds);
      // As RQ: the handlers see failures, retried or not, after the job is recorded; not a stop.
      if ((ending.status === 'failed' || ending.status === 'retried') && ending.error) await this.#handleException(job, ending.error);
    } catch (error) {
      this.#host.report(error); // a throwing event listener never stops the worker
    } finally {
      this.#host.release(slot, running);
    }
  }

  /** Adds a job's ending to the worker's statistics (a fenced ending was another's to count). */
  #record(running: Running, job: Job, ending: Ending): void {
    if (ending.status === 'fenced') return;
    // The step's time, which the job's hash read a moment ago: parseTimestamp remembers it.
    const startedAtMs = parseTimestamp(running.startedAtText)?.getTime() ?? NaN;
    const enqueuedAtMs = job.enqueuedAt?.getTime();
    this.#host.stats.recordEnd({
      queue: running.queue,
      func: job.funcName,
      runSeconds: running.ranSeconds,
      waitSeconds: enqueuedAtMs !== undefined && startedAtMs >= enqueuedAtMs ? (startedAtMs - enqueuedAtMs) / 1000 : undefined,
      endedAtMs: startedAtMs + (running.ranSeconds ?? 0) * 1000,
      retried: ending.status === 'retried',
      timedOut: ending.error instanceof JobTimeoutError,
    });
  }

  /**
   * Runs the job's function, then, as RQ, its success callback before the job is recorded (a throw
   * there fails the job). Not an async function: a job without a success callback gets the
   * function's own promise, with no promise or microtask turn added on its way (an async layer
   * here took a no-op job from 26 to 28 promises, async_hooks count).
   */
  #succeed(slot: Slot, running: Running, job: Job): Promise<unknown> {
    const ran = this.#execute(slot.index, running, job);
    if (!job.callback('success')) return ran;
    return ran.then(async (value) => {
      await this.#callback(job, 'success', [value]);
      return value;
    });
  }

  /** Runs the job's function: in slot `slot`'s work horse when isolated, else in this process. */
  #execute(slot: number, running: Running, job: Job): Promise<unknown> {
    const { interruption } = running;
    const timeout = job.timeout ?? DEFAULT_JOB_TIMEOUT;
    if (this.#pool) return this.#executeInHorse(this.#pool, slot, running, job, timeout);
    // A function already known is called at once: no promise of a lookup on a job's way.
    const known = this.#tasks.get(job.funcName) ?? definedTask(job.funcName);
    if (known) return execute(known, job, interruption, timeout);
    return this.#resolve(job.funcName, job).then((fn) => execute(fn, job, interruption, timeout));
  }

  /** Runs the job in slot `slot`'s work horse of `pool` (the isolated mode), killed at its timeout. */
  async #executeInHorse(pool: HorsePool, slot: number, running: Running, job: Job, timeout: number): Promise<unknown> {
    const { interruption } = running;
    const cancelTimeout = timeout >= 0 ? afterSeconds(timeout, () => interruption.interrupt(new JobTimeoutError(`Job ${job.id} exceeded its timeout of ${timeout} s; its work horse was killed.`))) : undefined;
    try {
      return await pool.run(slot, job.id, running.hash, interruption);
    } finally {
      cancelTimeout?.();
    }
  }

  /** Runs the job's callback of this kind, if it has one, within its timeout: `(job, connection, ...args)`. */
  async #callback(job: Job, kind: CallbackKind, args: unknown[]): Promise<void> {
    const callback = job.callback(kind);
    if (!callback) return;
    const fn = await this.#resolve(callback.name, job);
    let cancelTimeout: (() => void) | undefined;
    const expired = new Promise<never>((_, reject) => {
      cancelTimeout = afterSeconds(callback.timeout, () => reject(new JobTimeoutError(`The ${kind} callback ${callback.name} of job ${job.id} exceeded its timeout of ${callback.timeout} s.`)));
    });
    try {
      await Promise.race([Promise.resolve(fn(job, this.#connection, ...args)), expired]);
    } finally {
      cancelTimeout?.();
    }
  }

  /** Adds an exception handler at the end of the chain. */
  pushExceptionHandler(handler: ExceptionHandler): void {
    this.#exceptionHandlers.push(handler);
  }

  /** Removes the last exception handler and returns it. */
  popExceptionHandler(): ExceptionHandler | undefined {
    return this.#exceptionHandlers.pop();
  }

  /** Kills the work horses. */
  close(): void {
    this.#pool?.close();
  }

  /** Calls the exception handlers in order, until one returns `false`. Never rejects. */
  async #handleException(job: Job, error: Error): Promise<void> {
    for (const handler of this.#exceptionHandlers) {
      try {
        if ((await handler(job, error)) === false) break;
      } catch (handlerError) {
        this.#host.report(handlerError); // a broken handler never stops the worker
      }
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
}
