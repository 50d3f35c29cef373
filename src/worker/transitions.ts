/**
 * A worker's transitions in Redis: ending executions of jobs and starting the next ones, batched
 * in one script call (finish-and-start-jobs.lua). An ending carries the result or error in RQ's
 * encodings (base64 of the serialized return value; base64 of zlib of the error text) and the
 * TTL; a start names the worker slot the job is for. The script leaves what RQ 1.13's worker
 * leaves, one job at a time, so the batch is only a saving of round trips.
 */
import type { RedisConnection } from '../connection.js';
import { DEFAULT_FAILURE_TTL } from '../defaults.js';
import { UnserializableResultError } from '../errors.js';
import type { Job } from '../job.js';
import {
  GROUP_KEY_PREFIX,
  JOB_KEY_PREFIX,
  THROUGHPUT_KEY_PREFIX,
  QUEUES_KEY,
  QUEUE_KEY_PREFIX,
  SUSPENDED_KEY,
  MEMORY_GUARD_KEY,
  WORKER_KEY_PREFIX,
  deferredRegistryKey,
  failedRegistryKey,
  finishedRegistryKey,
  resultsKey,
  scheduledRegistryKey,
  startedRegistryKey,
} from '../keys.js';
import { scripts } from '../scripts/index.js';
import { pack, unpack, type Packable } from '../scripts/pack.js';
import type { Serializer } from '../serializers/index.js';
import { zlibWrap } from '../zlib-format.js';

/** How a job's function ended. */
export type Outcome = { kind: 'finished'; value: unknown } | { kind: 'failed' | 'stopped'; error: Error };

/** One execution of a job: what ending it needs. */
export interface Execution {
  readonly id: string;
  readonly queue: string;
  /** started_at as written when the job started: the fence that ending it checks. */
  readonly startedAtText: string;
  readonly startedAtMs: number;
}

/** Who ran the job: a worker slot, or nobody (a queue with `isAsync: false`). */
export interface Runner {
  /** The worker name written in the job (a slot's name, or RQ's "sync"). */
  readonly workerName: string;
  /** Whether a worker hash (`rq:worker:<workerName>`) counts the job and goes idle after it. */
  readonly hasWorkerHash: boolean;
  readonly serializer: Serializer;
  /** Result TTL of jobs without their own, in seconds. */
  readonly defaultResultTtl: number;
  /** Whether a finished job with repeats left comes back for its next run (a worker: yes; RQ's run_sync, for isAsync false: no). */
  readonly repeats: boolean;
}

/** What became of a job: `finished`, `failed`, `stopped`, `retried`, `repeated` (finished, and back for its next run), or `fenced` when it was no longer this execution's. */
export interface Ending {
  readonly status: string;
  /** The error the job ended with, when it failed (also when its result could not be encoded). */
  readonly error: Error | undefined;
  /** The status a retried or repeated job has now: `queued`, or `scheduled` for a later run. */
  readonly again?: 'queued' | 'scheduled' | undefined;
}

/**
 * Brings the job read at its start in line with what the step wrote at its end, so that events
 * and logs show what Redis holds: its status, and for a retried (repeated) job `retries_left`
 * (`repeats_left`) one lower, as retry_job (repeat_job) left it. A fenced ending changed nothing.
 */
export function applyEnding(job: Job, ending: Ending): void {
  if (ending.status === 'retried') job.retriesLeft = Math.max((job.retriesLeft ?? 0) - 1, 0);
  if (ending.status === 'repeated') job.repeatsLeft = Math.max((job.repeatsLeft ?? 0) - 1, 0);
  if (ending.again !== undefined) job.status = ending.again;
  else if (ending.status === 'finished' || ending.status === 'failed' || ending.status === 'stopped') job.status = ending.status;
}

/** What a worker slot's hash counts: RQ's successful_job_count, failed_job_count and total_working_time. */
export interface WorkerTotals {
  readonly successful: number;
  readonly failed: number;
  /** Seconds. */
  readonly workingTime: number;
}

/** An ending ready to send: the script's record, the error it carries, and the worker's totals once it is counted. */
export interface EndingRecord {
  readonly entry: Packable[];
  readonly error: Error | undefined;
  readonly totals: WorkerTotals;
}

/** A slot's totals before its first job. */
export const NO_TOTALS: WorkerTotals = Object.freeze({ successful: 0, failed: 0, workingTime: 0 });

