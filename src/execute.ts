/**
 * Running one job's function in this process: its arguments (Python kwargs as a trailing object),
 * the current-job context, an AbortSignal, and the job timeout. A function that ignores its
 * signal cannot be stopped in-process; the job is ended at its timeout all the same, and the
 * isolated mode exists for code that must really be killed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterDeadline } from './deadline.js';
import { JobTimeoutError } from './errors.js';
import type { TaskFunction } from './functions.js';
import { attachInterruption, type Job } from './job.js';

// Kept on globalThis so that two copies of rq-ts in one process (a monorepo, a bundled CLI)
// still agree on the running job.
const runningJob: AsyncLocalStorage<Job> = ((globalThis as Record<symbol, unknown>)[Symbol.for('rq-ts:running-job')] ??= new AsyncLocalStorage<Job>()) as AsyncLocalStorage<Job>;

/**
 * The job being run, when called from inside a job function (or anything it awaits), as RQ's
 * `get_current_job()`; undefined elsewhere. Its `signal` aborts at the job's timeout, on a
 * stop-job command and on a cold shutdown.
 */
export function getCurrentJob(): Job | undefined {
  return runningJob.getStore();
}

/**
 * How a running job is stopped early: at its timeout, by a stop-job or kill-horse command, or by
 * a cold shutdown. The AbortSignal a job sees is made only when the job asks for it
 * (`job.signal`): an AbortSignal costs Node about 4 µs, more than running a small job.
 */
export class Interruption {
  #reason: Error | undefined;
  #controller: AbortController | undefined;
  #listener: ((reason: Error) => void) | undefined;

  /** Why the job was interrupted; undefined while it was not. */
  get reason(): Error | undefined {
    return this.#reason;
  }

  /** A signal that aborts when the job is interrupted, with the reason; made on first use. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Interrupts the job (the first reason wins): aborts its signal and tells the listener. */
  interrupt(reason: Error): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#listener?.(reason);
  }

  /** Calls `listener` when the job is interrupted, at once if it already was; undefined removes it. */
  listen(listener: ((reason: Error) => void) | undefined): void {
    this.#listener = listener;
    if (listener && this.#reason) listener(this.#reason);
  }
}

/**
 * Calls `fn` for `job` and resolves to what it returns. Rejects with the interruption's reason as
 * soon as it is interrupted, and with {@link JobTimeoutError} (interrupting it) once
 * `timeoutSeconds` pass (-1: never), counted from the call.
 *
 * A function that returns a plain value has ended before anything could interrupt it (a job
 * interrupted before its call still rejects with the reason): it gets no timer and no listener,
 * and resolves through one promise. The timer of one that returns a promise starts after its
 * synchronous part, for what is left of the timeout (0 ms when that part alone took longer), and
 * never fires before the whole timeout has passed since the call.
 * Counted with bench:counts, a no-op job at concurrency 1 went from 1.0 timer to none.
 */
export function execute(fn: TaskFunction, job: Job, interruption: Interruption, timeoutSeconds: number): Promise<unknown> {
  const args = Object.keys(job.kwargs).length > 0 ? [...job.args, job.kwargs] : job.args;
  attachInterruption(job, interruption);
  const calledAt = timeoutSeconds >= 0 ? performance.now() : 0;
  let returned: unknown;
  try {
    returned = runningJob.run(job, () => fn(...args));
  } catch (error) {
    return Promise.reject(interruption.reason ?? error); // thrown before any await: the job fails as with a rejection
  }
  if (interruption.reason) {
    // Interrupted before its call: its outcome no longer counts, but a later rejection of what it
    // returned must not go unhandled (Node would end the process).
    if (isThenable(returned)) returned.then(undefined, () => undefined);
    return Promise.reject(interruption.reason);
  }
  if (!isThenable(returned)) return Promise.resolve(returned);
  const running = returned;
  return new Promise((resolve, reject) => {
    const cancelTimeout = timeoutSeconds >= 0 ? afterDeadline(calledAt + timeoutSeconds * 1000, () => interruption.interrupt(new JobTimeoutError(`Job ${job.id} exceeded its timeout of ${timeoutSeconds} s.`))) : undefined;
    const settle = () => {
      cancelTimeout?.();
      interruption.listen(undefined);
    };
    interruption.listen((reason) => {
      settle();
      reject(reason);
    });
    running.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
