/**
 * The run-alone rule, for jobs abandoned before. A job whose hash counts `abandoned_count` (a
 * worker died while it ran) runs alone: in this process a job that crashes it takes every job
 * beside it down too; alone, a poison job fails by itself and the others are not blamed. Started
 * beside others, it goes back to the head of its queue (`unstartJob`), and the worker takes one
 * job at a time once the others are done. The rule holds where jobs share a process: concurrency
 * above 1, not isolated (a work horse crashes alone).
 */
import type { StartedJob } from '../scripts/finish-and-start-jobs.js';
import { unstartJob } from '../scripts/unstart-job.js';
import type { WorkerConfig } from './config.js';
import type { Running, Slot } from './slots.js';

/** One worker's jobs that must run alone. */
export class RunAlone {
  readonly #config: WorkerConfig;
  readonly #report: (error: unknown) => void;
  /** Whether the rule holds for this worker: its jobs share its process. */
  readonly holds: boolean;
  /** The job running alone, if one is. */
  #running: Running | undefined;
  /** Whether a job that must run alone was put back: one job at a time, once no other runs. */
  #wanted = false;

  constructor(config: WorkerConfig, report: (error: unknown) => void) {
    this.#config = config;
    this.#report = report;
    this.holds = !config.isolation && config.concurrency > 1;
  }

  /** How many of `wanted` jobs the rule lets start now; undefined when it does not limit them. */
  budget(wanted: number, slots: readonly Slot[]): number | undefined {
    if (this.#running) return 0;
    // A job waits to run alone: one job at a time, once nothing runs here.
    if (this.#wanted) return slots.some((slot) => slot.running !== undefined || slot.reserved) ? 0 : Math.min(wanted, 1);
    return undefined;
  }

  /** Whether a job must run with no other beside it: it was abandoned before, and jobs here share this process. */
  mustRunAlone(started: StartedJob): boolean {
    return this.holds && Number(started.hash['abandoned_count']?.toString() || 0) > 0;
  }

  /** A step asked for jobs and started at most one, with no other job running: a job put back may start now. */
  mayStartAlone(): void {
    this.#wanted = false;
  }

  /** A job that must run alone started, alone. */
  runs(running: Running): void {
    this.#running = running;
    this.#config.logger.info(`${this.#config.name}: job ${running.id} was abandoned before: running it alone`);
  }

  /** A job is over: the worker takes jobs beside others again when it was the one running alone. */
  ended(running: Running): void {
    if (this.#running === running) this.#running = undefined;
  }

  /** Puts a job that must run alone back at the head of its queue, for when no other job runs here. */
  async putBack(slot: Slot, started: StartedJob, queue: string, startedAtText: string): Promise<void> {
    this.#wanted = true;
    this.#config.logger.info(`${this.#config.name}: job ${started.id} was abandoned before: back on ${queue} until it can run alone here`);
    await unstartJob(this.#config.connection, { id: started.id, queue, worker: slot.name, startedAtText }).catch((error: unknown) => this.#report(error)); // left started: the abandoned-job sweep finds it
  }
}
