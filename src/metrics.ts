/**
 * Prometheus metrics in rq-exporter's names (mdawar/rq-exporter 3.x, whose names feed the Grafana
 * dashboards RQ teams share), computed as it computes them from the same Redis, for rq-ts and
 * Python workers alike, in Prometheus' text format (version 0.0.4) as Python's prometheus_client
 * writes it:
 *
 * - `rq_workers{name,queues,state}` 1 for each live worker (`queues` joined by commas);
 * - `rq_workers_success_total`, `rq_workers_failed_total` and `rq_workers_working_time_total`
 *   `{name,queues}`: the worker hash's successful_job_count, failed_job_count and
 *   total_working_time (seconds);
 * - `rq_jobs{queue,status}` for each queue of `rq:queues`: queued (the list's length), started,
 *   finished, failed, deferred and scheduled (each registry's size, without cleaning it).
 *
 * Then rq-ts' own, from the job statistics its workers write (job-stats.ts; Python RQ's jobs are
 * not in them), `{function,queue}`:
 *
 * - `rq_job_run_time_seconds` and `rq_job_wait_time_seconds` (enqueued to started): histograms;
 * - `rq_job_retries_total`, `rq_job_timeouts_total`, `rq_jobs_abandoned_total`: counters.
 *
 * Reading costs one command per queue and registry (LLEN, ZCARD), one per worker hash and one per
 * queue's statistics hash: never a whole set, however large the registries.
 */
import { layoutOf, resolveConnection, type ConnectionOptions, type RedisConnection } from './connection.js';
import { TIME_BUCKETS, parseJobStats, type TimeHistogram } from './job-stats.js';
import { jobStatsKey } from './keys.js';
import { DeferredJobRegistry, FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry } from './registries/index.js';
import { Queue } from './queue.js';
import { Worker } from './worker/index.js';

/** The Content-Type of {@link collectMetrics}' text (Prometheus' text format 0.0.4). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One metric family: its name, help, type, and samples (labels in order, value). */
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter' | 'histogram';
  /** Labels in order, value, and for a histogram the sample's suffix (`_bucket`, `_count`, `_sum`). */
  readonly samples: Array<[labels: Array<[string, string]>, value: number, suffix?: string]>;
}

/**
 * The metrics of the Redis behind `connection`, in Prometheus' text format.
 * @throws {NoRedisConnectionError} without a connection.
 */
export async function collectMetrics(options: ConnectionOptions = {}): Promise<string> {
  const connection = resolveConnection(options.connection, 'collectMetrics()');
  const workers = await Worker.all({ connection, cleanup: false });
  const families: Family[] = [
    { name: 'rq_workers', help: 'RQ workers', type: 'gauge', samples: [] },
    { name: 'rq_workers_success_total', help: 'RQ workers success count', type: 'counter', samples: [] },
    { name: 'rq_workers_failed_total', help: 'RQ workers fail count', type: 'counter', samples: [] },
    { name: 'rq_workers_working_time_total', help: 'RQ workers spent seconds', type: 'counter', samples: [] },
    { name: 'rq_jobs', help: 'RQ jobs by state', type: 'gauge', samples: [] },
  ];
  const [live, success, failed, working, jobs] = families as [Family, Family, Family, Family, Family];
  for (const worker of workers) {
    const queues = worker.queueNames.join(',');
    live.samples.push([[['name', worker.name], ['state', worker.state], ['queues', queues]], 1]);
    success.samples.push([[['name', worker.name], ['queues', queues]], worker.successfulJobCount]);
    failed.samples.push([[['name', worker.name], ['queues', queues]], worker.failedJobCount]);
    working.samples.push([[['name', worker.name], ['queues', queues]], worker.totalWorkingTime]);
  }
  const queues = await Queue.all({ connection });
  for (const queue of queues) {
    const registries = [StartedJobRegistry, FinishedJobRegistry, FailedJobRegistry, DeferredJobRegistry, ScheduledJobRegistry].map((Registry) => new Registry(queue.name, { connection }));
    const counts = await Promise.all([queue.count(), ...registries.map((registry) => registry.count({ cleanup: false }))]);
    ['queued', 'started', 'finished', 'failed', 'deferred', 'scheduled'].forEach((status, index) => jobs.samples.push([[['queue', queue.name], ['status', status]], counts[index]!]));
  }
  families.push(...(await jobStatsFamilies(connection, queues.map((queue) => queue.name))));
  return families.map(render).join('');
}

