/**
 * A job: one function call, stored as the Redis hash `rq:job:<id>` in RQ 1.13's layout
 * (RQ-REFERENCE.md §2.2). `data` is zlib(serializer([funcName, null, args, kwargs])), `meta` is the
 * serializer's bytes without zlib, timestamps are RQ's text, integers decimal text.
 */
import { randomUUID } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { DeserializationError, InvalidArgumentError, NoSuchJobError } from './errors.js';
import { jobKey, resultsKey } from './keys.js';
import { JSONSerializer, type Serializer } from './serializers/index.js';
import { formatTimestamp, parseTimestamp } from './timestamps.js';

/** A job's status, as RQ stores it in the `status` field. */
export type JobStatus = 'queued' | 'started' | 'finished' | 'failed' | 'deferred' | 'scheduled' | 'stopped' | 'canceled';

/** Arguments of a Python call's keyword parameters, passed to a JS function as a trailing object. */
export type Kwargs = Record<string, unknown>;

/** Largest `data` field rq-ts inflates, in bytes: a zlib bomb fails the job instead of the worker. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** Bytes that start a Python pickle (protocol 2 and above). */
const PICKLE_OPCODE = 0x80;

/** What a job is made of; everything a producer sets before enqueueing. */
export interface JobData {
  /** The job id. @default a new UUID4 */
  id?: string;
  /** Dotted name of the function, as RQ names it (`"tasks.sendEmail"`). */
  funcName: string;
  /** Positional arguments. @default [] */
  args?: readonly unknown[];
  /** Keyword arguments (a Python caller's kwargs). @default {} */
  kwargs?: Kwargs;
  /** Human-readable description. @default the call as Python prints it: `tasks.add(2, y=3)` */
  description?: string;
  /** Job timeout in seconds; -1 for none. */
  timeout?: number;
  /** Seconds to keep a finished job and its result (-1 forever, 0 not at all). */
  resultTtl?: number;
  /** Seconds a failed job is kept. */
  failureTtl?: number;
  /** Seconds the job may wait in its queue before its key expires. */
  ttl?: number;
  /** Free-form metadata, saved as its own field. */
  meta?: Record<string, unknown>;
}

/** One entry of a job's results stream (`rq:results:<id>`), as RQ's `Result`. */
export interface JobResult {
  /** The stream entry id. */
  id: string;
  /** 1 successful, 2 failed (RQ's `Result.Type`). */
  type: 1 | 2 | 3 | 4 | 5;
  /** When the result was written (from the entry id). */
  createdAt: Date;
  /** What the job returned (null when it returned nothing, or failed). */
  returnValue: unknown;
  /** The error text of a failure. */
  excString: string | undefined;
}

/** Options of {@link Job.fetch} and {@link Job.create}. */
export interface JobOptions extends ConnectionOptions {
  /** How `data`, `meta` and results are encoded. @default JSONSerializer */
  serializer?: Serializer;
}

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Checks a caller-chosen job id. RQ 2.8 and later accept only letters, digits, `_` and `-`, and a
 * `:` would corrupt RQ's derived keys, so rq-ts refuses anything else.
 * @throws {InvalidArgumentError}
 */
export function validateJobId(id: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new InvalidArgumentError(`Bad job id '${id}': use only letters, digits, '_' and '-' (RQ 2.x refuses other ids).`);
  }
  return id;
}

/** A job, as stored in `rq:job:<id>`. */
export class Job {
  /** The job id (a UUID4 unless the producer chose one). */
  readonly id: string;
  /** The connection this job reads and writes through, fixed at construction. */
  readonly connection: RedisConnection;
  /** The serializer of `data`, `meta` and results. */
  readonly serializer: Serializer;
  /** Dotted function name, as RQ names it. */
  funcName: string;
  /** Positional arguments. */
  args: unknown[];
  /** Keyword arguments. */
  kwargs: Kwargs;
  /** Human-readable description. */
  description: string;
  /** Name of the queue the job was enqueued on. */
  origin: string | undefined;
  /** Status, as last read or written. */
  status: JobStatus | undefined;
  /** Job timeout in seconds (-1: none); undefined means the queue's default. */
  timeout: number | undefined;
  /** Seconds to keep the result; undefined means the worker's default (500). */
  resultTtl: number | undefined;
  /** Seconds to keep a failed job; undefined means one year. */
  failureTtl: number | undefined;
  /** Seconds the job may wait in its queue. */
  ttl: number | undefined;
  /** Metadata; save it alone with `saveMeta()` (issue #3). */
  meta: Record<string, unknown>;
  /** When the job was created. */
  createdAt: Date;
  /** When the job was last put on a queue. */
  enqueuedAt: Date | undefined;
  /** When a worker started it. */
  startedAt: Date | undefined;
  /** When it finished or failed. */
  endedAt: Date | undefined;
  /** The running job's last heartbeat. */
  lastHeartbeat: Date | undefined;
  /** Name of the worker that ran it. */
  workerName: string | undefined;
  /** Every field as read from Redis, so that fields rq-ts does not model survive a re-save. */
  #raw: Record<string, string> = {};

