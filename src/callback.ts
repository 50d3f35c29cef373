/**
 * Job callbacks, as RQ's `Callback(func, timeout)`: a function run by the worker when the job
 * finishes (`onSuccess`), fails (`onFailure`) or is stopped (`onStopped`). A job stores each
 * callback by its dotted name (`success_callback_name`...), so the worker finds it as it finds job
 * functions; a Python callback name therefore only runs on a Python worker, and the reverse.
 */
import { InvalidArgumentError } from './errors.js';
import { taskName, type Task } from './task.js';

/** RQ's default callback timeout, in seconds (`CALLBACK_TIMEOUT`). */
export const DEFAULT_CALLBACK_TIMEOUT = 60;

/** A callback: the dotted name of its function and its timeout. */
export class Callback {
  /** The dotted name stored in the job. */
  readonly name: string;
  /** Seconds the callback may run. */
  readonly timeout: number;
  /** Whether the timeout was given (RQ stores `*_callback_timeout` only then). */
  readonly hasTimeout: boolean;

  /**
   * @param fn a task handle from `defineTask`, or a dotted function name.
   * @throws {InvalidArgumentError} for an empty name or a timeout that is not a positive whole number.
   */
  constructor(fn: Task<any[], unknown> | string, options: { timeout?: number } = {}) {
    this.name = taskName(fn);
    if (typeof this.name !== 'string' || !/^\S+$/.test(this.name)) throw new InvalidArgumentError(`Bad callback '${String(this.name)}': give a task handle or a dotted function name.`);
    if (options.timeout !== undefined && (!Number.isInteger(options.timeout) || options.timeout <= 0)) {
      throw new InvalidArgumentError(`Callback timeout must be a positive whole number of seconds, got ${options.timeout}.`);
    }
    this.timeout = options.timeout ?? DEFAULT_CALLBACK_TIMEOUT;
    this.hasTimeout = options.timeout !== undefined;
  }
}

/** A callback as options take it: a Callback, a task handle or a dotted name. */
export type CallbackRef = Callback | Task<any[], unknown> | string;

/** `ref` as a Callback. */
export function toCallback(ref: CallbackRef): Callback {
  return ref instanceof Callback ? ref : new Callback(ref);
}
