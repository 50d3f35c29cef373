/**
 * A worker's step on either layout. On a plain Redis it is one script call
 * (finish-and-start-jobs.ts). On a Redis Cluster a script may only touch one slot, and each queue
 * has its own, so a step becomes one call per queue it involves:
 *
 * - each queue's endings go with that queue's call;
 * - jobs are asked of the worker's queues in its order (priority, or round robin), one queue's
 *   call at a time, for the slots the calls before it left free; calls for queues that only
 *   have endings go out together at the end;
 * - dependents of an ended job that wait in other slots are released after, each in its own
 *   slot (release-dependent.ts);
 * - `rq:suspended` is read before any job is asked for, and the worker hashes (busy on a job,
 *   idle with their counts) are written after the calls, by touch-worker.lua: they are in slots
 *   of their own. A worker that dies between the two leaves its hash as it was: its TTL ends it.
 *
 * Each job keeps its start's own time (`startedAtText`), which its ending checks.
 */
import { isCluster, type RedisConnection } from '../connection.js';
import { describeEnding, endingField, type Ending, type EndingRecord, type Execution, type Outcome, type Runner } from '../ending.js';
import type { Job } from '../job.js';
import { SUSPENDED_KEY, queueNameFromKey } from '../keys.js';
import { stepInSlot, type StartRequest, type StartedJob, type Step, type StepResult } from './finish-and-start-jobs.js';
import { touchWorkers, type WorkerSlotWrite } from './heartbeat-job.js';
import { releaseElsewhere, type ElsewhereRelease } from './release-dependent.js';

/**
 * Ends the executions and starts jobs for the free slots: one script call on a plain Redis, one
 * per queue involved on a cluster. The times it writes are Redis server time.
 * @throws {RedisOutOfMemoryError} when Redis is full: the step (on a cluster, that queue's part) is refused whole.
 */
export function step(connection: RedisConnection, request: Step): Promise<StepResult> {
  return isCluster(connection) ? stepOnCluster(connection, request) : stepInSlot(connection, request, '');
}

/** Ends one execution and says what became of the job (a queue with `isAsync: false`). */
export async function finishJob(connection: RedisConnection, runner: Runner, execution: Execution, outcome: Outcome, job: Job | undefined): Promise<Ending> {
  const ending = describeEnding(runner, execution, outcome, job);
  const { statuses, again } = await step(connection, { endings: [ending], idleTtl: 0 });
  return { status: statuses[0]!, error: ending.error, again: again[0] };
}

/** A step on a cluster: one script call per queue, in the order described above. */
async function stepOnCluster(connection: RedisConnection, request: Step): Promise<StepResult> {
  const { endings, start } = request;
  const endingsOf = new Map<string, number[]>();
  endings.forEach((ending, index) => {
    const queue = String(endingField(ending, 'queue'));
    endingsOf.set(queue, [...(endingsOf.get(queue) ?? []), index]);
  });
  const statuses: string[] = [];
  const again: StepResult['again'] = [];
  const elsewhere: ElsewhereRelease[] = [];
  const started: StartedJob[] = [];
  const base = { idleTtl: request.idleTtl, ...(request.disableDefaultExceptionHandler !== undefined && { disableDefaultExceptionHandler: request.disableDefaultExceptionHandler }) };
  /** One queue's call: its endings, and `rest`'s start. */
  const part = async (queue: string, rest: Omit<Step, 'endings'>): Promise<StepResult> => {
    const indices = endingsOf.get(queue) ?? [];
    endingsOf.delete(queue);
    const result = await stepInSlot(connection, { ...rest, endings: indices.map((index) => endings[index]!) }, queue);
    indices.forEach((index, k) => {
      statuses[index] = result.statuses[k]!;
      again[index] = result.again[k];
    });
    elsewhere.push(...result.elsewhere);
    return result;
  };

  const suspended = start !== undefined && start.slots.length > 0 && (await connection.exists(SUSPENDED_KEY)) === 1;
  if (start && !suspended) await askQueues(start, started, base, part);
  await Promise.all([...endingsOf.keys()].map((queue) => part(queue, base)));
  // The endings are recorded: a release that fails now is left to maintenance (releaseDeferred).
  const released = elsewhere.length > 0 ? await releaseElsewhere(connection, elsewhere).catch(() => 0) : 0;
  // A job released into one of the worker's queues may start at once, as in one script call.
  if (released > 0 && start && !suspended && started.length < start.slots.length) await askQueues(start, started, base, part);
  await writeWorkerHashes(connection, request, statuses, started);
  return { statuses, again, suspended, started, elsewhere: [] };
}

/**
 * Asks the worker's queues for jobs, one queue's call at a time, for the slots not yet in
 * `started` (which it fills): by priority, a queue that gave every job asked is asked again, else
 * the next; round robin asks each for one in turn. Stops when the slots are full or every queue
 * in a row gave none.
 */
async function askQueues(start: StartRequest, started: StartedJob[], base: Omit<Step, 'endings' | 'start'>, part: (queue: string, rest: Omit<Step, 'endings'>) => Promise<StepResult>): Promise<void> {
  const queues = start.queueKeys.map((key) => queueNameFromKey(key, 'cluster')!);
  const each = start.roundRobin ? 1 : Infinity;
  let next = start.firstQueue ?? 0;
  let idle = 0; // queues asked in a row that gave nothing
  while (started.length < start.slots.length && idle < queues.length) {
    const index = next % queues.length;
    const slots = start.slots.slice(started.length, started.length + Math.min(each, start.slots.length - started.length));
    const result = await part(queues[index]!, { ...base, start: { slots, queueKeys: [start.queueKeys[index]!], heartbeatTtl: start.heartbeatTtl } });
    const before = started.length;
    for (const job of result.started) started.push({ ...job, slotIndex: before + job.slotIndex, queueIndex: index });
    idle = result.started.length > 0 ? 0 : idle + 1;
    if (start.roundRobin || result.started.length < slots.length) next += 1;
  }
}

/**
 * What the script writes in the worker hashes on a plain Redis, written beside it on a cluster: a
 * slot that started a job is busy on it; a slot whose job ended and that started none is idle;
 * either way with the counts of the job that ended. Only hashes that exist are written.
 */
async function writeWorkerHashes(connection: RedisConnection, request: Step, statuses: readonly string[], started: readonly StartedJob[]): Promise<void> {
  const counts = new Map<string, Record<string, string>>();
  request.endings.forEach((ending: EndingRecord, index) => {
    if (statuses[index] === 'fenced' || endingField(ending, 'has_worker_hash') !== '1') return;
    const finished = endingField(ending, 'outcome') === 'finished';
    counts.set(String(endingField(ending, 'worker')), {
      [finished ? 'successful_job_count' : 'failed_job_count']: String(endingField(ending, 'count')),
      total_working_time: String(endingField(ending, 'working_time')),
    });
  });
  const writes: WorkerSlotWrite[] = [];
  for (const job of started) {
    const worker = request.start!.slots[job.slotIndex]!;
    const fields = { current_job: job.id, current_job_working_time: '0', ...counts.get(worker) };
    const ended = counts.delete(worker);
    writes.push({ worker, ttl: ended ? '' : request.start!.heartbeatTtl, state: 'busy', fields });
  }
  for (const [worker, fields] of counts) writes.push({ worker, ttl: request.idleTtl, state: 'idle', fields, clearCurrentJob: true });
  // One call: a worker's slots share its tag on a cluster (keys.ts' workerNameFor).
  if (writes.length > 0) await touchWorkers(connection, writes);
}
