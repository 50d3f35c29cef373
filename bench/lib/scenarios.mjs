/**
 * The scenarios of issue 4 and how each is measured for each system. A measurement runs in fresh
 * child processes against a Redis flushed just before it:
 *   - enqueue (1-3): one producer child, timed inside it after a warm-up on the same connection;
 *   - processing (4, 5): a fill child enqueues N jobs in bulk (untimed), then one worker child
 *     runs them, timed from its start to its N-th completed job; its peak RSS is scenario 8;
 *   - latency (6): a worker child listens, then a producer child sends a job every 2 ms carrying
 *     its wall-clock send time; the worker notes completion time minus send time per job;
 *   - commands (7): a producer child enqueues N one by one, then a worker child runs them at
 *     concurrency 1, with INFO/MONITOR counters read between the phases.
 * Python RQ runs its own producer (bench/python/rq_bench.py) and its own `rq worker` command.
 */
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNode, runPython } from './processes.mjs';
import { CommandCounter } from './redis-stats.mjs';
import { percentile } from './stats.mjs';

const PYTHON_DIR = fileURLToPath(new URL('../python/', import.meta.url));
const RQ_BENCH = join(PYTHON_DIR, 'rq_bench.py');
const RUN_WORKER = join(PYTHON_DIR, 'run_worker.py');

/** Jobs in flight in scenario 2, and per batch in scenario 3. */
export const IN_FLIGHT = 100;
export const BATCH = 1000;
/** Scenario 6: one job every this many ms. */
export const LATENCY_INTERVAL_MS = 2;
/** Worker concurrency in the latency and commands scenarios. */
export const LATENCY_CONCURRENCY = 1;

/** Every column of the table, in order: the Node systems, then Python RQ's two workers. */
export const COLUMNS = {
  'rq-ts': { title: 'rq-ts', system: 'rq-ts' },
  bullmq: { title: 'BullMQ', system: 'bullmq' },
  'bee-queue': { title: 'Bee-Queue', system: 'bee-queue' },
  'rq-py': { title: 'Python RQ (SimpleWorker)', system: 'python' },
  'rq-py-fork': { title: 'Python RQ (Worker, fork)', system: 'python' },
};

const NODE = ['rq-ts', 'bullmq', 'bee-queue'];

/** Rows of the table: one metric each. `better` says which way rq-ts should beat BullMQ. */
export const ROWS = [
  { key: 'enqueue-seq', scenario: 1, label: 'Enqueue one by one, awaited', unit: 'jobs/s', better: 'higher' },
  { key: 'enqueue-inflight', scenario: 2, label: `Enqueue, ${IN_FLIGHT} in flight`, unit: 'jobs/s', better: 'higher' },
  { key: 'enqueue-bulk', scenario: 3, label: `Bulk enqueue, batches of ${BATCH}`, unit: 'jobs/s', better: 'higher' },
  { key: 'process-c1', scenario: 4, label: 'Process no-op jobs, concurrency 1', unit: 'jobs/s', better: 'higher' },
  { key: 'process-c50', scenario: 5, label: 'Process no-op jobs, concurrency 50', unit: 'jobs/s', better: 'higher' },
  { key: 'process-c100', scenario: 5, label: 'Process no-op jobs, concurrency 100', unit: 'jobs/s', better: 'higher' },
  { key: 'latency-p50', scenario: 6, label: 'Add-to-completion latency p50', unit: 'ms', better: 'lower' },
  { key: 'latency-p95', scenario: 6, label: 'Add-to-completion latency p95', unit: 'ms', better: 'lower' },
  { key: 'latency-p99', scenario: 6, label: 'Add-to-completion latency p99', unit: 'ms', better: 'lower' },
  { key: 'round-trips', scenario: 7, label: 'Round trips per job (enqueue + process)', unit: '', better: 'lower' },
  { key: 'commands-sent', scenario: 7, label: 'Commands sent per job', unit: '', better: 'lower' },
  { key: 'commands-executed', scenario: 7, label: 'Commands executed per job (incl. in Lua)', unit: '', better: 'lower' },
  { key: 'rss-c1', scenario: 8, label: 'Worker peak RSS, concurrency 1', unit: 'MB', better: 'lower' },
  { key: 'rss-c50', scenario: 8, label: 'Worker peak RSS, concurrency 50', unit: 'MB', better: 'lower' },
  { key: 'rss-c100', scenario: 8, label: 'Worker peak RSS, concurrency 100', unit: 'MB', better: 'lower' },
  { key: 'process-unkept-c1', scenario: 9, label: 'Process no-op jobs, results not kept, concurrency 1', unit: 'jobs/s', better: 'higher' },
  { key: 'process-unkept-c50', scenario: 9, label: 'Process no-op jobs, results not kept, concurrency 50', unit: 'jobs/s', better: 'higher' },
];

