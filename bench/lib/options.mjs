/**
 * The command line of `npm run bench` (bench/run.mjs): flags, their environment variables, and
 * the defaults of the full and smoke runs.
 */
import { parseArgs } from 'node:util';

/** Every system the benchmark knows, in column order. `python` covers both Python RQ columns. */
export const SYSTEMS = ['rq-ts', 'bullmq', 'bee-queue', 'python'];

/** Scenario numbers and names, as issue 4 lists them. 8 (worker peak RSS) is read during 4 and 5. */
export const SCENARIOS = {
  1: 'enqueue-seq',
  2: 'enqueue-inflight',
  3: 'enqueue-bulk',
  4: 'process-c1',
  5: 'process-concurrent',
  6: 'latency',
  7: 'commands',
  8: 'rss',
  9: 'process-unkept',
};

/**
 * Job counts per measurement. The full defaults take seconds each and keep a whole run (three
 * Node systems and Python RQ, three runs) well under ten minutes on 2 cores.
 */
const FULL = {
  runs: 3,
  nSeq: 5000, // 1: enqueue one by one
  nInflight: 20000, // 2: enqueue, 100 in flight
  nBulk: 50000, // 3: bulk, batches of 1000
  nProcess: 5000, // 4: process at concurrency 1
  nConcurrent: 20000, // 5: process at concurrency 50 and 100
  nLatency: 2000, // 6: one job every 2 ms: 4 s
  nCommands: 1000, // 7: enqueue + process, counted
  nFork: 200, // Python RQ's forking Worker runs ~10 jobs/s here: its processing and command counts use this
  nCluster: 36000, // --cluster: over all its queues; 4000 a queue take a few seconds a measurement
};

/** Tiny counts for `--smoke`: checks every path end to end in seconds, measures nothing. */
const SMOKE = { runs: 1, nSeq: 50, nInflight: 200, nBulk: 2000, nProcess: 100, nConcurrent: 300, nLatency: 50, nCommands: 50, nFork: 10, nCluster: 450 };

/**
 * Queues of the Redis Cluster scenario (`--cluster`, bench/lib/cluster-scenario.mjs): q0 to q8.
 * Their hash tags put 3, 2 and 4 of them on the three masters: as unevenly as names do.
 */
const CLUSTER_QUEUES = 9;

/** The systems that run on a Redis Cluster: Bee-Queue's client (node-redis 3) has no cluster mode, Python RQ no cluster support. */
export const CLUSTER_SYSTEMS = ['rq-ts', 'bullmq'];

