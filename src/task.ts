/**
 * Typed task handles. `defineTask('tasks.sendEmail', sendEmail)` names a function as RQ names
 * functions, so that `queue.enqueue(sendEmail, to, subject)` type-checks its arguments, and
 * registers it in this process, so a worker here runs it without more setup.
 */
import { InvalidArgumentError } from './errors.js';
import type { TaskFunction } from './functions.js';

/**
 * A function with the name jobs call it by. `A` are its arguments, `R` what it returns: a job
 * enqueued from the task is a `Job<Awaited<R>>`, its result typed.
 */
export interface Task<A extends unknown[] = never[], R = unknown> {
  /** The dotted name stored in jobs (`"tasks.sendEmail"`). */
  readonly name: string;
  /** The function. */
  readonly fn: (...args: A) => R;
}

// Kept on globalThis so that two copies of rq-ts in one process share the tasks defined.
const defined: Map<string, Task<any[], unknown>> = ((globalThis as Record<symbol, unknown>)[Symbol.for('rq-ts:defined-tasks')] ??= new Map()) as Map<string, Task<any[], unknown>>;

/**
 * Names `fn` for jobs, and registers it with every worker of this process.
 * @example
 * export const sendEmail = defineTask('tasks.sendEmail', async (to: string, subject: string) => { ... });
 * const job = await queue.enqueue(sendEmail, 'ada@example.com', 'Hello'); // checked: (to: string, subject: string)
 * await job.returnValue(); // typed: what sendEmail resolves to, or null until it has finished
 * @throws {InvalidArgumentError} for an empty name, or a name already defined with another function.
 */
export function defineTask<A extends unknown[], R>(name: string, fn: (...args: A) => R): Task<A, R> {
  if (typeof name !== 'string' || !/^\S+$/.test(name)) throw new InvalidArgumentError(`Bad task name '${String(name)}': use a dotted name without spaces, such as tasks.sendEmail.`);
  if (typeof fn !== 'function') throw new InvalidArgumentError(`Task '${name}' must be a function.`);
  const existing = defined.get(name);
  if (existing !== undefined) {
    if (existing.fn !== fn) throw new InvalidArgumentError(`Task '${name}' is already defined with another function.`);
    return existing as Task<A, R>;
  }
  const task = Object.freeze({ name, fn });
  defined.set(name, task as Task<any[], unknown>);
  return task;
}

/** The function defined under `name` in this process, if any. */
export function definedTask(name: string): TaskFunction | undefined {
  return defined.get(name)?.fn as TaskFunction | undefined;
}

/** A task handle or a function name. */
export type TaskRef = Task<never[], unknown> | string;

/** The function name of a task handle or name. */
export function taskName(task: Task<never[], unknown> | Task<any[], unknown> | string): string {
  return typeof task === 'string' ? task : task.name;
}
