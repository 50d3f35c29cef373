/**
 * What a worker says about replication (DESIGN.md §7). Redis replicates asynchronously, so when
 * the worker's connection switches to another primary, endings the old one acknowledged just
 * before may be lost: the worker says so once per switch (failover.ts). In durable mode it waits,
 * after each step that recorded endings, until the replicas have them (`WAIT`, durable.ts), and
 * reports the endings they did not confirm. Both are a warning in the log and an event.
 */
import type { EventEmitter } from 'node:events';
import { isCluster } from '../connection.js';
import { clusterWriter, confirmWrites, currentSocket, type ClusterWriter, type Durability } from '../durable.js';
import { queueKey } from '../keys.js';
import { ReplicationTimeoutError } from '../errors.js';
import { onFailover, type FailoverInfo } from '../failover.js';
import type { WorkerConfig } from './config.js';
import type { WorkerEvents } from './options.js';
import type { PendingEnding } from './pending-endings.js';

/** Watches the replication of one worker's writes. */
export class Replication {
  readonly #config: WorkerConfig;
  readonly #events: EventEmitter<WorkerEvents>;
  /** Where an event listener's error goes: a throwing listener never stops the worker. */
  readonly #report: (error: unknown) => void;

  constructor(config: WorkerConfig, events: EventEmitter<WorkerEvents>, report: (error: unknown) => void) {
    this.#config = config;
    this.#events = events;
    this.#report = report;
  }

  /** Says each switch of the worker's connection to another server, until the function returned is called. */
  watch(): () => void {
    return onFailover(this.#config.connection, (failover) => this.#failedOver(failover));
  }

  /**
   * On a cluster, before a step in durable mode: the master of each queue the endings are on
   * (see clusterWriter); on a plain Redis, undefined (the socket is read after the step).
   */
  async writers(endings: readonly PendingEnding[]): Promise<Array<ClusterWriter | undefined> | undefined> {
    const { connection } = this.#config;
    if (!isCluster(connection)) return undefined;
    const queues = [...new Set(endings.map(({ running }) => running.queue))];
    return Promise.all(queues.map((queue) => clusterWriter(connection, queueKey(queue, 'cluster'))));
  }

  /**
   * Durable mode: waits until the replicas have the endings a step recorded (on a plain Redis, on
   * the socket that answered the step; on a cluster, on each master of `writers`); reports those
   * they did not confirm. Never rejects.
   */
  async confirm(endings: readonly PendingEnding[], durability: Durability, writers: Array<ClusterWriter | undefined> | undefined): Promise<void> {
    const { connection } = this.#config;
    // On a plain Redis the step's socket, read right after its reply; on a cluster each queue's master.
    const confirmations = await Promise.all(
      writers === undefined
        ? [confirmWrites(connection, currentSocket(connection), durability)]
        : writers.map((writer) => (writer ? confirmWrites(writer.node, writer.socket, durability) : { confirmed: 0, reason: 'no master of the cluster was known for a queue\'s slot' })),
    );
    const confirmed = Math.min(...confirmations.map((confirmation) => confirmation.confirmed));
    const reason = confirmations.find((confirmation) => confirmation.reason !== undefined)?.reason;
    if (confirmed >= durability.replicas) return;
    const error = new ReplicationTimeoutError('Ended job(s)', {
      jobIds: endings.map(({ running }) => running.id),
      replicas: durability.replicas,
      confirmed,
      timeout: durability.timeoutMs / 1000,
      reason,
    });
    this.#config.logger.warn(`${this.#config.name}: ${error.message}`);
    try {
      this.#events.emit('replication:timeout', error);
    } catch (listenerError) {
      this.#report(listenerError);
    }
  }

  /** The connection now talks to another server: says so, once per switch. */
  #failedOver(failover: FailoverInfo): void {
    const hint = this.#config.durability ? 'job endings the replicas did not confirm are reported' : 'durable mode confirms each ending with WAIT';
    this.#config.logger.warn(
      `${this.#config.name}: Redis primary changed from ${failover.previous} to ${failover.current}: job endings and enqueues ${failover.previous} ` +
        `acknowledged just before the switch may be lost, as replication is asynchronous (${hint}).`,
    );
    try {
      this.#events.emit('connection:failover', failover);
    } catch (error) {
      this.#report(error);
    }
  }
}