/**
 * The scenarios in running order. `columns` are where each applies; `measure(ctx, column, run)`
 * resolves to { rowKey: value } plus optional `details` kept in the JSON.
 */
export const SCENARIOS = [
  { number: 1, name: 'enqueue-seq', columns: [...NODE, 'rq-py'], measure: (ctx, column) => enqueue(ctx, column, 'seq', ctx.counts.nSeq, 'enqueue-seq') },
  { number: 2, name: 'enqueue-inflight', columns: NODE, measure: (ctx, column) => enqueue(ctx, column, 'inflight', ctx.counts.nInflight, 'enqueue-inflight') },
  { number: 3, name: 'enqueue-bulk', columns: [...NODE, 'rq-py'], measure: (ctx, column) => enqueue(ctx, column, 'bulk', ctx.counts.nBulk, 'enqueue-bulk') },
  { number: 4, name: 'process-c1', columns: [...NODE, 'rq-py', 'rq-py-fork'], measure: (ctx, column, run) => processing(ctx, column, 1, run) },
  { number: 5, name: 'process-c50', columns: NODE, measure: (ctx, column, run) => processing(ctx, column, 50, run) },
  { number: 5, name: 'process-c100', columns: NODE, measure: (ctx, column, run) => processing(ctx, column, 100, run) },
  // Not Python RQ: its SimpleWorker tops out near 500 jobs/s here, so a job every 2 ms is no low load for it.
  { number: 6, name: 'latency', columns: NODE, measure: (ctx, column, run) => latency(ctx, column, run) },
  { number: 7, name: 'commands', columns: [...NODE, 'rq-py', 'rq-py-fork'], measure: (ctx, column) => commands(ctx, column) },
  // Jobs whose results nobody keeps: rq-ts' resultTtl 0 (as RQ's result_ttl=0: no results stream,
  // the job deleted as it finishes), BullMQ's removeOnComplete, Bee-Queue's removeOnSuccess.
  { number: 9, name: 'process-unkept-c1', columns: NODE, measure: (ctx, column, run) => processing(ctx, column, 1, run, true) },
  { number: 9, name: 'process-unkept-c50', columns: NODE, measure: (ctx, column, run) => processing(ctx, column, 50, run, true) },
];

function nodeTask(ctx, column, role, fields) {
  return { system: COLUMNS[column].system, role, host: ctx.redis.host, port: ctx.redis.port, ...fields };
}

/** `node --cpu-prof` flags for an rq-ts worker child when profiling. */
function workerExecArgv(ctx, column, name) {
  if (!ctx.profileDir || column !== 'rq-ts') return [];
  return ['--cpu-prof', '--cpu-prof-dir', ctx.profileDir, '--cpu-prof-name', `rq-ts-${name}-${Date.now()}.cpuprofile`];
}

function warmupFor(n, cap) {
  return Math.min(cap, Math.ceil(n / 10));
}

async function enqueue(ctx, column, mode, n, key) {
  let ms;
  if (column === 'rq-py') {
    const args = [RQ_BENCH, 'enqueue', '--url', ctx.redis.url, '--mode', mode, '--n', String(n), '--warmup', String(warmupFor(n, mode === 'bulk' ? BATCH : 500))];
    ({ ms } = await runPython(args, { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus }).result);
  } else {
    const warmup = warmupFor(n, mode === 'bulk' ? BATCH : 500);
    ({ ms } = await runNode(nodeTask(ctx, column, 'enqueue', { mode, n, warmup, inFlight: IN_FLIGHT, batch: BATCH }), { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus }).result);
  }
  return { [key]: (n / ms) * 1000 };
}

async function fill(ctx, column, n, unkept = false) {
  if (column.startsWith('rq-py')) {
    await runPython([RQ_BENCH, 'enqueue', '--url', ctx.redis.url, '--mode', 'bulk', '--n', String(n)], { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus }).result;
  } else {
    await runNode(nodeTask(ctx, column, 'fill', { n, batch: BATCH, unkept }), { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus }).result;
  }
}

/** Python RQ's `rq worker` with JSONSerializer, the SimpleWorker or the default forking Worker. */
function pythonWorkerArgs(ctx, column, extra) {
  const workerClass = column === 'rq-py' ? ['-w', 'rq.worker.SimpleWorker'] : [];
  return [...extra, ...workerClass, '-S', 'rq.serializers.JSONSerializer', '-q', '-u', ctx.redis.url, '-P', PYTHON_DIR, 'bench'];
}

