/**
 * `rq worker-pool`: a parent process that runs N `rq worker` processes, as RQ 1.14's WorkerPool.
 * Each worker is a child process of its own (the same bin, `rq worker ... --name <hex>
 * --with-scheduler`), so a crash or a kill takes one worker, not the pool. A worker that exits is
 * replaced a second later, unless the pool is stopping or in burst mode. SIGINT and SIGTERM are
 * passed on: the first stops the workers warmly, a second coldly. Workers that keep dying within
 * seconds of their start (a bad setting, a missing module) end the pool with an error instead of
 * a restart loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

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
  return new Promise((resolvePool) => {
    const members = new Set<Member>();
    let signals = 0;
    let earlyExits = 0;
    let failed = false;
    let givenUp = false;

    const finishIfDone = () => {
      if (members.size > 0) return;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      resolvePool(givenUp || failed ? 1 : 0);
    };

    const start = () => {
      const name = randomUUID().replaceAll('-', '');
      // A process group of its own: Ctrl-C in a terminal reaches the pool only, which passes it on
      // once (in the pool's group, each worker would get it twice: a cold stop at the first Ctrl-C).
      // An IPC channel: a worker whose pool dies (even SIGKILLed) sees it close and stops.
      const child = spawn(process.execPath, [BIN, 'worker', ...options.workerArgs, '--name', name, '--with-scheduler'], {
        stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
        detached: true,
        env: { ...process.env, [POOL_WORKER_ENV]: '1' },
      });
      const member: Member = { name, child, startedAt: Date.now() };
      members.add(member);
      child.once('exit', (code, signal) => {
        members.delete(member);
        const stopping = signals > 0 || givenUp;
        // A worker that fails while the pool stops, or in burst mode, fails the pool; one that
        // dies while the pool runs is replaced.
        if (code !== 0 && (stopping || options.burst)) failed = true;
        if (!stopping && !options.burst) {
          const early = Date.now() - member.startedAt < EARLY_EXIT_MS;
          earlyExits = early ? earlyExits + 1 : 0;
          if (earlyExits >= MAX_EARLY_EXITS) {
            givenUp = true;
            options.log(`Workers keep dying at start (${earlyExits} in a row, the last with ${signal ?? `exit code ${code}`}): stopping the pool. See the workers' errors above.`);
            for (const other of members) other.child.kill('SIGTERM');
          } else {
            options.log(`Worker ${name} exited (${signal ?? `exit code ${code}`}); starting another in ${RESPAWN_DELAY_MS / 1000} s`);
            setTimeout(() => {
              if (signals === 0 && !givenUp) start();
              else finishIfDone();
            }, RESPAWN_DELAY_MS);
            return;
          }
        }
        finishIfDone();
      });
    };

    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals >= 3) {
        options.log(`${signal} received a third time: killing the workers`);
        for (const member of members) member.child.kill('SIGKILL');
        return;
      }
      options.log(signals === 1 ? `${signal} received: stopping the ${members.size} workers warmly (send it again to stop them now)` : `${signal} received again: stopping the workers now (a third time kills them)`);
      for (const member of members) member.child.kill('SIGTERM');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal); // a closed terminal or ssh session: stop the workers, do not orphan them

    options.log(`Worker pool started with PID ${process.pid}: ${options.size} workers`);
    for (let i = 0; i < options.size; i++) start();
  });
}
