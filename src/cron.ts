/**
 * Recurring jobs, as RQ 2.4-2.6's `CronScheduler` and `rq cron`: functions registered with an
 * interval or a cron expression are enqueued on their queue when due; workers run them as any job.
 *
 * Unlike RQ's, several schedulers may run the same registrations (for availability) and each run
 * is still enqueued once: every cron job keeps its history in `rq:cron_job:<name>:jobs` (RQ's key:
 * job ids scored by the run's time, its cron tick or, for an interval, the enqueue time), and a
 * scheduler writes a run only if, in the same script, that history shows no run at or after this
 * tick (see enqueue-cron-job.lua). The name is what identifies a cron job across schedulers, so it
 * is unique within a scheduler. A scheduler describes
 * itself in RQ 2.5's hash `rq:cron_scheduler:<name>` and heartbeats in `rq:cron_schedulers`, so
 * RQ's `CronScheduler.all()` lists rq-ts schedulers too.
 *
 * Cron expressions are read by croner: five fields (minute, hour, day of month, month, day of
 * week, with RQ's croniter meaning: a day matches when day of month or day of week does), or
 * `@hourly`-style nicknames; times in UTC, as RQ, unless a timezone is given.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { Cron } from 'croner';
import { resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { DEFAULT_RESULT_TTL } from './defaults.js';
import { ConfigurationError, DuplicateCronSchedulerError, InvalidArgumentError, NoSuchCronSchedulerError } from './errors.js';
import type { Job, Kwargs } from './job.js';
import { CRON_SCHEDULERS_KEY, cronJobHistoryKey, cronSchedulerKey } from './keys.js';
import { Queue, createJob, type EnqueueOptions } from './queue.js';
import { enqueueCronJob } from './scripts/enqueue-cron-job.js';
import { Wakeable } from './wakeable.js';
import { serverTime } from './server-time.js';
import { taskName, type Task } from './task.js';
import { parseDuration, type Duration } from './timeouts.js';
import { formatTimestamp, parseTimestamp } from './timestamps.js';

/** Runs kept in a cron job's history (`rq:cron_job:<name>:jobs`), as RQ. */
const HISTORY_LIMIT = 1000;
/** TTL of a cron job's history, refreshed at each run: a year, as RQ. */
const HISTORY_TTL = 365 * 24 * 3600;
/** A scheduler's hash lives this long after its last heartbeat (RQ: 60 at birth, 120 per heartbeat). */
const SCHEDULER_TTL = 120;
/** Longest sleep between two passes, in seconds: heartbeats come at least this often. */
const MAX_SLEEP = 60;
/** A scheduler whose last heartbeat is older than this is stale, as RQ's registry cleanup says. */
const STALE_AFTER = 120;
/** Wait after a pass failed (Redis unreachable) before the next, in seconds. */
const RETRY_AFTER = 1;

/** When a cron job runs: every `interval`, or at the times of a cron expression. */
export type CronSchedule =
  | {
      /** Seconds between runs (or `"30s"`, `"5m"`, `"1h"`, `"2d"`); the first run when the scheduler starts. */
      interval: Duration;
      cron?: never;
      timezone?: never;
    }
  | {
      /** A cron expression: five fields, `minute hour day-of-month month day-of-week`, or `@hourly`, `@daily`... */
      cron: string;
      /** IANA time zone the expression is read in. @default "UTC", as RQ */
      timezone?: string;
      interval?: never;
    };

/** A cron job's registration: its queue, its call, its schedule, and the options of the jobs it enqueues. */
export type CronJobOptions<A extends readonly unknown[] = readonly unknown[]> = CronSchedule & {
  /** The queue the runs are enqueued on. */
  queue: string;
  /** Arguments of each run. */
  args?: A;
  /** Python keyword arguments, for a Python worker's function. */
  kwargs?: Kwargs;
  /** The name of the cron job: its history key and what monitors show. @default the function name */
  name?: string;
  /** Timeout of each run. @default the queue's (180 s) */
  jobTimeout?: Duration;
  /** Seconds a finished run's result is kept. @default 500, as RQ */
  resultTtl?: Duration;
  /** Seconds a run may wait in the queue. */
  ttl?: Duration;
  /** Seconds a failed run is kept. */
  failureTtl?: Duration;
  /** Metadata of each run. */
  meta?: Record<string, unknown>;
  /** Description of each run. @default the call, as `enqueue` writes it */
  description?: string;
};

