/**
 * The user's code a worker calls: a job's function, found among the tasks registered with the
 * worker, then those `defineTask` registered in this process, then by importing it under `paths`
 * (DESIGN.md §7a), and run in this process or, in the isolated mode, in a work horse; a job's
 * callbacks, each within its timeout; and the exception handlers, after a failure, as RQ's.
 */
import type { RedisConnection } from '../connection.js';
import { DEFAULT_JOB_TIMEOUT } from '../defaults.js';
import { InvalidArgumentError, JobTimeoutError, UnknownFunctionError } from '../errors.js';
import { execute } from '../execute.js';
import { importFunction, type TaskFunction } from '../functions.js';
import type { CallbackKind, Job } from '../job.js';
import { definedTask } from '../task.js';
import type { WorkerConfig } from './config.js';
import { HorsePool } from './isolated.js';
import type { ExceptionHandler } from './options.js';
import type { Running } from './slots.js';

/** One worker's tasks, work horses and exception handlers. */
export class Tasks {
  readonly #tasks = new Map<string, TaskFunction>();
  readonly #paths: readonly string[];
  readonly #connection: RedisConnection;
  readonly #pool: HorsePool | undefined;
  readonly #exceptionHandlers: ExceptionHandler[];
  /** Where the error of an exception handler goes. */
  readonly #report: (error: unknown) => void;

  /** @throws {InvalidArgumentError} for a task that is not a function. */
  constructor(config: WorkerConfig, report: (error: unknown) => void) {
    this.#paths = config.paths;
    this.#connection = config.connection;
    this.#pool = config.isolation ? new HorsePool(config.connection, config.paths, config.isolation) : undefined;
    this.#exceptionHandlers = [...config.exceptionHandlers];
    this.#report = report;
    for (const [name, fn] of config.tasks) this.register(name, fn);
  }

  /** Registers `fn` under the dotted name jobs call it by. */
  register(name: string, fn: TaskFunction): void {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`Task '${name}' must be a function.`);
    this.#tasks.set(name, fn);
  }

  /** Runs the job's function: in slot `slot`'s work horse when isolated, else in this process. */
  async execute(slot: number, running: Running, job: Job): Promise<unknown> {
    const { interruption } = running;
    const timeout = job.timeout ?? DEFAULT_JOB_TIMEOUT;
    if (!this.#pool) return execute(await this.#resolve(job.funcName, job), job, interruption, timeout);
    const timer = timeout >= 0 ? setTimeout(() => interruption.interrupt(new JobTimeoutError(`Job ${job.id} exceeded its timeout of ${timeout} s; its work horse was killed.`)), timeout * 1000) : undefined;
    try {
      return await this.#pool.run(slot, job.id, running.hash, interruption);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs the job's callback of this kind, if it has one, within its timeout: `(job, connection, ...args)`. */
  async callback(job: Job, kind: CallbackKind, args: unknown[]): Promise<void> {
    const callback = job.callback(kind);
    if (!callback) return;
    const fn = await this.#resolve(callback.name, job);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new JobTimeoutError(`The ${kind} callback ${callback.name} of job ${job.id} exceeded its timeout of ${callback.timeout} s.`)), callback.timeout * 1000);
    });
    try {
      await Promise.race([Promise.resolve(fn(job, this.#connection, ...args)), expired]);
    } finally {
      clearTimeout(timer);
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

  /** Calls the exception handlers in order, until one returns `false`. Never rejects. */
  async handleException(job: Job, error: Error): Promise<void> {
    for (const handler of this.#exceptionHandlers) {
      try {
        if ((await handler(job, error)) === false) break;
      } catch (handlerError) {
        this.#report(handlerError); // a broken handler never stops the worker
      }
    }
  }

  /** Kills the work horses. */
  close(): void {
    this.#pool?.close();
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
