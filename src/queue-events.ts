/**
 * Following a queue's jobs without polling (BullMQ's `QueueEvents`, in RQ's terms): workers add an
 * entry to `rq:events:<queue>` (a Redis stream, rq-ts' own) for each job's end (`finished`,
 * `failed`, `retried`, `stopped`, `repeated`, `held`), and `job.updateProgress()` one for each
 * progress, but only while a listener keeps the stream alive: a listener refreshes its TTL (60 s)
 * as it reads, and without one the stream expires and nothing more is written. Entries are kept to
 * about 10,000 (XADD MAXLEN ~), so a listener that loses its connection and comes back within that
 * window reads on from the last entry it saw, missing none.
 */
import { EventEmitter } from 'node:events';
import { resolveConnection, layoutOf, type ConnectionOptions, type RedisConnection } from './connection.js';
import { afterDeadline } from './deadline.js';
import { QUEUE_EVENTS_MAXLEN } from './defaults.js';
import { JobFailedError, NoSuchJobError, WaitTimeoutError } from './errors.js';
import { queueEventsKey } from './keys.js';
import { duplicateConnection } from './redis-client.js';
import { scrubConnectionErrors } from './redis-errors.js';

/** How long a queue's events stream lives after a listener last read it, in ms. */
export const QUEUE_EVENTS_TTL_MS = 60_000;

/** How long one read blocks, in ms: the stream's TTL is refreshed at least this often. */
const BLOCK_MS = 2000;

/** The events a {@link QueueEvents} emits, with their arguments: the job id, and the stream entry id. */
export interface QueueEventsMap {
  finished: [jobId: string, eventId: string];
  failed: [jobId: string, eventId: string];
  retried: [jobId: string, eventId: string];
  stopped: [jobId: string, eventId: string];
  repeated: [jobId: string, eventId: string];
  held: [jobId: string, eventId: string];
  /**
   * The job's worker died while running it, and a sweep found it: `then` says what became of it
   * (`failed`, `retried`, or `requeued`: back on its queue); `failed` or `retried` follows.
   */
  abandoned: [jobId: string, then: string, eventId: string];
  progress: [jobId: string, progress: unknown, eventId: string];
  /** A read failed (the connection is lost: it goes on once ioredis reconnects). */
  error: [error: Error];
}

/** Options of {@link QueueEvents}. */
export interface QueueEventsOptions extends ConnectionOptions {
  /** Read on after this entry id (one a previous listener saw); `'$'`, the default, reads only new events. */
  readonly lastEventId?: string;
}

/**
 * The events of one queue's jobs, as they happen.
 * @example
 * const events = new QueueEvents('emails', { connection });
 * events.on('failed', (jobId) => console.log(`${jobId} failed`));
 * await events.start();
 */
export class QueueEvents extends EventEmitter<QueueEventsMap> {
  /** The queue's name. */
  readonly queue: string;
  /** The stream read, `rq:events:<queue>`. */
  readonly key: string;
  readonly #connection: RedisConnection;
  #reader: RedisConnection | undefined;
  #lastEventId: string;
  #running: Promise<void> | undefined;
  #closed = false;
  /** When the stream's TTL was last refreshed (epoch ms). */
  #keptAliveAt = 0;

