/**
 * The job hash `rq:job:<id>` in RQ 1.13's layout (RQ-REFERENCE.md §2.2), as one table: each row is
 * a field, whether RQ writes it only when set, and how it is written from and read into a Job.
 * `data` is zlib(serializer([funcName, null, args, kwargs])), `meta` the serializer's bytes without
 * zlib, timestamps RQ's text, integers decimal text, lists Python's JSON. Fields rq-ts does not
 * model (callbacks, `exc_info`, newer RQ versions' fields) are carried over byte for byte. Rows are
 * in RQ's order of writing. Pure functions, no Redis: `Job` does the reads and writes.
 */
import { DEFAULT_CALLBACK_TIMEOUT, type Callback } from './callback.js';
import { DeserializationError } from './errors.js';
import { isRecord } from './is-record.js';
import { jobKey } from './keys.js';
import { pythonJsonList } from './retry.js';
import type { Serializer } from './serializers/index.js';
import { formatTimestamp, parseTimestamp } from './timestamps.js';
import { MAX_INFLATED_BYTES, zlibUnwrap, zlibWrap } from './zlib-format.js';

/** A job's status, as RQ stores it in the `status` field. */
export type JobStatus = 'queued' | 'started' | 'finished' | 'failed' | 'deferred' | 'scheduled' | 'stopped' | 'canceled' | 'rate_limited';

/** Arguments of a Python call's keyword parameters, passed to a JS function as a trailing object. */
export type Kwargs = Record<string, unknown>;

/** The properties of a Job that its hash holds (see `Job` for each one's meaning). */
export interface JobFields {
  readonly id: string;
  readonly serializer: Serializer;
  funcName: string;
  args: unknown[];
  kwargs: Kwargs;
  description: string;
  origin: string | undefined;
  status: JobStatus | undefined;
  timeout: number | undefined;
  resultTtl: number | undefined;
  failureTtl: number | undefined;
  ttl: number | undefined;
  meta: Record<string, unknown>;
  enqueueAtFront: boolean;
  retriesLeft: number | undefined;
  retryIntervals: number[] | undefined;
  repeatsLeft: number | undefined;
  repeatIntervals: number[] | undefined;
  groupId: string | undefined;
  rateLimitKey: string | undefined;
  rateLimitConcurrency: number | undefined;
  rateLimitMax: number | undefined;
  rateLimitDuration: number | undefined;
  dependencyIds: string[];
  allowDependencyFailures: boolean | undefined;
  createdAt: Date;
  enqueuedAt: Date | undefined;
  startedAt: Date | undefined;
  endedAt: Date | undefined;
  lastHeartbeat: Date | undefined;
  workerName: string | undefined;
}

/** A job hash as HGETALL returns it. */
export type JobHash = Record<string, Buffer>;

/** One field of the job hash. */
export interface JobHashField {
  /** RQ's name of the field. */
  readonly field: string;
  /**
   * Whether RQ writes it only when set: unset, it is left out, and `Job.save()` deletes it. A field
   * that is not optional is always written, `''` when unset (RQ's "not set").
   */
  readonly optional: boolean;
  /** Its value for a job; undefined when unset. No `write`: rq-ts carries the field over as read. */
  readonly write?: (job: JobFields) => string | Buffer | undefined;
  /** Sets the job's properties from its bytes (undefined when absent); `hash` is the whole hash. */
  readonly read?: (job: JobFields, bytes: Buffer | undefined, hash: JobHash) => void;
}

const ALWAYS = false;
const OPTIONAL = true;

