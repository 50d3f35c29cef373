/**
 * The processes of `rq worker-pool` (commands/worker-pool.ts): a parent that runs N `rq worker`
 * processes, as RQ 1.14's WorkerPool. Each worker is a child process of its own (the same bin,
 * `rq worker ... --name <hex> --with-scheduler`), so a crash or a kill takes one worker, not the
 * pool. A worker that exits is replaced a second later, unless the pool is stopping or in burst
 * mode. SIGINT, SIGTERM and SIGHUP are passed on: the first stops the workers warmly, a second
 * coldly, a third kills them. Workers that keep dying within seconds of their start (a bad
 * setting, a missing module) end the pool with an error instead of a restart loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SignalCounter } from './signals.js';

/** Set in a pool worker's environment: it waits out a suspension, and stops when the pool's IPC channel closes. */
export const POOL_WORKER_ENV = 'RQ_TS_POOL_WORKER';

/** The `rq` bin: this module's sibling index.js. */
const BIN = fileURLToPath(new URL('./index.js', import.meta.url));
/** A worker replaced this long after it exited, in ms. */
const RESPAWN_DELAY_MS = 1000;
/** A worker that exits this soon after its start has died at start. */
const EARLY_EXIT_MS = 3000;
/** Deaths at start in a row after which the pool gives up. */
const MAX_EARLY_EXITS = 5;

/** What the pool runs. */
export interface PoolOptions {
  readonly size: number;
  /** Arguments of `rq worker` every worker gets (queues, shared options, --burst...). */
  readonly workerArgs: readonly string[];
  readonly burst: boolean;
  readonly log: (line: string) => void;
}

interface Member {
  readonly name: string;
  readonly child: ChildProcess;
  readonly startedAt: number;
}

/** Runs the pool until its workers are done (burst) or it is stopped; resolves to the exit code. */
export function runPool(options: PoolOptions): Promise<number> {
  return new Promise((resolvePool) => new WorkerPool(options, resolvePool).start());
}

/** The running workers of a pool, replaced as they die, stopped by signals. */
class WorkerPool {
  readonly #options: PoolOptions;
  readonly #done: (code: number) => void;
  readonly #members = new Set<Member>();
  #signals: SignalCounter | undefined;
  #stopping = false;
  #earlyExits = 0;
  #failed = false;
  #givenUp = false;

  constructor(options: PoolOptions, done: (code: number) => void) {
    this.#options = options;
    this.#done = done;
  }

  start(): void {
    // SIGHUP too: a closed terminal or ssh session stops the workers, it does not orphan them.
    this.#signals = new SignalCounter({
      first: (signal) => this.#stop(`${signal} received: stopping the ${this.#members.size} workers warmly (send it again to stop them now)`),
      second: (signal) => this.#stop(`${signal} received again: stopping the workers now (a third time kills them)`),
      third: (signal) => {
        this.#options.log(`${signal} received a third time: killing the workers`);
        for (const member of this.#members) member.child.kill('SIGKILL');
      },
    }, ['SIGINT', 'SIGTERM', 'SIGHUP']);
    this.#options.log(`Worker pool started with PID ${process.pid}: ${this.#options.size} workers`);
    for (let i = 0; i < this.#options.size; i++) this.#startWorker();
  }

  /** Passes a signal on to every worker: a worker stops warmly at the first, coldly at the second. */
  #stop(line: string): void {
    this.#stopping = true;
    this.#options.log(line);
    for (const member of this.#members) member.child.kill('SIGTERM');
  }

  #startWorker(): void {
    const name = randomUUID().replaceAll('-', '');
    // A process group of its own: Ctrl-C in a terminal reaches the pool only, which passes it on
    // once (in the pool's group, each worker would get it twice: a cold stop at the first Ctrl-C).
    // An IPC channel: a worker whose pool dies (even SIGKILLed) sees it close and stops.
    const child = spawn(process.execPath, [BIN, 'worker', ...this.#options.workerArgs, '--name', name, '--with-scheduler'], {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      detached: true,
      env: { ...process.env, [POOL_WORKER_ENV]: '1' },
    });
    const member: Member = { name, child, startedAt: Date.now() };
    this.#members.add(member);
    child.once('exit', (code, signal) => this.#exited(member, signal ?? `exit code ${code}`, code === 0));
  }

  /** A worker has exited (`how`: its signal or exit code): replaced while the pool runs, unless workers keep dying at start. */
  #exited(member: Member, how: string, succeeded: boolean): void {
    this.#members.delete(member);
    const stopping = this.#stopping || this.#givenUp;
    // A worker that fails while the pool stops, or in burst mode, fails the pool; one that
    // dies while the pool runs is replaced.
    if (!succeeded && (stopping || this.#options.burst)) this.#failed = true;
    if (!stopping && !this.#options.burst) {
      const early = Date.now() - member.startedAt < EARLY_EXIT_MS;
      this.#earlyExits = early ? this.#earlyExits + 1 : 0;
      if (this.#earlyExits >= MAX_EARLY_EXITS) {
        this.#givenUp = true;
        this.#options.log(`Workers keep dying at start (${this.#earlyExits} in a row, the last with ${how}): stopping the pool. See the workers' errors above.`);
        for (const other of this.#members) other.child.kill('SIGTERM');
      } else {
        this.#options.log(`Worker ${member.name} exited (${how}); starting another in ${RESPAWN_DELAY_MS / 1000} s`);
        setTimeout(() => {
          if (!this.#stopping && !this.#givenUp) this.#startWorker();
          else this.#finishIfDone();
        }, RESPAWN_DELAY_MS);
        return;
      }
    }
    this.#finishIfDone();
  }

  #finishIfDone(): void {
    if (this.#members.size > 0) return;
    this.#signals?.stop();
    this.#done(this.#givenUp || this.#failed ? 1 : 0);
  }
}
