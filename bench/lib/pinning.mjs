/**
 * CPU pinning: redis-server on a core of its own, every producer and worker on the others.
 *
 * On a 2-core machine, unpinned, the scheduler sometimes puts Redis and the worker on the same
 * core and sometimes not, and a round trip costs a context switch in one case and a cross-core
 * wake-up in the other: the same code measured 4.7k and 2.8k jobs/s in consecutive runs. Pinned,
 * runs agree within a few percent, and each system gets the same two cores for the same roles, as
 * when Redis runs on a machine of its own. One exception: the producer of the latency scenario is
 * load, not what is measured, and runs on Redis' core (Redis is idle most of the time at one job
 * per 2 ms); sharing the worker's core it took about 0.4 ms of CPU per job beside the worker's
 * 0.75 ms (BullMQ's alike), and any slow spell of the machine then turned into a backlog. Linux with `taskset` (util-linux) and 2+ cores only;
 * elsewhere, or with `--no-pin`, nothing is pinned.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, platform } from 'node:os';

/** The plan: which CPUs Redis and the clients run on, or null when nothing is pinned. */
export function pinningPlan({ enabled }) {
  const cores = availableParallelism();
  if (!enabled || platform() !== 'linux' || cores < 2) return null;
  if (spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status !== 0) return null;
  const last = cores - 1;
  return { redis: String(last), clients: last === 1 ? '0' : `0-${last - 1}` };
}

/** Pins process `pid` to `cpus` (a taskset list such as "0" or "0-2"); false when taskset refuses. */
export function pin(pid, cpus) {
  return spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' }).status === 0;
}

/** One line for the log and the results: what was pinned where. */
export function describePinning(plan) {
  return plan ? `redis-server on CPU ${plan.redis}, producers and workers on CPU ${plan.clients}` : 'not pinned';
}
