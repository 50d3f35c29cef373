/**
 * A job's results: the entries of its stream `rq:results:<id>` (RQ 1.12 and later; RQ-REFERENCE.md
 * §2.4), as RQ's `Result`. An entry holds `type` ({@link ResultType}), `return_value` (base64 of
 * the serializer's bytes; absent when the job returned nothing) or `exc_string` (base64 of zlib of
 * the error text); its id's milliseconds are when it was written. The worker writes them
 * (finish-job.lib.lua); `Job.results()` and `Job.latestResult()` read the stream and turn its
 * entries into {@link JobResult}s here. Pure functions, no Redis.
 */
import type { Serializer } from './serializers/index.js';
import { inflateText } from './zlib-format.js';

/**
 * The kinds of result, RQ's `Result.Type`, with RQ's numbers (the stream's `type` field). RQ 1.13
 * and rq-ts write only SUCCESSFUL and FAILED; newer RQ versions write the others too.
 * @example
 * if (result?.type === ResultType.FAILED) console.log(result.excString);
 */
export const ResultType = {
  SUCCESSFUL: 1,
  FAILED: 2,
  STOPPED: 3,
  /** RQ 2.1: the job returned a `Retry`. */
  RETRIED: 4,
  /** RQ 2.1: the job returned a `Retry` with no retries left. */
  MAX_RETRIES_EXCEEDED: 5,
} as const;

/** One of the numbers of {@link ResultType}. */
export type ResultType = (typeof ResultType)[keyof typeof ResultType];

/**
 * One entry of a job's results stream (`rq:results:<id>`), as RQ's `Result`. Check `type` to know
 * which: only a success (`type === ResultType.SUCCESSFUL`, 1) holds what the job's task returned,
 * typed `R`.
 * @example
 * const result = await job.latestResult(); // job: Job<number>, from queue.enqueue(square, 4)
 * if (result?.type === 1) result.returnValue; // number | null
 */
export type JobResult<R = unknown> = SuccessfulJobResult<R> | UnsuccessfulJobResult;

/** What every entry of a results stream has. */
interface ResultEntry {
  /** The stream entry id. */
  id: string;
  /** When the result was written (from the entry id). */
  createdAt: Date;
  /** The error text of a failure. */
  excString: string | undefined;
}

/** A success (RQ's `Result.Type.SUCCESSFUL`, 1). `R` is what the job's task returns, awaited. */
export interface SuccessfulJobResult<R = unknown> extends ResultEntry {
  type: typeof ResultType.SUCCESSFUL;
  /**
   * What the job returned, decoded by the job's serializer (so `R` holds when the task returns
   * plain JSON data, as it should); null when it returned `undefined` or `null`.
   */
  returnValue: R | null;
}

/**
 * Any other entry: 2 failed, 3 stopped (RQ's `Result.Type`); newer RQ versions also write 4
 * (retried) and 5 (max retries exceeded). Neither RQ 1.13 nor rq-ts writes other types than 1 and 2.
 */
export interface UnsuccessfulJobResult extends ResultEntry {
  type: Exclude<ResultType, typeof ResultType.SUCCESSFUL>;
  /**
   * Null as rq-ts and RQ 1.13 write these (they store no value with a failure); newer RQ may store
   * one with types 4 and 5, so it is not typed.
   */
  returnValue: unknown;
}

/** A stream's entries as XRANGE, XREVRANGE and XREAD return them: id, then field, value, field, value... */
export type StreamEntries = Array<[Buffer, Buffer[]]>;

/**
 * The results in a job's stream entries, in their order, values decoded by `serializer`. `R` is
 * taken on trust, as every typed read of Redis: a success holds what the job's function returned.
 */
export function parseResults<R>(entries: StreamEntries, serializer: Serializer): Array<JobResult<R>> {
  return entries.map(([entryId, flat]) => parseResult<R>(entryId.toString(), flat, serializer));
}

function parseResult<R>(id: string, flat: Buffer[], serializer: Serializer): JobResult<R> {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i < flat.length; i += 2) fields.set(flat[i]!.toString(), flat[i + 1]!);
  const returnValue = fields.get('return_value');
  const excString = fields.get('exc_string');
  const result = {
    id,
    type: Number(fields.get('type')?.toString()) as ResultType,
    createdAt: new Date(Number(id.split('-')[0])),
    returnValue: returnValue ? serializer.loads(Buffer.from(returnValue.toString(), 'base64')) : null,
    excString: excString ? inflateText(Buffer.from(excString.toString(), 'base64')) : undefined,
  };
  return result as JobResult<R>;
}
