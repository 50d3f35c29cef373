/** A rate limit's maintenance steps (rate-limit.lua), for rate-limit.ts' cleanup. */
import type { RedisConnection } from '../connection.js';
import { RATE_LIMIT_DUE, rateLimitAllowedKey } from '../keys.js';
import { runScript } from './index.js';

/** Gives job `id`'s slot of limit `key` back, unless it is queued or running, and admits the next waiting jobs; resolves to the ids pushed. */
export async function releaseRateLimitSlot(connection: RedisConnection, key: string, id: string): Promise<string[]> {
  return (await runScript(connection, 'rateLimit', [rateLimitAllowedKey(key)], [key, 'release', id])) as string[];
}

/** Admits waiting jobs of limit `key` into its free slots; resolves to the ids pushed. */
export async function admitRateLimited(connection: RedisConnection, key: string): Promise<string[]> {
  return (await runScript(connection, 'rateLimit', [rateLimitAllowedKey(key)], [key, 'admit'])) as string[];
}

/** Deletes limit `key` when no job holds a slot or waits; resolves to whether it did. */
export async function dropIdleRateLimit(connection: RedisConnection, key: string): Promise<boolean> {
  return (await runScript(connection, 'rateLimit', [rateLimitAllowedKey(key)], [key, 'drop'])) === 1;
}

/**
 * Admits the waiting jobs of the limits whose time has come (a window with room again, a hold
 * over: `rq:rl-due`); resolves to the milliseconds until the next is due, or -1 when none waits
 * for time.
 */
export async function admitDueRateLimits(connection: RedisConnection): Promise<number> {
  const next = await runScript(connection, 'rateLimit', [RATE_LIMIT_DUE], ['', 'due']);
  return next === null ? -1 : Number(next);
}
