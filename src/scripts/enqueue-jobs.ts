/**
 * Enqueueing: a batch of jobs on one queue in one script (enqueue-jobs.lua), and one job that is
 * unique or waits for others, checked and written in one script (enqueue-job.lua).
 */
import { isCluster, layoutOf, type RedisConnection } from '../connection.js';
import { coalesce, type Coalescing } from './coalesced-enqueues.js';
import { SCRIPT_FAILURES, scriptFailure, type ScriptFailureCode } from '../errors.js';
import { GROUPS_KEY, QUEUES_KEY, deferredRegistryKey, dependenciesKey, dependentsKey, groupKey, jobKey, memoryGuardKey, queueKey, scheduledRegistryKey, slotQueueOfJob, spanningKey } from '../keys.js';
import { commandBatch } from '../redis-client.js';
import { formatTimestamp } from '../timestamps.js';
import { runScript } from './index.js';
import { releaseDependent } from './release-dependent.js';
import { pack, type Packable } from './pack.js';

/** Where a job of a batch goes. */
export type Placement =
  /** `limited`: a rate-limited job, which waits for a slot of its limit (its fields name it). */
  | { readonly mode: 'tail' | 'front' | 'stored' | 'limited' }
  /** At a time the caller chose, in epoch seconds. */
  | { readonly mode: 'scheduled'; readonly at: number }
  /** After a delay in seconds, counted from Redis' clock. */
  | { readonly mode: 'delayed'; readonly delay: number };

/** One job of a batch: its hash as RQ stores it, its TTL, where it goes. */
export interface BatchJob {
  readonly id: string;
  readonly placement: Placement;
  /** Seconds, or undefined for none. */
  readonly ttl: number | undefined;
  readonly fields: Readonly<Record<string, string | Buffer>>;
}

/** A batch of jobs for one queue. */
export interface Batch {
  readonly queue: string;
  readonly jobs: readonly BatchJob[];
  /** The group (RQ 2.0) whose set the ids join. */
  readonly group?: string | undefined;
  /** A scheduled time further in the past than this many seconds (by Redis' clock) is refused. */
  readonly pastSlack: number;
}

/**
 * Writes the batch, as RQ 1.13's enqueue transaction writes each job. Batches of one tick on one
 * connection for one queue go to Redis in one call (coalesced-enqueues.ts), each checked and
 * written in it as if it came alone; not a group's, nor on a cluster or a connection with ioredis'
 * own auto-pipelining (which sends commands without its `sendCommand`, so their order could not be
 * kept).
 * @throws {InvalidArgumentError} when a scheduled time is in the past by Redis' clock: nothing is written.
 */
export function enqueueJobs(connection: RedisConnection, batch: Batch): Promise<void> {
  if (isCluster(connection) || batch.group !== undefined || connection.options.enableAutoPipelining) return writeUngathered(connection, batch);
  return coalesce(connection, batch, COALESCING);
}

/**
 * How batches of one tick are weighed, sent and refused (coalesced-enqueues.ts). A gathered call
 * is written at once when it is sent (at the end of the tick, or before another command).
 */
const COALESCING: Coalescing<Batch, Refusal> = {
  keyOf: ({ queue, pastSlack }) => `${pastSlack}:${queue}`,
  sizeOf: ({ jobs }) => ({ jobs: jobs.length, bytes: bytesOf(jobs) }),
  send: sendCalls,
  errorOf: refusalError,
};

/** A refusal of the script (nothing of its call written): its failure code, the job (from 1) and the limit it named. */
type Refusal = readonly [code: ScriptFailureCode, index: number, limit?: string];

/**
 * Writes a batch in a call of its own (corked with the tick's other script calls). Calls gathered
 * on the connection before it go first: its `sendCommand` sends them (coalesced-enqueues.ts).
 */
async function writeUngathered(connection: RedisConnection, batch: Batch): Promise<void> {
  const reply = await sendBatch(connection, batch, { alone: false, calls: '' });
  if (Array.isArray(reply)) throw refusalError(batch, reply as unknown as Refusal);
}