/** A registered cron job: what it enqueues, and when it last ran and runs next. */
export class CronJob {
  /** The name: its history key `rq:cron_job:<name>:jobs`. */
  readonly name: string;
  readonly funcName: string;
  readonly queueName: string;
  /** Seconds between runs, for an interval job. */
  readonly interval: number | undefined;
  /** The cron expression, for a cron job. */
  readonly cron: string | undefined;
  /** The time zone of the cron expression. */
  readonly timezone: string | undefined;
  /** When this scheduler last saw a run enqueued (by itself or another scheduler). */
  latestEnqueueTime: Date | undefined = undefined;
  /** When the next run is due; undefined for an interval job that has not run (due at once). */
  nextEnqueueTime: Date | undefined = undefined;
  readonly #options: EnqueueOptions;
  readonly #seconds: Partial<Record<'job_timeout' | 'result_ttl' | 'ttl' | 'failure_ttl', number>>;
  readonly #pattern: Cron | undefined;
  /** When it was registered, by the scheduler's clock: its first tick is the next after this. */
  readonly #registeredAt: Date;

  /** @internal Use {@link CronScheduler.register}. */
  constructor(funcName: string, options: CronJobOptions, now: Date) {
    this.#registeredAt = now;
    const { queue, interval, cron, timezone, name, ...jobOptions } = options;
    if ((interval === undefined) === (cron === undefined)) {
      throw new InvalidArgumentError(`Cron job ${name ?? funcName}: give either interval (seconds between runs) or cron (an expression such as "*/15 * * * *"), not ${interval === undefined ? 'neither' : 'both'}.`);
    }
    this.funcName = funcName;
    this.name = name ?? funcName;
    if (!/^[^\s:]{1,200}$/.test(this.name)) throw new InvalidArgumentError(`Cron job name ${JSON.stringify(this.name)}: use up to 200 characters, no spaces or ':'.`);
    this.queueName = queue;
    if (interval !== undefined) {
      const seconds = parseDuration(interval, 'interval');
      if (seconds < 1) throw new InvalidArgumentError(`Cron job ${this.name}: interval must be at least 1 second, got ${String(interval)}.`);
      this.interval = seconds;
      this.cron = undefined;
      this.timezone = undefined;
      this.#pattern = undefined;
    } else {
      this.interval = undefined;
      this.cron = cron!;
      this.timezone = timezone ?? 'UTC';
      this.#pattern = parseCron(this.name, this.cron, this.timezone);
      const next = this.#pattern.nextRun(now);
      if (next === null) throw new InvalidArgumentError(`Cron job ${this.name}: the cron expression "${this.cron}" never matches a time (such as the 30th of February).`);
      this.nextEnqueueTime = next;
    }
    this.#options = { resultTtl: DEFAULT_RESULT_TTL, ...jobOptions };
    // What the scheduler's hash shows, in seconds as RQ writes them ("10m" becomes 600).
    this.#seconds = {};
    for (const [field, option] of [['job_timeout', 'jobTimeout'], ['result_ttl', 'resultTtl'], ['ttl', 'ttl'], ['failure_ttl', 'failureTtl']] as const) {
      const value = this.#options[option];
      if (value !== undefined) this.#seconds[field] = parseDuration(value, option);
    }
  }

  /** The options of each run, as `enqueueCall` takes them. */
  get jobOptions(): EnqueueOptions {
    return this.#options;
  }

  /** Whether a run is due at `now`. */
  isDue(now: Date): boolean {
    if (this.nextEnqueueTime === undefined) return this.interval !== undefined; // an interval job that has not run yet
    return now.getTime() >= this.nextEnqueueTime.getTime();
  }

