/**
 * Every Redis key and pub/sub channel name rq-ts uses, exactly as RQ 1.13 spells it
 * (RQ-REFERENCE.md §2.1). Nothing else in rq-ts builds a key string: change a name here and a
 * test pins it against RQ's. Quirks are kept on purpose, for interoperability with Python RQ.
 *
 * Two layouts (docs/cluster.md): on a plain Redis, RQ 1.13's byte for byte; on a Redis Cluster,
 * the same names with each queue's name in braces (`rq:queue:{emails}`, `rq:wip:{emails}`), a hash
 * tag that puts a queue's keys in one slot, and job ids that start with their queue's tag
 * (`{emails}1c8e...`), which puts `rq:job:<id>` and every key derived from an id in that slot too.
 * The builders of a queue's keys take the layout; those of a job's keys need none.
 */

import calculateSlot from 'cluster-key-slot';
import { InvalidArgumentError } from './errors.js';

/** Which key layout a connection uses: RQ 1.13's on a plain Redis, tagged on a Redis Cluster. */
export type Layout = 'plain' | 'cluster';

/**
 * Returns `layout` when queue `name` fits it; throws when it does not: on a cluster a queue's name
 * becomes its hash tag, so it may not hold a brace.
 * @throws {InvalidArgumentError}
 */
export function checkQueueName(name: string, layout: Layout): Layout {
  if (layout === 'cluster' && /[{}]/.test(name)) {
    throw new InvalidArgumentError(`Bad queue name '${name}' on a Redis Cluster: a queue's name becomes the hash tag of its keys ({name}), so it may not hold '{' or '}'.`);
  }
  return layout;
}

/** The part of a queue's keys that names it: the name, or on a cluster the name as a hash tag. */
function queuePart(name: string, layout: Layout): string {
  return layout === 'cluster' ? `{${name}}` : name;
}

/**
 * The hash tag of queue `name` on a cluster, `{name}`: every key of the queue and of its jobs
 * holds it first. On a cluster a job id starts with it.
 */
export function queueTag(name: string): string {
  return `{${name}}`;
}

/** The Redis Cluster hash slot of `key` (as ioredis computes it, from its hash tag when it has one). */
export function keySlot(key: string): number {
  return calculateSlot(key);
}

/** What the hash tag `text` starts with holds (`{emails}1c8e...` gives `emails`), if it starts with one. */
function leadingTag(text: string): string | undefined {
  return /^\{([^{}]+)\}/.exec(text)?.[1];
}

/** The queue name a cluster job id's tag names (`{emails}1c8e...` gives `emails`), if it has one. */
export function queueOfTaggedId(id: string): string | undefined {
  return leadingTag(id);
}

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
export function throughputKey(queue: string, hourStart: number, layout: Layout): string {
  return `${THROUGHPUT_KEY_PREFIX}${queuePart(queue, layout)}:${hourStart}`;
}

/**
 * The job statistics of `queue` (rq-ts' own, not RQ's): a hash of run-time and wait-time
 * histograms and of retry, timeout and abandonment counts per function (job-stats.ts).
 */
export function jobStatsKey(queue: string, layout: Layout): string {
  return `rq:stats:${queuePart(queue, layout)}`;
}

/**
 * The events stream of `queue` (rq-ts' own, for QueueEvents): jobs finished, failed, retried...
 * Written by workers only while a listener keeps it alive (it expires without one).
 */
