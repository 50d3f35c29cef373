/**
 * The arithmetic of the dashboard's charts, without markup (charts.ts draws them): value-axis ticks
 * at round numbers from 0, time-axis ticks at round times of the server's local clock, the unit of a
 * run-time axis chosen by magnitude, and how spans, clock times and durations read.
 */

/** Minutes between time ticks the axis may use, smallest first. */
const TIME_STEPS = [5, 10, 15, 30, 60, 120, 180, 360, 720];

/** Most labels a time axis shows: more would not fit under a 720-pixel chart. */
const MAX_TIME_TICKS = 8;

/** `value` without floating-point dust (0.30000000000000004 becomes 0.3). */
function clean(value: number): number {
  return Number(value.toPrecision(12));
}

/**
 * Ticks of a value axis from 0 to at least `max`, about `count` steps of 1, 2 or 5 times a power of
 * ten; whole numbers only when `integers` (counts of jobs). A `max` of 0 or less gives [0, 1].
 */
export function valueTicks(max: number, integers: boolean, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? 10 * power;
  if (integers) step = Math.max(1, Math.ceil(step));
  const ticks = [0];
  while (ticks.at(-1)! < max) ticks.push(clean(ticks.length * step));
  return ticks;
}

/** A tick value as the axis writes it: at most 12 significant digits, no exponent for the values charts show. */
export function tickText(value: number): string {
  return String(clean(value));
}

/** The unit of a run-time axis whose largest value is `maxSeconds`: ms below a second, else s. */
export function durationUnit(maxSeconds: number): { readonly unit: 'ms' | 's'; readonly perSecond: number } {
  return maxSeconds < 1 ? { unit: 'ms', perSecond: 1000 } : { unit: 's', perSecond: 1 };
}

/** Three significant digits, trailing zeros dropped: 37.5, 975, 1.75, 0.5. */
function threeDigits(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/** A duration in seconds as a person reads it, with its unit: "0.5 ms", "750 ms", "1.75 s", "2.5 min", "1.2 h". */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${threeDigits(seconds * 1000)} ms`;
  if (seconds < 60) return `${threeDigits(seconds)} s`;
  if (seconds < 3600) return `${threeDigits(seconds / 60)} min`;
  return `${threeDigits(seconds / 3600)} h`;
}

/** Minutes between the ticks of a time axis over `minutes`: the smallest round step that gives at most 8 ticks. */
export function timeStep(minutes: number): number {
  return TIME_STEPS.find((step) => minutes / step <= MAX_TIME_TICKS) ?? TIME_STEPS.at(-1)!;
}

/** Minutes since local midnight (the server's time zone). */
function localMinuteOfDay(date: Date): number {
  return date.getHours() * 60 + date.getMinutes();
}

/** The indexes of `minutes` that fall on a round local time, a multiple of `step` minutes after midnight. */
export function timeTicks(minutes: readonly Date[], step: number): number[] {
  return minutes.flatMap((minute, index) => (localMinuteOfDay(minute) % step === 0 ? [index] : []));
}

/** A time as local HH:MM. */
export function clock(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** The server's time zone at `date`, as an offset: "UTC", "UTC+02:00", "UTC-05:30". */
export function zoneLabel(date: Date): string {
  const offset = -date.getTimezoneOffset();
  if (offset === 0) return 'UTC';
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const rest = String(Math.abs(offset) % 60).padStart(2, '0');
  return `UTC${offset > 0 ? '+' : '-'}${hours}:${rest}`;
}

/** A span of minutes as words: "last hour", "last 6 hours", "last 90 minutes". */
export function spanLabel(minutes: number): string {
  if (minutes === 60) return 'last hour';
  return minutes % 60 === 0 ? `last ${minutes / 60} hours` : `last ${minutes} minutes`;
}