/** Jobs to start: one per slot, from these queues. */
export interface StartRequest {
  /** Worker names of the free slots, in the order they are served. */
  readonly slots: readonly string[];
  /** Queue keys, highest priority first. */
  readonly queueKeys: readonly string[];
  /** Index of the queue to try first. @default 0 */
  readonly firstQueue?: number;
  /** Look for each further job from the queue after the one that gave the last (round_robin). */
  readonly roundRobin?: boolean;
  /** Seconds until a started job counts as abandoned without a heartbeat. */
  readonly heartbeatTtl: number;
}

/** A job the script started: for which slot, from which queue, and its hash as it now is. */
export interface StartedJob {
  readonly slotIndex: number;
  readonly queueIndex: number;
  readonly id: string;
  readonly hash: Record<string, Buffer>;
}

/** What one step did: per ending, what became of the job; whether rq:suspended held starts back; the jobs started. */
export interface StepResult {
  readonly statuses: string[];
  /** Per ending, the status a retried or repeated job has now; undefined for the others. */
  readonly again: Array<'queued' | 'scheduled' | undefined>;
  readonly suspended: boolean;
  readonly started: StartedJob[];
  /**
   * The step's time, Redis server time as RQ timestamp text: the `started_at` (and
   * `last_heartbeat`) written in the jobs it started, which ending them checks (the fence).
   */
  readonly startedAtText: string;
}

/** One step of a worker. */
export interface Step {
  readonly endings: readonly EndingRecord[];
  /** Worker key TTL once idle, in seconds. */
  readonly idleTtl: number;
  /** Leave failed jobs out of the failed registry and the results stream (RQ's `disable_default_exception_handler`). */
  readonly disableDefaultExceptionHandler?: boolean;
  readonly start?: StartRequest;
}

/** The key prefixes the script derives keys from, in its order; packed once. */
const PREFIXES = pack([
  JOB_KEY_PREFIX,
  QUEUE_KEY_PREFIX,
  startedRegistryKey(''),
  finishedRegistryKey(''),
  failedRegistryKey(''),
  resultsKey(''),
  WORKER_KEY_PREFIX,
  scheduledRegistryKey(''),
  deferredRegistryKey(''),
  GROUP_KEY_PREFIX,
  THROUGHPUT_KEY_PREFIX,
]);

const STARTED = Buffer.from('started');

/**
 * Describes the end of an execution for {@link step}: the result, or the error text, encoded as
 * RQ encodes them, the TTL, and the worker's totals with this job counted (`totals`: before it). A
 * return value the serializer cannot encode fails the job with {@link UnserializableResultError}.
 */
export function describeEnding(runner: Runner, execution: Execution, outcome: Outcome, job: Job | undefined, totals: WorkerTotals = NO_TOTALS): EndingRecord {
  let field = '';
  let value = '';
  if (outcome.kind === 'finished' && outcome.value !== undefined && outcome.value !== null) {
    try {
      value = Buffer.from(runner.serializer.dumps(outcome.value)).toString('base64');
      field = 'return_value';
    } catch (error) {
      const reason = new UnserializableResultError(`Job ${execution.id} returned a value the serializer cannot encode (${(error as Error).message}): return plain JSON data.`, { cause: error });
      return describeEnding(runner, execution, { kind: 'failed', error: reason }, job, totals);
    }
  }
  let ttl: number;
  if (outcome.kind === 'finished') {
    ttl = wholeTtl(job?.resultTtl ?? runner.defaultResultTtl);
  } else {
    ttl = wholeTtl(job?.failureTtl ?? DEFAULT_FAILURE_TTL);
    field = 'exc_string';
    value = zlibWrap(Buffer.from(describeError(outcome.error))).toString('base64');
  }
  const seconds = (Date.now() - execution.startedAtMs) / 1000;
  const finished = outcome.kind === 'finished';
  const after: WorkerTotals = {
    successful: totals.successful + (finished ? 1 : 0),
    failed: totals.failed + (finished ? 0 : 1),
    workingTime: totals.workingTime + seconds,
  };
  const entry: Packable[] = [
    execution.id,
    execution.queue,
    runner.workerName,
    outcome.kind,
    ttl,
    job?.failureTtl !== undefined ? '1' : '0',
    field,
    value,
    seconds,
    execution.startedAtText,
    runner.hasWorkerHash ? '1' : '0',
    finished ? after.successful : after.failed,
    after.workingTime,
    finished && runner.repeats && (job?.repeatsLeft ?? 0) > 0 ? '1' : '0',
  ];
  return { entry, error: finished ? undefined : outcome.error, totals: after };
}