export function queueEventsKey(queue: string, layout: Layout): string {
  return `rq:events:${queuePart(queue, layout)}`;
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

/**
 * The memory guard of a script that works on queue `queue`'s keys: {@link MEMORY_GUARD_KEY} on a
 * plain Redis, `rq:memory-guard:{queue}` on a cluster (a script's keys share one slot). On a
 * cluster it also stands, in a script's KEYS, for a key that spans queues (`rq:queues`,
 * `rq:suspended`): such keys live in slots of their own, so the caller writes them outside the
 * script, and the script, told so by its prelude's `CLUSTER`, leaves them alone.
 */
export function memoryGuardKey(queue: string, layout: Layout): string {
  return layout === 'cluster' ? `${MEMORY_GUARD_KEY}:${queueTag(queue)}` : MEMORY_GUARD_KEY;
}

/**
 * `key`, a key that spans queues, as a script on queue `queue`'s keys names it: itself on a plain
 * Redis; on a cluster the slot's memory guard, which the script, seeing `CLUSTER`, never writes
 * (the caller writes `key` outside the script, or maintenance keeps it true).
 */
export function spanningKey(key: string, queue: string, layout: Layout): string {
  return layout === 'cluster' ? memoryGuardKey(queue, layout) : key;
}

/**
 * The queue whose slot job `id` lives in on a cluster: the queue its tag names. On a plain Redis
 * (where ids carry no tag) the empty string, which every key builder of a plain Redis ignores.
 */
export function slotQueueOfJob(id: string, layout: Layout): string {
  return layout === 'cluster' ? (queueOfTaggedId(id) ?? '') : '';
}

/** Set of every rate limit key (RQ master's `rq:rl-keys`), so maintenance finds each limit. */
export const RATE_LIMIT_KEYS = 'rq:rl-keys';

/**
 * The config hash of rate limit `key` (RQ's `rq:rl:<key>`): its `concurrency` (RQ's field), and
 * rq-ts' `max` and `duration` (milliseconds) of a rate, and `held_until` (epoch milliseconds) while
 * a job has held the key (RateLimitError).
 */
export function rateLimitKey(key: string): string {
  return `rq:rl:${key}`;
}

/** The jobs holding a slot of rate limit `key`, scored by when they took it (RQ's `rq:rl:<key>:allowed`). */
export function rateLimitAllowedKey(key: string): string {
  return `rq:rl:${key}:allowed`;
}

/** The jobs waiting for a slot of rate limit `key`, oldest first (RQ's `rq:rl:<key>:rate_limited`). */
export function rateLimitWaitingKey(key: string): string {
  return `rq:rl:${key}:rate_limited`;
}

/**
 * The admissions of rate limit `key` within its last `duration` (rq-ts' rates over time): a sorted
 * set scored by epoch milliseconds, one member `<milliseconds>:<job id>` per admission.
 */
export function rateLimitWindowKey(key: string): string {
  return `rq:rl:${key}:window`;
}

/**
 * The rate limits whose waiting jobs wait for time rather than for a slot (a full window, a hold),
 * scored by the epoch milliseconds at which they can next admit one (rq-ts' own, beside RQ's
 * `rq:rl-keys`). Every worker admits them when that time comes.
 */
export const RATE_LIMIT_DUE = 'rq:rl-due';

/** Present while workers are suspended (`rq suspend`). */
export const SUSPENDED_KEY = 'rq:suspended';

/** The list of job ids waiting in queue `name`. */
export function queueKey(name: string, layout: Layout): string {
  return QUEUE_KEY_PREFIX + queuePart(name, layout);
}

/** The queue name inside a queue key, or undefined when `key` is not one. */
export function queueNameFromKey(key: string, layout: Layout): string | undefined {
  if (!key.startsWith(QUEUE_KEY_PREFIX)) return undefined;
  const part = key.slice(QUEUE_KEY_PREFIX.length);
  if (layout === 'plain') return part;
  return /^\{[^{}]+\}$/.test(part) ? part.slice(1, -1) : undefined;
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
export function startedRegistryKey(queue: string, layout: Layout): string {
  return `rq:wip:${queuePart(queue, layout)}`;
}

/** FinishedJobRegistry of a queue. */
export function finishedRegistryKey(queue: string, layout: Layout): string {
  return `rq:finished:${queuePart(queue, layout)}`;
}

/** FailedJobRegistry of a queue (failed and stopped jobs). */
export function failedRegistryKey(queue: string, layout: Layout): string {
  return `rq:failed:${queuePart(queue, layout)}`;
}

/** DeferredJobRegistry of a queue (jobs waiting on dependencies). */
export function deferredRegistryKey(queue: string, layout: Layout): string {
  return `rq:deferred:${queuePart(queue, layout)}`;
}

/** ScheduledJobRegistry of a queue (score: due time, integer epoch seconds). */
export function scheduledRegistryKey(queue: string, layout: Layout): string {
  return `rq:scheduled:${queuePart(queue, layout)}`;
}

/** CanceledJobRegistry of a queue. */
export function canceledRegistryKey(queue: string, layout: Layout): string {
  return `rq:canceled:${queuePart(queue, layout)}`;
}

/**
 * A worker's name as it is used in `layout`: on a cluster the name becomes its hash tag (`w1`
 * is `{w1}`, and its slots `{w1}-2`, `{w1}-3`...), so that the hashes of all its slots share one
 * slot and one script call writes them; a name that starts with a tag already is kept.
 */
export function workerNameFor(name: string, layout: Layout): string {
  return layout === 'cluster' && leadingTag(name) === undefined ? `{${name}}` : name;
}

/** The hash describing worker `name`. */
export function workerKey(name: string): string {
  return WORKER_KEY_PREFIX + name;
}

/** The set of keys of workers listening on queue `queue`. */
export function queueWorkersKey(queue: string, layout: Layout): string {
  return `rq:workers:${queuePart(queue, layout)}`;
}

/** The pub/sub channel on which worker `name` takes commands (shutdown, kill-horse, stop-job). */
export function workerCommandsChannel(name: string): string {
  return `rq:pubsub:${name}`;
}

/** Lock taken by the scheduler that serves queue `queue`. */
export function schedulerLockKey(queue: string, layout: Layout): string {
  return `rq:scheduler-lock:${queuePart(queue, layout)}`;
}

/** Lock taken by the worker that cleans the registries of queue `queue`. */
export function cleanRegistriesLockKey(queue: string, layout: Layout): string {
  return `rq:clean_registries:${queuePart(queue, layout)}`;
}

/**
 * RQ 2.x's list of ids a single-queue worker has moved out of `queue` but not yet started.
 * rq-ts uses the same name for its claim list, so RQ 2.x maintenance recognises it.
 */
export function intermediateQueueKey(queue: string, layout: Layout): string {
  return `${QUEUE_KEY_PREFIX}${queuePart(queue, layout)}:intermediate`;
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

/**
 * The ids of the jobs cron job `name` enqueued, scored by the run's time: its cron tick, or its
 * enqueue time (RQ's `rq:cron_job:<name>:jobs`). On a cluster it carries the tag of the cron job's
 * queue, `rq:cron_job:{emails}:digest:jobs`, so that a run's history entry and its job are
 * written in one script, as on a plain Redis.
 */
export function cronJobHistoryKey(name: string, queue: string, layout: Layout): string {
  if (layout === 'cluster') return `rq:cron_job:${queueTag(queue)}:${name}:jobs`;
  return `rq:cron_job:${name}:jobs`;
}
