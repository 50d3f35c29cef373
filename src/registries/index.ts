/**
 * RQ's six registries, one per job state, each a sorted set per queue (RQ-REFERENCE.md §1.4):
 * `rq:wip:<q>` started, `rq:finished:<q>`, `rq:failed:<q>`, `rq:deferred:<q>`,
 * `rq:scheduled:<q>` (score: due time), `rq:canceled:<q>`.
 */
import {
  canceledRegistryKey,
  deferredRegistryKey,
  failedRegistryKey,
  finishedRegistryKey,
  scheduledRegistryKey,
  startedRegistryKey,
  type Layout,
} from '../keys.js';
import { cleanStartedRegistry } from '../scripts/clean-started-registry.js';
import { tryRequeueJob } from '../scripts/requeue-job.js';
import { zlibWrap } from '../zlib-format.js';
import { ExpiringJobRegistry, PermanentJobRegistry, JobRegistry } from './base.js';

export { JobRegistry } from './base.js';
export type { RegistryOptions, QueueRef, JobRef } from './base.js';

/** What a started-registry cleanup did with the abandoned jobs it found. */
export interface StartedCleanup {
  /** Jobs without retries left, now failed. */
  failed: string[];
  /** Jobs with retries left, now scheduled or queued again. */
  retried: string[];
  /** Jobs put back on their queue by the `maxAbandonedRequeues` policy. */
  requeued: string[];
}

/** Options of {@link StartedJobRegistry.cleanup}. */
export interface StartedCleanupOptions {
  /** Entries scored at or below this (epoch seconds) are abandoned. @default Redis server time */
  timestamp?: number;
  /**
   * Times an abandoned job without retries is put back on its queue before it fails with
   * `AbandonedJobError` (counted in the job's `abandoned_count` field). @default 0: fail at once, as RQ
   */
  maxAbandonedRequeues?: number;
}

/**
 * Jobs being run. A worker keeps each entry's score at now + heartbeat TTL; an entry past its
 * score belongs to a worker that died: an abandoned job.
 */
export class StartedJobRegistry extends JobRegistry {
  protected keyFor(name: string, layout: Layout): string {
    return startedRegistryKey(name, layout);
  }

  /**
   * Handles abandoned jobs, atomically, as RQ 1.13: retried when retries are left, else failed
   * with exc_info "Moved to FailedJobRegistry at <time>" and kept for their failure TTL. With
   * `maxAbandonedRequeues`, put back on their queue that many times first.
   */
  async cleanup(options: StartedCleanupOptions = {}): Promise<StartedCleanup> {
    const maxRequeues = options.maxAbandonedRequeues ?? 0;
    const when = new Date().toISOString();
    const reason = maxRequeues > 0
      ? `AbandonedJobError: the job's worker stopped sending heartbeats, and the job was abandoned ${maxRequeues + 1} times. Moved to FailedJobRegistry at ${when}`
      : `Moved to FailedJobRegistry at ${when}`;
    return cleanStartedRegistry(this.connection, { queue: this.name, cutoff: options.timestamp, excInfo: zlibWrap(Buffer.from(reason)), maxRequeues });
  }
}

/** Jobs that finished, kept for their result TTL. */
export class FinishedJobRegistry extends ExpiringJobRegistry {
  protected keyFor(name: string, layout: Layout): string {
    return finishedRegistryKey(name, layout);
  }
}

/** What {@link FailedJobRegistry.requeueAll} did, id by id. */
export interface RequeueAllResult {
  /** Ids put back on their queue. */
  requeued: string[];
  /**
   * Ids not requeued and left as they were: `rq:job:<id>` is not a job hash (the id stays in the
   * registry), or the id had left the registry meanwhile (another process took it).
   */
  refused: string[];
  /** Ids not requeued because their job hash is gone (expired or deleted): they were removed from the registry. */
  gone: string[];
}

/** Options of {@link FailedJobRegistry.requeueAll}. */
export interface RequeueAllOptions {
  /** Called after each id is handled, with the number handled so far (for a progress bar). */
  onProgress?: (handled: number) => void;
}

/** Ids {@link FailedJobRegistry.requeueAll} reads at a time: a page, never the whole registry. */
const REQUEUE_PAGE_SIZE = 500;

/** Jobs that failed or were stopped, kept for their failure TTL. */
export class FailedJobRegistry extends ExpiringJobRegistry {
  protected keyFor(name: string, layout: Layout): string {
    return failedRegistryKey(name, layout);
  }

  /**
   * Requeues every job of the registry (what `rq requeue --all` and the dashboard's "Requeue
   * failed" do), each as {@link JobRegistry.requeue} but without reading the job back: a job
   * whose data this process cannot decode (a pickle) is requeued all the same, for a worker that
   * can. Reads the ids a page at a time, by ascending score, without a cleanup first (an expired
   * entry whose hash is gone is reported in `gone`). Requeued and gone ids leave the registry;
   * those that are not job hashes stay in front, so the next page starts after them.
   */
  async requeueAll(options: RequeueAllOptions = {}): Promise<RequeueAllResult> {
    const result: RequeueAllResult = { requeued: [], refused: [], gone: [] };
    for (let kept = 0; ; ) {
      const ids = await this.getJobIds(kept, kept + REQUEUE_PAGE_SIZE - 1, { cleanup: false });
      if (ids.length === 0) return result;
      kept += await this.#requeueInto(result, ids, options);
    }
  }

  /** Requeues the jobs `ids` of the registry as {@link FailedJobRegistry.requeueAll} does (`rq requeue ID...`). */
  async requeueJobs(ids: readonly string[], options: RequeueAllOptions = {}): Promise<RequeueAllResult> {
    const result: RequeueAllResult = { requeued: [], refused: [], gone: [] };
    await this.#requeueInto(result, ids, options);
    return result;
  }

  /** Requeues `ids` one by one into `result`; resolves to how many stayed in the registry (keys that are no job hash). */
  async #requeueInto(result: RequeueAllResult, ids: readonly string[], options: RequeueAllOptions): Promise<number> {
    let kept = 0;
    for (const id of ids) {
      const outcome = await tryRequeueJob(this.connection, { registry: this.key, id });
      if (outcome === 'not-a-job') kept += 1;
      (outcome === 'requeued' ? result.requeued : outcome === 'gone' ? result.gone : result.refused).push(id);
      options.onProgress?.(result.requeued.length + result.refused.length + result.gone.length);
    }
    return kept;
  }
}

/** Jobs waiting for the jobs they depend on. */
export class DeferredJobRegistry extends PermanentJobRegistry {
  protected keyFor(name: string, layout: Layout): string {
    return deferredRegistryKey(name, layout);
  }
}

/** Jobs waiting for their time; the score is the due time in epoch seconds. */
export class ScheduledJobRegistry extends PermanentJobRegistry {
  protected keyFor(name: string, layout: Layout): string {
    return scheduledRegistryKey(name, layout);
  }

  /** When the job is due, or null when it is not scheduled here. */
  getScheduledTime(job: string | { id: string }): Promise<Date | null> {
    return this.getExpirationTime(typeof job === 'string' ? job : job.id);
  }
}

/** Jobs that were canceled. */
export class CanceledJobRegistry extends PermanentJobRegistry {
  protected keyFor(name: string, layout: Layout): string {
    return canceledRegistryKey(name, layout);
  }
}