const FLAGS = {
  smoke: { type: 'boolean', env: 'BENCH_SMOKE', help: 'tiny counts, one run, rq-ts and Python RQ only (unless --systems): a check, not a measurement' },
  runs: { type: 'string', env: 'BENCH_RUNS', help: 'runs of each measurement; the table shows the median and min-max (default 3)' },
  scale: { type: 'string', env: 'BENCH_SCALE', help: 'multiply every job count (default 1)' },
  'n-seq': { type: 'string', env: 'BENCH_N_SEQ', key: 'nSeq', help: `jobs of scenario 1 (default ${FULL.nSeq})` },
  'n-inflight': { type: 'string', env: 'BENCH_N_INFLIGHT', key: 'nInflight', help: `jobs of scenario 2 (default ${FULL.nInflight})` },
  'n-bulk': { type: 'string', env: 'BENCH_N_BULK', key: 'nBulk', help: `jobs of scenario 3 (default ${FULL.nBulk})` },
  'n-process': { type: 'string', env: 'BENCH_N_PROCESS', key: 'nProcess', help: `jobs of scenario 4 (default ${FULL.nProcess})` },
  'n-concurrent': { type: 'string', env: 'BENCH_N_CONCURRENT', key: 'nConcurrent', help: `jobs of scenario 5 (default ${FULL.nConcurrent})` },
  'n-latency': { type: 'string', env: 'BENCH_N_LATENCY', key: 'nLatency', help: `jobs of scenario 6, one every 2 ms (default ${FULL.nLatency})` },
  'n-commands': { type: 'string', env: 'BENCH_N_COMMANDS', key: 'nCommands', help: `jobs of scenario 7 (default ${FULL.nCommands})` },
  'n-fork': { type: 'string', env: 'BENCH_N_FORK', key: 'nFork', help: `jobs for Python RQ's forking Worker in 4 and 7 (default ${FULL.nFork})` },
  cluster: { type: 'boolean', env: 'BENCH_CLUSTER', help: 'run the Redis Cluster scenario instead of 1-9: the same no-op jobs on --cluster-queues queues, one worker per queue at concurrency 50, on one Redis and on a cluster of 3 masters; rq-ts and BullMQ (with --smoke: rq-ts only)' },
  'n-cluster': { type: 'string', env: 'BENCH_N_CLUSTER', key: 'nCluster', help: `jobs of the cluster scenario, over all its queues (default ${FULL.nCluster})` },
  'cluster-queues': { type: 'string', env: 'BENCH_CLUSTER_QUEUES', help: `queues of the cluster scenario, q0 to q<n-1> (default ${CLUSTER_QUEUES})` },
  systems: { type: 'string', env: 'BENCH_SYSTEMS', help: `comma-separated, of ${SYSTEMS.join(', ')} (default all; python only where /usr/bin/python3 has rq)` },
  scenarios: { type: 'string', env: 'BENCH_SCENARIOS', help: 'comma-separated scenario numbers 1-9 (default all)' },
  out: { type: 'string', env: 'BENCH_OUT', help: 'directory for <timestamp>.json/.md/.svg (default bench/results)' },
  docs: { type: 'boolean', env: 'BENCH_DOCS', help: 'update docs/benchmarks.md and docs/benchmarks.svg (default: yes, except with --smoke)' },
  'no-docs': { type: 'boolean', help: 'leave docs/ alone' },
  profile: { type: 'boolean', env: 'BENCH_PROFILE', help: 'run rq-ts workers with node --cpu-prof; profiles go to <out>/profiles/' },
  'no-install': { type: 'boolean', help: 'do not install BullMQ and Bee-Queue into bench/node_modules (fail if missing)' },
  'no-pin': { type: 'boolean', env: 'BENCH_NO_PIN', help: 'do not pin redis-server to a core of its own and the producers and workers to the others (Linux, taskset)' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
};

export function usage() {
  const width = Math.max(...Object.keys(FLAGS).map((name) => name.length));
  const lines = Object.entries(FLAGS).map(([name, flag]) => `  --${name.padEnd(width)} ${flag.help}${flag.env ? ` [${flag.env}]` : ''}`);
  return `Usage: npm run bench -- [options]   (or: node bench/run.mjs [options] after npm run build)\n\n${lines.join('\n')}\n`;
}

function positiveNumber(text, name) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got '${text}'`);
  return value;
}

/** Parses argv (and the BENCH_* environment) into the run's settings. */
export function parseOptions(argv, env = process.env) {
  const parseConfig = Object.fromEntries(Object.entries(FLAGS).map(([name, flag]) => [name, { type: flag.type, ...(flag.short && { short: flag.short }) }]));
  const { values } = parseArgs({ args: argv, options: parseConfig, strict: true, allowPositionals: false });
  const get = (name) => {
    if (values[name] !== undefined) return values[name];
    const variable = FLAGS[name].env;
    if (!variable || env[variable] === undefined || env[variable] === '') return undefined;
    return FLAGS[name].type === 'boolean' ? !['0', 'false', 'no'].includes(env[variable].toLowerCase()) : env[variable];
  };
  const smoke = get('smoke') ?? false;
  const base = smoke ? SMOKE : FULL;
  const scale = get('scale') === undefined ? 1 : positiveNumber(get('scale'), 'scale');
  const counts = {};
  for (const [name, flag] of Object.entries(FLAGS)) {
    if (!flag.key) continue;
    const given = get(name);
    counts[flag.key] = given === undefined ? Math.max(1, Math.round(base[flag.key] * scale)) : Math.round(positiveNumber(given, name));
  }
  const runs = get('runs') === undefined ? base.runs : Math.round(positiveNumber(get('runs'), 'runs'));
  const cluster = get('cluster') ?? false;
  const defaultSystems = cluster ? (smoke ? ['rq-ts'] : CLUSTER_SYSTEMS) : smoke ? ['rq-ts', 'python'] : SYSTEMS;
  const systems = get('systems') === undefined ? [...defaultSystems] : list(get('systems'), SYSTEMS, 'systems');
  const clusterQueues = get('cluster-queues') === undefined ? CLUSTER_QUEUES : Math.round(positiveNumber(get('cluster-queues'), 'cluster-queues'));
  const scenarios = get('scenarios') === undefined ? Object.keys(SCENARIOS).map(Number) : list(get('scenarios'), Object.keys(SCENARIOS), 'scenarios').map(Number);
  return {
    help: values.help ?? false,
    smoke,
    cluster,
    clusterQueues,
    runs,
    scale,
    counts,
    systems: SYSTEMS.filter((system) => systems.includes(system)),
    scenarios: scenarios.sort((a, b) => a - b),
    out: get('out'),
    docs: values['no-docs'] ? false : (get('docs') ?? !smoke),
    profile: get('profile') ?? false,
    install: !values['no-install'],
    pin: !(get('no-pin') ?? false),
  };
}

function list(text, allowed, name) {
  const items = text.split(',').map((item) => item.trim()).filter(Boolean);
  const unknown = items.filter((item) => !allowed.includes(item));
  if (unknown.length > 0 || items.length === 0) throw new Error(`--${name}: unknown ${unknown.join(', ') || '(empty)'}; use ${allowed.join(', ')}`);
  return items;
}
