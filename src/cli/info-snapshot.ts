/**
 * What `rq info` shows (commands/info.ts): queues with their counts per registry, and workers, in
 * RQ's formats (default, raw, by queue), read through the public API. Gathering and rendering are
 * apart: rendering is pure.
 */
import { CanceledJobRegistry, DeferredJobRegistry, FailedJobRegistry, FinishedJobRegistry, Queue, RateLimitRegistry, ScheduledJobRegistry, StartedJobRegistry, Worker, type RateLimitState, type RedisConnection, type Serializer, type WorkerInfo } from '../index.js';
// Formats: RQ 2.x's (1.13's with each queue's started, finished and failed counts and each worker's
// job counts), with the deferred, scheduled and canceled counts after RQ's.
import type { Colors } from './shared.js';

/** One queue's counts. */
export interface QueueCounts {
  readonly name: string;
  readonly queued: number;
  readonly started: number;
  readonly deferred: number;
  readonly scheduled: number;
  readonly finished: number;
  readonly failed: number;
  readonly canceled: number;
}

/** What `rq info` shows. */
export interface InfoSnapshot {
  readonly queues: readonly QueueCounts[];
  readonly workers: readonly WorkerInfo[];
  /** Each queue's workers (the by-queue view). */
  readonly workersByQueue: ReadonlyMap<string, readonly WorkerInfo[]>;
  /** Every rate limit Redis knows (`rq:rl-keys`): they span queues. */
  readonly limits: readonly RateLimitState[];
  readonly at: Date;
}

/** How `rq info` prints. */
export interface InfoView {
  readonly raw: boolean;
  readonly byQueue: boolean;
  readonly show: 'both' | 'queues' | 'workers';
  /** Terminal width, for the bars. */
  readonly columns: number;
}

/**
 * Reads the queues (`names`, else every queue in `rq:queues`) and their workers: as RQ's `rq info`,
 * the workers of the shown queues. First cleans the shown queues' finished, failed and started
 * registries (expired entries out, abandoned jobs handled) and their worker sets (Worker.all drops
 * expired workers), reading jobs with `serializer` (-S).
 */
