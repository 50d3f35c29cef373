/**
 * Durable mode: after a write, wait until replicas have it (`WAIT numreplicas timeout`), so that a
 * failover cannot silently drop what a caller was told is done. Redis replicates asynchronously:
 * without this, a graceful failover dropped 95 to 99 acknowledged enqueues of a producer at 100/s
 * (docs/reliability.md). `WAIT` is best effort, not a transaction: a write it could not confirm was still made on
 * the primary, and may or may not survive; the caller learns which writes those were.
 *
 * Three facts shape the code:
 * - `WAIT` only blocks as a command of its own: inside a script or MULTI it answers at once (Redis
 *   7). It is sent after the write, on the same connection, and covers every earlier write of that
 *   connection.
 * - A blocked `WAIT` holds its connection: commands sent after it wait until it answers. With a
 *   replica down, one `WAIT` per write would queue writes behind each other's timeouts. So the
 *   writes of one connection share `WAIT`s: at most one is in flight, and the writes acknowledged
 *   meanwhile are covered by the next one. A write waits at most about twice the timeout.
 * - ioredis reconnects and re-sends unanswered commands by itself. A `WAIT` answered on another
 *   socket than the write (after a failover, by the new primary) says nothing about the write: it
 *   would confirm a write the old primary took and lost. So a confirmation counts only when the
 *   `WAIT` was answered on the socket that answered the write.
 */
import { once } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { isCluster, type RedisConnection } from './connection.js';
import { keySlot } from './keys.js';
import { InvalidArgumentError } from './errors.js';

/**
 * How many replicas must confirm writes, and for how long to wait for them.
 *
 * `replicas` has no default on purpose: give the number of replicas the primary has. A graceful
 * failover promotes one of them, and the primary keeps taking writes until its clients switch; the
 * other replicas confirm those writes, and then discard them when they follow the new primary.
 * Measured (docs/reliability.md): with 2 replicas, `replicas: 1` lost 91 to 99 confirmed
 * enqueues per failover, as many as without durable mode; `replicas: 2` lost none.
 */
export interface DurableOptions {
  /** Replicas that must have a write before it counts as done: the number of replicas of the primary. */
  replicas: number;
  /** Longest wait for them, in seconds, after the write (fractions allowed). @default 1 */
  timeout?: number;
}

/** Durable options with defaults applied and checked. */
export interface Durability {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/** Seconds durable mode waits for the replicas unless told otherwise. */
export const DEFAULT_DURABLE_TIMEOUT = 1;

/**
 * The durability `option` asks for, or undefined when it is off.
 * @throws {InvalidArgumentError} without `replicas` (or `durable: true`), for fewer than 1 replica,
 * or for a timeout that is not above 0 (a `WAIT` with timeout 0 would block for ever).
 */
export function resolveDurability(option: DurableOptions | undefined, where: string): Durability | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'object' || option === null || option.replicas === undefined) {
    throw new InvalidArgumentError(
      `${where}: durable needs { replicas: N }, N being the number of replicas of the primary: what fewer replicas confirmed, ` +
        'a graceful failover can lose (docs/connections.md, "Durable mode").',
    );
  }
  const { replicas, timeout = DEFAULT_DURABLE_TIMEOUT } = option;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new InvalidArgumentError(`${where}: durable.replicas must be a whole number of at least 1, got ${String(replicas)}.`);
  }
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new InvalidArgumentError(`${where}: durable.timeout must be a number of seconds above 0, got ${String(timeout)}.`);
  }
  return { replicas, timeoutMs: Math.max(1, Math.round(timeout * 1000)) };
}

/** What a `WAIT` said about some writes. */
export interface Confirmation {
  /** Replicas that confirmed the writes (0 when the `WAIT` could not speak for them). */
  readonly confirmed: number;
  /** Why nothing could be confirmed, when it was not for lack of replicas within the timeout. */
  readonly reason?: string;
}

/**
 * The socket a connection uses now. Read right after a write's reply arrives, it is the socket the
 * write was made on: ioredis replaces its socket only once the old one has closed, and a command
 * that was re-sent after a reconnect is answered on the new one.
 */
