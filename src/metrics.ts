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
 * Reading costs one command per queue and registry (LLEN, ZCARD) and one per worker hash: never a
 * whole set, however large the registries.
 */
import { resolveConnection, type ConnectionOptions } from './connection.js';
import { DeferredJobRegistry, FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry } from './registries/index.js';
import { Queue } from './queue.js';
import { Worker } from './worker/index.js';

/** The Content-Type of {@link collectMetrics}' text (Prometheus' text format 0.0.4). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One metric family: its name, help, type, and samples (labels in order, value). */
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: Array<[labels: Array<[string, string]>, value: number]>;
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
  for (const queue of await Queue.all({ connection })) {
    const registries = [StartedJobRegistry, FinishedJobRegistry, FailedJobRegistry, DeferredJobRegistry, ScheduledJobRegistry].map((Registry) => new Registry(queue.name, { connection }));
    const counts = await Promise.all([queue.count(), ...registries.map((registry) => registry.count({ cleanup: false }))]);
    ['queued', 'started', 'finished', 'failed', 'deferred', 'scheduled'].forEach((status, index) => jobs.samples.push([[['queue', queue.name], ['status', status]], counts[index]!]));
  }
  return families.map(render).join('');
}

function render(family: Family): string {
  const lines = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`];
  // Labels sorted by name, as prometheus_client writes them.
  for (const [labels, value] of family.samples) {
    const sorted = [...labels].sort(([a], [b]) => (a < b ? -1 : 1));
    lines.push(`${family.name}{${sorted.map(([name, text]) => `${name}="${escapeLabel(text)}"`).join(',')}} ${formatValue(value)}`);
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