  /**
   * @internal For a scheduler that learned the Redis server's clock after registering this job:
   * the first tick is worked out again from the registration time seen by the server's clock
   * (`offsetMs`: server time minus local time). Nothing changes once a run is known.
   */
  shiftFirstRun(offsetMs: number): void {
    if (this.#pattern === undefined || this.latestEnqueueTime !== undefined) return;
    this.nextEnqueueTime = this.#pattern.nextRun(new Date(this.#registeredAt.getTime() + offsetMs)) ?? undefined;
  }

  /** Records that the latest run (by any scheduler) was at `latest`, and works out the next. */
  recordRun(latest: Date, now: Date): void {
    this.latestEnqueueTime = latest;
    if (this.interval !== undefined) {
      this.nextEnqueueTime = new Date(latest.getTime() + this.interval * 1000);
    } else {
      // From now, not from the tick: ticks missed while the scheduler was away are not caught up, as RQ.
      const from = latest.getTime() > now.getTime() ? latest : now;
      this.nextEnqueueTime = this.#pattern!.nextRun(from) ?? undefined;
    }
  }

  /** Ids of the jobs this cron job enqueued (by any scheduler), newest first: `start` to `end` as ZRANGE (inclusive, -1 the last). */
  async getJobIds(connection: RedisConnection, start = 0, end = -1): Promise<string[]> {
    return connection.zrange(cronJobHistoryKey(this.name), start, end, 'REV');
  }

  /** What RQ 2.5 stores for the cron job in its scheduler's `cron_jobs` field. */
  toDict(): CronJobInfo {
    const options = this.#options;
    const args = options.args ?? [];
    const kwargs = options.kwargs ?? {};
    return {
      func_name: this.funcName,
      name: this.name,
      queue_name: this.queueName,
      args: args.length > 0 ? JSON.stringify(args) : null,
      kwargs: Object.keys(kwargs).length > 0 ? JSON.stringify(kwargs) : null,
      interval: this.interval ?? null,
      cron: this.cron ?? null,
      latest_enqueue_time: this.latestEnqueueTime ? formatTimestamp(this.latestEnqueueTime) : null,
      next_enqueue_time: this.nextEnqueueTime ? formatTimestamp(this.nextEnqueueTime) : null,
      ...this.#seconds,
      ...(options.meta !== undefined && { meta: JSON.stringify(options.meta) }),
    };
  }
}

/** A cron job as a scheduler's hash describes it (RQ 2.5's `CronJob.to_dict()`). */
export interface CronJobInfo {
  func_name: string;
  name: string;
  queue_name: string;
  /** JSON text of the arguments, or null. */
  args: string | null;
  kwargs: string | null;
  interval: number | null;
  cron: string | null;
  latest_enqueue_time: string | null;
  next_enqueue_time: string | null;
  /** Seconds, as the options of each run. */
  job_timeout?: number;
  result_ttl?: number;
  ttl?: number;
  failure_ttl?: number;
  meta?: string;
}

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

/** Events a cron scheduler emits, with their arguments. */
export interface CronSchedulerEvents {
  /** A run was enqueued by this scheduler. */
  'job:enqueued': [cronJob: CronJob, job: Job];
  /** A pass failed (Redis unreachable...); the scheduler tries again a second later. */
  'cron:error': [error: Error];
}

/** Options of {@link CronScheduler}. */
export interface CronSchedulerOptions extends ConnectionOptions {
  /** Unique among running schedulers. @default `<hostname>:<pid>:<6 hex digits>`, as RQ */
  name?: string;
  /**
   * The scheduler's clock: when it registers a cron expression (its first tick), and the time of
   * each pass. Tests pass a controllable one. Heartbeats use the Redis server's clock whatever this is.
   * @default the Redis server's clock (`TIME`, read once per pass), so that schedulers on machines
   * whose clocks differ agree on when runs are due
   */
  clock?: () => Date;
}

/**
 * Enqueues registered functions when they are due, as RQ 2.4's `CronScheduler`.
 *
 * @example
 * const cron = new CronScheduler({ connection });
 * cron.register('reports.cleanup', { queue: 'maintenance', interval: '30m' });
 * cron.register('mail.digest', { queue: 'email', cron: '30 10 * * 2', args: ['weekly'] });
 * await cron.start(); // until cron.stop()
 */
export class CronScheduler extends EventEmitter<CronSchedulerEvents> {
  readonly name: string;
  /** Its hash, `rq:cron_scheduler:<name>`. */
  readonly key: string;
  readonly connection: RedisConnection;
  readonly hostname = hostname();
  readonly pid = process.pid;
  readonly createdAt = new Date();
  /** The config file loaded with {@link CronScheduler.loadConfig}, or "". */
  configFile = '';
  readonly #jobs: CronJob[] = [];
  readonly #queues = new Map<string, Queue>();
  #stopping = false;
  /** The sleep between passes, which stop() ends. */
  readonly #sleeping = new Wakeable();
  /** The clock given in the options; undefined for the Redis server's. */
  readonly #clock: (() => Date) | undefined;
  /** Redis server time minus this process's time, in ms, as of the last `TIME` read. */
  #offsetMs = 0;
  /** Whether `TIME` has been read: cron jobs registered before then are shifted to the server's clock. */
  #synced = false;