async function runPythonWorker(ctx, column, extra) {
  const dir = mkdtempSync(join(tmpdir(), 'rq-ts-bench-py-'));
  const reportFile = join(dir, 'report.json');
  try {
    const worker = runPython([RUN_WORKER, reportFile, ...pythonWorkerArgs(ctx, column, extra)], { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus, json: false });
    await worker.result;
    return JSON.parse(readFileSync(reportFile, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Scenarios 4, 5 and (with `unkept`: results not kept) 9. */
async function processing(ctx, column, concurrency, run, unkept = false) {
  const python = column.startsWith('rq-py');
  const n = column === 'rq-py-fork' ? ctx.counts.nFork : concurrency === 1 ? ctx.counts.nProcess : ctx.counts.nConcurrent;
  await fill(ctx, column, n, unkept);
  let ms;
  let maxRssKb;
  let details;
  if (python) {
    const report = await runPythonWorker(ctx, column, ['--burst']);
    const span = await runPython([RQ_BENCH, 'span', '--url', ctx.redis.url], { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus }).result;
    if (span.count !== n) throw new Error(`${column} finished ${span.count} of ${n} jobs`);
    ms = span.endMs - report.startMs;
    maxRssKb = report.maxRssKb;
    details = { jobs: n, ...(column === 'rq-py-fork' && { horseMaxRssKb: report.childrenMaxRssKb }) };
  } else {
    const execArgv = workerExecArgv(ctx, column, `c${concurrency}-run${run + 1}`);
    ({ ms, maxRssKb } = await runNode(nodeTask(ctx, column, 'process', { n, concurrency, unkept }), { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus, execArgv }).result);
    details = { jobs: n };
  }
  if (unkept) return { [`process-unkept-c${concurrency}`]: (n / ms) * 1000, details };
  return { [`process-c${concurrency}`]: (n / ms) * 1000, [`rss-c${concurrency}`]: maxRssKb / 1024, details };
}

async function latency(ctx, column, run) {
  const n = ctx.counts.nLatency;
  const warmup = Math.min(100, Math.ceil(n / 10));
  const total = n + warmup;
  const execArgv = workerExecArgv(ctx, column, `latency-run${run + 1}`);
  const worker = runNode(nodeTask(ctx, column, 'latency-worker', { n: total, concurrency: LATENCY_CONCURRENCY }), { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus, execArgv });
  await worker.ready;
  await sleep(200); // let the worker settle into its idle wait
  // The producer is load, not what is measured: it runs on Redis' core (idle most of the time at
  // one job per 2 ms), so that the worker has its core to itself, as at low load it would.
  const producerCpus = ctx.loadCpus ?? ctx.clientCpus;
  const { lagMs } = await runNode(nodeTask(ctx, column, 'latency-producer', { n: total, intervalMs: LATENCY_INTERVAL_MS }), { timeoutMs: ctx.timeoutMs, cpus: producerCpus }).result;
  const { samples: pairs } = await worker.result;
  const samples = pairs.sort((a, b) => a[0] - b[0]).slice(warmup).map(([, ms]) => ms);
  return {
    'latency-p50': percentile(samples, 50),
    'latency-p95': percentile(samples, 95),
    'latency-p99': percentile(samples, 99),
    details: { jobs: samples.length, warmup, maxMs: Math.max(...samples), producerLagMs: lagMs },
  };
}

async function commands(ctx, column) {
  const n = column === 'rq-py-fork' ? ctx.counts.nFork : ctx.counts.nCommands;
  const counter = new CommandCounter(ctx.connect);
  await counter.start('enqueue');
  if (column.startsWith('rq-py')) {
    await runPython([RQ_BENCH, 'enqueue', '--url', ctx.redis.url, '--mode', 'seq', '--n', String(n)], { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus }).result;
  } else {
    await runNode(nodeTask(ctx, column, 'enqueue', { mode: 'seq', n, warmup: 0, inFlight: 1, batch: BATCH }), { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus }).result;
  }
  const enqueued = await counter.mark('process');
  if (column.startsWith('rq-py')) {
    await runPythonWorker(ctx, column, ['--burst']);
  } else {
    await runNode(nodeTask(ctx, column, 'process', { n, concurrency: LATENCY_CONCURRENCY }), { timeoutMs: ctx.timeoutMs, cpus: ctx.clientCpus }).result;
  }
  const processed = await counter.mark('end');
  const sent = await counter.stop(3);
  const total = (counts) => Object.values(counts ?? {}).reduce((sum, count) => sum + count, 0);
  const perJob = (counts) => Object.fromEntries(Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1]).map(([command, count]) => [command, Number((count / n).toFixed(3))]));
  return {
    'round-trips': (enqueued.roundTrips + processed.roundTrips) / n,
    'commands-sent': (total(sent.enqueue) + total(sent.process)) / n,
    'commands-executed': (total(enqueued.executed) + total(processed.executed)) / n,
    details: {
      jobs: n,
      perJob: {
        enqueue: { roundTrips: enqueued.roundTrips / n, sent: perJob(sent.enqueue), executed: perJob(enqueued.executed) },
        process: { roundTrips: processed.roundTrips / n, sent: perJob(sent.process), executed: perJob(processed.executed) },
      },
    },
  };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
