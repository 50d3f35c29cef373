/**
 * What the dashboard reads, through the library's public API only: a queue's seven lists (its
 * waiting jobs and six registries) by ranges, their counts, and jobs as rows or in full. It reads
 * and never cleans: plain LLEN, ZCARD, ZRANGE and HGETALL, so viewing a page never acts on an
 * abandoned job and a Redis user with read-only ACLs can browse everything.
 */
import {
  CanceledJobRegistry,
  DeferredJobRegistry,
  DeserializationError,
  FailedJobRegistry,
  FinishedJobRegistry,
  Job,
  NoSuchJobError,
  Queue,
  ScheduledJobRegistry,
  StartedJobRegistry,
  type JobRegistry,
  type RedisConnection,
} from '../index.js';
import { HttpError } from './context.js';

/** The lists of a queue: its waiting jobs and its six registries. */
export const LISTS = ['queued', 'started', 'deferred', 'scheduled', 'finished', 'failed', 'canceled'] as const;
export type ListName = (typeof LISTS)[number];

const REGISTRY_CLASSES = {
  started: StartedJobRegistry,
  deferred: DeferredJobRegistry,
  scheduled: ScheduledJobRegistry,
  finished: FinishedJobRegistry,
  failed: FailedJobRegistry,
  canceled: CanceledJobRegistry,
} as const;

/** Most ids a function-name filter reads through before it stops and says so. */
const FILTER_SCAN_LIMIT = 2000;

/** Whether `text` names one of the {@link LISTS}. */
export function isListName(text: string): text is ListName {
  return (LISTS as readonly string[]).includes(text);
}

/** The list named in an address. @throws {HttpError} 404 for another name. */
export function listNamed(text: string): ListName {
  if (!isListName(text)) throw new HttpError(404, `No list '${text}': use one of ${LISTS.join(', ')}`);
  return text;
}

/** The registry object of one of a queue's lists. */
export function registryOf(list: Exclude<ListName, 'queued'>, queue: string, connection: RedisConnection): JobRegistry {
  return new REGISTRY_CLASSES[list](queue, { connection });
}

/** A queue's counts, as the queues page shows them. */
export interface QueueOverview {
  readonly name: string;
  readonly counts: Record<ListName, number>;
}

/** Every queue of `rq:queues` with the count of each of its lists. */
export async function queueOverviews(connection: RedisConnection): Promise<QueueOverview[]> {
  const queues = await Queue.all({ connection });
  return Promise.all(
    queues.map(async (queue) => {
      const values = await Promise.all(LISTS.map((list) => listCount(list, queue.name, connection)));
      return { name: queue.name, counts: Object.fromEntries(LISTS.map((list, index) => [list, values[index]!])) as Record<ListName, number> };
    }),
  );
}

/** The number of jobs in a list. Plain LLEN and ZCARD: a dashboard reads, it never cleans (that would act on abandoned jobs). */
export async function listCount(list: ListName, queue: string, connection: RedisConnection): Promise<number> {
  return list === 'queued' ? new Queue(queue, { connection }).count() : registryOf(list, queue, connection).count({ cleanup: false });
}

/** Ids of a list, one page: the queue in run order; registries newest first (scheduled: soonest due first). */
export async function listIds(list: ListName, queue: string, connection: RedisConnection, start: number, count: number): Promise<string[]> {
  if (list === 'queued') return new Queue(queue, { connection }).getJobIds(start, count);
  return registryOf(list, queue, connection).getJobIds(start, start + count - 1, { order: list === 'scheduled' ? 'asc' : 'desc', cleanup: false });
}

/** Whether job `id` is in a list (LPOS or ZSCORE). */
export async function listHas(list: ListName, queue: string, connection: RedisConnection, id: string): Promise<boolean> {
  if (list === 'queued') return (await new Queue(queue, { connection }).getJobPosition(id)) !== null;
  return registryOf(list, queue, connection).contains(id);
}

/** A job as a list shows it; `error` when its data cannot be read (pickle, corrupt). */
export interface JobRow {
  readonly id: string;
  readonly job: Job | undefined;
  readonly error: string | undefined;
}

/** The jobs of `ids`, in order, each read on its own so that one unreadable job is one row that says so. */
export async function readJobs(ids: readonly string[], connection: RedisConnection): Promise<JobRow[]> {
  const settled = await Promise.allSettled(ids.map((id) => Job.fetch(id, { connection })));
  return settled.map((outcome, index) => {
    if (outcome.status === 'fulfilled') return { id: ids[index]!, job: outcome.value, error: undefined };
    const error = outcome.reason as Error;
    return { id: ids[index]!, job: undefined, error: error instanceof NoSuchJobError ? 'gone (expired or deleted)' : `unreadable: ${error.message}` };
  });
}

/**
 * The jobs of a list that call a function whose name contains `text`, read a range at a time
 * through at most the first {@link FILTER_SCAN_LIMIT} ids; `scanned` says how many were read.
 */
export async function jobsCalling(list: ListName, queue: string, connection: RedisConnection, text: string, total: number): Promise<{ matches: JobRow[]; scanned: number }> {
  const matches: JobRow[] = [];
  let scanned = 0;
  while (scanned < Math.min(total, FILTER_SCAN_LIMIT)) {
    const ids = await listIds(list, queue, connection, scanned, Math.min(200, FILTER_SCAN_LIMIT - scanned));
    if (ids.length === 0) break;
    scanned += ids.length;
    for (const row of await readJobs(ids, connection)) if (row.job?.funcName.includes(text)) matches.push(row);
  }
  return { matches, scanned };
}

/** Job `id`. @throws {HttpError} 404 when it does not exist, 422 when it cannot be read. */
export async function fetchJob(id: string, connection: RedisConnection): Promise<Job> {
  try {
    return await Job.fetch(id, { connection });
  } catch (error) {
    if (error instanceof NoSuchJobError) throw new HttpError(404, `No job ${id}: it does not exist (never created, expired, or deleted).`);
    if (error instanceof DeserializationError) throw new HttpError(422, `Job ${id} cannot be read: ${error.message}`);
    throw error;
  }
}

/** A job as the JSON API lists it. */
export function jobSummary(row: JobRow): Record<string, unknown> {
  const job = row.job;
  return job
    ? { id: row.id, func: job.funcName, status: job.status, origin: job.origin, createdAt: job.createdAt, enqueuedAt: job.enqueuedAt, endedAt: job.endedAt, description: job.description }
    : { id: row.id, error: row.error };
}

/** A job in full: its summary, call, meta, dependencies, dependents and results. */
export async function jobDetail(job: Job): Promise<Record<string, unknown>> {
  return {
    ...jobSummary({ id: job.id, job, error: undefined }),
    args: job.args,
    kwargs: job.kwargs,
    meta: job.meta,
    startedAt: job.startedAt,
    workerName: job.workerName,
    dependencyIds: job.dependencyIds,
    dependentIds: await job.getDependentIds(),
    results: await job.results(),
  };
}
