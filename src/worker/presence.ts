/**
 * How a worker shows itself to RQ's tools: one worker hash `rq:worker:<slot>` per slot, in the
 * sets `rq:workers` and `rq:workers:<queue>`, with RQ's fields (RQ-REFERENCE.md §2.5), kept alive
 * by heartbeats (with the started-registry scores of the jobs the slots run) and marked dead
 * (`death`, 60 s TTL) at the end.
 */
import { hostname } from 'node:os';
import { isCluster, layoutOf, type RedisConnection } from '../connection.js';
import { commandBatch } from '../redis-client.js';
import { DEAD_WORKER_TTL, HEARTBEAT_GRACE } from '../defaults.js';
import { RQError } from '../errors.js';
import { WORKERS_KEY, queueWorkersKey } from '../keys.js';
import { heartbeatJob, touchWorker } from '../scripts/heartbeat-job.js';
import { serverTime } from '../server-time.js';
import { formatTimestamp } from '../timestamps.js';
import { VERSION } from '../version.js';
import type { Slot } from './slots.js';

/** A slot as its worker hash describes it. */
export interface SlotView {
  readonly name: string;
  readonly key: string;
  readonly running?: { readonly id: string } | undefined;
}

/** Names of the workers working in this process now. */
const liveHere = new Set<string>();

/** Marks a slot name as working in this process (`true`) or no longer (`false`). */
function markLiveHere(name: string, live: boolean): void {
  if (live) liveHere.add(name);
  else liveHere.delete(name);
}

/**
 * Whether the worker `name`, whose hash says it ran on `host` as process `pid`, is certainly gone:
 * it ran on this host, and that process no longer exists (or is this one, which does not run it:
 * a container restarted under the same hostname often reuses the pid).
 */
function isGoneFromThisHost(name: string, host: string | null, pid: string | null): boolean {
  if (host !== hostname() || pid === null || !/^\d+$/.test(pid)) return false;
  if (Number(pid) === process.pid) return !liveHere.has(name);
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: it exists, another user's
  }
}

/** The worker hashes of one worker's slots. */
export class Presence {
  readonly #connection: RedisConnection;
  readonly #queueNames: readonly string[];
  readonly #keyTtl: number;
  #address = 'unknown';

  /** @param workerTtl RQ's worker TTL in seconds; keys live this + 60 s without a heartbeat. */
  constructor(connection: RedisConnection, queueNames: readonly string[], workerTtl: number) {
    this.#connection = connection;
    this.#queueNames = queueNames;
    this.#keyTtl = workerTtl + HEARTBEAT_GRACE;
  }

