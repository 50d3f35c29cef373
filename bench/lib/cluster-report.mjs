/**
 * The outputs of the Redis Cluster scenario: its two tables (the figures per system, and the
 * spread over the masters), <out>/<timestamp>-cluster.json and .md, and the "Redis Cluster"
 * section of docs/benchmarks.md, which `npm run bench` keeps when it rewrites the rest of the page.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { putSection } from './docs-sections.mjs';
import { alignedText, cellText, format, machineLines, markdownRows } from './report.mjs';
import { summarize } from './stats.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = join(root, 'docs', 'benchmarks.md');
const TITLES = { 'rq-ts': 'rq-ts', bullmq: 'BullMQ' };

/** Rows of the main table: `value(plain, cluster)` of one run's two measurements of a system. */
function rows(masters) {
  return [
    { label: 'Throughput, one Redis', unit: 'jobs/s', value: (plain) => plain?.throughput },
    { label: 'Throughput, cluster (3 masters sharing that one core)', unit: 'jobs/s', value: (_, cluster) => cluster?.throughput },
    { label: 'Redis busy, one Redis', unit: '% of a core', value: (plain) => plain?.busyPercent },
    { label: 'Redis busy, cluster, 3 masters together', unit: '% of a core', value: (_, cluster) => cluster?.busyPercent },
    { label: 'Redis CPU per job, one Redis', unit: 'us', value: (plain) => plain?.cpuPerJobUs },
    { label: 'Redis CPU per job, cluster, 3 masters together', unit: 'us', value: (_, cluster) => cluster?.cpuPerJobUs },
    ...masters.map((master) => ({
      label: `Redis CPU per job of its queues, master ${master.name} (${master.queues.join(', ') || 'none'})`,
      unit: 'us',
      value: (_, cluster) => cluster?.nodes.find((node) => node.name === master.name)?.cpuPerJobUs,
    })),
    { label: 'Commands executed per job (incl. in Lua), one Redis', unit: '', value: (plain) => plain?.commandsPerJob },
    { label: 'Commands executed per job (incl. in Lua), cluster', unit: '', value: (_, cluster) => cluster?.commandsPerJob },
    { label: 'Round trips per job (INFO total_reads_processed), one Redis', unit: '', value: (plain) => plain && readsPerJob(plain) },
    { label: 'Round trips per job (INFO total_reads_processed), cluster', unit: '', value: (_, cluster) => cluster && readsPerJob(cluster) },
    { label: 'Redis-bound ceiling, one Redis: 1 / CPU per job', unit: 'jobs/s', value: (plain) => plain?.ceiling },
    { label: 'Projected ceiling, a core per master, these queues: busiest master full', unit: 'jobs/s', value: (_, cluster) => cluster?.ceiling },
    { label: 'Projected ceiling, a core per master, jobs spread evenly', unit: 'jobs/s', value: (_, cluster) => cluster?.evenCeiling },
  ];
}

function readsPerJob(measurement) {
  return measurement.nodes.reduce((sum, node) => sum + node.reads, 0) / measurement.jobs;
}

/** One run's plain and cluster measurements of `system`, per run. */
function pairsOf(run, system) {
  return Array.from({ length: run.runs }, (_, index) => {
    const find = (target) => run.measurements.find((m) => m.run === index + 1 && m.system === system && m.target === target);
    return [find('plain'), find('cluster')];
  });
}

function share(part, whole) {
  return whole > 0 ? (part / whole) * 100 : undefined;
}

/** Medians (min–max) of every row per system, and the spread over the masters. */
export function clusterTable(run) {
  const main = rows(run.masters).map((row) => ({
    ...row,
    cells: Object.fromEntries(run.systems.map((system) => [system, summarize(pairsOf(run, system).map(([plain, cluster]) => row.value(plain, cluster)).filter((value) => value !== undefined))])),
  }));
  const totalQueues = run.queues.length;
  const spread = run.masters.map((master) => ({
    master,
    jobShare: share(master.queues.length, totalQueues),
    cells: Object.fromEntries(
      run.systems.map((system) => {
        const clusters = pairsOf(run, system).map(([, cluster]) => cluster).filter(Boolean);
        const of = (field) => summarize(clusters.map((cluster) => share(cluster.nodes.find((node) => node.name === master.name)[field], cluster.nodes.reduce((sum, node) => sum + node[field], 0))));
        return [system, { cpu: of('cpuSec'), commands: of('commands'), keys: of('keys') }];
      }),
    ),
  }));
  return { main, spread };
}