  private constructor(id: string, connection: RedisConnection, serializer: Serializer, data: JobData) {
    this.id = id;
    this.connection = connection;
    this.serializer = serializer;
    this.funcName = data.funcName;
    this.args = [...(data.args ?? [])];
    this.kwargs = { ...(data.kwargs ?? {}) };
    this.description = data.description ?? '';
    this.origin = undefined;
    this.status = undefined;
    this.timeout = data.timeout;
    this.resultTtl = data.resultTtl;
    this.failureTtl = data.failureTtl;
    this.ttl = data.ttl;
    this.meta = { ...(data.meta ?? {}) };
    this.createdAt = new Date();
    this.enqueuedAt = undefined;
    this.startedAt = undefined;
    this.endedAt = undefined;
    this.lastHeartbeat = undefined;
    this.workerName = undefined;
  }

  /**
   * A new job, not yet saved. Its connection is `options.connection`, else the top of the
   * connection stack now.
   * @throws {InvalidArgumentError} for a bad id or function name; {@link NoRedisConnectionError}.
   */
  static create(data: JobData, options: JobOptions = {}): Job {
    if (typeof data.funcName !== 'string' || data.funcName === '') {
      throw new InvalidArgumentError('A job needs a function name, such as "tasks.sendEmail".');
    }
    const id = data.id === undefined ? randomUUID() : validateJobId(data.id);
    const connection = resolveConnection(options.connection, `Job ${id}`);
    return new Job(id, connection, options.serializer ?? JSONSerializer, data);
  }

  /**
   * Reads job `id` from Redis.
   * @throws {NoSuchJobError} when `rq:job:<id>` does not exist; {@link DeserializationError}
   * when its data cannot be read.
   */
  static async fetch(id: string, options: JobOptions = {}): Promise<Job> {
    const connection = resolveConnection(options.connection, `Job.fetch('${id}')`);
    const hash = await connection.hgetallBuffer(jobKey(id));
    if (Object.keys(hash).length === 0) throw new NoSuchJobError(`No such job: ${jobKey(id)}`);
    return Job.fromHash(id, hash, connection, options.serializer ?? JSONSerializer);
  }

  /** Builds a job from the fields of its hash, as HGETALL returned them. */
  static fromHash(id: string, hash: Record<string, Buffer>, connection: RedisConnection, serializer: Serializer = JSONSerializer): Job {
    const text = (field: string) => hash[field]?.toString('utf8');
    const data = hash['data'];
    if (data === undefined) throw new DeserializationError(`Job ${jobKey(id)} has no 'data' field: it is not a job RQ wrote.`);
    const [funcName, args, kwargs] = decodeData(id, data, serializer);
    const job = new Job(id, connection, serializer, { funcName, args, kwargs });
    job.#raw = Object.fromEntries(Object.entries(hash).map(([key, value]) => [key, value.toString('utf8')]));
    job.description = text('description') ?? '';
    job.origin = text('origin') || undefined;
    job.status = (text('status') || undefined) as JobStatus | undefined;
    job.timeout = optionalInteger(text('timeout'));
    job.resultTtl = optionalInteger(text('result_ttl'));
    job.failureTtl = optionalInteger(text('failure_ttl'));
    job.ttl = optionalInteger(text('ttl'));
    job.meta = hash['meta'] ? decodeMeta(id, hash['meta'], serializer) : {};
    job.createdAt = parseTimestamp(text('created_at')) ?? new Date(0);
    job.enqueuedAt = parseTimestamp(text('enqueued_at'));
    job.startedAt = parseTimestamp(text('started_at'));
    job.endedAt = parseTimestamp(text('ended_at'));
    job.lastHeartbeat = parseTimestamp(text('last_heartbeat'));
    job.workerName = text('worker_name') || undefined;
    return job;
  }