export async function gatherInfo(connection: RedisConnection, names: readonly string[], serializer: Serializer): Promise<InfoSnapshot> {
  const queues = names.length > 0 ? names.map((name) => new Queue(name, { connection, serializer })) : await Queue.all({ connection, serializer });
  const counts: QueueCounts[] = [];
  const workersByQueue = new Map<string, WorkerInfo[]>();
  for (const queue of queues) {
    const options = { connection, serializer };
    await new FinishedJobRegistry(queue.name, options).cleanup();
    await new FailedJobRegistry(queue.name, options).cleanup();
    await new StartedJobRegistry(queue.name, options).cleanup();
    const [queued, started, deferred, scheduled, finished, failed, canceled, workers] = await Promise.all([
      queue.count(),
      new StartedJobRegistry(queue.name, options).count(),
      new DeferredJobRegistry(queue.name, options).count(),
      new ScheduledJobRegistry(queue.name, options).count(),
      new FinishedJobRegistry(queue.name, options).count(),
      new FailedJobRegistry(queue.name, options).count(),
      new CanceledJobRegistry(queue.name, options).count(),
      Worker.all({ connection, queue: queue.name }),
    ]);
    counts.push({ name: queue.name, queued, started, deferred, scheduled, finished, failed, canceled });
    workersByQueue.set(queue.name, workers);
  }
  const seen = new Map<string, WorkerInfo>();
  for (const list of workersByQueue.values()) for (const worker of list) seen.set(worker.key, worker);
  const workers = [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
  const limits = await Promise.all((await RateLimitRegistry.all({ connection })).map((registry) => registry.state()));
  return { queues: counts, workers, workersByQueue, limits, at: new Date() };
}

/** Jobs of a queue in its list and all its registries. */
export function totalJobs(queue: QueueCounts): number {
  return queue.queued + queue.started + queue.deferred + queue.scheduled + queue.finished + queue.failed + queue.canceled;
}

/** RQ's bar scales: the lowest at or above the largest count. */
function scaleFor(max: number): number {
  for (const scale of [20, 50, 100, 200, 400, 600, 800, 1000]) if (max <= scale) return scale;
  return max;
}

/** The lines `rq info` prints for a snapshot. */
export function renderInfo(snapshot: InfoSnapshot, view: InfoView, colors: Colors): string[] {
  const lines: string[] = [];
  if (view.show !== 'workers') lines.push(...renderQueues(snapshot, view, colors));
  if (view.show === 'both' && !view.raw) lines.push('');
  if (view.show !== 'queues') lines.push(...renderWorkers(snapshot, view, colors));
  if (view.show === 'both' && !view.raw) lines.push('', `Updated: ${localTimestamp(snapshot.at)}`);
  return lines;
}

function registryCounts(queue: QueueCounts): string {
  return `${queue.started} executing, ${queue.finished} finished, ${queue.failed} failed, ${queue.deferred} deferred, ${queue.scheduled} scheduled, ${queue.canceled} canceled`;
}

function renderQueues(snapshot: InfoSnapshot, view: InfoView, colors: Colors): string[] {
  const chartWidth = Math.max(0, Math.min(20, view.columns - 20));
  const ratio = chartWidth / scaleFor(Math.max(0, ...snapshot.queues.map((queue) => queue.queued)));
  const lines = snapshot.queues.map((queue) =>
    view.raw
      ? `queue ${queue.name} ${queue.queued}, ${registryCounts(queue)}`
      : `${queue.name.padEnd(12)} ${colors.green(`|${'█'.repeat(Math.floor(ratio * queue.queued))}`)} ${queue.queued}, ${registryCounts(queue)}`,
  );
  if (!view.raw) lines.push(`${snapshot.queues.length} queues, ${snapshot.queues.reduce((sum, queue) => sum + queue.queued, 0)} jobs total`);
  return [...lines, ...renderLimits(snapshot, view)];
}

/**
 * The rate limits, after the queues, only when Redis has some (the output is RQ's otherwise):
 * `reports      2 of 2 slots, 3 waiting`, `mail         7 of 10 per 1s, 0 queued or running, 12 waiting, held until 15:40:02`.
 */
function renderLimits(snapshot: InfoSnapshot, view: InfoView): string[] {
  if (snapshot.limits.length === 0) return [];
  const lines = snapshot.limits.map((limit) => {
    const parts = [limit.concurrency !== undefined ? `${limit.holding} of ${limit.concurrency} slots` : `${limit.holding} queued or running`];
    if (limit.max !== undefined) parts.unshift(`${limit.admittedInWindow} of ${limit.max} per ${limit.duration! % 1000 === 0 ? `${limit.duration! / 1000}s` : `${limit.duration}ms`}`);
    parts.push(`${limit.waiting} waiting`);
    if (limit.heldUntil) parts.push(`held until ${localTimestamp(limit.heldUntil).slice(11, 19)}`);
    return view.raw ? `ratelimit ${limit.key} ${parts.join(', ')}` : `${limit.key.padEnd(12)} ${parts.join(', ')}`;
  });
  return view.raw ? lines : ['', 'Rate limits:', ...lines];
}

function stateSymbol(state: string, colors: Colors): string {
  if (state === 'busy') return colors.red(state);
  if (state === 'idle') return colors.green(state);
  if (state === 'suspended') return colors.yellow(state);
  return state;
}

function renderWorkers(snapshot: InfoSnapshot, view: InfoView, colors: Colors): string[] {
  const lines: string[] = [];
  if (!view.byQueue) {
    for (const worker of snapshot.workers) {
      const name = `${worker.name} (${worker.hostname} ${worker.ipAddress} ${worker.pid ?? '?'})`;
      const jobs = `jobs: ${worker.successfulJobCount} finished, ${worker.failedJobCount} failed`;
      lines.push(
        view.raw
          ? `worker ${name} ${worker.state} ${worker.queueNames.join(', ')}. ${jobs}`
          : `${name}: ${stateSymbol(worker.state, colors)} ${worker.queueNames.join(', ')}. ${jobs}`,
      );
    }
  } else {
    const width = Math.max(0, ...snapshot.queues.map((queue) => queue.name.length)) + 1;
    for (const queue of snapshot.queues) {
      const workers = snapshot.workersByQueue.get(queue.name) ?? [];
      const text = workers.length > 0 ? workers.map((worker) => `${worker.name} (${view.raw ? worker.state : stateSymbol(worker.state, colors)})`).sort().join(', ') : '–';
      lines.push(`${`${queue.name}:`.padEnd(width)} ${text}`);
    }
  }
  if (!view.raw) lines.push(`${snapshot.workers.length} workers, ${snapshot.queues.length} queues`);
  return lines;
}

/** Local time as Python prints `datetime.now()`: `2026-12-01 15:40:00.123000`. */
function localTimestamp(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}000`;
}