  /** @throws {NoRedisConnectionError} without a connection. */
  constructor(queue: string, options: QueueEventsOptions = {}) {
    super();
    this.queue = queue;
    this.#connection = resolveConnection(options.connection, `QueueEvents '${queue}'`);
    this.key = queueEventsKey(queue, layoutOf(this.#connection));
    this.#lastEventId = options.lastEventId ?? '$';
  }

  /** The id of the last entry read: give it to a later listener as `lastEventId` to read on from there. */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** Keeps the stream alive (workers write events from now on) and starts reading; resolves once workers write. */
  async start(): Promise<void> {
    if (this.#running) return;
    await this.#keepAlive(this.#connection);
    if (this.#lastEventId === '$') {
      // From the stream's last entry, not from XREAD's "$": events written before the first read are not missed.
      const last = await this.#connection.xrevrange(this.key, '+', '-', 'COUNT', 1);
      this.#lastEventId = last[0]?.[0] ?? '0-0';
    }
    const reader = duplicateConnection(this.#connection, { maxRetriesPerRequest: null, connectionName: `rq-events:${this.queue}`, enableOfflineQueue: true });
    reader.on('error', () => undefined); // reported by the failing read
    scrubConnectionErrors(reader);
    this.#reader = reader;
    this.#running = this.#loop(reader);
  }

  /** Stops reading and closes its connection. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#reader?.disconnect();
    await this.#running;
  }

  async #keepAlive(connection: RedisConnection): Promise<void> {
    // A sixth of the TTL between refreshes: not a round trip before every read.
    if (Date.now() - this.#keptAliveAt < QUEUE_EVENTS_TTL_MS / 6) return;
    this.#keptAliveAt = Date.now();
    // The stream exists while listened to: a marker entry creates it, then its TTL is refreshed.
    if ((await connection.pexpire(this.key, QUEUE_EVENTS_TTL_MS)) === 0) {
      await connection.xadd(this.key, 'MAXLEN', '~', QUEUE_EVENTS_MAXLEN, '*', 'event', 'listening', 'job_id', '');
      await connection.pexpire(this.key, QUEUE_EVENTS_TTL_MS);
    }
  }

  async #loop(reader: RedisConnection): Promise<void> {
    while (!this.#closed) {
      try {
        await this.#keepAlive(reader);
        const reply = await reader.xread('BLOCK', BLOCK_MS, 'STREAMS', this.key, this.#lastEventId);
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          this.#lastEventId = id;
          this.#emitEntry(id, fields);
        }
      } catch (error) {
        if (this.#closed) return;
        if (this.listenerCount('error') > 0) this.emit('error', error as Error);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  #emitEntry(id: string, fields: string[]): void {
    const entry: Record<string, string> = {};
    for (let index = 0; index + 1 < fields.length; index += 2) entry[fields[index]!] = fields[index + 1]!;
    const { event, job_id: jobId = '' } = entry;
    if (event === 'progress') this.emit('progress', jobId, parseProgress(entry['progress']), id);
    else if (event === 'abandoned') this.emit('abandoned', jobId, entry['then'] ?? '', id);
    else if (event === 'finished' || event === 'failed' || event === 'retried' || event === 'stopped' || event === 'repeated' || event === 'held') this.emit(event, jobId, id);
  }
}

function parseProgress(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

/** Adds a progress event for job `id` of `queue` when a listener keeps the stream alive. */
export async function publishProgress(connection: RedisConnection, queue: string, id: string, progress: unknown): Promise<void> {
  const key = queueEventsKey(queue, layoutOf(connection));
  if ((await connection.exists(key)) === 1) await connection.xadd(key, 'MAXLEN', '~', QUEUE_EVENTS_MAXLEN, '*', 'event', 'progress', 'job_id', id, 'progress', JSON.stringify(progress));
}

/** What waiting needs of a job. */
interface Awaited {
  readonly id: string;
  /** Its status, undefined when its hash has none or is gone. */
  getStatus(): Promise<string | undefined>;
  /** Its hash's key, and the connection it was read with. */
  readonly key: string;
  readonly connection: RedisConnection;
  returnValue(): Promise<unknown>;
  excInfo(): Promise<string | undefined>;
}

/**
 * Resolves to what `job` returned once it has finished, read from `events` (started), or rejects
 * with {@link JobFailedError} once it has failed or been stopped, or with {@link WaitTimeoutError}
 * after `timeoutMs`. A job that ended before the call is answered at once; one whose hash is gone
 * (deleted, expired, or ended with a result TTL of 0 before the call) rejects at once with
 * {@link NoSuchJobError}: nothing will be written about it.
 */
export function waitForJob(job: Awaited, events: QueueEvents, timeoutMs?: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let cancelTimeout: (() => void) | undefined;
    let settled = false;
    /** Stops listening and waiting; false when the wait was already over. */
    const end = (): boolean => {
      if (settled) return false;
      settled = true;
      for (const event of ['finished', 'failed', 'stopped'] as const) events.off(event, listeners[event]);
      cancelTimeout?.();
      return true;
    };
    const settle = (status: string | undefined) => {
      if ((status !== 'finished' && status !== 'failed' && status !== 'stopped') || !end()) return;
      if (status === 'finished') job.returnValue().then(resolve, reject);
      else job.excInfo().then((excInfo) => reject(new JobFailedError(`Job ${job.id} ${status}${excInfo ? `: ${excInfo.trim().split('\n').at(-1)}` : ''}.`, excInfo)), reject);
    };
    const listeners = {
      finished: (id: string) => id === job.id && settle('finished'),
      failed: (id: string) => id === job.id && settle('failed'),
      stopped: (id: string) => id === job.id && settle('stopped'),
    };
    for (const event of ['finished', 'failed', 'stopped'] as const) events.on(event, listeners[event]);
    if (timeoutMs !== undefined) {
      cancelTimeout = afterDeadline(performance.now() + timeoutMs, () => end() && reject(new WaitTimeoutError(`Job ${job.id} did not finish within ${timeoutMs} ms; it goes on.`)));
    }
    // Listening first, then reading: a job that ended before is not waited for in vain.
    const gone = () => {
      if (!end()) return;
      reject(new NoSuchJobError(`Job ${job.id} does not exist: it was deleted, expired, or ended with a result TTL of 0 before the wait began. Wait before it ends, or keep its result (resultTtl > 0).`));
    };
    job
      .getStatus()
      .then(async (status) => (status === undefined && (await job.connection.exists(job.key)) === 0 ? gone() : settle(status)))
      .catch(() => undefined);
  });
}
