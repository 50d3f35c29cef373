/**
 * Waiting for work without taking it. An idle worker must not pop a job id into memory (a kill
 * would lose it), so it blocks on `BLMOVE q q LEFT LEFT`: with the same list as source and
 * destination the command moves nothing, it only returns once the queue has a job. BLMOVE
 * watches one list, so each queue gets its own blocking connection, made on first need; the
 * timeout is finite so that a dead socket is noticed and the loop goes round.
 */
import type { RedisConnection } from '../connection.js';
import { duplicateConnection } from '../redis-client.js';
import { scrubConnectionErrors } from '../redis-errors.js';

/** Blocks until one of some queues has a job. */
export class QueueWaiter {
  readonly #base: RedisConnection;
  readonly #keys: readonly string[];
  readonly #name: string;
  readonly #connections = new Map<string, RedisConnection>();
  readonly #pending = new Map<string, Promise<void>>();
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(base: RedisConnection, queueKeys: readonly string[], name: string) {
    this.#base = base;
    this.#keys = queueKeys;
    this.#name = name;
  }

  /** Resolves when a queue has a job, after `timeoutSeconds`, or when closed. Never rejects. */
  async wait(timeoutSeconds: number): Promise<void> {
    if (this.#closed) return;
    for (const key of this.#keys) {
      if (!this.#pending.has(key)) this.#pending.set(key, this.#watch(key, timeoutSeconds));
    }
    const woken = new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    await Promise.race([...this.#pending.values(), woken]);
  }

  /** Stops waiting now and closes the blocking connections. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#connections.values()) connection.disconnect();
    this.#connections.clear();
    this.#wake?.();
  }

  async #watch(key: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.#connection(key).blmove(key, key, 'LEFT', 'LEFT', timeoutSeconds);
    } catch {
      // Connection lost or closed: ioredis reconnects; pause briefly so a dead server is not spun on.
      if (!this.#closed) await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      this.#pending.delete(key);
    }
  }

  #connection(key: string): RedisConnection {
    let connection = this.#connections.get(key);
    if (!connection) {
      connection = duplicateConnection(this.#base, { maxRetriesPerRequest: null, connectionName: `${this.#name}:wait`, enableOfflineQueue: true });
      connection.on('error', () => undefined); // reported by the failing command; the loop retries
      scrubConnectionErrors(connection);
      this.#connections.set(key, connection);
    }
    return connection;
  }
}