/** Sends the gathered batches (of one queue) as one call; resolves to each one's refusal, or undefined where it was written. */
async function sendCalls(connection: RedisConnection, batches: readonly Batch[]): Promise<(Refusal | undefined)[]> {
  if (batches.length === 1) {
    const reply = await sendBatch(connection, batches[0]!, { alone: true, calls: '' });
    return [Array.isArray(reply) ? (reply as unknown as Refusal) : undefined];
  }
  const [{ queue, pastSlack }] = batches as [Batch];
  const merged: Batch = { queue, pastSlack, jobs: batches.flatMap((batch) => batch.jobs) };
  const answers = (await sendBatch(connection, merged, { alone: true, calls: batches.map((batch) => batch.jobs.length).join(',') })) as Array<0 | Refusal>;
  return answers.map((answer) => (answer === 0 ? undefined : answer));
}

/** About how many bytes a batch's fields make (for the cap of a gathered call). */
function bytesOf(jobs: readonly BatchJob[]): number {
  let bytes = 0;
  for (const { fields } of jobs) for (const field in fields) bytes += field.length + fields[field]!.length;
  return bytes;
}

/**
 * Sends one call of enqueue-jobs.lua for `batch`, whose jobs make the callers' calls of sizes
 * `calls` ("" for one caller); resolves to the script's reply.
 */
async function sendBatch(connection: RedisConnection, { queue, jobs, group, pastSlack }: Batch, { alone, calls }: { alone: boolean; calls: string }): Promise<unknown> {
  const entries = jobs.map(({ id, placement, ttl, fields }) => {
    const due = placement.mode === 'scheduled' ? placement.at : placement.mode === 'delayed' ? placement.delay : '';
    const entry: Packable[] = [id, placement.mode, due, ttl ?? ''];
    for (const field in fields) entry.push(field, fields[field]!);
    return entry;
  });
  const layout = layoutOf(connection);
  const key = queueKey(queue, layout);
  if (layout === 'cluster') {
    // Keys that span queues sit in slots of their own: written first, so that no job is ever in a
    // queue that rq:queues or its group's set does not list (the script leaves them alone).
    const first = commandBatch(connection, { atomic: false }).sadd(QUEUES_KEY, key);
    if (group !== undefined && jobs.length > 0) first.sadd(groupKey(group), ...jobs.map((job) => job.id)).sadd(GROUPS_KEY, group);
    await first.exec();
  }
  const keys = [key, spanningKey(QUEUES_KEY, queue, layout), scheduledRegistryKey(queue, layout), spanningKey(GROUPS_KEY, queue, layout)];
  return runScript(connection, 'enqueueJobs', keys, [group ?? '', pack(entries), pastSlack, calls], { alone });
}

/** The error for a refused batch. */
function refusalError(batch: Batch, [code, index, limit]: Refusal): Error {
  if (code === SCRIPT_FAILURES.RATE_LIMIT_KEY_CHANGED) return rateLimitMoved(batch.jobs[index - 1]!.id, limit!);
  const placement = batch.jobs[index - 1]!.placement as { at: number };
  return scriptFailure(code, `Cannot schedule at ${new Date(placement.at * 1000).toISOString()}: it is in the past by the Redis server's clock. Use enqueue() to run the job now.`);
}

/** The error for a job id enqueued again under another rate limit while it is in `limit`. */
function rateLimitMoved(id: string, limit: string): Error {
  return scriptFailure(
    SCRIPT_FAILURES.RATE_LIMIT_KEY_CHANGED,
    `Job ${id} waits or holds a slot under rate limit '${limit}': it cannot be enqueued again under another limit or none while it is there (both would count it). Cancel or delete it first, or enqueue it with the same limit.`,
  );
}

/** A job that is unique or depends on others. */
export interface CheckedJob {
  readonly id: string;
  readonly queue: string;
  readonly fields: Readonly<Record<string, string | Buffer>>;
  readonly dependencyIds: readonly string[];
  readonly allowDependencyFailures: boolean;
  readonly atFront: boolean;
  readonly unique: boolean;
  /** Seconds, or undefined for none. */
  readonly ttl: number | undefined;
}

/**
 * Enqueues the job at once when its dependencies are all done, else defers it; refuses a unique
 * job whose id exists. Resolves to the status it now has (`rate_limited` for a job whose
 * dependencies are done and that waits for a slot of its rate limit).
 * @throws {InvalidJobDependencyError} for a dependency that does not exist or a cycle;
 * {@link DuplicateJobError} for a unique job whose id exists. Nothing is written then.
 */
