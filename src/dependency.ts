/**
 * RQ's job dependencies: `dependsOn` a job, an id, a list of those, or a {@link Dependency} with
 * RQ's flags. A job with unfinished dependencies waits as `deferred` and is enqueued when the last
 * one finishes (see enqueue-dependent-job.lua and release-dependents.lib.lua). Pure, no Redis.
 */
import { InvalidArgumentError } from './errors.js';

/** A job (anything with an id) or a job id. */
export type DependencyRef = string | { readonly id: string };

/** Options of {@link Dependency}. */
export interface DependencyOptions {
  /** The jobs to wait for: jobs or ids. */
  jobs: DependencyRef | readonly DependencyRef[];
  /** Run the dependent also when a dependency fails (but never when one is canceled). @default false */
  allowFailure?: boolean;
  /** Put the dependent at the head of its queue when it is released. @default false */
  enqueueAtFront?: boolean;
}

/** Dependencies with RQ's flags, as RQ's `Dependency(jobs, allow_failure, enqueue_at_front)`. */
export class Dependency {
  /** The ids of the jobs to wait for, in order, without repeats. */
  readonly ids: readonly string[];
  readonly allowFailure: boolean;
  readonly enqueueAtFront: boolean;

  /** @throws {InvalidArgumentError} without any job, or for an entry that is neither a job nor an id. */
  constructor(options: DependencyOptions) {
    this.ids = dependencyIds(options.jobs);
    if (this.ids.length === 0) throw new InvalidArgumentError('A Dependency needs at least one job.');
    this.allowFailure = options.allowFailure ?? false;
    this.enqueueAtFront = options.enqueueAtFront ?? false;
  }
}

/** What `dependsOn` accepts. */
export type DependsOn = DependencyRef | readonly DependencyRef[] | Dependency;

/** The ids of `jobs`, in order, without repeats. */
function dependencyIds(jobs: DependencyRef | readonly DependencyRef[]): string[] {
  const list = Array.isArray(jobs) ? jobs : [jobs as DependencyRef];
  const ids = list.map((job) => {
    const id = typeof job === 'string' ? job : job?.id;
    if (typeof id !== 'string' || id === '') throw new InvalidArgumentError(`A dependency must be a job or a job id, got ${String(job)}.`);
    return id;
  });
  return [...new Set(ids)];
}

/** `dependsOn` as a Dependency (plain jobs and ids get RQ's defaults). */
export function toDependency(dependsOn: DependsOn): Dependency {
  return dependsOn instanceof Dependency ? dependsOn : new Dependency({ jobs: dependsOn as DependencyRef | readonly DependencyRef[] });
}