/** Every field RQ 1.13 writes, and those of later RQ versions that rq-ts reads or carries. */
export const JOB_HASH: readonly JobHashField[] = [
  { field: 'created_at', optional: ALWAYS, write: (job) => formatTimestamp(job.createdAt), read: (job, bytes) => { job.createdAt = readTimestamp(bytes) ?? new Date(0); } },
  { field: 'data', optional: ALWAYS, write: writeData, read: readData },
  { field: 'success_callback_name', optional: ALWAYS },
  { field: 'failure_callback_name', optional: ALWAYS },
  { field: 'started_at', optional: ALWAYS, write: (job) => writeTimestamp(job.startedAt), read: (job, bytes) => { job.startedAt = readTimestamp(bytes); } },
  { field: 'ended_at', optional: ALWAYS, write: (job) => writeTimestamp(job.endedAt), read: (job, bytes) => { job.endedAt = readTimestamp(bytes); } },
  { field: 'last_heartbeat', optional: ALWAYS, write: (job) => writeTimestamp(job.lastHeartbeat), read: (job, bytes) => { job.lastHeartbeat = readTimestamp(bytes); } },
  { field: 'worker_name', optional: ALWAYS, write: (job) => job.workerName, read: (job, bytes) => { job.workerName = readText(bytes); } },
  { field: 'description', optional: ALWAYS, write: (job) => job.description, read: (job, bytes) => { job.description = bytes?.toString('utf8') ?? ''; } },
  { field: 'origin', optional: OPTIONAL, write: (job) => job.origin, read: (job, bytes) => { job.origin = readText(bytes); } },
  { field: 'enqueued_at', optional: OPTIONAL, write: (job) => writeTimestamp(job.enqueuedAt), read: (job, bytes) => { job.enqueuedAt = readTimestamp(bytes); } },
  // Taken on trust: a status rq-ts does not know (RQ 2.x's `created`) is kept as it is.
  { field: 'status', optional: OPTIONAL, write: (job) => job.status, read: (job, bytes) => { job.status = readText(bytes) as JobStatus | undefined; } },
  { field: 'timeout', optional: OPTIONAL, write: (job) => writeInteger(job.timeout), read: (job, bytes) => { job.timeout = readInteger(bytes); } },
  { field: 'result_ttl', optional: OPTIONAL, write: (job) => writeInteger(job.resultTtl), read: (job, bytes) => { job.resultTtl = readInteger(bytes); } },
  { field: 'failure_ttl', optional: OPTIONAL, write: (job) => writeInteger(job.failureTtl), read: (job, bytes) => { job.failureTtl = readInteger(bytes); } },
  { field: 'ttl', optional: OPTIONAL, write: (job) => writeInteger(job.ttl), read: (job, bytes) => { job.ttl = readInteger(bytes); } },
  { field: 'meta', optional: OPTIONAL, write: writeMeta, read: readMeta },
  { field: 'enqueue_at_front', optional: OPTIONAL, write: (job) => (job.enqueueAtFront ? '1' : undefined), read: (job, bytes) => { job.enqueueAtFront = readText(bytes) === '1'; } },
  { field: 'retries_left', optional: OPTIONAL, write: (job) => writeInteger(job.retriesLeft), read: (job, bytes) => { job.retriesLeft = readInteger(bytes); } },
  { field: 'retry_intervals', optional: OPTIONAL, write: (job) => writeList(job.retryIntervals), read: (job, bytes) => { job.retryIntervals = readList(bytes, 'number'); } },
  { field: 'repeats_left', optional: OPTIONAL, write: (job) => writeInteger(job.repeatsLeft), read: (job, bytes) => { job.repeatsLeft = readInteger(bytes); } },
  { field: 'repeat_intervals', optional: OPTIONAL, write: (job) => writeList(job.repeatIntervals), read: (job, bytes) => { job.repeatIntervals = readList(bytes, 'number'); } },
  { field: 'group_id', optional: OPTIONAL, write: (job) => job.groupId, read: (job, bytes) => { job.groupId = readText(bytes); } },
  // RQ master's RateLimit (rate-limit.ts): a key, and its concurrency (RQ's) and/or rate (rq-ts').
  { field: 'rate_limit_key', optional: OPTIONAL, write: (job) => job.rateLimitKey, read: (job, bytes) => { job.rateLimitKey = readText(bytes); } },
  { field: 'rate_limit_concurrency', optional: OPTIONAL, write: (job) => writeInteger(job.rateLimitConcurrency), read: (job, bytes) => { job.rateLimitConcurrency = readInteger(bytes); } },
  { field: 'rate_limit_max', optional: OPTIONAL, write: (job) => writeInteger(job.rateLimitMax), read: (job, bytes) => { job.rateLimitMax = readInteger(bytes); } },
  { field: 'rate_limit_duration', optional: OPTIONAL, write: (job) => writeInteger(job.rateLimitDuration), read: (job, bytes) => { job.rateLimitDuration = readInteger(bytes); } },
  { field: 'dependency_ids', optional: OPTIONAL, write: (job) => writeList(nonEmpty(job.dependencyIds)), read: readDependencyIds },
  // RQ's legacy single dependency: written for older readers; read through dependency_ids.
  { field: 'dependency_id', optional: OPTIONAL, write: (job) => job.dependencyIds[0] },
  { field: 'allow_dependency_failures', optional: OPTIONAL, write: (job) => writeFlag(job.allowDependencyFailures), read: (job, bytes) => { job.allowDependencyFailures = readFlag(bytes); } },
  // Carried over: callbacks (read by Job.callback), the error text of RQ's abandoned-job cleanup
  // and of Redis < 5, the result of Redis < 5, and fields of RQ 2.x.
  { field: 'stopped_callback_name', optional: OPTIONAL },
  { field: 'success_callback_timeout', optional: OPTIONAL },
  { field: 'failure_callback_timeout', optional: OPTIONAL },
  { field: 'stopped_callback_timeout', optional: OPTIONAL },
  { field: 'exc_info', optional: OPTIONAL },
  { field: 'result', optional: OPTIONAL },
  { field: 'number_of_retries', optional: OPTIONAL },
  { field: 'enqueue_at_front_on_retry', optional: OPTIONAL },
  { field: 'webhooks', optional: OPTIONAL },
];

