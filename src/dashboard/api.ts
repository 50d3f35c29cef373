/**
 * The dashboard's JSON under `/api`: the same reads as its pages (read.ts), as data. routes.ts
 * says which address answers with which.
 */
import { Worker, getJobStats, getThroughput, isSuspended } from '../index.js';
import { HttpError, pageNumber, type Context } from './context.js';
import { BUCKET_BOUNDS, summarize } from './function-stats.js';
import { fetchJob, jobDetail, jobSummary, listCount, listIds, listNamed, queueOverviews, readJobs } from './read.js';

/** `/api/queues`: whether workers are suspended, and every queue's counts. */
export async function queuesJson({ connection }: Context): Promise<unknown> {
  return { suspended: await isSuspended({ connection }), queues: await queueOverviews(connection) };
}

/** `/api/workers`: the live workers, without cleaning the worker sets. */
export async function workersJson({ connection }: Context): Promise<unknown> {
  return { workers: await Worker.all({ connection, cleanup: false }) };
}

/** `/api/throughput?queue=<q>&minutes=<n>`: finished and failed jobs per minute (6 hours unless told). */
export async function throughputJson({ connection, url }: Context): Promise<unknown> {
  const queue = url.searchParams.get('queue') ?? undefined;
  const asked = url.searchParams.get('minutes') ?? '360';
  const minutes = /^\d{1,4}$/.test(asked) ? Number(asked) : 360;
  return { queue: queue ?? null, points: await getThroughput({ connection, minutes, ...(queue !== undefined && { queue }) }) };
}

/**
 * `/api/job-stats?queue=<q>`: the queue's statistics by function, summed up (runs, run-time p50,
 * p95 and mean, mean wait, in seconds; retries, timeouts, abandoned) and as histograms (`run` and
 * `wait`: counts per bucket of `buckets`, not cumulative, and their sum).
 * @throws {HttpError} 400 without a queue.
 */
export async function jobStatsJson({ connection, url }: Context): Promise<unknown> {
  const queue = url.searchParams.get('queue') ?? '';
  if (queue === '') throw new HttpError(400, 'Which queue? Ask for /api/job-stats?queue=<name>');
  const entries = await getJobStats({ connection, queue });
  return { queue, buckets: BUCKET_BOUNDS, functions: entries.map((entry) => ({ ...summarize(entry), run: entry.run, wait: entry.wait })) };
}

/** `/api/queues/<queue>/<list>?page=N`: one page of a list, with its total. */
export async function listJson(context: Context, queue: string, list: string): Promise<unknown> {
  const { connection, pageSize } = context;
  const name = listNamed(list);
  const page = pageNumber(context.url);
  const ids = await listIds(name, queue, connection, (page - 1) * pageSize, pageSize);
  return { queue, list: name, page, total: await listCount(name, queue, connection), jobs: (await readJobs(ids, connection)).map(jobSummary) };
}

/** `/api/jobs/<id>`: the job in full. */
export async function jobJson({ connection }: Context, id: string): Promise<unknown> {
  return jobDetail(await fetchJob(id, connection));
}
