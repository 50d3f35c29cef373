/**
 * Running a job in the enqueuing process, for a queue with `isAsync: false` (RQ's `is_async=False`,
 * for users' own tests): the job, already stored, is marked started, run here and now, and ended
 * in Redis by the same script as a worker's ending, as RQ's `run_sync`.
 */
import { DEFAULT_RESULT_TTL } from './defaults.js';
import { applyEnding, type Outcome } from './ending.js';
import { UnknownFunctionError, toError } from './errors.js';
import { execute, Interruption } from './execute.js';
import type { Job } from './job.js';
import type { Queue } from './queue.js';
import { finishJob } from './scripts/step.js';
import { serverTime } from './server-time.js';
import { definedTask } from './task.js';
import { formatTimestamp } from './timestamps.js';

/** The worker name a job run with `isAsync: false` records, as RQ's `run_sync`. */
const SYNC_WORKER_NAME = 'sync';

/** Runs a job of `queue` here and now, and ends it in Redis as a worker would (RQ's `run_sync`). */
export async function runSync(queue: Queue, job: Job): Promise<void> {
  const startedAtMs = Date.now(); // for its working time, which never leaves this process
  const startedAtText = formatTimestamp(await serverTime(queue.connection));
  await queue.connection.hset(job.key, { status: 'started', started_at: startedAtText, last_heartbeat: startedAtText, worker_name: SYNC_WORKER_NAME });
  let outcome: Outcome;
  try {
    const fn = definedTask(job.funcName);
    if (!fn) throw new UnknownFunctionError(`Job ${job.id} calls '${job.funcName}', which is not defined in this process: a queue with isAsync false runs only functions defined with defineTask().`);
    outcome = { kind: 'finished', value: await execute(fn, job, new Interruption(), job.timeout ?? queue.defaultTimeout) };
  } catch (error) {
    outcome = { kind: 'failed', error: toError(error) };
  }
  // As RQ's run_sync: one run, whatever the job's repeats.
  const runner = { workerName: SYNC_WORKER_NAME, hasWorkerHash: false, serializer: queue.serializer, defaultResultTtl: DEFAULT_RESULT_TTL, repeats: false };
  const ended = await finishJob(queue.connection, runner, { id: job.id, queue: queue.name, startedAtText, startedAtMs }, outcome, job);
  applyEnding(job, ended);
}