  /**
   * CLIENT SETNAME, so RQ's tools can find the worker, and the address it is seen at (CLIENT INFO)
   * for the `ip_address` field. Best effort: ACLs may forbid CLIENT, and the address stays 'unknown'.
   */
  async nameConnection(name: string): Promise<void> {
    try {
      await this.#connection.client('SETNAME', name);
      const info = (await this.#connection.client('INFO')) as string;
      this.#address = /\baddr=(\S+)/.exec(info)?.[1] ?? 'unknown';
    } catch {
      // keep 'unknown'
    }
  }

  /**
   * Refuses to start under the name of a live worker, as RQ does: a slot whose hash exists without
   * `death` belongs to a worker that is running now, or that died without a word less than its
   * TTL ago. The name of a worker that ran on this host is taken over at once when its process is
   * gone (a worker restarted under its `--name` after a crash), since a dead pid here is proof.
   * @throws {RQError} naming the worker.
   */
  async refuseLiveNamesakes(slots: readonly SlotView[]): Promise<void> {
    const pipeline = commandBatch(this.#connection, { atomic: false });
    for (const slot of slots) pipeline.exists(slot.key).hmget(slot.key, 'death', 'hostname', 'pid');
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    const replies = results.map(([, value]) => value);
    slots.forEach((slot, index) => {
      const [death, host, pid] = replies[index * 2 + 1] as [string | null, string | null, string | null];
      if (replies[index * 2] !== 1 || death !== null || isGoneFromThisHost(slot.name, host, pid)) return;
      throw new RQError(`There exists an active worker named '${slot.name}' already: give this one another name, or wait for that one's key (${slot.key}) to expire.`);
    });
  }

  /** Writes each slot's worker hash anew (birth and last_heartbeat in server time), and adds it to the worker sets, in one MULTI. */
  async register(slots: readonly SlotView[]): Promise<void> {
    const now = formatTimestamp(await serverTime(this.#connection));
    // On a cluster the hashes go first, then the sets: a reader never finds a set entry whose hash
    // is missing (it would take it out as a dead worker's).
    const transaction = commandBatch(this.#connection, { atomic: true });
    const sets = isCluster(this.#connection) ? commandBatch(this.#connection, { atomic: false }) : transaction;
    const layout = layoutOf(this.#connection);
    for (const slot of slots) {
      transaction
        .del(slot.key)
        .hset(slot.key, {
          birth: now,
          last_heartbeat: now,
          queues: this.#queueNames.join(','),
          pid: String(process.pid),
          hostname: hostname(),
          ip_address: this.#address,
          version: VERSION,
          python_version: `Node.js ${process.version} (rq-ts)`,
          state: slot.running ? 'busy' : 'started',
          ...(slot.running && { current_job: slot.running.id }),
        })
        .expire(slot.key, this.#keyTtl);
      sets.sadd(WORKERS_KEY, slot.key);
      for (const queue of this.#queueNames) sets.sadd(queueWorkersKey(queue, layout), slot.key);
    }
    await transaction.exec();
    if (sets !== transaction) await sets.exec();
    for (const slot of slots) markLiveHere(slot.name, true);
  }

  /**
   * Refreshes an idle slot's hash (last_heartbeat in server time, state when given) and TTL. When the hash is
   * gone (Redis restarted without persistence, or it expired), registers the slot again, whole,
   * rather than recreate a partial hash.
   */
  async touch(slot: SlotView, state = ''): Promise<void> {
    if (!(await touchWorker(this.#connection, slot.name, this.#keyTtl, state))) await this.register([slot]);
  }

  /**
   * Shows `state` (RQ's `suspended`) on the hashes of the slots that run no job, marked stale: the
   * worker shows them idle when it next waits for jobs, unless a step wrote them first.
   */
  async showState(slots: readonly Slot[], state: string): Promise<void> {
    const free = slots.filter((slot) => !slot.running);
    for (const slot of free) slot.stale = true;
    await Promise.all(free.map((slot) => this.touch(slot, state)));
  }

  /**
   * One heartbeat: each slot's worker key, and each running job's started-registry score (in
   * server time, by the scripts), the job living `jobTtl` seconds more without another.
   */
  async heartbeat(slots: readonly Slot[], jobTtl: number): Promise<void> {
    const heartbeats = slots.map(async (slot) => {
      const running = slot.running;
      if (running) {
        await heartbeatJob(this.#connection, { id: running.id, queue: running.queue, worker: slot.name, jobTtl, workerTtl: jobTtl, seconds: (Date.now() - running.startedAtMs) / 1000 });
      } else {
        await this.touch(slot);
      }
    });
    await Promise.all(heartbeats);
  }

  /** Takes the slots out of the worker sets and marks them dead (`death` in server time, 60 s TTL), in one MULTI. */
  async unregister(slots: readonly SlotView[]): Promise<void> {
    for (const slot of slots) markLiveHere(slot.name, false);
    const death = formatTimestamp(await serverTime(this.#connection));
    const transaction = commandBatch(this.#connection, { atomic: true });
    for (const slot of slots) {
      transaction.srem(WORKERS_KEY, slot.key);
      for (const queue of this.#queueNames) transaction.srem(queueWorkersKey(queue, layoutOf(this.#connection)), slot.key);
      transaction.hset(slot.key, 'death', death, 'state', 'idle').expire(slot.key, DEAD_WORKER_TTL);
    }
    await transaction.exec();
  }
}
