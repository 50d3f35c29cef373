/**
 * Recurring jobs, as RQ 2.4-2.6's `CronScheduler` and `rq cron`: functions registered with an
 * interval or a cron expression are enqueued on their queue when due; workers run them as any job.
 * This file is the scheduler's loop: a pass enqueues what is due, then it heartbeats and sleeps
 * until the next run is due. A cron job and its schedule are cron-job.ts; the scheduler's own
 * records in Redis (its hash, `rq:cron_schedulers`) are cron-presence.ts.
 *
 * Unlike RQ's, several schedulers may run the same registrations (for availability) and each run
 * is still enqueued once: every cron job keeps its history in `rq:cron_job:<name>:jobs` (RQ's key:
 * job ids scored by the run's time, its cron tick or, for an interval, the enqueue time), and a
 * scheduler writes a run only if, in the same script, that history shows no run at or after this
 * tick (see enqueue-cron-job.lua). The name is what identifies a cron job across schedulers, so it
 * is unique within a scheduler.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { CronJob, type CronJobOptions } from './cron-job.js';
import {
  allSchedulers,
  fetchScheduler,
  heartbeatScheduler,
  registerScheduler,
  saveScheduler,
  unregisterScheduler,
  type CronSchedulerInfo,
} from './cron-presence.js';
import { createJob } from './enqueue.js';
import { ConfigurationError, InvalidArgumentError, toError } from './errors.js';
import type { Job } from './job.js';
import { cronSchedulerKey } from './keys.js';
import { Queue } from './queue.js';
import { enqueueCronJob } from './scripts/enqueue-cron-job.js';
import { findConfigFile, importConfigModule } from './settings.js';
import { Wakeable } from './wakeable.js';
import { serverTime } from './server-time.js';
import { taskName, type Task } from './task.js';

/** Runs kept in a cron job's history (`rq:cron_job:<name>:jobs`), as RQ. */
const HISTORY_LIMIT = 1000;
/** TTL of a cron job's history, refreshed at each run: a year, as RQ. */
const HISTORY_TTL = 365 * 24 * 3600;
/** Longest sleep between two passes, in seconds: heartbeats come at least this often. */
const MAX_SLEEP = 60;
/** Wait after a pass failed (Redis unreachable) before the next, in seconds. */
const RETRY_AFTER = 1;

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
    if (enqueued.length > 0) await saveScheduler(this.connection, this);
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
          this.emit('cron:error', toError(error));
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
    await registerScheduler(this.connection, this, (await this.#serverNow()).getTime() / 1000);
  }

  /**
   * Refreshes the scheduler's score in `rq:cron_schedulers` (Redis server time, which other
   * processes compare) and its hash's TTL; rewrites both when they were lost (the hash expired
   * during a long outage, or Redis restarted empty).
   */
  async heartbeat(): Promise<void> {
    await heartbeatScheduler(this.connection, this, (await this.#serverNow()).getTime() / 1000);
  }

  /** Takes the scheduler out of `rq:cron_schedulers` and deletes its hash. */
  async registerDeath(): Promise<void> {
    await unregisterScheduler(this.connection, this);
  }

  /**
   * Loads a config module, as `rq cron CONFIG` does: a JavaScript module (`.js`, `.mjs`, `.cjs`)
   * whose default export is a function that registers cron jobs on the scheduler it is given.
   * It is looked up and imported as a settings file is (settings.ts), without trying extensions.
   * @throws {ConfigurationError} naming the file when it is missing, does not load, or has no such export.
   */
  async loadConfig(path: string, paths: readonly string[] = ['.']): Promise<void> {
    const file = findConfigFile(path, paths);
    if (file === undefined) throw new ConfigurationError(`Cron config ${path} not found (looked in ${paths.map((dir) => resolve(dir)).join(', ')}).`);
    const module = await importConfigModule(file, (error) => new ConfigurationError(`Cron config ${file} does not load: ${(error as Error).message}`, { cause: error }));
    if (typeof module['default'] !== 'function') {
      throw new ConfigurationError(`Cron config ${file} must export a default function that registers jobs: export default (cron) => { cron.register('tasks.cleanup', { queue: 'default', interval: 60 }); }`);
    }
    await (module['default'] as (scheduler: CronScheduler) => unknown)(this);
    this.configFile = file;
  }

  /**
   * Every registered cron scheduler (rq-ts' and Python RQ's), after dropping those silent for 120 s
   * by the Redis server's clock, as RQ's `CronScheduler.all()`.
   */
  static async all(options: ConnectionOptions = {}): Promise<CronSchedulerInfo[]> {
    return allSchedulers(resolveConnection(options.connection, 'CronScheduler.all()'));
  }

  /**
   * The scheduler `name`, as its hash describes it.
   * @throws {NoSuchCronSchedulerError} when its hash is gone.
   */
  static async fetch(name: string, options: ConnectionOptions = {}): Promise<CronSchedulerInfo> {
    return fetchScheduler(resolveConnection(options.connection, `CronScheduler.fetch('${name}')`), name);
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection });
      this.#queues.set(name, queue);
    }
    return queue;
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
