/**
 * One test for "an object of named values": what a config module exports, a settings object,
 * SENTINEL's kwargs, a job's `meta` or kwargs once decoded. Shared by settings.ts,
 * redis-options.ts and job-hash.ts so that they all draw the line in the same place.
 */

/** Whether `value` is a non-null object that is not an array (a Date or a Map passes too). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
