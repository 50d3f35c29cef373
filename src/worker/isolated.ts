/**
 * The isolated mode's pool: one reused child process ("work horse", as RQ calls it) per worker
 * slot. A job's timeout, a stop-job or kill-horse command, or a cold shutdown kills the child
 * running it (SIGKILL stops even CPU-bound code, which an AbortSignal cannot); a job that makes
 * its child exit fails alone; a dead child is replaced at the next job.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { RedisOptions } from 'ioredis';
import type { RedisConnection } from '../connection.js';
import type { InitMessage, ResultMessage, RunMessage } from './child.js';
import type { Interruption } from '../execute.js';
import { WorkHorseTerminatedError } from '../errors.js';

/** How the children find job functions. */
export interface IsolationOptions {
  /** Modules each child imports first (for example those that call `defineTask`). */
  modules?: readonly string[];
}

/** A work horse: its process and whether it is ready for a job. */
interface Horse {
  readonly process: ChildProcess;
  readonly ready: Promise<void>;
}

/** The work horses of one worker, by slot. */
export class HorsePool {
  readonly #horses = new Map<number, Horse>();
  readonly #init: InitMessage;

  constructor(connection: RedisConnection, paths: readonly string[], options: IsolationOptions) {
    this.#init = { type: 'init', paths: [...paths], modules: (options.modules ?? []).map((module) => resolve(module)), redis: cloneableOptions(connection.options) };
  }

  /**
   * Runs the job in slot `slot`'s horse and resolves to what it returned. Rejects with the job's
   * error, with the interruption's reason (after killing the horse) when it is interrupted, or with
   * {@link WorkHorseTerminatedError} when the horse dies.
   */
  async run(slot: number, id: string, hash: Record<string, Buffer>, interruption: Interruption): Promise<unknown> {
    const horse = this.#horse(slot);
    await horse.ready;
    const child = horse.process;
    return new Promise((resolvePromise, reject) => {
      const cleanup = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
        interruption.listen(undefined);
      };
      const onMessage = (message: ResultMessage) => {
        if (message.type !== 'result') return;
        cleanup();
        if (message.ok) resolvePromise(message.value);
        else reject(Object.assign(new Error(message.error.message), { name: message.error.name, stack: message.error.stack, holdFor: message.error.holdFor }));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        cleanup();
        this.#horses.delete(slot);
        reject(new WorkHorseTerminatedError(`Work-horse terminated unexpectedly while running job ${id}; ${signal ? `killed by ${signal}` : `exit code ${code}`}.`));
      };
      const onInterrupt = (reason: Error) => {
        cleanup();
        this.#kill(slot);
        reject(reason);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      if (interruption.reason) return onInterrupt(interruption.reason);
      interruption.listen(onInterrupt);
      const message: RunMessage = { type: 'run', id, hash };
      child.send(message);
    });
  }

  /** Kills every horse. */
  close(): void {
    for (const slot of [...this.#horses.keys()]) this.#kill(slot);
  }

  /** The process ids of the live horses, by slot (for tests and `rq info`). */
  get pids(): Map<number, number | undefined> {
    return new Map([...this.#horses].map(([slot, horse]) => [slot, horse.process.pid]));
  }

  #horse(slot: number): Horse {
    let horse = this.#horses.get(slot);
    if (!horse) {
      const child = fork(new URL('./child.js', import.meta.url), [], { serialization: 'advanced', stdio: 'inherit' });
      const ready = new Promise<void>((resolveReady, reject) => {
        child.once('message', () => resolveReady());
        child.once('exit', (code) => reject(new WorkHorseTerminatedError(`Work-horse could not start (exit code ${code}).`)));
      });
      ready.catch(() => this.#horses.delete(slot));
      child.send(this.#init);
      horse = { process: child, ready };
      this.#horses.set(slot, horse);
    }
    return horse;
  }

  #kill(slot: number): void {
    const horse = this.#horses.get(slot);
    this.#horses.delete(slot);
    horse?.process.kill('SIGKILL');
  }
}

/** The connection's options without functions (retry strategies...), which cannot cross to a child. */
function cloneableOptions(options: RedisOptions): RedisOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => typeof value !== 'function')) as RedisOptions;
}
