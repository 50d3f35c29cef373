/**
 * RQ's timestamp text: UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (six fraction digits, literal `Z`),
 * as Python's `utcformat` writes it. Pure functions, no Redis.
 */

/** `date` as RQ writes timestamps. JS dates hold milliseconds, so the last three digits are 0. */
export function formatTimestamp(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastFormatted.ms) lastFormatted = { ms, text: date.toISOString().replace(/Z$/, '000Z') };
  return lastFormatted.text;
}

/** The last timestamp formatted: a batch of jobs created in the same millisecond formats it once. */
let lastFormatted = { ms: NaN, text: '' };

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z$/;

/**
 * Reads a timestamp RQ wrote (0 to 6 fraction digits; extra precision is cut to milliseconds).
 * Returns undefined for `''`, which RQ writes for "not set", and for text that is not a timestamp.
 */
export function parseTimestamp(text: string | undefined): Date | undefined {
  const match = text ? TIMESTAMP.exec(text) : null;
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = ''] = match;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  return new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), ms));
}
