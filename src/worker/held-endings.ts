/**
 * When Redis will not record a worker's writes (out of memory, unreachable): the endings a step
 * could not record are held and sent again, alone, with a growing wait, until Redis takes them.
 * Their slots stay taken and no job starts meanwhile, so a job whose end is not recorded never
 * runs again for that reason (DESIGN.md §7). An ending is fenced by its start, so one sent twice
 * (the first step ran, its reply was lost) changes nothing the second time. `redis:full` and
 * `redis:writable` are said once per spell.
 */
import type { EventEmitter } from 'node:events';
import { RedisOutOfMemoryError } from '../errors.js';
import { toRQError } from '../redis-errors.js';
import type { Wakeable } from '../wakeable.js';
import type { WorkerConfig } from './config.js';
import type { WorkerEvents } from './options.js';
import type { PendingEnding } from './pending-endings.js';

/** First and longest wait before endings Redis refused are sent again, in ms. */
const HELD_RETRY_MIN_MS = 250;
const HELD_RETRY_MAX_MS = 5000;

/** What the held endings need of their worker. */
export interface HeldEndingsHost {
  /** Sends endings in a step that starts no job. */
  send(endings: readonly PendingEnding[]): Promise<unknown>;
  /** Frees the slot of an ending that will not be recorded here. */
  release(ending: PendingEnding): void;
  /** Reports an error other than Redis being full. */
  report(error: unknown): void;
  /** Whether the worker met an error that will not heal: nothing will take the endings then. */
  isFatal(): boolean;
  isStopping(): boolean;
}

/** A worker's endings that Redis refused, and the spell of refusals they belong to. */
export class HeldEndings {
  readonly #config: WorkerConfig;
  readonly #events: EventEmitter<WorkerEvents>;
  /** The worker loop's sleep: woken when the worker may take jobs again. */
  readonly #loopSleep: Wakeable;
  readonly #host: HeldEndingsHost;
  #held: PendingEnding[] = [];
  #holding = false;
  /** Wait before sending held endings again, in ms: doubles up to HELD_RETRY_MAX_MS. */
  #retryMs = 0;
  /** Whether 'redis:full' was emitted for the current spell. */
  #saidFull = false;

  constructor(config: WorkerConfig, events: EventEmitter<WorkerEvents>, loopSleep: Wakeable, host: HeldEndingsHost) {
    this.#config = config;
    this.#events = events;
    this.#loopSleep = loopSleep;
    this.#host = host;
  }

  /** Whether endings are held (a step of them is due or under way): no job starts meanwhile. */
  get active(): boolean {
    return this.#holding;
  }

  /** Adds endings of jobs that ended meanwhile: sent with the held ones, once Redis takes them. */
  add(endings: readonly PendingEnding[]): void {
    this.#held.push(...endings);
  }

  /** Keeps endings that a step could not record (`error` says why), and sends them again later. */
  hold(endings: readonly PendingEnding[], error: unknown): void {
    this.#held.push(...endings);
    this.#holding = true;
    const reason = toRQError(error);
    if (reason instanceof RedisOutOfMemoryError) this.#sayFull(reason);
    else this.#host.report(reason);
    if (this.#host.isFatal()) {
      // Nothing will take them: they stay started in Redis, where the abandoned-job sweep finds them.
      for (const ending of this.#held.splice(0)) this.#host.release(ending);
      this.#holding = false;
      return;
    }
    this.#retryMs = Math.min(Math.max(this.#retryMs * 2, HELD_RETRY_MIN_MS), HELD_RETRY_MAX_MS);
    setTimeout(() => this.#sendHeld(), this.#retryMs);
  }

  /** Runs `write`, and again while Redis refuses it for lack of memory (saying so once), until it goes through or the worker stops. */
  async whenWritable(write: () => Promise<unknown>): Promise<void> {
    for (let waitMs = HELD_RETRY_MIN_MS; ; waitMs = Math.min(waitMs * 2, HELD_RETRY_MAX_MS)) {
      try {
        await write();
        break;
      } catch (error) {
        const reason = toRQError(error);
        if (!(reason instanceof RedisOutOfMemoryError) || this.#host.isStopping()) throw reason;
        this.#sayFull(reason);
        await this.#loopSleep.sleep(waitMs);
      }
    }
    this.#sayWritable();
  }

  /** Logs and emits, once per spell, that Redis refuses writes for lack of memory. */
  #sayFull(error: RedisOutOfMemoryError): void {
    if (this.#saidFull) return;
    this.#saidFull = true;
    this.#config.logger.warn(`${this.#config.name}: Redis is out of memory: holding ${this.#held.length} job ending(s) and starting no job until it takes writes again.`);
    this.#events.emit('redis:full', error);
  }

  /** Logs and emits that Redis takes writes again, when it was said to be full. */
  #sayWritable(): void {
    if (!this.#saidFull) return;
    this.#saidFull = false;
    this.#config.logger.info(`${this.#config.name}: Redis takes writes again: the held job endings are recorded.`);
    this.#events.emit('redis:writable');
  }

  /** Sends the held endings again, starting no job; on success the worker takes jobs again. */
  #sendHeld(): void {
    const endings = this.#held.splice(0);
    if (endings.length === 0) return;
    this.#host.send(endings).then(
      () => {
        this.#holding = false;
        this.#retryMs = 0;
        this.#sayWritable();
        this.#loopSleep.wake();
        if (this.#held.length > 0) this.#sendHeld(); // endings that came in meanwhile
      },
      (error: unknown) => this.hold(endings, error),
    );
  }
}
