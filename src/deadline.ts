/**
 * Timers for durations a user gives (a job's timeout, a callback's, a wait): Node's setTimeout
 * takes at most 2^31 - 1 ms (24.8 days) and turns anything longer into 1 ms with a warning, so a
 * job with a timeout of 30 days timed out after a millisecond; and it counts from the event
 * loop's cached time, so it may fire a fraction of a millisecond early. Pure, no Redis.
 */

/** The longest delay setTimeout keeps as it is, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a delay setTimeout keeps: at least 0, at most {@link MAX_TIMER_MS}; a timer that fires early looks again. */
export function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, ms));
}

/**
 * Calls `fn` once performance.now() has reached `deadline`, never before, however far it is
 * (a long wait is made of several timers). Returns what cancels it.
 */
export function afterDeadline(deadline: number, fn: () => void): () => void {
  // A deadline that is not a number (a NaN timeout) is now: as setTimeout takes NaN, at once.
  if (Number.isNaN(deadline)) deadline = performance.now();
  let timer: NodeJS.Timeout;
  const arm = () => {
    timer = setTimeout(() => (performance.now() >= deadline ? fn() : arm()), timerDelay(deadline - performance.now()));
  };
  arm();
  return () => clearTimeout(timer);
}

/** Calls `fn` after `seconds` (from now), never before; what {@link afterDeadline} returns. */
export function afterSeconds(seconds: number, fn: () => void): () => void {
  return afterDeadline(performance.now() + seconds * 1000, fn);
}
