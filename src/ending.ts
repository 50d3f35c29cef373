/**
 * The end of a job's execution, in the terms of RQ's Redis layout and pure of Redis: how its
 * function ended (an {@link Outcome}), the ending a step records for it (result or error in RQ's
 * encodings, TTL, the worker's totals), what became of the job after (an {@link Ending}), and the
 * error text RQ's tools read. A worker and a queue with `isAsync: false` both end jobs through it.
 */
import { DEFAULT_FAILURE_TTL } from './defaults.js';
import { UnserializableResultError, type RateLimitError } from './errors.js';
import type { Job } from './job.js';
import type { Packable } from './scripts/pack.js';
import type { Serializer } from './serializers/index.js';
import { zlibWrap } from './zlib-format.js';

/** How a job's function ended. */
export type Outcome = { kind: 'finished'; value: unknown } | { kind: 'failed' | 'stopped'; error: Error } | { kind: 'held'; error: RateLimitError };

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

/**
 * What became of a job: `finished`, `failed`, `stopped`, `retried`, `repeated` (finished, and back
 * for its next run), `held` (it threw {@link RateLimitError}: back to wait, neither failed nor
 * retried), or `fenced` when it was no longer this execution's.
 */
export interface Ending {
  readonly status: string;
  /** The error the job ended with, when it failed (also when its result could not be encoded). */
  readonly error: Error | undefined;
  /** The status a retried, repeated or held job has now: `queued`, `scheduled` for a later run, or `rate_limited` waiting for its held key. */
  readonly again?: 'queued' | 'scheduled' | 'rate_limited' | undefined;
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

/**
 * The fields of an ending, in the order a step sends them (one array an ending: named here, and in
 * Lua as `e[ENDING.<field>]` through the prelude, which is written from this list).
 */
export const ENDING_FIELDS = [
  'id', // the job id
  'queue', // its queue's name
  'worker', // the worker name it ran under (its fence, with started_at)
  'outcome', // "finished", "failed" or "stopped"
  'ttl', // result_ttl when finished (-1 forever, 0 delete), else failure_ttl, whole seconds
  'own_failure_ttl', // "1" when the failure TTL is the job's own (the results stream expires too)
  'result_field', // "return_value", "exc_string" or ""
  'result_value', // its value, base64
  'seconds', // how long the job ran
  'started_at', // started_at as the start wrote it: the fence
  'has_worker_hash', // "1" when a worker ran it ("0": a queue with isAsync false)
  'count', // the worker's successful_job_count after this job when it finished, else its failed_job_count
  'working_time', // the worker's total_working_time after this job
  'repeats', // "1" when the job had repeats left when it started (RQ 2.3's repeats_left)
  'hold_ms', // for outcome "held" (RateLimitError): milliseconds to hold its key, or to wait without one; else 0
] as const;

/** An ending's fields by name. */
export type EndingFields = { readonly [field in (typeof ENDING_FIELDS)[number]]: Packable };

/** An ending ready to send: the script's record, the error it carries, and the worker's totals once it is counted. */
export interface EndingRecord {
  readonly entry: Packable[];
  readonly error: Error | undefined;
  readonly totals: WorkerTotals;
}

/** Field `name` of an ending's record, as the script reads it. */
export function endingField(record: EndingRecord, name: (typeof ENDING_FIELDS)[number]): Packable {
  return record.entry[ENDING_FIELDS.indexOf(name)]!;
}

/** A slot's totals before its first job. */
export const NO_TOTALS: WorkerTotals = Object.freeze({ successful: 0, failed: 0, workingTime: 0 });

/**
 * Describes the end of an execution for a worker's step (scripts/finish-and-start-jobs.ts): the result, or the error text, encoded as
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
  let ttl = 0;
  if (outcome.kind === 'held') {
    // Neither a result nor an error is recorded: the job waits to run again.
  } else if (outcome.kind === 'finished') {
    ttl = wholeTtl(job?.resultTtl ?? runner.defaultResultTtl);
  } else {
    ttl = wholeTtl(job?.failureTtl ?? DEFAULT_FAILURE_TTL);
    field = 'exc_string';
    value = zlibWrap(Buffer.from(describeError(outcome.error))).toString('base64');
  }
  const seconds = (Date.now() - execution.startedAtMs) / 1000;
  const finished = outcome.kind === 'finished';
  const held = outcome.kind === 'held';
  const after: WorkerTotals = {
    successful: totals.successful + (finished ? 1 : 0),
    failed: totals.failed + (finished || held ? 0 : 1),
    workingTime: totals.workingTime + seconds,
  };
  const fields: EndingFields = {
    id: execution.id,
    queue: execution.queue,
    worker: runner.workerName,
    outcome: outcome.kind,
    ttl,
    own_failure_ttl: job?.failureTtl !== undefined ? '1' : '0',
    result_field: field,
    result_value: value,
    seconds,
    started_at: execution.startedAtText,
    has_worker_hash: runner.hasWorkerHash ? '1' : '0',
    count: finished ? after.successful : after.failed,
    working_time: after.workingTime,
    repeats: finished && runner.repeats && (job?.repeatsLeft ?? 0) > 0 ? '1' : '0',
    hold_ms: held ? outcome.error.holdFor : 0,
  };
  return { entry: ENDING_FIELDS.map((name) => fields[name]), error: finished ? undefined : outcome.error, totals: after };
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
