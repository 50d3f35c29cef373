/**
 * Ending one execution of a job in Redis, in one script (finish-job.lua): its result or error in
 * RQ's encodings (base64 of the serialized return value; base64 of zlib of the error text), the
 * TTLs, the registry, a retry, and the worker's counters.
 */
import type { RedisConnection } from '../connection.js';
import { DEFAULT_FAILURE_TTL } from '../defaults.js';
import { UnserializableResultError } from '../errors.js';
import type { Job } from '../job.js';
import {
  JOB_KEY_PREFIX,
  QUEUES_KEY,
  QUEUE_KEY_PREFIX,
  deferredRegistryKey,
  dependenciesKey,
  dependentsKey,
  failedRegistryKey,
  finishedRegistryKey,
  queueKey,
  resultsKey,
  scheduledRegistryKey,
  startedRegistryKey,
} from '../keys.js';
import { scripts } from '../scripts/index.js';
import type { Serializer } from '../serializers/index.js';
import { formatTimestamp } from '../timestamps.js';
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
  readonly workerName: string;
  /** The worker hash to count the job in; undefined for no worker. */
  readonly workerKey: string | undefined;
  /** Worker key TTL once idle, in seconds. */
  readonly idleTtl: number;
  readonly serializer: Serializer;
  /** Result TTL of jobs without their own, in seconds. */
  readonly defaultResultTtl: number;
  /** Leave failed jobs out of the failed registry and the results stream (RQ's `disable_default_exception_handler`). */
  readonly disableDefaultExceptionHandler?: boolean;
}

/** What became of a job: `finished`, `failed`, `stopped`, `retried`, or `fenced` when it was no longer this execution's. */
export interface Ending {
  readonly status: string;
  /** The error the job ended with, when it failed (also when its result could not be encoded). */
  readonly error: Error | undefined;
}

/** Ends the execution in one script, and says what became of the job. */
export async function finishJob(connection: RedisConnection, runner: Runner, execution: Execution, outcome: Outcome, job: Job | undefined): Promise<Ending> {
  const { id, queue } = execution;
  let ttl: number;
  let field = '';
  let value = '';
  if (outcome.kind === 'finished' && outcome.value !== undefined && outcome.value !== null) {
    try {
      value = Buffer.from(runner.serializer.dumps(outcome.value)).toString('base64');
      field = 'return_value';
    } catch (error) {
      const reason = new UnserializableResultError(`Job ${id} returned a value the serializer cannot encode (${(error as Error).message}): return plain JSON data.`, { cause: error });
      return finishJob(connection, runner, execution, { kind: 'failed', error: reason }, job);
    }
  }
  if (outcome.kind === 'finished') {
    ttl = job?.resultTtl ?? runner.defaultResultTtl;
  } else {
    ttl = job?.failureTtl ?? DEFAULT_FAILURE_TTL;
    field = 'exc_string';
    value = zlibWrap(Buffer.from(describeError(outcome.error))).toString('base64');
  }
  const status = (await scripts(connection).finishJob(
    [
      JOB_KEY_PREFIX + id,
      startedRegistryKey(queue),
      outcome.kind === 'finished' ? finishedRegistryKey(queue) : failedRegistryKey(queue),
      resultsKey(id),
      runner.workerKey ?? JOB_KEY_PREFIX + id, // unused without a worker (ARGV[12])
      dependentsKey(id),
      dependenciesKey(id),
      queueKey(queue),
      scheduledRegistryKey(queue),
      QUEUES_KEY,
    ],
    [
      id,
      runner.workerName,
      outcome.kind,
      formatTimestamp(new Date()),
      ttl,
      job?.failureTtl !== undefined ? 1 : 0,
      field,
      value,
      (Date.now() - execution.startedAtMs) / 1000,
      runner.idleTtl,
      execution.startedAtText,
      runner.workerKey === undefined ? '1' : '0',
      runner.disableDefaultExceptionHandler ? '1' : '0',
      JOB_KEY_PREFIX,
      QUEUE_KEY_PREFIX,
      deferredRegistryKey(''),
    ],
  )) as string;
  return { status, error: outcome.kind === 'finished' ? undefined : outcome.error };
}

/** The error text stored as the job's exc_string: Python tools show it as the traceback. */
export function describeError(error: Error): string {
  return error.stack ?? `${error.name}: ${error.message}`;
}
