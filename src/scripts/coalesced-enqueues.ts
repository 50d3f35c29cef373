/**
 * Enqueues that meet in one tick on one connection, for one queue, go to Redis as one call of
 * enqueue-jobs.lua instead of one call each: a producer with many enqueues in flight pays the
 * script call (ioredis' command, the socket, Redis' parse and the script's prelude) once per tick
 * rather than once per job. Each job is written as its own call would write it; the script is one
 * atomic step either way.
 *
 * Commands keep the order they were issued in on the connection: the calls gathered so far are
 * sent before any other command of that connection (the connection's `sendCommand` is wrapped
 * once for this), before an enqueue for another queue, and at the end of the tick at the latest.
 * So `queue.enqueue(job); await queue.count()` counts the job, as it would if each call went
 * alone.
 */
import type { Redis } from 'ioredis';

/** What a gathered call is sent as (the caller's own batch, or several merged), and its failure. */
export interface Coalescing<B, F> {
  /** The batches' common key: only batches with the same key are merged (the queue, the options). */
  readonly keyOf: (batch: B) => string;
  /** One batch made of several, in order. */
  readonly merge: (batches: readonly B[]) => B;
  /** Sends a batch at once; resolves to its refusal (nothing written) or undefined when written. */
  readonly send: (connection: Redis, batch: B) => Promise<F | undefined>;
  /** The error a caller whose own batch was refused gets. */
  readonly errorOf: (batch: B, failure: F) => Error;
}

interface Waiting<B> {
  readonly batch: B;
  readonly size: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Gathering<B> {
  readonly key: string;
  readonly waiting: Waiting<B>[];
  size: number;
  /** Sends what was gathered; set once, so that a later gathering has its own. */
  readonly flush: () => void;
}

/**
 * Most jobs one gathered call carries: when it is reached the call is written at once, and the
 * rest of the tick gathers anew. With 100 enqueues in flight, two calls of 50 let Redis run the
 * first while the producer makes the second; one call per tick left each idle while the other
 * worked (its throughput was about 60% of calls of 50, on this project's benchmark machine).
 */
export const MAX_COALESCED_JOBS = 50;

const gatherings = new WeakMap<Redis, Gathering<unknown>>();
const wrapped = new WeakSet<Redis>();

/**
 * Writes `batch` (of `size` jobs) with the other batches of this tick on `connection` that have
 * its key. Resolves when it is written; rejects with the error its own call would have had.
 */
export function coalesce<B, F>(connection: Redis, batch: B, size: number, how: Coalescing<B, F>): Promise<void> {
  const key = how.keyOf(batch);
  let gathering = gatherings.get(connection) as Gathering<B> | undefined;
  if (gathering !== undefined && gathering.key !== key) {
    gathering.flush();
    gathering = undefined;
  }
  if (gathering === undefined) gathering = startGathering(connection, key, how);
  const open = gathering;
  const written = new Promise<void>((resolve, reject) => open.waiting.push({ batch, size, resolve, reject }));
  open.size += size;
  if (open.size >= MAX_COALESCED_JOBS) open.flush();
  return written;
}

/** Sends the calls gathered on `connection`, if any. */
export function flushCoalesced(connection: Redis): void {
  gatherings.get(connection)?.flush();
}

function startGathering<B, F>(connection: Redis, key: string, how: Coalescing<B, F>): Gathering<B> {
  sendGatheredFirst(connection);
  let sent = false;
  const gathering: Gathering<B> = {
    key,
    waiting: [],
    size: 0,
    flush: () => {
      if (sent) return;
      sent = true;
      if (gatherings.get(connection) === gathering) gatherings.delete(connection);
      send(connection, gathering.waiting, how);
    },
  };
  gatherings.set(connection, gathering as Gathering<unknown>);
  process.nextTick(gathering.flush);
  return gathering;
}

/** Sends the calls as one; when a job of them is refused (nothing is written), each call alone. */
function send<B, F>(connection: Redis, waiting: readonly Waiting<B>[], how: Coalescing<B, F>): void {
  const batch = waiting.length === 1 ? waiting[0]!.batch : how.merge(waiting.map((call) => call.batch));
  how.send(connection, batch).then(
    (failure) => {
      if (failure === undefined) for (const call of waiting) call.resolve();
      else if (waiting.length === 1) waiting[0]!.reject(how.errorOf(batch, failure));
      else for (const call of waiting) send(connection, [call], how);
    },
    (error: unknown) => {
      for (const call of waiting) call.reject(error);
    },
  );
}

/**
 * Wraps the connection's `sendCommand` (once) so that any other command on it first sends what
 * was gathered: commands reach Redis in the order they were issued.
 */
function sendGatheredFirst(connection: Redis): void {
  if (wrapped.has(connection)) return;
  wrapped.add(connection);
  const sendCommand = connection.sendCommand;
  connection.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    gatherings.get(this)?.flush();
    return sendCommand.apply(this, args);
  };
}