/** The name and timeout fields of each kind of job callback (carried fields, above). */
export const CALLBACK_FIELDS = {
  success: ['success_callback_name', 'success_callback_timeout'],
  failure: ['failure_callback_name', 'failure_callback_timeout'],
  stopped: ['stopped_callback_name', 'stopped_callback_timeout'],
} as const;

/** The kinds of job callbacks. */
export type CallbackKind = keyof typeof CALLBACK_FIELDS;

/** Sets the callback of a kind in a job's carried fields; the timeout only when one was given, as RQ. */
export function writeCallback(carried: JobHash, kind: CallbackKind, callback: Callback): void {
  const [nameField, timeoutField] = CALLBACK_FIELDS[kind];
  carried[nameField] = Buffer.from(callback.name);
  if (callback.hasTimeout) carried[timeoutField] = Buffer.from(String(callback.timeout));
}

/** The callback of a kind in a job's carried fields: its dotted name and timeout in seconds (RQ's default when unset). */
export function readCallback(carried: JobHash, kind: CallbackKind): { name: string; timeout: number } | undefined {
  const [nameField, timeoutField] = CALLBACK_FIELDS[kind];
  const name = carried[nameField]?.toString();
  if (!name) return undefined;
  return { name, timeout: readInteger(carried[timeoutField]) ?? DEFAULT_CALLBACK_TIMEOUT };
}

/** Fields a Job reads and writes itself; any other is carried over untouched. */
const MODELED_FIELDS = new Set(JOB_HASH.filter((row) => row.write).map((row) => row.field));

/** The rows that writing a hash visits: an optional carried field is written with the carried ones, or not at all. */
const WRITTEN = JOB_HASH.filter((row) => row.write || !row.optional);

/** The rows that reading a hash visits. */
const READ = JOB_HASH.filter((row) => row.read);

/** Modeled fields RQ writes only when set, in the order RQ writes them: `Job.save()` deletes those left out. */
export const OPTIONAL_FIELDS: readonly string[] = JOB_HASH.filter((row) => row.write && row.optional).map((row) => row.field);

/**
 * The fields to write for `job` (RQ's `to_dict()`): first the `carried` ones, as they were read,
 * then the rows in order, the optional ones only when set.
 */
export function writeJobHash(job: JobFields, carried: JobHash): Record<string, string | Buffer> {
  const hash: Record<string, string | Buffer> = {};
  for (const field in carried) setField(hash, field, carried[field]!);
  for (const row of WRITTEN) {
    const value = row.write ? row.write(job) : carried[row.field];
    if (value !== undefined) hash[row.field] = value;
    else if (!row.optional) hash[row.field] = '';
  }
  return hash;
}

/**
 * Sets `job`'s properties from `hash` and returns the fields it carries over.
 * @throws {DeserializationError} when `data` is missing or unreadable, or `meta` unreadable.
 */
export function readJobHash(job: JobFields, hash: JobHash): JobHash {
  if (hash['data'] === undefined) throw new DeserializationError(`Job ${jobKey(job.id)} has no 'data' field: it is not a job RQ wrote.`);
  for (const row of READ) row.read!(job, hash[row.field], hash);
  const carried: JobHash = {};
  for (const field in hash) if (!MODELED_FIELDS.has(field)) setField(carried, field, hash[field]!);
  return carried;
}

/**
 * `object[field] = value`, also for a field named `__proto__`, which becomes a field as any other
 * (as ioredis makes it in a reply) instead of replacing the object's prototype.
 */
function setField<V>(object: Record<string, V>, field: string, value: V): void {
  if (field === '__proto__') Object.defineProperty(object, field, { value, enumerable: true, writable: true, configurable: true });
  else object[field] = value;
}

function readText(bytes: Buffer | undefined): string | undefined {
  return bytes?.toString('utf8') || undefined;
}

function writeTimestamp(date: Date | undefined): string | undefined {
  return date ? formatTimestamp(date) : undefined;
}

/** A timestamp RQ wrote; undefined for `''` and for text that is not one. */
function readTimestamp(bytes: Buffer | undefined): Date | undefined {
  return parseTimestamp(bytes?.toString('utf8'));
}

