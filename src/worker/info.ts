/**
 * Reading workers from Redis, as RQ's `Worker.all()` and `Worker.find_by_key()` do: the set
 * `rq:workers` (or `rq:workers:<queue>`) and each worker's hash. Works for Python RQ's workers and
 * rq-ts' alike (a slot of an rq-ts worker with concurrency is a worker of its own there).
 */
import { layoutOf, resolveConnection, type ConnectionOptions, type RedisConnection } from '../connection.js';
import { commandBatch } from '../redis-client.js';
import { WORKERS_KEY, WORKER_KEY_PREFIX, queueWorkersKey, workerKey } from '../keys.js';
import { parseTimestamp } from '../timestamps.js';

/** A worker as its hash `rq:worker:<name>` describes it. */
export interface WorkerInfo {
  /** The worker's name (a slot's name for an rq-ts worker with concurrency). */
  readonly name: string;
  /** `rq:worker:<name>`. */
  readonly key: string;
  /** `started`, `idle`, `busy`, `suspended`, or what the worker wrote. */
  readonly state: string;
  readonly queueNames: readonly string[];
  /** The id of the job it runs, when busy. */
  readonly currentJobId: string | undefined;
  readonly hostname: string;
  readonly ipAddress: string;
  readonly pid: number | undefined;
  /** RQ's or rq-ts' version. */
  readonly version: string;
  /** Python's version, or `Node.js v20... (rq-ts)`. */
  readonly pythonVersion: string;
  readonly birth: Date | undefined;
  readonly lastHeartbeat: Date | undefined;
  /** When it stopped (a stopped worker's hash lives 60 s more). */
  readonly death: Date | undefined;
  readonly successfulJobCount: number;
  readonly failedJobCount: number;
  /** Seconds spent running jobs. */
  readonly totalWorkingTime: number;
}

/** Options of {@link allWorkers}. */
export interface AllWorkersOptions extends ConnectionOptions {
  /** Only the workers of this queue (`rq:workers:<queue>`). @default every worker (`rq:workers`) */
  queue?: string;
  /**
   * Take the names whose hash has expired out of the set, as RQ's `clean_worker_registry` does.
   * `false` only reads (a Redis user with read-only ACLs can call it). @default true
   */
  cleanup?: boolean;
}

/**
 * The live workers: those of `queue` when given (`rq:workers:<queue>`), else all (`rq:workers`),
 * sorted by name. Names whose hash has expired (a worker killed without a goodbye) are left out,
 * and taken out of the set unless `cleanup` is false.
 */
export async function allWorkers(options: AllWorkersOptions = {}): Promise<WorkerInfo[]> {
  const connection = resolveConnection(options.connection, 'Worker.all()');
  const setKey = options.queue === undefined ? WORKERS_KEY : queueWorkersKey(options.queue, layoutOf(connection));
  const keys = (await connection.smembers(setKey)).sort();
  if (keys.length === 0) return [];
  const pipeline = commandBatch(connection, { atomic: false });
  for (const key of keys) pipeline.hgetall(key);
  const replies = (await pipeline.exec()) ?? [];
  const workers: WorkerInfo[] = [];
  const dead: string[] = [];
  keys.forEach((key, index) => {
    const hash = replies[index]?.[1] as Record<string, string> | undefined;
    if (!hash || Object.keys(hash).length === 0) dead.push(key);
    else workers.push(toWorkerInfo(key, hash));
  });
  if (dead.length > 0 && options.cleanup !== false) await connection.srem(setKey, ...dead);
  return workers;
}

/** The worker `name`, or undefined when its hash does not exist. */
export async function fetchWorker(name: string, options: ConnectionOptions = {}): Promise<WorkerInfo | undefined> {
  const connection: RedisConnection = resolveConnection(options.connection, `Worker.fetch('${name}')`);
  const key = workerKey(name);
  const hash = await connection.hgetall(key);
  return Object.keys(hash).length === 0 ? undefined : toWorkerInfo(key, hash);
}

function toWorkerInfo(key: string, hash: Record<string, string>): WorkerInfo {
  const number = (text: string | undefined) => (text === undefined || text === '' || !Number.isFinite(Number(text)) ? 0 : Number(text));
  return {
    name: key.startsWith(WORKER_KEY_PREFIX) ? key.slice(WORKER_KEY_PREFIX.length) : key,
    key,
    state: hash['state'] ?? '?',
    queueNames: (hash['queues'] ?? '').split(',').filter((name) => name !== ''),
    currentJobId: hash['current_job'] || undefined,
    hostname: hash['hostname'] ?? '',
    ipAddress: hash['ip_address'] ?? '',
    pid: hash['pid'] !== undefined && /^\d+$/.test(hash['pid']) ? Number(hash['pid']) : undefined,
    version: hash['version'] ?? '',
    pythonVersion: hash['python_version'] ?? '',
    birth: parseTimestamp(hash['birth']),
    lastHeartbeat: parseTimestamp(hash['last_heartbeat']),
    death: parseTimestamp(hash['death']),
    successfulJobCount: number(hash['successful_job_count']),
    failedJobCount: number(hash['failed_job_count']),
    totalWorkingTime: number(hash['total_working_time']),
  };
}
