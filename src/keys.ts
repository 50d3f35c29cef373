/**
 * Every Redis key and pub/sub channel name rq-ts uses, exactly as RQ 1.13 spells it
 * (RQ-REFERENCE.md §2.1). Nothing else in rq-ts builds a key string: change a name here and a
 * test pins it against RQ's. Quirks are kept on purpose, for interoperability with Python RQ.
 */

/** Prefix of job hashes: `rq:job:<id>`. Lua scripts that derive job keys receive it in ARGV. */
export const JOB_KEY_PREFIX = 'rq:job:';

/** Prefix of queue lists: `rq:queue:<name>`. */
export const QUEUE_KEY_PREFIX = 'rq:queue:';

/** Prefix of worker hashes: `rq:worker:<name>`. */
export const WORKER_KEY_PREFIX = 'rq:worker:';

/** Set of every queue's key (`rq:queue:<name>`, not the bare name). */
export const QUEUES_KEY = 'rq:queues';

/** Set of every live worker's key. */
export const WORKERS_KEY = 'rq:workers';

/**
 * Prefix of rq-ts' throughput counts (not RQ's): `rq:throughput:<queue>:<hour start, epoch s>`,
 * a hash of `<minute>:finished` and `<minute>:failed` counts, kept 25 hours.
 */
const THROUGHPUT_KEY_PREFIX = 'rq:throughput:';

/** The throughput hash of `queue` for the hour starting at `hourStart` (epoch seconds). */
export function throughputKey(queue: string, hourStart: number): string {
  return `${THROUGHPUT_KEY_PREFIX}${queue}:${hourStart}`;
}

/** Prefix of job group sets (RQ 2.0): `rq:group:<name>`, the ids of the group's jobs. */
const GROUP_KEY_PREFIX = 'rq:group:';

/** Set of every job group's name (RQ 2.0). */
export const GROUPS_KEY = 'rq:groups';

/**
 * A key rq-ts never writes (rq-ts' own, not RQ's): scripts that add data touch it first with a
 * write a full Redis refuses, so that such a Redis refuses them whole (see memory-guard.lib.lua).
 */
export const MEMORY_GUARD_KEY = 'rq:memory-guard';

/** Present while workers are suspended (`rq suspend`). */
export const SUSPENDED_KEY = 'rq:suspended';

/** The list of job ids waiting in queue `name`. */
export function queueKey(name: string): string {
  return QUEUE_KEY_PREFIX + name;
}

/** The queue name inside a queue key, or undefined when `key` is not one. */
export function queueNameFromKey(key: string): string | undefined {
  return key.startsWith(QUEUE_KEY_PREFIX) ? key.slice(QUEUE_KEY_PREFIX.length) : undefined;
}

/** The hash holding job `id`. */
export function jobKey(id: string): string {
  return JOB_KEY_PREFIX + id;
}

/** The set of ids of jobs waiting for job `id` to finish. */
export function dependentsKey(id: string): string {
  return `${JOB_KEY_PREFIX}${id}:dependents`;
}

/**
 * The set of ids that job `id` waits for. RQ builds it as `rq:job:` + `:` + id, hence the double
 * colon; RQ 1.13 through 2.10 all write and read it so.
 */
export function dependenciesKey(id: string): string {
  return `${JOB_KEY_PREFIX}:${id}:dependencies`;
}

/** The stream of results of job `id` (one entry per run). */
export function resultsKey(id: string): string {
  return `rq:results:${id}`;
}

/** StartedJobRegistry of a queue: RQ calls it "wip". */
export function startedRegistryKey(queue: string): string {
  return `rq:wip:${queue}`;
}

/** FinishedJobRegistry of a queue. */
export function finishedRegistryKey(queue: string): string {
  return `rq:finished:${queue}`;
}

/** FailedJobRegistry of a queue (failed and stopped jobs). */
export function failedRegistryKey(queue: string): string {
  return `rq:failed:${queue}`;
}

/** DeferredJobRegistry of a queue (jobs waiting on dependencies). */
export function deferredRegistryKey(queue: string): string {
  return `rq:deferred:${queue}`;
}

/** ScheduledJobRegistry of a queue (score: due time, integer epoch seconds). */
export function scheduledRegistryKey(queue: string): string {
  return `rq:scheduled:${queue}`;
}

/** CanceledJobRegistry of a queue. */
export function canceledRegistryKey(queue: string): string {
  return `rq:canceled:${queue}`;
}

/** The hash describing worker `name`. */
export function workerKey(name: string): string {
  return WORKER_KEY_PREFIX + name;
}

/** The set of keys of workers listening on queue `queue`. */
export function queueWorkersKey(queue: string): string {
  return `rq:workers:${queue}`;
}

/** The pub/sub channel on which worker `name` takes commands (shutdown, kill-horse, stop-job). */
export function workerCommandsChannel(name: string): string {
  return `rq:pubsub:${name}`;
}

/** Lock taken by the scheduler that serves queue `queue`. */
export function schedulerLockKey(queue: string): string {
  return `rq:scheduler-lock:${queue}`;
}

/** Lock taken by the worker that cleans the registries of queue `queue`. */
export function cleanRegistriesLockKey(queue: string): string {
  return `rq:clean_registries:${queue}`;
}

/**
 * RQ 2.x's list of ids a single-queue worker has moved out of `queue` but not yet started.
 * rq-ts uses the same name for its claim list, so RQ 2.x maintenance recognises it.
 */
export function intermediateQueueKey(queue: string): string {
  return `${QUEUE_KEY_PREFIX}${queue}:intermediate`;
}

/** The set of job ids in group `name` (RQ 2.0). */
export function groupKey(name: string): string {
  return GROUP_KEY_PREFIX + name;
}

/** Set of live cron schedulers, scored by their last heartbeat in epoch seconds (RQ 2.6). */
export const CRON_SCHEDULERS_KEY = 'rq:cron_schedulers';

/** The hash describing cron scheduler `name` (RQ 2.5): hostname, pid, name, created_at, config_file, cron_jobs. */
export function cronSchedulerKey(name: string): string {
  return `rq:cron_scheduler:${name}`;
}

/** The ids of the jobs cron job `name` enqueued, scored by the run's time: its cron tick, or its enqueue time (RQ's `rq:cron_job:<name>:jobs`). */
export function cronJobHistoryKey(name: string): string {
  return `rq:cron_job:${name}:jobs`;
}