export function currentSocket(connection: RedisConnection): object | undefined {
  return isCluster(connection) ? undefined : connection.stream;
}

/** How long {@link clusterWriter} waits for a cluster client to be ready (its slot map). */
const READY_WAIT_MS = 5000;

/** On a cluster, where a write to a key goes: the client of the master serving its slot, and its socket. */
export interface ClusterWriter {
  readonly node: Redis;
  readonly socket: object | undefined;
}

/**
 * On a cluster, the master that serves `key`'s slot now and its socket, read *before* a write to
 * `key`: a `WAIT` sent there after the write speaks for it. Should the slot move to another master
 * in between (a failover), the write follows it, the `WAIT` on the old one confirms nothing, and
 * the write is reported unconfirmed, never confirmed wrongly. Undefined when no master is known
 * for the slot yet.
 */
export async function clusterWriter(connection: Cluster, key: string): Promise<ClusterWriter | undefined> {
  const slot = keySlot(key);
  // Its slot map is filled when the client is ready, which a first command may not wait for.
  if (connection.status !== 'ready') await once(connection, 'ready', { signal: AbortSignal.timeout(READY_WAIT_MS) }).catch(() => undefined);
  const nodeKey = connection.slots[slot]?.[0];
  const node = connection.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === nodeKey);
  if (!node) return undefined;
  // A master this client has not written to yet may not be connected: its socket exists once it is.
  if (node.status !== 'ready') await node.ping();
  return { node, socket: node.stream };
}

interface Request {
  readonly socket: object | undefined;
  readonly resolve: (confirmation: Confirmation) => void;
}

/** The shared `WAIT`s of one connection, for one durability. */
class Confirmer {
  readonly #connection: RedisConnection;
  readonly #durability: Durability;
  #next: Request[] = [];
  #inFlight = false;

  constructor(connection: RedisConnection, durability: Durability) {
    this.#connection = connection;
    this.#durability = durability;
  }

  confirm(socket: object | undefined): Promise<Confirmation> {
    return new Promise((resolve) => {
      this.#next.push({ socket, resolve });
      if (!this.#inFlight) void this.#send();
    });
  }

  /** Sends one `WAIT` for the writes acknowledged so far; then the next, if writes came meanwhile. */
  async #send(): Promise<void> {
    const requests = this.#next;
    this.#next = [];
    this.#inFlight = true;
    let confirmed = 0;
    let failure: string | undefined;
    let socket: object | undefined;
    try {
      confirmed = await this.#connection.wait(this.#durability.replicas, this.#durability.timeoutMs);
      socket = currentSocket(this.#connection);
    } catch (error) {
      failure = `WAIT failed: ${(error as Error).message}`;
    }
    this.#inFlight = false;
    for (const request of requests) {
      if (failure !== undefined) request.resolve({ confirmed: 0, reason: failure });
      else if (request.socket !== socket) request.resolve({ confirmed: 0, reason: 'the connection was re-established (to another server, after a failover?) between the write and WAIT' });
      else request.resolve({ confirmed });
    }
    if (this.#next.length > 0) void this.#send();
  }
}

const confirmers = new WeakMap<RedisConnection, Map<string, Confirmer>>();

/**
 * Waits until `durability.replicas` replicas have the writes made on `connection` up to now, or
 * the timeout passes. `socket` is {@link currentSocket} read right after the first of those
 * writes was answered. Never rejects: a failed `WAIT` confirms nothing.
 */
export function confirmWrites(connection: RedisConnection, socket: object | undefined, durability: Durability): Promise<Confirmation> {
  let byDurability = confirmers.get(connection);
  if (!byDurability) {
    byDurability = new Map();
    confirmers.set(connection, byDurability);
  }
  const key = `${durability.replicas}/${durability.timeoutMs}`;
  let confirmer = byDurability.get(key);
  if (!confirmer) {
    confirmer = new Confirmer(connection, durability);
    byDurability.set(key, confirmer);
  }
  return confirmer.confirm(socket);
}