function mainCells(run, table) {
  const header = ['Measure', ...run.systems.map((system) => TITLES[system])];
  const body = table.main.map((row) => [`${row.label}${row.unit ? ` (${row.unit})` : ''}`, ...run.systems.map((system) => cellText(row.cells[system], row.unit))]);
  return { header, body };
}

function spreadCells(run, table) {
  const header = ['Master', 'Queues', 'Share of jobs', ...run.systems.flatMap((system) => [`${TITLES[system]}: Redis CPU`, 'commands', 'keys'])];
  const percent = (cell) => (cell ? `${cellText(cell, '%')} %` : '—');
  const body = table.spread.map(({ master, jobShare, cells }) => [
    `${master.name} (slots ${master.slots.map(([from, to]) => `${from}–${to}`).join(', ')})`,
    master.queues.join(', ') || '—',
    `${format(jobShare, '%')} %`,
    ...run.systems.flatMap((system) => [percent(cells[system].cpu), percent(cells[system].commands), percent(cells[system].keys)]),
  ]);
  return { header, body };
}

/** Both tables for a terminal. */
export function clusterTextTables(run, table) {
  const main = mainCells(run, table);
  const spread = spreadCells(run, table);
  return `${alignedText(main.header, main.body)}\n\nSpread over the masters (median share of each, in %):\n${alignedText(spread.header, spread.body)}`;
}

function describeLoad(run) {
  return `${run.perQueue * run.queues.length} no-op jobs per measurement, ${run.perQueue} on each of ${run.queues.length} queues (${run.queues[0]}–${run.queues.at(-1)}), enqueued in bulk beforehand (untimed); one worker process per queue at concurrency ${run.concurrency}, all started together; timed from the first worker's start to the last job's end. ${run.runs} run(s) of each, in an order rotated each run.`;
}

/** The Markdown of one run: what ran where, both tables, failures. */
function clusterMarkdown(run, table) {
  const main = mainCells(run, table);
  const spread = spreadCells(run, table);
  const idle = Object.entries(run.idleCpuMsPerSecond).map(([name, ms]) => `${name === 'one' ? 'one Redis' : `master ${name}`} ${ms.toFixed(1)}`).join(', ');
  const lines = [
    `Run of ${run.startedAt} (${Math.round(run.durationSeconds)} s), \`${run.command}\`.`,
    '',
    machineLines(run.machine, `up to about ${run.queues.length}: its ${run.queues.length} worker processes, while they run`),
    `- Cluster: 3 masters, no replicas (\`redis-server --cluster-enabled yes\`, joined by \`redis-cli --cluster create --cluster-replicas 0\`), beside one plain redis-server; idle Redis CPU (cluster gossip and timers) in ms per second: ${idle}`,
    `- Load: ${describeLoad(run)}`,
    '',
    'Each cell: median of the runs, with min–max. Redis CPU is INFO `used_cpu_sys` + `used_cpu_user` while the workers ran, over the jobs of the queues that node serves.',
    '',
    markdownRows(main.header, main.body),
    '',
    'How the queues, the Redis CPU, the commands executed and the keys left after the run spread over the masters (median share of the three, in %):',
    '',
    markdownRows(spread.header, spread.body),
  ];
  if (run.errors.length > 0) lines.push('', `**${run.errors.length} measurement(s) failed**:`, '', ...run.errors.map((error) => `- ${error.system} on ${error.target} / run ${error.run}: ${error.message.split('\n')[0]}`));
  return lines.join('\n');
}

/** Writes <out>/<stamp>-cluster.json and .md; returns their paths. */
export function writeClusterResults(run, table, outDir) {
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, `${run.startedAt.replace(/[:.]/g, '-')}-cluster${run.smoke ? '-smoke' : ''}`);
  writeFileSync(`${base}.md`, `# rq-ts benchmark on a Redis Cluster, ${run.startedAt}\n\n${clusterMarkdown(run, table)}\n`);
  writeFileSync(`${base}.json`, `${JSON.stringify({ ...run, table }, null, 2)}\n`);
  return { json: `${base}.json`, md: `${base}.md` };
}

