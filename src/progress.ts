/**
 * A running job's progress (`job.updateProgress`, `job.getProgress`): a number (a percentage, by
 * convention) or a small JSON object, kept in the job's `meta` under `progress`, where RQ users
 * look for it (Python: `job.get_meta()['progress']`), written with the meta field alone so that
 * the worker's fields are never overwritten.
 */
import { InvalidArgumentError, describeValue } from './errors.js';
import { isRecord } from './is-record.js';

/** What a job's progress may be. */
export type Progress = number | Record<string, unknown>;

/** The meta key progress is kept under. */
export const PROGRESS_META_KEY = 'progress';

/** The most bytes a progress object may take as JSON: it is rewritten with the meta at each update. */
export const MAX_PROGRESS_BYTES = 16 * 1024;

/**
 * `value`, checked: a finite number, or a plain object that JSON encodes in at most
 * {@link MAX_PROGRESS_BYTES} bytes.
 * @throws {InvalidArgumentError}
 */
export function checkProgress(value: unknown): Progress {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidArgumentError(`Bad progress ${value}: a finite number, or a small JSON object.`);
    return value;
  }
  if (!isRecord(value) || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new InvalidArgumentError(`Bad progress ${describeValue(value)}: a number (for example a percentage), or a plain object such as { done: 40, total: 120 }.`);
  }
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(value));
  } catch (error) {
    throw new InvalidArgumentError(`Progress must be JSON: ${(error as Error).message}.`, { cause: error });
  }
  if (size > MAX_PROGRESS_BYTES) throw new InvalidArgumentError(`Progress of ${size} bytes as JSON is too large: at most ${MAX_PROGRESS_BYTES}; keep larger data in the result.`);
  return value;
}

/** The progress a job's meta holds, or undefined when none (or when it is not a progress). */
export function progressOf(meta: Record<string, unknown>): Progress | undefined {
  const value = meta[PROGRESS_META_KEY];
  return typeof value === 'number' || (isRecord(value) && !Array.isArray(value)) ? (value as Progress) : undefined;
}
