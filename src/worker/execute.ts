/**
 * Running one job's function in this process: its arguments (Python kwargs as a trailing object),
 * the current-job context, an AbortSignal, and the job timeout. A function that ignores its
 * signal cannot be stopped in-process; the job is ended at its timeout all the same, and the
 * isolated mode exists for code that must really be killed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { JobTimeoutError } from '../errors.js';
import type { TaskFunction } from '../functions.js';
import type { Job } from '../job.js';

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
 * Calls `fn` for `job` and resolves to what it returns. Rejects with `controller`'s abort reason
 * as soon as it is aborted, and with {@link JobTimeoutError} (aborting `controller`) once
 * `timeoutSeconds` pass (-1: never).
 */
export async function execute(fn: TaskFunction, job: Job, controller: AbortController, timeoutSeconds: number): Promise<unknown> {
  const args = Object.keys(job.kwargs).length > 0 ? [...job.args, job.kwargs] : job.args;
  const timer =
    timeoutSeconds >= 0
      ? setTimeout(() => controller.abort(new JobTimeoutError(`Job ${job.id} exceeded its timeout of ${timeoutSeconds} s.`)), timeoutSeconds * 1000)
      : undefined;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(controller.signal.reason);
    if (controller.signal.aborted) onAbort();
    else controller.signal.addEventListener('abort', onAbort, { once: true });
  });
  job.signal = controller.signal;
  try {
    return await Promise.race([runningJob.run(job, async () => fn(...args)), aborted]);
  } finally {
    clearTimeout(timer);
    controller.signal.removeEventListener('abort', onAbort!);
  }
}