  /** The Redis key of this job's hash. */
  get key(): string {
    return jobKey(this.id);
  }

  /** Reads the job's status from Redis (undefined when the job is gone), and keeps it in `status`. */
  async getStatus(): Promise<JobStatus | undefined> {
    this.status = ((await this.connection.hget(this.key, 'status')) || undefined) as JobStatus | undefined;
    return this.status;
  }

  /**
   * The newest entry of the job's results stream, as RQ's `latest_result()`: what the job
   * returned or the error text it failed with. Undefined when the job has no result yet.
   */
  async latestResult(): Promise<JobResult | undefined> {
    const entries = await this.connection.xrevrangeBuffer(resultsKey(this.id), '+', '-', 'COUNT', 1);
    const entry = entries[0];
    if (!entry) return undefined;
    const [entryId, flat] = entry;
    const fields = new Map<string, Buffer>();
    for (let i = 0; i < flat.length; i += 2) fields.set(flat[i]!.toString(), flat[i + 1]!);
    const returnValue = fields.get('return_value');
    const excString = fields.get('exc_string');
    const id = entryId.toString();
    return {
      id,
      type: Number(fields.get('type')?.toString()) as JobResult['type'],
      createdAt: new Date(Number(id.split('-')[0])),
      returnValue: returnValue ? this.serializer.loads(Buffer.from(returnValue.toString(), 'base64')) : null,
      excString: excString ? inflateSync(Buffer.from(excString.toString(), 'base64')).toString('utf8') : undefined,
    };
  }

  /** What the job returned, from its latest successful result; null when none (or it returned nothing). */
  async returnValue(): Promise<unknown> {
    const result = await this.latestResult();
    return result?.type === 1 ? result.returnValue : null;
  }

  /**
   * The hash fields RQ 1.13 writes for this job (§2.2): always the core set, the optional ones
   * only when set. Fields read from Redis that rq-ts does not model are kept as they were.
   */
  toHash(): Record<string, string | Buffer> {
    const payload = Buffer.from(this.serializer.dumps([this.funcName, null, this.args, this.kwargs]));
    const fields: Record<string, string | Buffer> = {
      ...this.#raw,
      created_at: formatTimestamp(this.createdAt),
      data: deflateSync(payload),
      success_callback_name: this.#raw['success_callback_name'] ?? '',
      failure_callback_name: this.#raw['failure_callback_name'] ?? '',
      started_at: this.startedAt ? formatTimestamp(this.startedAt) : '',
      ended_at: this.endedAt ? formatTimestamp(this.endedAt) : '',
      last_heartbeat: this.lastHeartbeat ? formatTimestamp(this.lastHeartbeat) : '',
      worker_name: this.workerName ?? '',
      description: this.description,
    };
    if (this.origin !== undefined) fields['origin'] = this.origin;
    if (this.enqueuedAt !== undefined) fields['enqueued_at'] = formatTimestamp(this.enqueuedAt);
    if (this.status !== undefined) fields['status'] = this.status;
    if (this.timeout !== undefined) fields['timeout'] = String(this.timeout);
    if (this.resultTtl !== undefined) fields['result_ttl'] = String(this.resultTtl);
    if (this.failureTtl !== undefined) fields['failure_ttl'] = String(this.failureTtl);
    if (this.ttl !== undefined) fields['ttl'] = String(this.ttl);
    if (Object.keys(this.meta).length > 0) fields['meta'] = Buffer.from(this.serializer.dumps(this.meta));
    return fields;
  }
}

function decodeData(id: string, data: Buffer, serializer: Serializer): [string, unknown[], Kwargs] {
  let payload: Buffer;
  try {
    payload = inflateSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
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

function decodeMeta(id: string, data: Buffer, serializer: Serializer): Record<string, unknown> {
  try {
    const meta = serializer.loads(data);
    if (isRecord(meta)) return meta;
  } catch (error) {
    throw new DeserializationError(`Job ${jobKey(id)}: 'meta' is not readable by the serializer: ${(error as Error).message}`, { cause: error });
  }
  throw new DeserializationError(`Job ${jobKey(id)}: 'meta' is not an object.`);
}

function optionalInteger(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
