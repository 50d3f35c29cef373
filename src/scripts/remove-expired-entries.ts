/** Dropping the expired entries of a registry scored by expiry (remove-expired-entries.lua). */
import type { RedisConnection } from '../connection.js';
import { runScript } from './index.js';

/** Drops the entries of `registry` scored at or below `cutoff` (epoch seconds; default: now on the Redis server); resolves to how many. */
export async function removeExpiredEntries(connection: RedisConnection, registry: string, cutoff?: number): Promise<number> {
  return (await runScript(connection, 'removeExpiredEntries', [registry], [cutoff === undefined ? '' : cutoff])) as number;
}
