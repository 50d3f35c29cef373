/**
 * How a worker shows itself to RQ's tools: one worker hash `rq:worker:<slot>` per slot, in the
 * sets `rq:workers` and `rq:workers:<queue>`, with RQ's fields (RQ-REFERENCE.md §2.5), kept alive
 * by heartbeats and marked dead (`death`, 60 s TTL) at the end.
 */
import { hostname } from 'node:os';
import type { RedisConnection } from '../connection.js';
import { DEAD_WORKER_TTL, HEARTBEAT_GRACE } from '../defaults.js';
import { RQError } from '../errors.js';
import { WORKERS_KEY, queueWorkersKey } from '../keys.js';
import { scripts } from '../scripts/index.js';
import { serverTime } from '../server-time.js';
import { formatTimestamp } from '../timestamps.js';
import { VERSION } from '../version.js';

/** A slot as its worker hash describes it. */
export interface SlotView {
  readonly name: string;
  readonly key: string;
  readonly running?: { readonly id: string } | undefined;
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
   * `death` belongs to a worker that is running now (or died less than its TTL ago, unannounced).
   * @throws {RQError} naming the worker.
   */
  async refuseLiveNamesakes(slots: readonly SlotView[]): Promise<void> {
    const pipeline = this.#connection.pipeline();
    for (const slot of slots) pipeline.exists(slot.key).hexists(slot.key, 'death');
    const replies = ((await pipeline.exec()) ?? []).map(([, value]) => value);
    slots.forEach((slot, index) => {
      if (replies[index * 2] === 1 && replies[index * 2 + 1] === 0) {
        throw new RQError(`There exists an active worker named '${slot.name}' already: give this one another name, or wait for that one's key (${slot.key}) to expire.`);
      }
    });
  }

  /** Writes each slot's worker hash anew (birth and last_heartbeat in server time), and adds it to the worker sets, in one MULTI. */
  async register(slots: readonly SlotView[]): Promise<void> {
    const now = formatTimestamp(await serverTime(this.#connection));
    const transaction = this.#connection.multi();
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
        .sadd(WORKERS_KEY, slot.key)
        .expire(slot.key, this.#keyTtl);
      for (const queue of this.#queueNames) transaction.sadd(queueWorkersKey(queue), slot.key);
    }
    await transaction.exec();
  }

  /**
   * Refreshes an idle slot's hash (last_heartbeat in server time, state when given) and TTL. When the hash is
   * gone (Redis restarted without persistence, or it expired), registers the slot again, whole,
   * rather than recreate a partial hash.
   */
  async touch(slot: SlotView, state = ''): Promise<void> {
    const alive = await scripts(this.#connection).touchWorker([slot.key], [this.#keyTtl, state]);
    if (alive === 0) await this.register([slot]);
  }

  /** Takes the slots out of the worker sets and marks them dead (`death` in server time, 60 s TTL), in one MULTI. */
  async unregister(slots: readonly SlotView[]): Promise<void> {
    const death = formatTimestamp(await serverTime(this.#connection));
    const transaction = this.#connection.multi();
    for (const slot of slots) {
      transaction.srem(WORKERS_KEY, slot.key);
      for (const queue of this.#queueNames) transaction.srem(queueWorkersKey(queue), slot.key);
      transaction.hset(slot.key, 'death', death, 'state', 'idle').expire(slot.key, DEAD_WORKER_TTL);
    }
    await transaction.exec();
  }
}