export async function enqueueJob(connection: RedisConnection, job: CheckedJob): Promise<'queued' | 'deferred' | 'rate_limited'> {
  const { id, queue } = job;
  const layout = layoutOf(connection);
  const key = queueKey(queue, layout);
  // On a cluster, parents in other slots are checked here first, told of the job after.
  const elsewhere = layout === 'cluster' ? job.dependencyIds.filter((dependency) => slotQueueOfJob(dependency, layout) !== slotQueueOfJob(id, layout)) : [];
  if (layout === 'cluster') {
    await checkParentsElsewhere(connection, id, elsewhere);
    await connection.sadd(QUEUES_KEY, key); // its own slot: first, as above
  }
  const [result, detail] = (await runScript(
    connection,
    'enqueueJob',
    [jobKey(id), key, deferredRegistryKey(queue, layout), spanningKey(QUEUES_KEY, queue, layout), dependenciesKey(id), dependentsKey(id), memoryGuardKey(queue, layout)],
    [
      id,
      job.atFront ? '1' : '0',
      job.allowDependencyFailures ? '1' : '0',
      job.ttl ?? '',
      formatTimestamp(new Date()),
      job.unique ? '1' : '0',
      job.dependencyIds.length,
      ...job.dependencyIds,
      ...Object.entries(job.fields).flat(),
    ],
  )) as [number, string?];
  if (result === SCRIPT_FAILURES.RATE_LIMIT_KEY_CHANGED) throw rateLimitMoved(id, detail!);
  if (result === 1) return 'queued';
  if (result === 2) return 'rate_limited';
  if (result === 0) return elsewhere.length > 0 ? tellParentsElsewhere(connection, job, elsewhere) : 'deferred';
  const messages: Partial<Record<ScriptFailureCode, string>> = {
    [SCRIPT_FAILURES.NO_SUCH_DEPENDENCY]: `Job ${id} depends on job ${detail}, which does not exist (${jobKey(detail ?? '')}). Enqueue the dependency first.`,
    [SCRIPT_FAILURES.DUPLICATE_JOB]: `Job ${id} exists already (${jobKey(id)}): a unique job is enqueued only once.`,
    [SCRIPT_FAILURES.DEPENDENCY_CYCLE]: `Job ${id} cannot depend on job ${detail}: ${detail} already depends on ${id}, which would make a cycle.`,
  };
  throw scriptFailure(result as ScriptFailureCode, messages[result as ScriptFailureCode] ?? `Enqueue of job ${id} failed (${result}).`);
}

/**
 * On a cluster, before a job that waits on `parents` in other slots is written: each must exist,
 * and none may already wait on the job (a cycle, possible when a job id is reused), which is
 * looked for up the parents' dependencies across slots.
 * @throws {InvalidJobDependencyError}
 */
async function checkParentsElsewhere(connection: RedisConnection, id: string, parents: readonly string[]): Promise<void> {
  const exists = await Promise.all(parents.map((parent) => connection.exists(jobKey(parent))));
  const missing = parents.find((_, index) => exists[index] === 0);
  if (missing !== undefined) throw scriptFailure(SCRIPT_FAILURES.NO_SUCH_DEPENDENCY, `Job ${id} depends on job ${missing}, which does not exist (${jobKey(missing)}). Enqueue the dependency first.`);
  const seen = new Set<string>();
  let frontier = [...parents];
  while (frontier.length > 0 && seen.size < 10_000) {
    const next: string[] = [];
    for (const current of frontier.filter((candidate) => !seen.has(candidate))) {
      seen.add(current);
      const ancestors = await connection.smembers(dependenciesKey(current));
      if (ancestors.includes(id)) throw scriptFailure(SCRIPT_FAILURES.DEPENDENCY_CYCLE, `Job ${id} cannot depend on job ${current}: ${current} already depends on ${id}, which would make a cycle.`);
      next.push(...ancestors);
    }
    frontier = next;
  }
}

/**
 * On a cluster, after a job was deferred behind parents in other slots: adds it to each one's
 * dependents set, then reads their statuses; when all are done (a parent may have ended before it
 * was told), releases the job itself. A parent that ends after it was told releases it instead;
 * should both, the job is enqueued once (release-dependent.ts).
 */
async function tellParentsElsewhere(connection: RedisConnection, job: CheckedJob, parents: readonly string[]): Promise<'queued' | 'deferred'> {
  await Promise.all(parents.map((parent) => connection.sadd(dependentsKey(parent), job.id)));
  const outcome = await releaseDependent(connection, { id: job.id, parent: '', parentStatus: '', exclude: '' });
  return outcome === 'released' ? 'queued' : 'deferred';
}
