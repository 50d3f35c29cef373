/**
 * Noticing that a connection now talks to another Redis server: a Sentinel failover (graceful or
 * not), or a host name that now resolves elsewhere. Redis replicates asynchronously, so writes the
 * old primary acknowledged just before the switch may be missing on the new one (for a graceful
 * `SENTINEL FAILOVER`, what it took in the 1.2 to 1.3 s before the clients switched: 95 to 99
 * enqueues at 100/s, docs/reliability.md). Nothing in Redis says which; the switch itself is what
 * a user can see, and this module shows it.
 *
 * How: each time a client becomes ready (ioredis' `ready`, after its role check), the address of
 * the socket it connected to is compared with the address of its previous `ready`. For a Sentinel
 * client that is the master address the sentinels gave it; the same comparison works for a client
 * a user built. One `ready` listener per client, whoever watches it: nothing per command or per job.
 */
import { isCluster, type RedisConnection } from './connection.js';

/** A switch of a connection to another server, seen when it became ready there. */
export interface FailoverInfo {
  /** `host:port` of the server the connection talked to before (`[::1]:6379` for IPv6, a socket path for Unix sockets). */
  readonly previous: string;
  /** `host:port` of the server it talks to now. */
  readonly current: string;
  /** When the connection became ready at `current`. */
  readonly at: Date;
}

/** Called with each switch of a watched connection. */
export type FailoverListener = (failover: FailoverInfo) => void;

/** What is known about one watched connection. */
interface Watch {
  /** Where the connection was last ready, if it has been. */
  address: string | undefined;
  readonly listeners: Set<FailoverListener>;
  readonly onReady: () => void;
}

const watches = new WeakMap<RedisConnection, Watch>();

/**
 * The address of the server `connection` is connected to now, or undefined while it has no
 * socket: `host:port` (IPv6 in brackets), or the socket path for a Unix socket.
 */
export function serverAddress(connection: RedisConnection): string | undefined {
  if (isCluster(connection)) return undefined; // a cluster is many servers
  const stream = connection.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  if (stream?.remoteAddress !== undefined) {
    const host = stream.remoteAddress.includes(':') ? `[${stream.remoteAddress}]` : stream.remoteAddress;
    return `${host}:${stream.remotePort}`;
  }
  return connection.options.path ?? undefined;
}

/**
 * Calls `listener` each time `connection` becomes ready at another address than the one it was
 * ready at before: after a Sentinel failover, the old primary's address and the new one's. The
 * first `ready` seen (or the current address, when the connection is ready already) only records
 * where it is. Returns a function that stops the listener; the last one stopped removes the
 * `ready` listener from the connection.
 *
 * @example
 * const stop = onFailover(queue.connection, ({ previous, current }) =>
 *   console.warn(`Redis primary changed from ${previous} to ${current}: recent enqueues may be lost`));
 */
export function onFailover(connection: RedisConnection, listener: FailoverListener): () => void {
  let watch = watches.get(connection);
  if (!watch) {
    const created: Watch = {
      address: connection.status === 'ready' ? serverAddress(connection) : undefined,
      listeners: new Set(),
      onReady: () => noticeReady(connection, created),
    };
    watch = created;
    watches.set(connection, watch);
    connection.on('ready', watch.onReady);
  }
  const mine = (failover: FailoverInfo) => listener(failover); // a listener added twice is called twice
  watch.listeners.add(mine);
  const current = watch;
  return () => {
    if (!current.listeners.delete(mine) || current.listeners.size > 0) return;
    connection.off('ready', current.onReady);
    if (watches.get(connection) === current) watches.delete(connection);
  };
}

function noticeReady(connection: RedisConnection, watch: Watch): void {
  const address = serverAddress(connection);
  if (address === undefined) return;
  const previous = watch.address;
  watch.address = address;
  if (previous === undefined || previous === address) return;
  const failover: FailoverInfo = { previous, current: address, at: new Date() };
  for (const listener of [...watch.listeners]) {
    try {
      listener(failover);
    } catch (error) {
      // Thrown inside ioredis' 'ready' event, it would cut short what ioredis does on ready (send
      // the commands queued while offline): thrown on the next tick instead, as an uncaught error.
      process.nextTick(() => {
        throw error;
      });
    }
  }
}