function writeInteger(value: number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

/** Decimal text; undefined when absent, `''` or not a number. */
function readInteger(bytes: Buffer | undefined): number | undefined {
  const text = bytes?.toString('utf8');
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function writeFlag(value: boolean | undefined): string | undefined {
  return value === undefined ? undefined : value ? '1' : '0';
}

/** `0`/`1`; undefined when absent or `''`. */
function readFlag(bytes: Buffer | undefined): boolean | undefined {
  const text = bytes?.toString('utf8');
  return text === undefined || text === '' ? undefined : text === '1';
}

function writeList(values: ReadonlyArray<number | string> | undefined): string | undefined {
  return values === undefined ? undefined : pythonJsonList(values);
}

function nonEmpty<T>(values: T[]): T[] | undefined {
  return values.length > 0 ? values : undefined;
}

/** A JSON list of `type`; undefined when absent or not such a list. */
function readList<T extends 'number' | 'string'>(bytes: Buffer | undefined, type: T): Array<T extends 'number' ? number : string> | undefined {
  const text = bytes?.toString('utf8');
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((item) => typeof item === type) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `dependency_ids`, or else the legacy `dependency_id` that RQ before 1.11 wrote alone. */
function readDependencyIds(job: JobFields, bytes: Buffer | undefined, hash: JobHash): void {
  job.dependencyIds = readList(bytes, 'string') ?? readLegacyDependency(hash['dependency_id']);
}

function readLegacyDependency(bytes: Buffer | undefined): string[] {
  const id = readText(bytes);
  return id === undefined ? [] : [id];
}

function writeData(job: JobFields): Buffer {
  return zlibWrap(Buffer.from(job.serializer.dumps([job.funcName, null, job.args, job.kwargs])));
}

function readData(job: JobFields, bytes: Buffer | undefined): void {
  [job.funcName, job.args, job.kwargs] = decodeData(job.id, bytes!, job.serializer);
}

function writeMeta(job: JobFields): Buffer | undefined {
  return Object.keys(job.meta).length > 0 ? Buffer.from(job.serializer.dumps(job.meta)) : undefined;
}

function readMeta(job: JobFields, bytes: Buffer | undefined): void {
  job.meta = bytes ? decodeMeta(job.id, bytes, job.serializer) : {};
}

/** Bytes that start a Python pickle (protocol 2 and above). */
const PICKLE_OPCODE = 0x80;

function decodeData(id: string, data: Buffer, serializer: Serializer): [string, unknown[], Kwargs] {
  let payload: Buffer;
  try {
    payload = zlibUnwrap(data, MAX_INFLATED_BYTES);
  } catch (error) {
    // RQ readers fall back to the raw bytes when they are not zlib; so do we, but not for a bomb.
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DeserializationError(`Job ${jobKey(id)}: 'data' inflates past ${MAX_INFLATED_BYTES} bytes; refused.`);
    }
    payload = data;
  }
  if (payload[0] === PICKLE_OPCODE) {
    throw new DeserializationError(
      `Job ${jobKey(id)} holds Python pickle data, which rq-ts never reads: enqueue it from Python with ` +
        `serializer=JSONSerializer (rq -S rq.serializers.JSONSerializer).`,
    );
  }
  let decoded: unknown;
  try {
    decoded = serializer.loads(payload);
  } catch (error) {
    throw new DeserializationError(`Job ${jobKey(id)}: 'data' is not readable by the serializer: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(decoded) || decoded.length !== 4 || typeof decoded[0] !== 'string' || !Array.isArray(decoded[2]) || !isRecord(decoded[3])) {
    throw new DeserializationError(`Job ${jobKey(id)}: 'data' is not RQ's [funcName, instance, args, kwargs].`);
  }
  if (decoded[1] !== null) {
    throw new DeserializationError(`Job ${jobKey(id)} calls a method of a Python object (${decoded[0]}), which rq-ts cannot run.`);
  }
  return [decoded[0], decoded[2] as unknown[], decoded[3]];
}

/** A job's `meta` field, decoded. @throws {DeserializationError} */
export function decodeMeta(id: string, data: Buffer, serializer: Serializer): Record<string, unknown> {
  try {
    const meta = serializer.loads(data);
    if (isRecord(meta)) return meta;
  } catch (error) {
    throw new DeserializationError(`Job ${jobKey(id)}: 'meta' is not readable by the serializer: ${(error as Error).message}`, { cause: error });
  }
  throw new DeserializationError(`Job ${jobKey(id)}: 'meta' is not an object.`);
}