  /** @throws {NoRedisConnectionError} without a connection. */
  constructor(options: CronSchedulerOptions = {}) {
    super();
    this.connection = resolveConnection(options.connection, 'new CronScheduler()');
    this.name = options.name ?? `${this.hostname}:${this.pid}:${randomUUID().replaceAll('-', '').slice(0, 6)}`;
    this.key = cronSchedulerKey(this.name);
    this.#clock = options.clock;
  }

  /** Now by the scheduler's clock: the one given, else the server's as of the last `TIME` read. */
  #now(): Date {
    return this.#clock ? this.#clock() : new Date(Date.now() + this.#offsetMs);
  }

  /** Reads the Redis server's clock (one `TIME`) and keeps its offset from this process's. */
  async #serverNow(): Promise<Date> {
    const now = await serverTime(this.connection);
    this.#offsetMs = now.getTime() - Date.now();
    if (!this.#synced) {
      this.#synced = true;
      if (!this.#clock) for (const job of this.#jobs) job.shiftFirstRun(this.#offsetMs);
    }
    return now;
  }

  /**
   * Registers a function (a task or a dotted name) to be enqueued every `interval` or at the times
   * of `cron`, as RQ's `cron.register`. Checked at once: a bad expression, interval or option throws.
   * @throws {InvalidArgumentError} (or {@link TimeoutFormatError}) for a bad schedule or option.
   */
  register<A extends unknown[]>(task: Task<A, unknown>, options: CronJobOptions<A>): CronJob;
  register(funcName: string, options: CronJobOptions): CronJob;
  register(task: Task<any[], unknown> | string, options: CronJobOptions<any[]>): CronJob {
    const cronJob = new CronJob(taskName(task), options as CronJobOptions, this.#now());
    if (this.#jobs.some((job) => job.name === cronJob.name)) {
      throw new InvalidArgumentError(`A cron job named '${cronJob.name}' is registered already: the name identifies a cron job's runs across schedulers, so give each registration of ${cronJob.funcName} its own name.`);
    }
    createJob(this.#queue(cronJob.queueName), cronJob.funcName, cronJob.jobOptions); // checks the job options now, not at the first run
    this.#jobs.push(cronJob);
    return cronJob;
  }

  /** The registered cron jobs. */
  getJobs(): readonly CronJob[] {
    return this.#jobs;
  }

  /**
   * One pass: enqueues every cron job due at `now` (default: the scheduler's clock, which is the
   * Redis server's unless the options gave one) whose run no other scheduler has enqueued yet.
   * Resolves to the jobs this scheduler enqueued.
   */
  async enqueueJobs(now?: Date): Promise<Job[]> {
    now ??= this.#clock ? this.#clock() : await this.#serverNow();
    const enqueued: Job[] = [];
    for (const cronJob of this.#jobs) {
      if (!cronJob.isDue(now)) continue;
      // A cron tick is the same instant for every scheduler; an interval run is "now", at least the interval after the latest.
      const at = cronJob.interval === undefined ? cronJob.nextEnqueueTime! : now;
      const job = createJob(this.#queue(cronJob.queueName), cronJob.funcName, cronJob.jobOptions);
      job.origin = cronJob.queueName;
      job.status = 'queued';
      job.enqueuedAt = now;
      const { written, latest } = await enqueueCronJob(this.connection, {
        name: cronJob.name,
        queue: cronJob.queueName,
        id: job.id,
        fields: job.toHash(),
        ttl: job.ttl,
        at: at.getTime() / 1000,
        gap: cronJob.interval ?? 0.001,
        historyLimit: HISTORY_LIMIT,
        historyTtl: HISTORY_TTL,
      });
      cronJob.recordRun(new Date(latest * 1000), now);
      if (written) {
        enqueued.push(job);
        this.emit('job:enqueued', cronJob, job);
      }
    }
    if (enqueued.length > 0) await this.#save();
    return enqueued;
  }

  /**
   * Runs the scheduler until {@link CronScheduler.stop}: registers it, then passes as jobs fall due
   * (at least once a minute, with a heartbeat each time), and unregisters it at the end. A failed
   * pass (Redis unreachable, a failover) is reported as `cron:error` and tried again a second later.
   * @throws {DuplicateCronSchedulerError} when a scheduler with this name is running.
   */
  async start(): Promise<void> {
    if (this.#stopping) {
      this.#stopping = false; // stop() came first
      return;
    }
    await this.registerBirth();
    try {
      while (!this.#stopping) {
        let sleep: number;
        try {
          await this.enqueueJobs();
          await this.heartbeat();
          sleep = this.#secondsToNext(this.#now());
        } catch (error) {
          this.emit('cron:error', error instanceof Error ? error : new Error(String(error)));
          sleep = RETRY_AFTER;
        }
        if (!this.#stopping && sleep > 0) await this.#sleep(sleep);
      }
    } finally {
      this.#stopping = false;
      await this.registerDeath().catch(() => undefined); // its hash and entry expire anyway
    }
  }

  /** Ends {@link CronScheduler.start} after the current pass (before it starts: at once). */
  stop(): void {
    this.#stopping = true;
    this.#sleeping.wake();
  }

  /**
   * Registers the scheduler in `rq:cron_schedulers` and writes its hash, as RQ's register_birth.
   * A registration of the same name silent for 120 s (a scheduler that crashed) is taken over.
   * Scores are Redis server time, as every heartbeat's.
   * @throws {DuplicateCronSchedulerError} when a live scheduler has this name.
   */
  async registerBirth(): Promise<void> {
    const now = (await this.#serverNow()).getTime() / 1000;
    const added = await this.connection.zadd(CRON_SCHEDULERS_KEY, 'NX', now, this.name);
    if (added === 0) {
      const score = Number(await this.connection.zscore(CRON_SCHEDULERS_KEY, this.name));
      if (score > now - STALE_AFTER) throw new DuplicateCronSchedulerError(`A cron scheduler named '${this.name}' is running (it sent a heartbeat ${Math.round(now - score)} s ago, ${CRON_SCHEDULERS_KEY}): give each a unique name.`);
      await this.connection.zadd(CRON_SCHEDULERS_KEY, now, this.name);
    }
    await this.#save();
  }

  /**
   * Refreshes the scheduler's score in `rq:cron_schedulers` (Redis server time, which other
   * processes compare) and its hash's TTL; rewrites both when they were lost (the hash expired
   * during a long outage, or Redis restarted empty).
   */
  async heartbeat(): Promise<void> {
    const now = (await this.#serverNow()).getTime() / 1000;
    const replies = (await this.connection.multi().zadd(CRON_SCHEDULERS_KEY, 'XX', 'CH', now, this.name).expire(this.key, SCHEDULER_TTL).exec()) ?? [];
    const [[, updated] = [], [, expired] = []] = replies;
    if (updated === 0 || expired === 0) {
      await this.connection.zadd(CRON_SCHEDULERS_KEY, now, this.name);
      await this.#save();
    }
  }

  /** Writes the whole hash (RQ's readers need every field) with its TTL. */
  async #save(): Promise<void> {
    await this.connection
      .multi()
      .hset(this.key, {
        hostname: this.hostname,
        pid: String(this.pid),
        name: this.name,
        created_at: formatTimestamp(this.createdAt),
        config_file: this.configFile,
        cron_jobs: this.#cronJobsJson(),
      })
      .expire(this.key, SCHEDULER_TTL)
      .exec();
  }

  /** Takes the scheduler out of `rq:cron_schedulers` and deletes its hash. */
  async registerDeath(): Promise<void> {
    await this.connection.multi().zrem(CRON_SCHEDULERS_KEY, this.name).del(this.key).exec();
  }

  /**
   * Loads a config module, as `rq cron CONFIG` does: a JavaScript module (`.js`, `.mjs`, `.cjs`)
   * whose default export is a function that registers cron jobs on the scheduler it is given.
   * @throws {ConfigurationError} naming the file when it is missing, does not load, or has no such export.
   */
  async loadConfig(path: string, paths: readonly string[] = ['.']): Promise<void> {
    const file = (isAbsolute(path) ? [path] : paths.map((dir) => resolve(dir, path))).find((candidate) => existsSync(candidate));
    if (file === undefined) throw new ConfigurationError(`Cron config ${path} not found (looked in ${paths.map((dir) => resolve(dir)).join(', ')}).`);
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (error) {
      throw new ConfigurationError(`Cron config ${file} does not load: ${(error as Error).message}`, { cause: error });
    }
    if (typeof module.default !== 'function') {
      throw new ConfigurationError(`Cron config ${file} must export a default function that registers jobs: export default (cron) => { cron.register('tasks.cleanup', { queue: 'default', interval: 60 }); }`);
    }
    await (module.default as (scheduler: CronScheduler) => unknown)(this);
    this.configFile = file;
  }

  /**
   * Every registered cron scheduler (rq-ts' and Python RQ's), after dropping those silent for 120 s
   * by the Redis server's clock, as RQ's `CronScheduler.all()`.
   */
  static async all(options: ConnectionOptions = {}): Promise<CronSchedulerInfo[]> {
    const connection = resolveConnection(options.connection, 'CronScheduler.all()');
    await connection.zremrangebyscore(CRON_SCHEDULERS_KEY, 0, (await serverTime(connection)).getTime() / 1000 - STALE_AFTER);
    const names = await connection.zrange(CRON_SCHEDULERS_KEY, 0, -1);
    const found = await Promise.all(names.map((name) => CronScheduler.fetch(name, { connection }).catch(() => undefined)));
    return found.filter((info): info is CronSchedulerInfo => info !== undefined);
  }

  /**
   * The scheduler `name`, as its hash describes it.
   * @throws {NoSuchCronSchedulerError} when its hash is gone.
   */
  static async fetch(name: string, options: ConnectionOptions = {}): Promise<CronSchedulerInfo> {
    const connection = resolveConnection(options.connection, `CronScheduler.fetch('${name}')`);
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

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection });
      this.#queues.set(name, queue);
    }
    return queue;
  }

  #cronJobsJson(): string {
    return JSON.stringify(this.#jobs.map((job) => job.toDict()));
  }

  /** Seconds until the next run is due (0 when one is due), at most MAX_SLEEP. */
  #secondsToNext(now: Date): number {
    let next = MAX_SLEEP;
    for (const job of this.#jobs) {
      if (job.nextEnqueueTime === undefined) return 0;
      next = Math.min(next, (job.nextEnqueueTime.getTime() - now.getTime()) / 1000);
    }
    return Math.max(0, next);
  }

  #sleep(seconds: number): Promise<void> {
    return this.#sleeping.sleep(seconds * 1000);
  }
}

/** A cron expression read by croner, in five-field mode, never running on its own. */
function parseCron(name: string, expression: string, timezone: string): Cron {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith('@') && fields.length !== 5) {
    throw new InvalidArgumentError(`Cron job ${name}: bad cron expression "${expression}": use five fields, minute hour day-of-month month day-of-week (e.g. "*/15 * * * *"), or @hourly, @daily, @weekly, @monthly, @yearly.`);
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone }); // croner finds a bad zone only when it computes a time
    return new Cron(expression, { paused: true, timezone, mode: '5-part' });
  } catch (error) {
    throw new InvalidArgumentError(`Cron job ${name}: bad cron expression "${expression}"${timezone === 'UTC' ? '' : ` or time zone "${timezone}"`}: ${(error as Error).message}`, { cause: error });
  }
}
