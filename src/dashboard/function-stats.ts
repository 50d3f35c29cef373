/**
 * A queue's job statistics by function (getJobStats(), src/job-stats.ts: the histograms and counts
 * rq-ts workers write in `rq:stats:<queue>`), summed up as the queue page's table and
 * `/api/job-stats?queue=<q>` show them: runs, run-time p50 and p95 (estimated from the histogram),
 * mean run time, mean wait (enqueued to started), retries, timeouts and abandoned jobs.
 */
import { TIME_BUCKETS, quantile, type JobStatsEntry } from '../index.js';
import { formatDuration } from './chart-axes.js';
import { html, type Markup } from './html.js';

/** One function's statistics summed up; times in seconds, null without any execution. */
export interface FunctionSummary {
  readonly func: string;
  /** Executions whose run time was recorded (failed ones included). */
  readonly runs: number;
  readonly runP50: number | null;
  readonly runP95: number | null;
  readonly runMean: number | null;
  /** Executions whose wait was recorded. */
  readonly waits: number;
  readonly waitMean: number | null;
  readonly retries: number;
  readonly timeouts: number;
  readonly abandoned: number;
}

/** The buckets' upper bounds as the JSON gives them: seconds, the last "+Inf". */
export const BUCKET_BOUNDS: readonly (number | string)[] = TIME_BUCKETS.map((le) => (le === Infinity ? '+Inf' : le));

function total(counts: readonly number[]): number {
  return counts.reduce((sum, count) => sum + count, 0);
}

/** `entry` summed up. */
export function summarize(entry: JobStatsEntry): FunctionSummary {
  const runs = total(entry.run.counts);
  const waits = total(entry.wait.counts);
  return {
    func: entry.func,
    runs,
    runP50: quantile(entry.run.counts, 0.5) ?? null,
    runP95: quantile(entry.run.counts, 0.95) ?? null,
    runMean: runs > 0 ? entry.run.sum / runs : null,
    waits,
    waitMean: waits > 0 ? entry.wait.sum / waits : null,
    retries: entry.retries,
    timeouts: entry.timeouts,
    abandoned: entry.abandoned,
  };
}

/** A time cell: the duration with its unit, or a dash for none. */
function duration(seconds: number | null, name: string): Markup {
  return html`<td class="count" data-stat="${name}">${seconds === null ? '–' : formatDuration(seconds)}</td>`;
}

function count(value: number, name: string): Markup {
  return html`<td class="count" data-stat="${name}">${value}</td>`;
}

function functionRow(summary: FunctionSummary): Markup {
  return html`<tr data-func="${summary.func}">
      <th scope="row">${summary.func === '' ? html`<em>unreadable job data</em>` : html`<code>${summary.func}</code>`}</th>
      ${count(summary.runs, 'runs')}${duration(summary.runP50, 'p50')}${duration(summary.runP95, 'p95')}${duration(summary.runMean, 'mean')}
      ${duration(summary.waitMean, 'wait')}${count(summary.retries, 'retries')}${count(summary.timeouts, 'timeouts')}${count(summary.abandoned, 'abandoned')}
    </tr>`;
}

/** The queue page's table of `entries`, a function a row; a sentence when there are none. */
export function functionTable(queue: string, entries: readonly JobStatsEntry[]): Markup {
  if (entries.length === 0) {
    return html`<p class="no-data">No job statistics for ${queue} yet. rq-ts workers write them every 5 seconds and when they stop; Python RQ workers write none.</p>`;
  }
  return html`<table class="functions">
      <caption>Since the statistics began (kept 7 days after their last write), not only the span of the charts. Run times are of every execution, failed ones included; p50 and p95 are estimated from histograms.</caption>
      <thead><tr><th scope="col">Function</th><th scope="col">Runs</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">Mean run time</th><th scope="col">Mean wait</th><th scope="col">Retries</th><th scope="col">Timeouts</th><th scope="col">Abandoned</th></tr></thead>
      <tbody>${entries.map((entry) => functionRow(summarize(entry)))}</tbody>
    </table>`;
}
