/**
 * What a worker does beside its jobs while it works, on timers: every `jobMonitoringInterval` a
 * heartbeat of its slots and their jobs (presence.ts); every 5 s the abandoned-job sweep, and
 * every `maintenanceInterval` RQ's maintenance of its queues (maintenance.ts); every 5 s the job
 * statistics it gathered (job-stats.ts), which the worker writes once more when it stops; with
 * `withScheduler`, the scheduler's pass every second (scheduler.ts); and the admission of rate
 * limits whose time has come (due-rate-limits.ts). Maintenance and the
 * scheduler also run once at start (in burst mode the scheduler only then). A chore that fails is
 * reported and runs again at its next time: none ends the worker, not even when Redis blinks at
 * startup.
 */
import { JOB_STATS_FLUSH_MS } from '../defaults.js';
import type { JobStats } from '../job-stats.js';
import { Scheduler, SCHEDULER_INTERVAL } from '../scheduler.js';
import type { WorkerConfig } from './config.js';
import { DueRateLimits } from './due-rate-limits.js';
import { maintainQueues, sweepAbandoned } from './maintenance.js';
import type { WorkOptions } from './options.js';
import type { Presence } from './presence.js';
import type { Slot } from './slots.js';

/** How often a worker looks for abandoned jobs in its queues' started registries, in ms. */
const ABANDONED_SWEEP_MS = 5000;

/** The timers and the scheduler of one worker. */
export class Chores {
  readonly #config: WorkerConfig;
  readonly #presence: Presence;
  readonly #slots: readonly Slot[];
  readonly #report: (error: unknown) => void;
  #timers: NodeJS.Timeout[] = [];
  #scheduler: Scheduler | undefined;
  #dueRateLimits: DueRateLimits | undefined;
  readonly #lastStepAt: () => number;
  readonly #stats: JobStats;

  /**
   * `lastStepAt`: when the worker last sent a step (epoch ms), for the due rate limits' timer;
   * `stats`: the job statistics the worker gathers, written every JOB_STATS_FLUSH_MS.
   */
  constructor(config: WorkerConfig, presence: Presence, slots: readonly Slot[], report: (error: unknown) => void, lastStepAt: () => number, stats: JobStats) {
    this.#lastStepAt = lastStepAt;
    this.#stats = stats;
    this.#config = config;
    this.#presence = presence;
    this.#slots = slots;
    this.#report = report;
  }

  /** Starts the timers of a call to work(). */
  start(options: WorkOptions): void {
    const config = this.#config;
    const report = this.#report;
    this.#timers = [
      setInterval(() => void this.#presence.heartbeat(this.#slots, config.heartbeatTtl).catch(report), config.jobMonitoringInterval * 1000),
      setInterval(() => void sweepAbandoned(config, this.#stats).catch(report), ABANDONED_SWEEP_MS),
      setInterval(() => void maintainQueues(config, this.#stats).catch(report), config.maintenanceInterval * 1000),
      setInterval(() => void this.#stats.flush().catch(report), JOB_STATS_FLUSH_MS),
    ];
    const scheduler = options.withScheduler ? new Scheduler(config.connection, config.queueNames) : undefined;
    if (scheduler && !options.burst) this.#timers.push(setInterval(() => void scheduler.tick().catch(report), SCHEDULER_INTERVAL * 1000));
    this.#scheduler = scheduler;
    this.#dueRateLimits = new DueRateLimits(config.connection, report, this.#lastStepAt);
    this.#dueRateLimits.start();
  }

  /** The first scheduler pass and the first maintenance. Never rejects. */
  async runFirst(): Promise<void> {
    await this.#scheduler?.tick().catch(this.#report);
    await maintainQueues(this.#config, this.#stats).catch(this.#report);
  }

  /** Stops the timers, and the scheduler, which gives up its locks. Never rejects. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#dueRateLimits?.stop();
    this.#dueRateLimits = undefined;
    await this.#scheduler?.release().catch(this.#report);
    this.#scheduler = undefined;
  }
}
