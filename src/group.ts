/**
 * Job groups, as RQ 2.0's `Group`: one name for many jobs, so that they can be followed and
 * fetched together. A group is the set `rq:group:<name>` of its jobs' ids, its name in the set
 * `rq:groups`, and each job's hash field `group_id`; it exists while it has a job. Ids of jobs that
 * expired or were deleted leave the set when the group is cleaned (`getJobs()`, `cleanup()`, and
 * every worker's maintenance through {@link Group.cleanRegistries}).
 */
import { randomUUID } from 'node:crypto';
import { resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { commandBatch } from './redis-client.js';
import { validateGroupName, type EnqueueData, type EnqueuedJobs } from './enqueue.js';
import { NoSuchGroupError } from './errors.js';
import { Job } from './job.js';
import { GROUPS_KEY, groupKey, jobKey } from './keys.js';
import type { Queue } from './queue.js';
import type { Serializer } from './serializers/index.js';

/** Set while {@link Group} builds a handle on a name read from Redis, which is not checked. */
let reading = false;

/** Options of {@link Group}: the connection, and the serializer its jobs are read with. */
export interface GroupOptions extends ConnectionOptions {
  /** Reads the jobs of {@link Group.getJobs}. @default JSONSerializer */
  serializer?: Serializer;
}

/** A named set of jobs (RQ 2.0's `Group`). */
export class Group {
  /** The group's name: 32 hex digits unless given. */
  readonly name: string;
  /** The set of its jobs' ids, `rq:group:<name>`. */
  readonly key: string;
  readonly connection: RedisConnection;
  readonly #serializer: Serializer | undefined;

  /**
   * A group handle; nothing is written until jobs are enqueued in it.
   * @param name 1 to 256 characters without spaces; a new random name when omitted
   * @throws {InvalidArgumentError} for a bad name; {@link NoRedisConnectionError} without a connection.
   */
  constructor(name?: string, options: GroupOptions = {}) {
    this.name = name === undefined ? randomUUID().replaceAll('-', '') : reading ? name : validateGroupName(name);
    this.key = groupKey(this.name);
    this.connection = resolveConnection(options.connection, `new Group('${this.name}')`);
    this.#serializer = options.serializer;
  }

  /** A handle on a group whose name was read from Redis or asked for by name: any name RQ wrote, unchecked. */
  static #existing(name: string, options: GroupOptions): Group {
    reading = true;
    try {
      return new Group(name, options);
    } finally {
      reading = false;
    }
  }

  /** A new group, as RQ's `Group.create(connection, name)`: the same as `new Group(name, options)`. */
  static create(options: GroupOptions & { name?: string } = {}): Group {
    return new Group(options.name, options);
  }

  /**
   * The group `name`, which must exist (have jobs).
   * @throws {NoSuchGroupError} when `rq:group:<name>` does not exist.
   */
  static async fetch(name: string, options: GroupOptions = {}): Promise<Group> {
    const group = Group.#existing(name, options);
    if ((await group.connection.exists(group.key)) === 0) throw new NoSuchGroupError(`No such group: ${group.key} (it has no jobs: never enqueued, or all expired or deleted).`);
    return group;
  }

  /** Every group that exists; names in `rq:groups` whose set is gone are removed from it, as RQ does. */
  static async all(options: GroupOptions = {}): Promise<Group[]> {
    const connection = resolveConnection(options.connection, 'Group.all()');
    const names = (await connection.smembers(GROUPS_KEY)).sort();
    if (names.length === 0) return [];
    const pipeline = commandBatch(connection, { atomic: false });
    for (const name of names) pipeline.exists(groupKey(name));
    const exists = (await pipeline.exec()) ?? [];
    const gone = names.filter((_, index) => exists[index]?.[1] !== 1);
    if (gone.length > 0) await connection.srem(GROUPS_KEY, ...gone);
    return names.filter((name) => !gone.includes(name)).map((name) => Group.#existing(name, { ...options, connection }));
  }

  /**
   * Enqueues jobs on `queue` as members of this group, as RQ's `group.enqueue_many(queue, datas)`:
   * one `queue.enqueueMany`, whose script also adds the ids to the group. The jobs are typed by
   * their tasks, as {@link Queue.enqueueMany}'s.
   */
  enqueueMany<const D extends readonly EnqueueData[]>(queue: Queue, jobs: D): Promise<EnqueuedJobs<D>> {
    return queue.enqueueMany(jobs, { groupId: this.name });
  }

  /** Ids in the group's set, as they are (see {@link Group.getJobs} for the live jobs). */
  async getJobIds(): Promise<string[]> {
    return (await this.connection.smembers(this.key)).sort();
  }

  /** The group's jobs that still exist, after {@link Group.cleanup}. */
  async getJobs(): Promise<Job[]> {
    await this.cleanup();
    const jobs = await Job.fetchMany(await this.getJobIds(), { connection: this.connection, ...(this.#serializer && { serializer: this.#serializer }) });
    return jobs.filter((job): job is Job => job !== null);
  }

  /** Takes the ids of jobs that no longer exist (expired, deleted) out of the group's set. */
  async cleanup(): Promise<void> {
    const ids = await this.connection.smembers(this.key);
    if (ids.length === 0) return;
    const pipeline = commandBatch(this.connection, { atomic: false });
    for (const id of ids) pipeline.exists(jobKey(id));
    const exists = (await pipeline.exec()) ?? [];
    const gone = ids.filter((_, index) => exists[index]?.[1] !== 1);
    if (gone.length > 0) await this.connection.srem(this.key, ...gone);
  }

  /** Takes job `id` out of the group's set (the job itself is left alone). */
  async deleteJob(id: string): Promise<void> {
    await this.connection.srem(this.key, id);
  }

  /**
   * Cleans every group, then drops the names of groups left without jobs from `rq:groups`, as
   * RQ 2.x's worker maintenance does; rq-ts workers run it with their registry cleaning.
   */
  static async cleanRegistries(options: ConnectionOptions = {}): Promise<void> {
    const connection = resolveConnection(options.connection, 'Group.cleanRegistries()');
    for (const group of await Group.all({ connection })) await group.cleanup();
    await Group.all({ connection }); // drops the names whose set the cleanup emptied
  }
}
