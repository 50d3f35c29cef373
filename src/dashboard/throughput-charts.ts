/**
 * The dashboard's charts of getThroughput()'s minutes (src/throughput.ts, the counts and run-time
 * histograms rq-ts workers write in `rq:throughput:<queue>:<hour>`): jobs finished and failed per
 * minute, and the run time p50 and p95 of the jobs that ended in each minute. Both cover the span
 * the address asks for (`?span=1h`, `6h` or `24h`; anything else is the default, 6 hours).
 */
import type { ThroughputPoint } from '../index.js';
import { clock, durationUnit, formatDuration, spanLabel, zoneLabel } from './chart-axes.js';
import { lineChart } from './charts.js';
import type { Context } from './context.js';
import { html, raw, type Markup } from './html.js';

/** The spans the charts offer, in minutes, by their name in the address. */
export const SPANS: Readonly<Record<string, number>> = { '1h': 60, '6h': 360, '24h': 1440 };

/** The span without (or with a bad) `span` parameter. */
export const DEFAULT_SPAN = '6h';

/** The span the address asks for (`span`): one of {@link SPANS}, else the default; never an error. */
export function spanOf(url: URL): string {
  const asked = url.searchParams.get('span') ?? '';
  return Object.hasOwn(SPANS, asked) ? asked : DEFAULT_SPAN;
}

/** Links to the same page over each span, the current one marked. */
export function spanSelector(context: Context, path: string, current: string): Markup {
  return html`<nav class="spans" aria-label="Span of the charts">Charts over the last
    ${Object.keys(SPANS).map((name) => html`<a href="${context.link(path, { span: name })}" class="${name === current ? 'current' : ''}" ${name === current ? raw('aria-current="true"') : ''}>${name}</a>`)}
  </nav>`;
}

/** The largest of `values` and the index of its first minute. */
function peakOf(values: readonly number[]): { value: number; index: number } {
  return values.reduce((best, value, index) => (value > best.value ? { value, index } : best), { value: 0, index: 0 });
}

function sum(values: readonly (number | null)[]): number {
  return values.reduce<number>((total, value) => total + (value ?? 0), 0);
}

/** "last 6 hours, 10:00 to 15:59 UTC": the span of `points` in words. */
function spanText(points: readonly ThroughputPoint[]): string {
  const first = points[0]!.minute;
  return `${spanLabel(points.length)}, ${clock(first)} to ${clock(points.at(-1)!.minute)} ${zoneLabel(first)}`;
}

/** How one kind of count reads in the chart's description: "12 finished, at most 3 a minute (at 14:05)". */
function countText(points: readonly ThroughputPoint[], kind: 'finished' | 'failed'): string {
  const values = points.map((point) => point[kind]);
  const peak = peakOf(values);
  return `${sum(values)} ${kind}${peak.value > 0 ? `, at most ${peak.value} a minute (at ${clock(points[peak.index]!.minute)})` : ''}`;
}

/**
 * Jobs finished and failed per minute over `points` (of `scope`: "all queues", "queue emails"),
 * counted by rq-ts workers; `id` is unique on the page.
 */
export function throughputChart(points: readonly ThroughputPoint[], id: string, scope: string): Markup {
  const finished = points.map((point) => point.finished);
  const failed = points.map((point) => point.failed);
  return lineChart({
    id,
    title: `Jobs finished and failed per minute, ${scope}`,
    description: points.length > 0 ? `${spanText(points)}: ${countText(points, 'finished')}; ${countText(points, 'failed')}.` : '',
    unit: 'jobs/min',
    integers: true,
    minutes: points.map((point) => point.minute),
    series: [
      { label: 'finished', kind: 'finished', values: finished, note: String(sum(finished)) },
      { label: 'failed', kind: 'failed', values: failed, note: String(sum(failed)) },
    ],
    summarize: (values) => String(sum(values)),
    numbersCaption: 'Jobs that ended in each interval',
    empty: `No jobs ended in the ${spanLabel(points.length)} (${scope}): nothing to draw. rq-ts workers count the jobs they end; Python RQ workers count none.`,
    source: `peak ${peakOf([...finished, ...failed]).value} a minute · counted by rq-ts workers`,
  });
}

/** "37.5 ms", or "12 ms – 40 ms" for a range of durations (seconds); '' for none. */
function rangeText(seconds: readonly number[]): string {
  if (seconds.length === 0) return '';
  const low = Math.min(...seconds);
  const high = Math.max(...seconds);
  return low === high ? formatDuration(low) : `${formatDuration(low)} – ${formatDuration(high)}`;
}

/** The run times of the minutes that have one. */
function present(values: readonly (number | null)[]): number[] {
  return values.filter((value): value is number => value !== null);
}

/** The run-time chart's description: how many minutes had jobs, the range of p50 and the highest p95. */
function runTimeText(points: readonly ThroughputPoint[]): string {
  const p50 = present(points.map((point) => point.runP50));
  const p95 = points.map((point) => point.runP95 ?? 0);
  const peak = peakOf(p95);
  if (p50.length === 0) return '';
  return `${spanText(points)}: jobs ended in ${p50.length} minutes; p50 ${rangeText(p50)}; p95 at most ${formatDuration(peak.value)} (at ${clock(points[peak.index]!.minute)}).`;
}

/**
 * The run time of the jobs that ended in each minute of `points`, p50 and p95 (estimated from the
 * workers' histograms), in ms or s by magnitude; `id` is unique on the page.
 */
export function runTimeChart(points: readonly ThroughputPoint[], id: string, scope: string): Markup {
  const highest = Math.max(0, ...points.map((point) => point.runP95 ?? 0));
  const { unit, perSecond } = durationUnit(highest);
  const inUnit = (seconds: number | null) => (seconds === null ? null : seconds * perSecond);
  return lineChart({
    id,
    title: `Run time per minute, p50 and p95, ${scope}`,
    description: runTimeText(points),
    unit,
    integers: false,
    minutes: points.map((point) => point.minute),
    series: [
      { label: 'p50', kind: 'p50', values: points.map((point) => inUnit(point.runP50)), note: 'median' },
      { label: 'p95', kind: 'p95', values: points.map((point) => inUnit(point.runP95)), note: `at most ${formatDuration(highest)}` },
    ],
    summarize: (values) => rangeText(present(values).map((value) => value / perSecond)) || '–',
    numbersCaption: "Run time: the lowest and highest of the interval's minutes",
    empty: `No job ran in the ${spanLabel(points.length)} (${scope}): no run time to draw. rq-ts workers record run times; Python RQ workers record none.`,
    source: 'estimated from the run-time histograms rq-ts workers write, a minute at a time',
  });
}
