/**
 * Job statistics, rq-ts' own (RQ and rq-exporter have none): per queue and function, how long jobs
 * ran and waited (enqueued to started), as histograms, and how many executions were retried,
 * timed out or were abandoned. Workers gather them in memory and write them every
 * {@link JOB_STATS_FLUSH_MS} and when they stop, in one MULTI: no command is added to a job's step.
 *
 * In Redis, plain hashes a person can read:
 *
 * - `rq:stats:<queue>` (kept {@link JOB_STATS_TTL} after its last write): `run:<le>:<function>`
 *   and `wait:<le>:<function>`, the executions whose time fell in the bucket with upper bound
 *   `<le>` seconds (one of {@link TIME_BUCKETS}, `+Inf` for the last; not cumulative), with
 *   `run_sum:<function>` and `wait_sum:<function>` in seconds; `retries:<function>`,
 *   `timeouts:<function>` and `abandoned:<function>`.
 * - the queue's throughput hash of the hour (throughput.ts): `<minute>:run:<le>`, the run-time
 *   histogram of the jobs that ended in that minute, for the dashboard's percentiles.
 *
 * Python RQ workers write none of these: their jobs are not in them.
 */
import { isCluster, layoutOf, resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { JOB_STATS_TTL, THROUGHPUT_TTL } from './defaults.js';
import { jobStatsKey, throughputKey } from './keys.js';
import { commandBatch } from './redis-client.js';

/** Upper bounds of the time buckets, in seconds (Prometheus' `le`), the last `Infinity`. */
export const TIME_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, Infinity];

/** Each bucket's `<le>` as the hashes' fields write it. */
export const BUCKET_NAMES: readonly string[] = TIME_BUCKETS.map((le) => (le === Infinity ? '+Inf' : String(le)));

/** The index in {@link TIME_BUCKETS} of the bucket `seconds` falls in. */
function bucketOf(seconds: number): number {
  let index = 0;
  while (seconds > TIME_BUCKETS[index]!) index += 1;
  return index;
}

/** One execution's end, as a worker saw it. */
export interface ExecutionStats {
  readonly queue: string;
  /** The job's function name ('' when its data could not be read). */
  readonly func: string;
  /** Seconds the job's function ran; undefined when it never ran. */
  readonly runSeconds: number | undefined;
  /** Seconds from enqueued_at (the producer's clock for a plain enqueue) to started_at (the server's); undefined when unknown or negative. */
  readonly waitSeconds: number | undefined;
  /** When it ended (epoch ms, by the Redis server's clock): the minute of the chart it counts in. */
  readonly endedAtMs: number;
  /** Whether it was retried (at once or later). */
  readonly retried: boolean;
  /** Whether it ended for its timeout. */
  readonly timedOut: boolean;
}

type Increments = Map<string, Map<string, number>>;

function add(increments: Increments, key: string, field: string, by: number): void {
  let fields = increments.get(key);
  if (!fields) increments.set(key, (fields = new Map()));
  fields.set(field, (fields.get(field) ?? 0) + by);
}

/** What one function's executions in one queue added since the last write. */
interface Tally {
  readonly run: number[];
  readonly wait: number[];
  runSum: number;
  waitSum: number;
  retries: number;
  timeouts: number;
  abandoned: number;
}

/** The HINCRBY and HINCRBYFLOAT increments of a write, by key and field, and each key's TTL (seconds). */
interface Writes {
  readonly counts: Increments;
  readonly sums: Increments;
  readonly ttls: Map<string, number>;
}

/**
 * A worker's statistics not yet written. Recording a job's end is a few additions to arrays (no
 * string is built, nothing allocated once a function has been seen): the hashes' fields are
 * written out when they are sent.
 */
export class JobStats {
  readonly #connection: RedisConnection;
  /** By queue, then function. */
  #tallies = new Map<string, Map<string, Tally>>();
  /** Run-time bucket counts by queue, then minute (its start, epoch seconds). */
  #minutes = new Map<string, Map<number, number[]>>();
  /** A write Redis refused, sent again with the next. */
  #unwritten: Writes | undefined;

  constructor(connection: RedisConnection) {
    this.#connection = connection;
  }

