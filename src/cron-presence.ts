/**
 * How a cron scheduler shows itself to RQ's tools, in RQ 2.5's layout: its hash
 * `rq:cron_scheduler:<name>` (hostname, pid, config file, its cron jobs as JSON; a TTL refreshed
 * by each heartbeat) and its entry in the sorted set `rq:cron_schedulers`, scored by its last
 * heartbeat in Redis server time. RQ's `CronScheduler.all()` lists rq-ts schedulers from them,
 * and {@link allSchedulers} lists Python RQ's. The scheduler's loop (cron.ts) calls these.
 */
import type { RedisConnection } from './connection.js';
import { commandBatch } from './redis-client.js';
import type { CronJob, CronJobInfo } from './cron-job.js';
import { DuplicateCronSchedulerError, NoSuchCronSchedulerError } from './errors.js';
import { CRON_SCHEDULERS_KEY, cronSchedulerKey } from './keys.js';
import { serverTime } from './server-time.js';
import { formatTimestamp, parseTimestamp } from './timestamps.js';

/** A scheduler's hash lives this long after its last heartbeat (RQ: 60 at birth, 120 per heartbeat). */
const SCHEDULER_TTL = 120;
/** A scheduler whose last heartbeat is older than this is stale, as RQ's registry cleanup says. */
const STALE_AFTER = 120;

/** A running cron scheduler, as {@link CronScheduler.all} and {@link CronScheduler.fetch} read it from Redis (rq-ts' or Python RQ's). */
export interface CronSchedulerInfo {
  name: string;
  hostname: string;
  pid: number;
  createdAt: Date | undefined;
  /** The config file it loaded, or "". */
  configFile: string;
  /** Its last heartbeat, from `rq:cron_schedulers`; undefined when it is no longer registered. */
  lastHeartbeat: Date | undefined;
  cronJobs: CronJobInfo[];
}

/** What a scheduler's hash is written from: the scheduler itself. */
export interface SchedulerRecord {
  readonly name: string;
  /** Its hash, `rq:cron_scheduler:<name>`. */
  readonly key: string;
  readonly hostname: string;
  readonly pid: number;
  readonly createdAt: Date;
  readonly configFile: string;
  getJobs(): readonly CronJob[];
}

/**
 * Registers a scheduler in `rq:cron_schedulers` at `now` (Redis server time, in seconds) and
 * writes its hash, as RQ's register_birth. A registration of the same name silent for 120 s (a
 * scheduler that crashed) is taken over.
 * @throws {DuplicateCronSchedulerError} when a live scheduler has this name.
 */
export async function registerScheduler(connection: RedisConnection, scheduler: SchedulerRecord, now: number): Promise<void> {
  const added = await connection.zadd(CRON_SCHEDULERS_KEY, 'NX', now, scheduler.name);
  if (added === 0) {
    const score = Number(await connection.zscore(CRON_SCHEDULERS_KEY, scheduler.name));
    if (score > now - STALE_AFTER) throw new DuplicateCronSchedulerError(`A cron scheduler named '${scheduler.name}' is running (it sent a heartbeat ${Math.round(now - score)} s ago, ${CRON_SCHEDULERS_KEY}): give each a unique name.`);
    await connection.zadd(CRON_SCHEDULERS_KEY, now, scheduler.name);
  }
  await saveScheduler(connection, scheduler);
}

/**
 * Refreshes a scheduler's score in `rq:cron_schedulers` to `now` (Redis server time, in seconds,
 * which other processes compare) and its hash's TTL; rewrites both when they were lost (the hash
 * expired during a long outage, or Redis restarted empty).
 */
export async function heartbeatScheduler(connection: RedisConnection, scheduler: SchedulerRecord, now: number): Promise<void> {
  const replies = (await commandBatch(connection, { atomic: true }).zadd(CRON_SCHEDULERS_KEY, 'XX', 'CH', now, scheduler.name).expire(scheduler.key, SCHEDULER_TTL).exec()) ?? [];
  const [[, updated] = [], [, expired] = []] = replies;
  if (updated === 0 || expired === 0) {
    await connection.zadd(CRON_SCHEDULERS_KEY, now, scheduler.name);
    await saveScheduler(connection, scheduler);
  }
}

/** Writes a scheduler's whole hash (RQ's readers need every field) with its TTL. */
export async function saveScheduler(connection: RedisConnection, scheduler: SchedulerRecord): Promise<void> {
  await commandBatch(connection, { atomic: true })
    .hset(scheduler.key, {
      hostname: scheduler.hostname,
      pid: String(scheduler.pid),
      name: scheduler.name,
      created_at: formatTimestamp(scheduler.createdAt),
      config_file: scheduler.configFile,
      cron_jobs: JSON.stringify(scheduler.getJobs().map((job) => job.toDict())),
    })
    .expire(scheduler.key, SCHEDULER_TTL)
    .exec();
}

/** Takes a scheduler out of `rq:cron_schedulers` and deletes its hash. */
export async function unregisterScheduler(connection: RedisConnection, scheduler: SchedulerRecord): Promise<void> {
  await commandBatch(connection, { atomic: true }).zrem(CRON_SCHEDULERS_KEY, scheduler.name).del(scheduler.key).exec();
}

/**
 * Every registered cron scheduler (rq-ts' and Python RQ's), after dropping those silent for 120 s
 * by the Redis server's clock, as RQ's `CronScheduler.all()`.
 */
export async function allSchedulers(connection: RedisConnection): Promise<CronSchedulerInfo[]> {
  await connection.zremrangebyscore(CRON_SCHEDULERS_KEY, 0, (await serverTime(connection)).getTime() / 1000 - STALE_AFTER);
  const names = await connection.zrange(CRON_SCHEDULERS_KEY, 0, -1);
  const found = await Promise.all(names.map((name) => fetchScheduler(connection, name).catch(() => undefined)));
  return found.filter((info): info is CronSchedulerInfo => info !== undefined);
}

/**
 * The scheduler `name`, as its hash describes it.
 * @throws {NoSuchCronSchedulerError} when its hash is gone.
 */
export async function fetchScheduler(connection: RedisConnection, name: string): Promise<CronSchedulerInfo> {
  const [hash, score] = await Promise.all([connection.hgetall(cronSchedulerKey(name)), connection.zscore(CRON_SCHEDULERS_KEY, name)]);
  if (Object.keys(hash).length === 0) throw new NoSuchCronSchedulerError(`No cron scheduler named '${name}' (${cronSchedulerKey(name)} does not exist).`);
  let cronJobs: CronJobInfo[] = [];
  try {
    cronJobs = JSON.parse(hash['cron_jobs'] ?? '[]') as CronJobInfo[];
  } catch {
    cronJobs = [];
  }
  return {
    name: hash['name'] ?? name,
    hostname: hash['hostname'] ?? '',
    pid: Number(hash['pid'] ?? 0),
    createdAt: parseTimestamp(hash['created_at']),
    configFile: hash['config_file'] ?? '',
    lastHeartbeat: score === null ? undefined : new Date(Number(score) * 1000),
    cronJobs,
  };
}
