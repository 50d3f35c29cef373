/**
 * Redis server time: the clock of every time that other processes compare (the scores of the
 * scheduled, started, finished, failed and canceled registries, heartbeats, a worker's `birth` and
 * `last_heartbeat`, cron schedulers' heartbeats). A producer's or worker's own clock may be minutes
 * off; the server's is one clock for all of them. Scripts read it themselves (`TIME`, in
 * scripts/server-time.lib.lua); code outside a script asks with {@link serverTime}, once per batch.
 * Durations that never leave a process (job timeouts, working time) use the local clock.
 */
import type { RedisConnection } from './connection.js';

/** Now on the Redis server (`TIME`), to the millisecond. One round trip. */
export async function serverTime(connection: RedisConnection): Promise<Date> {
  const [seconds, micros] = await connection.time();
  return new Date(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
}

/** Now on the Redis server, in whole epoch seconds, as registry scores count it. One round trip. */
export async function serverSeconds(connection: RedisConnection): Promise<number> {
  return Math.floor((await serverTime(connection)).getTime() / 1000);
}