  #tally(queue: string, func: string): Tally {
    let byFunction = this.#tallies.get(queue);
    if (!byFunction) this.#tallies.set(queue, (byFunction = new Map()));
    let tally = byFunction.get(func);
    if (!tally) byFunction.set(func, (tally = { run: TIME_BUCKETS.map(() => 0), wait: TIME_BUCKETS.map(() => 0), runSum: 0, waitSum: 0, retries: 0, timeouts: 0, abandoned: 0 }));
    return tally;
  }

  /** Adds one execution's end. */
  recordEnd(stats: ExecutionStats): void {
    const tally = this.#tally(stats.queue, stats.func);
    const { runSeconds, waitSeconds } = stats;
    if (runSeconds !== undefined) {
      const bucket = bucketOf(runSeconds);
      tally.run[bucket]! += 1;
      tally.runSum += runSeconds;
      let byMinute = this.#minutes.get(stats.queue);
      if (!byMinute) this.#minutes.set(stats.queue, (byMinute = new Map()));
      const minute = Math.floor(stats.endedAtMs / 60_000) * 60;
      let counts = byMinute.get(minute);
      if (!counts) byMinute.set(minute, (counts = TIME_BUCKETS.map(() => 0)));
      counts[bucket]! += 1;
    }
    if (waitSeconds !== undefined) {
      tally.wait[bucketOf(waitSeconds)]! += 1;
      tally.waitSum += waitSeconds;
    }
    if (stats.retried) tally.retries += 1;
    if (stats.timedOut) tally.timeouts += 1;
  }

  /** Adds `count` abandoned executions of `func` in `queue` (the abandoned-job sweep's). */
  recordAbandoned(queue: string, func: string, count = 1): void {
    this.#tally(queue, func).abandoned += count;
  }

  /** The tallies as the hashes' increments (merged into `writes`), and forgotten. */
  #drain(writes: Writes): Writes {
    const layout = layoutOf(this.#connection);
    const { counts, sums, ttls } = writes;
    for (const [queue, byFunction] of this.#tallies) {
      const key = jobStatsKey(queue, layout);
      ttls.set(key, JOB_STATS_TTL);
      for (const [func, tally] of byFunction) {
        tally.run.forEach((count, index) => count > 0 && add(counts, key, `run:${BUCKET_NAMES[index]}:${func}`, count));
        tally.wait.forEach((count, index) => count > 0 && add(counts, key, `wait:${BUCKET_NAMES[index]}:${func}`, count));
        if (tally.runSum > 0) add(sums, key, `run_sum:${func}`, tally.runSum);
        if (tally.waitSum > 0) add(sums, key, `wait_sum:${func}`, tally.waitSum);
        for (const kind of ['retries', 'timeouts', 'abandoned'] as const) if (tally[kind] > 0) add(counts, key, `${kind}:${func}`, tally[kind]);
      }
    }
    for (const [queue, byMinute] of this.#minutes) {
      for (const [minute, buckets] of byMinute) {
        const hour = minute - (minute % 3600);
        const key = throughputKey(queue, hour, layout);
        ttls.set(key, THROUGHPUT_TTL);
        buckets.forEach((count, index) => count > 0 && add(counts, key, `${(minute - hour) / 60}:run:${BUCKET_NAMES[index]}`, count));
      }
    }
    this.#tallies = new Map();
    this.#minutes = new Map();
    return writes;
  }

  /** Whether anything waits to be written. */
  get pending(): boolean {
    return this.#tallies.size > 0 || this.#minutes.size > 0 || this.#unwritten !== undefined;
  }

  /**
   * Writes what was gathered, in one MULTI (on a cluster, command by command), and refreshes each
   * key's TTL. When Redis refuses the MULTI, its increments are kept for the next flush; on a
   * cluster, where part may have been written, they are dropped rather than counted twice.
   */
  async flush(): Promise<void> {
    if (!this.pending) return;
    const writes = this.#drain(this.#unwritten ?? { counts: new Map(), sums: new Map(), ttls: new Map() });
    this.#unwritten = undefined;
    const batch = commandBatch(this.#connection, { atomic: true });
    for (const [key, fields] of writes.counts) for (const [field, by] of fields) batch.hincrby(key, field, by);
    for (const [key, fields] of writes.sums) for (const [field, by] of fields) batch.hincrbyfloat(key, field, by);
    for (const [key, ttl] of writes.ttls) batch.expire(key, ttl);
    try {
      const replies = (await batch.exec()) ?? [];
      const failed = replies.find(([error]) => error);
      if (failed) throw failed[0];
    } catch (error) {
      if (!isCluster(this.#connection)) this.#unwritten = writes;
      throw error;
    }
  }
}

/** A histogram of times: executions per bucket of {@link TIME_BUCKETS} (not cumulative), and their sum in seconds. */
export interface TimeHistogram {
  readonly counts: number[];
  sum: number;
}

/** One function's statistics in one queue. */
export interface FunctionStats {
  readonly run: TimeHistogram;
  readonly wait: TimeHistogram;
  retries: number;
  timeouts: number;
  abandoned: number;
}

/** An empty histogram. */
export function emptyHistogram(): TimeHistogram {
  return { counts: TIME_BUCKETS.map(() => 0), sum: 0 };
}

/** Reads a `rq:stats:<queue>` hash (as HGETALL answers it) into statistics by function name. Fields it does not know are skipped. */
export function parseJobStats(hash: Record<string, string>): Map<string, FunctionStats> {
  const byFunction = new Map<string, FunctionStats>();
  const of = (func: string): FunctionStats => {
    let stats = byFunction.get(func);
    if (!stats) byFunction.set(func, (stats = { run: emptyHistogram(), wait: emptyHistogram(), retries: 0, timeouts: 0, abandoned: 0 }));
    return stats;
  };
  for (const [field, text] of Object.entries(hash)) {
    const value = Number(text);
    if (!Number.isFinite(value)) continue;
    const kind = field.slice(0, field.indexOf(':'));
    const rest = field.slice(kind.length + 1);
    if (kind === 'run' || kind === 'wait') {
      const colon = rest.indexOf(':');
      const bucket = BUCKET_NAMES.indexOf(rest.slice(0, colon));
      if (colon >= 0 && bucket >= 0) of(rest.slice(colon + 1))[kind].counts[bucket]! += value;
    } else if (kind === 'run_sum' || kind === 'wait_sum') {
      of(rest)[kind === 'run_sum' ? 'run' : 'wait'].sum += value;
    } else if (kind === 'retries' || kind === 'timeouts' || kind === 'abandoned') {
      of(rest)[kind] += value;
    }
  }
  return byFunction;
}

/**
 * The `q` quantile (0 to 1) of a histogram's counts, as Prometheus' histogram_quantile estimates it:
 * linear within the bucket it falls in (from 0 for the first); the largest finite bound when it
 * falls in the last (+Inf). Undefined for an empty histogram.
 */
export function quantile(counts: readonly number[], q: number): number | undefined {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let index = 0; index < counts.length; index++) {
    const count = counts[index]!;
    if (below + count >= rank && count > 0) {
      const upper = TIME_BUCKETS[index]!;
      const lower = index === 0 ? 0 : TIME_BUCKETS[index - 1]!;
      if (upper === Infinity) return lower;
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return TIME_BUCKETS[TIME_BUCKETS.length - 2];
}

/** One function's statistics in a queue, as {@link getJobStats} reads them. */
export interface JobStatsEntry extends FunctionStats {
  /** The function name ('' for jobs whose data could not be read). */
  readonly func: string;
}

/**
 * The job statistics of `queue` by function, sorted by name: run and wait histograms (with
 * {@link quantile} for percentiles), retries, timeouts, abandoned jobs, since each key's TTL last
 * ran out (7 days without a write). One HGETALL.
 */
export async function getJobStats(options: ConnectionOptions & { queue: string }): Promise<JobStatsEntry[]> {
  const connection = resolveConnection(options.connection, 'getJobStats()');
  const hash = await connection.hgetall(jobStatsKey(options.queue, layoutOf(connection)));
  return [...parseJobStats(hash)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([func, stats]) => ({ func, ...stats }));
}