/**
 * Ends the executions and starts jobs for the free slots, in one script call. The times it writes
 * (ended_at, started_at, last_heartbeat, registry scores) are Redis server time, read in the script.
 */
export async function step(connection: RedisConnection, { endings, idleTtl, disableDefaultExceptionHandler, start }: Step): Promise<StepResult> {
  const queueKeys = start?.queueKeys ?? [];
  const reply = (await scripts(connection, true).finishAndStartJobs(
    [QUEUES_KEY, SUSPENDED_KEY, MEMORY_GUARD_KEY, ...queueKeys],
    [
      PREFIXES,
      pack([
        endings.map((ending) => ending.entry),
        disableDefaultExceptionHandler ? '1' : '0',
        idleTtl,
        start?.slots ?? [],
        start?.heartbeatTtl ?? 0,
        (start?.firstQueue ?? 0) + 1,
        start?.roundRobin ? '1' : '0',
      ]),
    ],
  )) as Buffer;
  const [statuses, suspended, started, again, now] = unpack(reply) as [Buffer[], number, Array<[number, number, Buffer, Buffer[]]>, Buffer[], Buffer];
  return {
    startedAtText: now.toString(),
    statuses: statuses.map(String),
    again: again.map((status) => (status.length > 0 ? (String(status) as 'queued' | 'scheduled') : undefined)),
    suspended: suspended === 1,
    started: started.map(([slotIndex, queueIndex, id, flat]) => {
      const hash: Record<string, Buffer> = {};
      for (let i = 0; i < flat.length; i += 2) hash[flat[i]!.toString()] = flat[i + 1]!;
      // The fields the start wrote, which the script does not read back.
      const startedAt = now;
      Object.assign(hash, { status: STARTED, started_at: startedAt, last_heartbeat: startedAt, worker_name: Buffer.from(start!.slots[slotIndex - 1]!) });
      return { slotIndex: slotIndex - 1, queueIndex: queueIndex - 1, id: id.toString(), hash };
    }),
  };
}

/** Ends one execution and says what became of the job (a queue with `isAsync: false`). */
export async function finishJob(connection: RedisConnection, runner: Runner, execution: Execution, outcome: Outcome, job: Job | undefined): Promise<Ending> {
  const ending = describeEnding(runner, execution, outcome, job);
  const { statuses, again } = await step(connection, { endings: [ending], idleTtl: 0 });
  return { status: statuses[0]!, error: ending.error, again: again[0] };
}

/**
 * A TTL as EXPIRE takes it: whole seconds. rq-ts writes whole ones, but a job hash from elsewhere
 * may hold `1.5`, and one EXPIRE refused would stop the script half-way through a step.
 */
function wholeTtl(seconds: number): number {
  return seconds > 0 ? Math.ceil(seconds) : seconds;
}

/**
 * The error text stored as the job's exc_string (RQ's exc_info), in a Python traceback's shape:
 * Python's tools (log lines, list views, error trackers) show its last line as what went wrong,
 * so the stack frames come first, under a header that says they are JavaScript's (most recent
 * call first, as V8 writes them), and the last line is the error's `Name: message`. An error's
 * causes (`error.cause`) come before it, each ended by its own name and message, joined as Python
 * joins chained exceptions.
 */
export function describeError(error: Error): string {
  const chain: Error[] = [];
  for (let cause: unknown = error; cause instanceof Error && chain.length < MAX_CAUSES && !chain.includes(cause); cause = cause.cause) chain.unshift(cause);
  return chain.map(traceback).join(`\n\n${CAUSE_SEPARATOR}\n\n`);
}

/** Causes shown before an error, at most (a chain can be long or circular). */
const MAX_CAUSES = 5;
/** Python's line between a cause and the exception it caused. */
const CAUSE_SEPARATOR = 'The above exception was the direct cause of the following exception:';

/** One error as a traceback: its stack frames (the lines V8 starts with "at"), then `Name: message`. */
function traceback(error: Error): string {
  const last = `${error.name}: ${error.message}`;
  const lines = (error.stack ?? '').split('\n');
  const first = lines.findIndex((line) => /^\s+at\s/.test(line));
  if (first === -1) return last;
  return ['Traceback (JavaScript, most recent call first):', ...lines.slice(first), last].join('\n');
}
