/**
 * The scheduler, as RQ 1.13 runs it inside a worker (`rq worker --with-scheduler`): every second,
 * for each of its queues, take or renew the queue's lock `rq:scheduler-lock:<queue>` (numeric pid,
 * 61 s: RQ's interval + 60) and move the due jobs of the scheduled registry onto the queue, 1000 at
 * a time. Only one scheduler serves a queue at once, Python's or ours; when its worker dies the
 * lock expires and another takes over. Due times are compared with Redis server time.
 */
import type { RedisConnection } from './connection.js';
import { enqueueDueJobs, releaseSchedulerLock } from './scripts/enqueue-due-jobs.js';

/** Seconds between two passes (RQ's scheduler interval). */
export const SCHEDULER_INTERVAL = 1;

/** Lock TTL in seconds: RQ's interval + 60. */
const LOCK_TTL = SCHEDULER_INTERVAL + 60;

/** Most jobs moved per queue and pass, as RQ's chunk size. */
const BATCH = 1000;

/** Moves due scheduled jobs of some queues onto them, under RQ's per-queue lock. */
export class Scheduler {
  readonly #connection: RedisConnection;
  readonly #queues: readonly string[];
  readonly #held = new Set<string>();
  readonly #pid = String(process.pid);

  constructor(connection: RedisConnection, queues: readonly string[]) {
    this.#connection = connection;
    this.#queues = queues;
  }

  /** The queues whose lock this scheduler holds. */
  get heldQueues(): string[] {
    return [...this.#held];
  }

  /** One pass over every queue; resolves to the number of jobs moved. */
  async tick(): Promise<number> {
    let moved = 0;
    for (const queue of this.#queues) {
      const held = this.#held.has(queue);
      const result = await enqueueDueJobs(this.#connection, { queue, holder: this.#pid, lockTtl: LOCK_TTL, holding: held, batch: BATCH });
      if (result === undefined) this.#held.delete(queue);
      else {
        this.#held.add(queue);
        moved += result;
      }
    }
    return moved;
  }

  /** Releases the locks this scheduler holds, so another can take over at once. */
  async release(): Promise<void> {
    for (const queue of this.#held) await releaseSchedulerLock(this.#connection, queue, this.#pid);
    this.#held.clear();
  }
}