/** The families of rq-ts' job statistics (job-stats.ts), by queue and function: one HGETALL per queue. */
async function jobStatsFamilies(connection: RedisConnection, queues: readonly string[]): Promise<Family[]> {
  const run: Family = { name: 'rq_job_run_time_seconds', help: 'Seconds RQ jobs ran (rq-ts workers)', type: 'histogram', samples: [] };
  const wait: Family = { name: 'rq_job_wait_time_seconds', help: 'Seconds RQ jobs waited from enqueued to started (rq-ts workers)', type: 'histogram', samples: [] };
  const retries: Family = { name: 'rq_job_retries_total', help: 'RQ job executions retried (rq-ts workers)', type: 'counter', samples: [] };
  const timeouts: Family = { name: 'rq_job_timeouts_total', help: 'RQ job executions ended by their timeout (rq-ts workers)', type: 'counter', samples: [] };
  const abandoned: Family = { name: 'rq_jobs_abandoned_total', help: 'RQ jobs found abandoned by their worker (rq-ts sweeps)', type: 'counter', samples: [] };
  const hashes = await Promise.all(queues.map((queue) => connection.hgetall(jobStatsKey(queue, layoutOf(connection)))));
  queues.forEach((queue, index) => {
    const byFunction = [...parseJobStats(hashes[index]!)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [func, stats] of byFunction) {
      const labels: Array<[string, string]> = [['queue', queue], ['function', func]];
      histogramSamples(run, labels, stats.run);
      histogramSamples(wait, labels, stats.wait);
      retries.samples.push([labels, stats.retries]);
      timeouts.samples.push([labels, stats.timeouts]);
      abandoned.samples.push([labels, stats.abandoned]);
    }
  });
  return [run, wait, retries, timeouts, abandoned].filter((family) => family.samples.length > 0);
}

/** A histogram's samples as Prometheus reads them: cumulative buckets, then count and sum. None when it counted nothing. */
function histogramSamples(family: Family, labels: Array<[string, string]>, histogram: TimeHistogram): void {
  let cumulative = 0;
  const buckets = histogram.counts.map((count, index) => {
    cumulative += count;
    return [[...labels, ['le', TIME_BUCKETS[index] === Infinity ? '+Inf' : formatValue(TIME_BUCKETS[index]!)]], cumulative, '_bucket'] as [Array<[string, string]>, number, string];
  });
  if (cumulative === 0) return;
  family.samples.push(...buckets, [labels, cumulative, '_count'], [labels, histogram.sum, '_sum']);
}

function render(family: Family): string {
  const lines = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`];
  // Labels sorted by name, as prometheus_client writes them.
  for (const [labels, value, suffix] of family.samples) {
    const sorted = [...labels].sort(([a], [b]) => (a < b ? -1 : 1));
    lines.push(`${family.name}${suffix ?? ''}{${sorted.map(([name, text]) => `${name}="${escapeLabel(text)}"`).join(',')}} ${formatValue(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A label value as the text format escapes it: backslash, double quote and line feed. */
function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * A value as prometheus_client writes a float (its floatToGoString): Python's repr (`1.0`, `12.5`,
 * `1.5e-05`), with Go's exponent from a million up (`1.234567e+06`), and `+Inf`, `-Inf`, `NaN`.
 */
export function formatValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  const text = pythonRepr(value);
  const dot = text.indexOf('.');
  if (value > 0 && dot > 6) return `${text[0]}.${text.slice(1, dot)}${text.slice(dot + 1)}`.replace(/[0.]+$/, '') + `e+0${dot - 1}`;
  return text;
}

/** Python's repr of a float: shortest digits, `.0` on whole numbers, an exponent below 1e-4 and from 1e16. */
function pythonRepr(value: number): string {
  const size = Math.abs(value);
  if (value !== 0 && (size < 1e-4 || size >= 1e16)) {
    const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return Number.isInteger(value) ? `${value}.0` : String(value);
}