/** Writes this run into the "Redis Cluster" section of docs/benchmarks.md; returns the path. */
export function writeClusterDocs(run, table) {
  const text = existsSync(DOCS) ? readFileSync(DOCS, 'utf8') : '# Benchmarks\n';
  writeFileSync(DOCS, putSection(text, 'cluster', clusterSection(run, table), '## How to run it'));
  return DOCS;
}

/** Lowest and highest of `field` over the run's measurements on `target`, as "a–b". */
function range(run, target, field) {
  const values = run.measurements.filter((m) => m.target === target).map((m) => m[field]);
  if (values.length === 0) return '—';
  return `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`;
}

/** Whether, in some run, a system processed faster on the cluster than on one Redis. */
function clusterEverFaster(run) {
  return run.measurements.some((cluster) => cluster.target === 'cluster' && run.measurements.some((plain) => plain.target === 'plain' && plain.run === cluster.run && plain.system === cluster.system && plain.throughput < cluster.throughput));
}

/** Whether Redis limited the throughput: some measurement kept it 80 % busy or more. */
function redisBound(run) {
  return run.measurements.some((m) => m.busyPercent >= 80);
}

/** The most the nodes' idle CPU adds to a measurement's Redis CPU per job, in us. */
function idleUsPerJob(run) {
  const idleOf = (name) => run.idleCpuMsPerSecond[name] ?? 0;
  const perJob = run.measurements.map((m) => (m.nodes.reduce((sum, node) => sum + idleOf(node.name), 0) * m.wallMs) / m.jobs);
  return Math.max(0, ...perJob); // ms/s x ms / jobs = us per job
}

function clusterSection(run, table) {
  return `## Redis Cluster

This section is written by \`npm run bench -- --cluster\` (the rest of the page by \`npm run bench\`,
which keeps it). It asks how far rq-ts grows past one Redis (issue 16): the same load on one
Redis and on a Redis Cluster of three masters, rq-ts and BullMQ side by side, with the Redis
CPU each master spends per job and how evenly the work spreads. [docs/cluster.md](cluster.md#how-far-it-scales)
projects it to a cluster of machines.

${clusterMarkdown(run, table)}

The ceilings: a run bound by Redis stops when one Redis fills its core, at 1 / (its CPU per job);
on a cluster when its busiest master does, at (all jobs) / (that master's CPU), with these queues;
or, were the jobs spread evenly, at ${run.masters.length} / (the masters' CPU per job together).

### What two cores can and cannot show

- One Redis has a core to itself; the three masters share that same core. The cluster cannot
  bring more Redis CPU than one Redis here: what it costs per job shows, what it gains does not.
- ${redisBound(run) ? 'Redis was' : 'Redis was not'} the bottleneck: one Redis was ${range(run, 'plain', 'busyPercent')} % busy and the three masters
  together ${range(run, 'cluster', 'busyPercent')} %, while the ${run.queues.length} worker processes shared the other core (with
  whatever else ran on the machine).${redisBound(run) ? '' : ` The throughput rows measure the workers' side of the same load, not a ceiling${clusterEverFaster(run) ? ', which is how the cluster could measure faster than one Redis in some runs' : ''}.`}
- What a machine per master would give follows from the Redis CPU each master spent per job,
  which is what the projected ceilings use. They assume workers on other machines with CPU to
  spare, a network that adds latency but no Redis CPU, the CPU per job measured here at that
  rate (Redis far busier than here spends less per job on waking up and reading, so this is not
  a promise either way), and no replicas (a master feeding one spends more per write). No
  cluster of machines was measured.
- Redis CPU is counted from just before the workers start to after they stop, so it includes
  their registration and shutdown (as scenarios 4 and 5 do), and each node's idle CPU (cluster
  gossip, timers: the idle figures above, at most ${idleUsPerJob(run).toFixed(1)} us per job in these measurements).
- Other tests ran on this machine at the same time (see the load average): compare the columns
  and rows of one run, and read the min–max.
`;
}
