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

/** The name of the bucket `seconds` falls in. */
function bucketOf(seconds: number): string {
  for (let index = 0; index < TIME_BUCKETS.length - 1; index++) if (seconds <= TIME_BUCKETS[index]!) return BUCKET_NAMES[index]!;
  return '+Inf';
}

/** One execution's end, as a worker saw it. */
export interface ExecutionStats {
  readonly queue: string;
  /** The job's function name ('' when its data could not be read). */
  readonly func: string;
  /** Seconds the job's function ran; undefined when it never ran. */
  readonly runSeconds: number | undefined;
  /** Seconds from enqueued to started; undefined when unknown. */
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

/** A worker's statistics not yet written. */
export class JobStats {
  readonly #connection: RedisConnection;
  /** HINCRBY and HINCRBYFLOAT increments by key and field. */
  #counts: Increments = new Map();
  #sums: Increments = new Map();
  /** The TTL each key written gets, in seconds. */
  #ttls = new Map<string, number>();

  constructor(connection: RedisConnection) {
    this.#connection = connection;
  }

  /** Adds one execution's end. */
  recordEnd(stats: ExecutionStats): void {
    const layout = layoutOf(this.#connection);
    const key = this.#statsKey(stats.queue);
    const { func } = stats;
    if (stats.runSeconds !== undefined) {
      const bucket = bucketOf(stats.runSeconds);
      add(this.#counts, key, `run:${bucket}:${func}`, 1);
      add(this.#sums, key, `run_sum:${func}`, stats.runSeconds);
      const minuteStart = Math.floor(stats.endedAtMs / 60_000) * 60;
      const hour = minuteStart - (minuteStart % 3600);
      const perMinute = throughputKey(stats.queue, hour, layout);
      this.#ttls.set(perMinute, THROUGHPUT_TTL);
      add(this.#counts, perMinute, `${(minuteStart - hour) / 60}:run:${bucket}`, 1);
    }
    if (stats.waitSeconds !== undefined) {
      add(this.#counts, key, `wait:${bucketOf(stats.waitSeconds)}:${func}`, 1);
      add(this.#sums, key, `wait_sum:${func}`, stats.waitSeconds);
    }
    if (stats.retried) add(this.#counts, key, `retries:${func}`, 1);
    if (stats.timedOut) add(this.#counts, key, `timeouts:${func}`, 1);
  }

  /** Adds `count` abandoned executions of `func` in `queue` (the abandoned-job sweep's). */
  recordAbandoned(queue: string, func: string, count = 1): void {
    add(this.#counts, this.#statsKey(queue), `abandoned:${func}`, count);
  }

  #statsKey(queue: string): string {
    const key = jobStatsKey(queue, layoutOf(this.#connection));
    this.#ttls.set(key, JOB_STATS_TTL);
    return key;
  }

  /** Whether anything waits to be written. */
  get pending(): boolean {
    return this.#counts.size > 0 || this.#sums.size > 0;
  }

  /**
   * Writes what was gathered, in one MULTI (on a cluster, command by command), and refreshes each
   * key's TTL. When Redis refuses the MULTI, its increments are kept for the next flush; on a
   * cluster, where part may have been written, they are dropped rather than counted twice.
   */
  async flush(): Promise<void> {
    if (!this.pending) return;
    const counts = this.#counts;
    const sums = this.#sums;
    this.#counts = new Map();
    this.#sums = new Map();
    const ttls = this.#ttls;
    this.#ttls = new Map();
    const batch = commandBatch(this.#connection, { atomic: true });
    const keys = new Set([...counts.keys(), ...sums.keys()]);
    for (const [key, fields] of counts) for (const [field, by] of fields) batch.hincrby(key, field, by);
    for (const [key, fields] of sums) for (const [field, by] of fields) batch.hincrbyfloat(key, field, by);
    for (const key of keys) batch.expire(key, ttls.get(key) ?? JOB_STATS_TTL);
    try {
      const replies = (await batch.exec()) ?? [];
      const failed = replies.find(([error]) => error);
      if (failed) throw failed[0];
    } catch (error) {
      if (isCluster(this.#connection)) throw error;
      for (const [key, ttl] of ttls) this.#ttls.set(key, ttl);
      for (const [key, fields] of counts) for (const [field, by] of fields) add(this.#counts, key, field, by);
      for (const [key, fields] of sums) for (const [field, by] of fields) add(this.#sums, key, field, by);
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
