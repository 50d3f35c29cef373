/**
 * RQ's timeout values: whole seconds, or a string with a unit (`"30s"`, `"5m"`, `"1h"`, `"2d"`);
 * `-1` means no timeout. Pure functions, no Redis.
 */
import { TimeoutFormatError } from './errors.js';

/** A duration as RQ takes it: seconds, or a string such as `"10s"`, `"5m"`, `"1h"`, `"2d"`. */
export type Duration = number | `${number}` | `${number}${'s' | 'm' | 'h' | 'd'}`;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Seconds in `value`, as RQ's `parse_timeout` reads it.
 * @throws {TimeoutFormatError} for anything else (`"5x"`, `1.5`, `""`).
 */
export function parseDuration(value: Duration | string, name = 'timeout'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TimeoutFormatError(`Bad ${name} ${value}: use whole seconds (at most ${Number.MAX_SAFE_INTEGER}), or 10s, 5m, 1h, 2d.`);
    return value;
  }
  const match = /^\s*(-?\d+)\s*([smhd]?)\s*$/i.exec(value);
  if (!match) throw new TimeoutFormatError(`Bad ${name} '${value}': use seconds or 10s, 5m, 1h, 2d.`);
  const seconds = Number(match[1]) * (UNIT_SECONDS[(match[2] || 's').toLowerCase()] ?? 1);
  if (!Number.isSafeInteger(seconds)) throw new TimeoutFormatError(`Bad ${name} '${value}': at most ${Number.MAX_SAFE_INTEGER} seconds.`);
  return seconds;
}

/**
 * A job timeout in seconds: `-1` for none, else a positive number.
 * @throws {TimeoutFormatError} for 0 (RQ refuses it: "use -1 for no timeout") or a bad format.
 */
export function parseJobTimeout(value: Duration | string): number {
  const seconds = parseDuration(value, 'job timeout');
  if (seconds === 0 || seconds < -1) throw new TimeoutFormatError(`Bad job timeout '${String(value)}': it must be positive, or -1 for no timeout.`);
  return seconds;
}
