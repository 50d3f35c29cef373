/**
 * The benchmark's outputs: the table (terminal and Markdown), <out>/<timestamp>.json/.md/.svg,
 * and docs/benchmarks.md with docs/benchmarks.svg.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './chart.mjs';
import { keepSection } from './docs-sections.mjs';
import { COLUMNS, ROWS, BATCH, IN_FLIGHT, LATENCY_CONCURRENCY, LATENCY_INTERVAL_MS } from './scenarios.mjs';
import { round, summarize } from './stats.mjs';
import { INSTALL_COMMAND } from './install.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Formats a value for its unit: whole jobs/s, three significant digits elsewhere. */
export function format(value, unit) {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (unit === 'jobs/s') return Math.round(value).toLocaleString('en-US');
  if (unit === 'MB') return value.toFixed(1);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3).replace(/\.?0+$/, '') || '0';
}

/**
 * Summarizes raw values into table rows.
 * @param {Record<string, Record<string, number[]>>} values rowKey -> column -> one value per run
 * @param {string[]} columnKeys the columns that ran
 */
export function buildTable(values, columnKeys) {
  const columns = columnKeys.map((key) => ({ key, title: COLUMNS[key].title }));
  const rows = ROWS.filter((row) => values[row.key]).map((row) => {
    const cells = Object.fromEntries(columnKeys.map((key) => [key, summarize(values[row.key][key] ?? [])]));
    const ours = cells['rq-ts']?.median;
    const theirs = cells.bullmq?.median;
    const ratio = ours !== undefined && theirs !== undefined && theirs !== 0 ? ours / theirs : undefined;
    const wins = ratio === undefined ? undefined : row.better === 'higher' ? ratio >= 1 : ratio <= 1;
    return { ...row, cells, ratio, wins };
  });
  return { columns, rows };
}

/** A summarized cell as text: the median, with min–max when the runs differ. */
export function cellText(cell, unit) {
  if (!cell) return '—';
  if (format(cell.min, unit) === format(cell.max, unit)) return format(cell.median, unit);
  return `${format(cell.median, unit)} (${format(cell.min, unit)}–${format(cell.max, unit)})`;
}

function ratioText(row) {
  if (row.ratio === undefined) return '—';
  const digits = Math.abs(row.ratio - 1) < 0.01 ? 3 : 2; // 1.004 is not 1.00: the mark must agree with the figure
  return `${row.ratio.toFixed(digits)}× ${row.wins ? '✓' : '✗'}`;
}

function rowTitle(row) {
  return `${row.scenario}. ${row.label}${row.unit ? ` (${row.unit})` : ''}`;
}

/** Header and body cells of the table, as text. */
function tableCells(table) {
  const withRatio = table.columns.some((column) => column.key === 'rq-ts') && table.columns.some((column) => column.key === 'bullmq');
  const header = ['Scenario', ...table.columns.map((column) => column.title), ...(withRatio ? ['rq-ts/BullMQ'] : [])];
  const body = table.rows.map((row) => [rowTitle(row), ...table.columns.map((column) => cellText(row.cells[column.key], row.unit)), ...(withRatio ? [ratioText(row)] : [])]);
  return { header, body };
}

/** The table for a terminal: aligned columns. */
export function textTable(table) {
  const { header, body } = tableCells(table);
  return alignedText(header, body);
}

/** Rows of text cells aligned in columns: the first left, the others right. */
export function alignedText(header, body) {
  const widths = header.map((_, index) => Math.max(...[header, ...body].map((line) => [...line[index]].length)));
  const pad = (line) => line.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join('  ');
  return [pad(header), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(pad)].join('\n');
}

/** The table in Markdown. */
export function markdownTable(table) {
  const { header, body } = tableCells(table);
  return markdownRows(header, body);
}

/** Rows of text cells as a Markdown table: the first column left-aligned, the others right. */
export function markdownRows(header, body) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, index) => (index === 0 ? ':--' : '--:'))), ...body.map(line)].join('\n');
}

/**
 * The machine and software of a run, as Markdown list items. `ownLoad`: what the run's own
 * processes add to the load average.
 */
export function machineLines(machine, ownLoad = 'about 1') {
  const packages = Object.entries(machine.packages)
    .filter(([, version]) => version)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `- CPU: ${machine.cpu}, ${machine.cores} cores; ${machine.memoryGb} GB RAM; ${machine.kernel}`,
    `- Node ${machine.node}; Redis ${machine.redis} (its own redis-server on a loopback port, no persistence)`,
    ...(machine.pinning ? [`- CPU pinning: ${machine.pinning}`] : []),
    ...(machine.loadAverage ? [`- Load average (1 min) at the start of the run ${machine.loadAverage.start}, at the end ${machine.loadAverage.end} (the run itself adds ${ownLoad})`] : []),
    `- Packages: ${packages}`,
  ].join('\n');
}

function countsLine(run) {
  const c = run.counts;
  return `N: enqueue ${c.nSeq} one by one, ${c.nInflight} in flight, ${c.nBulk} in bulk; process ${c.nProcess} at concurrency 1, ${c.nConcurrent} at 50 and 100 (Python's forking Worker: ${c.nFork}); latency ${c.nLatency}; commands ${c.nCommands} (forking Worker: ${c.nFork}). ${run.runs} run(s) each.`;
}

/** The Markdown report of one run (also the heart of docs/benchmarks.md). */
function runMarkdown(run, table, chartPath) {
  const lines = [
    `Run of ${run.startedAt} (${Math.round(run.durationSeconds)} s), \`${run.command}\`.`,
    '',
    machineLines(run.machine),
    `- ${countsLine(run)}`,
    '',
    'Each cell: median of the runs, with min–max. rq-ts/BullMQ: ratio of the medians; ✓ where rq-ts is at least as good as BullMQ (higher throughput, lower latency, commands and memory), ✗ where not.',
    '',
    markdownTable(table),
  ];
  if (run.errors.length > 0) lines.push('', `**${run.errors.length} measurement(s) failed**:`, '', ...run.errors.map((error) => `- ${error.scenario} / ${error.column} / run ${error.run}: ${error.message.split('\n')[0]}`));
  if (run.commandDetails) lines.push('', commandsSection(run.commandDetails));
  if (chartPath) lines.push('', `![Benchmark chart](${chartPath})`);
  return lines.join('\n');
}

/** Per-command breakdown of scenario 7 (the last run), per system and phase. */
function commandsSection(details) {
  const lines = ['Redis commands per job in scenario 7 (last run; MONITOR for sent, INFO commandstats for executed, which includes the commands run inside Lua scripts):', ''];
  for (const [column, detail] of Object.entries(details)) {
    lines.push(`- **${COLUMNS[column].title}** (${detail.jobs} jobs)`);
    for (const phase of ['enqueue', 'process']) {
      const stats = detail.perJob[phase];
      const list = (counts) => Object.entries(counts).filter(([, count]) => count >= 0.01).map(([command, count]) => `${command} ${count}`).join(', ') || '—';
      lines.push(`  - ${phase}: ${round(stats.roundTrips)} round trips; sent: ${list(stats.sent)}; executed: ${list(stats.executed)}`);
    }
  }
  return lines.join('\n');
}

/** Writes <out>/<stamp>.json, .md and .svg; returns their paths. */
export function writeResults(run, table, outDir) {
  mkdirSync(outDir, { recursive: true });
  const stamp = run.startedAt.replace(/[:.]/g, '-') + (run.smoke ? '-smoke' : '');
  const base = join(outDir, stamp);
  const svg = renderChart({ rows: table.rows, columns: table.columns, title: chartTitle(run), format });
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(`${base}.md`, `# rq-ts benchmark, ${run.startedAt}\n\n${runMarkdown(run, table, `${stamp}.svg`)}\n`);
  writeFileSync(`${base}.json`, `${JSON.stringify({ ...run, table: table.rows.map(({ key, label, unit, better, cells, ratio, wins }) => ({ key, label, unit, better, cells, ratio, wins })) }, null, 2)}\n`);
  return { json: `${base}.json`, md: `${base}.md`, svg: `${base}.svg` };
}

function chartTitle(run) {
  const systems = [...new Set(run.columns.map((key) => COLUMNS[key].title.replace(/ \(.*\)$/, '')))];
  return `${systems.join(' vs ')}: ${run.machine.cpu}, ${run.machine.cores} cores, Redis ${run.machine.redis}, ${run.startedAt.slice(0, 10)}`;
}

/**
 * Writes docs/benchmarks.md and docs/benchmarks.svg from this run, keeping the page's "Redis
 * Cluster" section, which `npm run bench -- --cluster` writes.
 */
export function writeDocs(run, table) {
  const svg = renderChart({ rows: table.rows, columns: table.columns, title: chartTitle(run), format });
  const page = join(root, 'docs', 'benchmarks.md');
  const old = existsSync(page) ? readFileSync(page, 'utf8') : '';
  writeFileSync(join(root, 'docs', 'benchmarks.svg'), svg);
  // The sections of other runs, in this order before "How to run it": time per job, then the cluster.
  const kept = keepSection(keepSection(docsMarkdown(run, table), old, 'parts', '## How to run it'), old, 'cluster', '## How to run it');
  writeFileSync(page, kept);
  return [page, join(root, 'docs', 'benchmarks.svg')];
}

function docsMarkdown(run, table) {
  return `# Benchmarks

rq-ts is measured side by side with [BullMQ](https://bullmq.io) and
[Bee-Queue](https://github.com/bee-queue/bee-queue), the Redis job queues Node users pick, and with
Python [RQ](https://python-rq.org) 1.13, whose Redis layout rq-ts writes. All run through the same
scenarios, in the same run, on the same Redis. The goal (DESIGN.md §6, issue 4) is to beat BullMQ
on every row; the ratio column shows where rq-ts stands.

This page is written by \`npm run bench\`; the table below is its latest full run on the machine
described. Raw numbers of every run are in \`bench/results/\`.

## Latest results

${runMarkdown(run, table, 'benchmarks.svg')}

## How to run it

\`\`\`sh
npm ci
npm run bench                       # the full run: about ${Math.max(1, Math.round(run.durationSeconds / 60))} min here; updates this page
npm run bench -- --smoke            # tiny N, one run, rq-ts and Python RQ: a check that every path works
npm run bench -- --runs 5 --scale 2 --systems rq-ts,bullmq --scenarios 4,5
npm run bench -- --profile          # also writes a CPU profile of each rq-ts worker to bench/results/profiles/
npm run bench -- --help
npm run bench:floor                 # Redis CPU per processed job: rq-ts, BullMQ, and the least RQ's layout allows
npm run bench:counts                # promises, ticks, timers and immediates per processed job (counted, not timed)
npm run bench:parts                 # where a job's time goes at concurrency 1 and at low load; writes "Where a job's time goes" below
npm run bench -- --cluster          # rq-ts and BullMQ on one Redis and on a Redis Cluster of 3 masters; writes "Redis Cluster" below
npm run bench -- --cluster --smoke  # the same, tiny, rq-ts only
\`\`\`

\`npm run bench\` builds rq-ts (\`npm run build\`), then \`bench/run.mjs\`:

1. starts its own \`redis-server\` on a free loopback port (never 6379) with
   \`--save '' --appendonly no\`, and stops it at the end, also when the run fails or is interrupted;
   on Linux with \`taskset\` and 2+ cores it pins it to the last core and every producer and worker
   to the others (\`--no-pin\` turns that off; see "Reading the numbers");
2. installs BullMQ and Bee-Queue into \`bench/node_modules\` from \`bench/package.json\`, pinned by
   \`bench/package-lock.json\` (\`${INSTALL_COMMAND.join(' ')}\` in \`bench/\`, only when missing or
   when the lock changed). They are never dependencies of rq-ts: \`npm ci\` at the root stays clean.
   \`npm ci\` is not used for them because it rejects a lock without BullMQ's optional
   msgpackr-extract binaries for other platforms, which the registry used here does not serve;
   the installed versions are checked against the lock instead;
3. waits while another full run is measuring on the machine (\`bench/.bench.lock\`), copies
   \`dist/\` so that a rebuild during the run cannot mix two builds, then runs every scenario:
   for each, every run goes through all systems, in an order rotated each run
   so that machine drift hits all alike, with \`FLUSHALL\` before each measurement;
4. prints the table and writes \`bench/results/<timestamp>.json\`, \`.md\` and \`.svg\`, and (unless
   \`--smoke\` or \`--no-docs\`) this page and \`docs/benchmarks.svg\`.

Every job count has a flag and an environment variable (\`--n-seq\`/\`BENCH_N_SEQ\`, \`--n-process\`,
\`--n-concurrent\`, \`--n-latency\`, \`--n-commands\`, \`--n-fork\`...; \`--scale\` multiplies them all).
Python RQ runs when \`/usr/bin/python3\` has \`rq\` (Debian's \`python3-rq\`), and is skipped otherwise.

## What is measured

| # | Scenario | How |
|:--|:--|:--|
| 1 | Enqueue one by one | one producer awaits each enqueue before the next (\`queue.enqueue\`, \`queue.add\`, \`createJob().save()\`, Python \`q.enqueue\`) |
| 2 | Enqueue, ${IN_FLIGHT} in flight | ${IN_FLIGHT} concurrent loops on one producer's connection, each awaiting its enqueue |
| 3 | Bulk enqueue | batches of ${BATCH}, each awaited: \`enqueueMany\` of \`Queue.prepareData\`, \`addBulk\`, \`saveAll\`, Python \`enqueue_many\` |
| 4 | Process, concurrency 1 | N no-op jobs are enqueued in bulk (untimed); one worker process runs them; timed from the worker's start to its N-th completed job |
| 5 | Process, concurrency 50 and 100 | the same, one worker process with that concurrency |
| 6 | Latency at low load | a worker (concurrency ${LATENCY_CONCURRENCY}) listens; a producer sends a job every ${LATENCY_INTERVAL_MS} ms, carrying its wall-clock send time; latency is completion time minus send time, p50/p95/p99 over the jobs after a warm-up of 10% (at most 100) |
| 7 | Redis commands per job | N jobs enqueued one by one, then run by one worker at concurrency 1: round trips (INFO stats \`total_reads_processed\`), commands sent (MONITOR, without the commands Lua scripts run) and commands executed (INFO commandstats, with them), divided by N, after \`CONFIG RESETSTAT\` |
| 8 | Worker peak RSS | the worker process' peak resident set (\`process.resourceUsage().maxRSS\`; Python \`ru_maxrss\`) in scenarios 4 and 5 |

Processes: the orchestrator (\`bench/run.mjs\`) only starts Redis, flushes, counts and reports.
Every producer and every worker is a fresh child process (\`bench/child.mjs\`, one system each), so
no system inherits another's heap, JIT state or sockets, and a worker's RSS is its own. Enqueue
scenarios warm up on the same producer (10% of N, at most 500 jobs, or one batch) before the clock
starts. Jobs are no-ops with one small argument.

Each system runs with its defaults, as a user would first run it:

- **rq-ts**: the built package (\`dist/\`, copied at the start of the run so that a rebuild during
  it cannot mix two builds) through its public API only: \`Queue\` and \`Worker\` on one ioredis
  connection each, jobs \`bench_tasks.noop\` with the JSON serializer, results kept 500 s
  (RQ's default); the worker runs jobs in-process (\`isolated\` off) and is stopped after its N-th job.
- **BullMQ**: \`Queue\` and \`Worker\` with connection options; completed jobs kept and the events
  stream on (its defaults).
- **Bee-Queue**: the producer with \`isWorker: false, getEvents: false\`; the worker with
  \`getEvents: false\`; jobs kept after success and success events published (its defaults).
- **Python RQ 1.13**: producers in \`bench/python/rq_bench.py\`; workers are RQ's own
  \`rq worker -w rq.worker.SimpleWorker -S rq.serializers.JSONSerializer -q\` (and the default forking
  \`Worker\`), started by \`bench/python/run_worker.py\`, which records the start time and the peak
  RSS. Its processing time runs from the command's start (imports done) to the last job's
  \`ended_at\`. Python RQ has no in-process concurrency and a synchronous client, so it has no
  row 2 or 5; and no row 6: its SimpleWorker tops out near 500 jobs/s here, so a job every 2 ms
  is no low load for it (its queue grows and latency with it). The forking Worker forks a work
  horse per job (about 20 jobs/s here), so it runs fewer jobs (\`--n-fork\`).

## Reading the numbers

- Redis has a core of its own; the producers and workers share the others (on 2 cores: one), as
  when Redis runs on a machine of its own. Unpinned, the scheduler sometimes put Redis and the
  worker on one core and sometimes apart, and the same code measured 4.7k and 2.8k jobs/s in
  consecutive runs; pinned, runs agree far better. In scenario 6 the producer runs on Redis'
  core, so that the worker has its own: sharing one, worker and producer of every system needed
  about 60% of it at one job per 2 ms here, and a slow spell of the machine became a backlog. Compare columns of one run,
  not runs of different machines. The load average lines say whether other processes were busy.
- Scenario 6 is the most sensitive to other load: a worker that needs more CPU or more round trips
  per job than the 2 ms between jobs allows falls behind, and its latency becomes the length of
  its backlog (hundreds of ms, growing with N) instead of its service time. A median in the
  hundreds of ms means that happened in most runs; the min–max shows how often.
- "Round trips" counts read events on Redis' client sockets: a pipeline or MULTI that arrives in one
  packet is one, so it is a close (not exact) count of client round trips. Connection set-up, worker
  registration, heartbeats and idle waits are included, spread over the N jobs.
- Processing at high concurrency is bound by Redis' one thread (85% busy at concurrency 50 here),
  so its ceiling is one job per unit of Redis CPU a job costs. \`npm run bench:floor\`
  (\`bench/floor.mjs\`) measures that cost (main thread) for rq-ts, BullMQ and Bee-Queue workers
  at concurrency 50, and for a bare script doing only the writes RQ 1.13's layout needs for a
  start and a finish, 25 jobs a call. On 2026-12-03 here: rq-ts 28.2 us per job, BullMQ 30.1,
  Bee-Queue 16.7, the bare RQ script 17.5, and 11.2 without the results stream RQ writes per job
  (a new stream key and its EXPIRE: 6.3 us). A Bee-Queue job is one field (its JSON) of one
  hash, claimed by a list move (BRPOPLPUSH) and ended by a LREM, an SADD to its succeeded set and
  the field's HSET: no results stream, no registry scored by time, no worker hash, no timestamps in
  text. It costs about what RQ's bare writes cost. rq-ts' 10.7 us above the bare writes are its checks (the fence of each
  ending, the dependents, the events streams and suspension, the worker hash's states, the
  server's time) and the Lua around them.
- Speed is never asserted in \`npm test\`; \`test/bench-smoke.test.ts\` only checks that the smoke run
  completes and writes its table.
`;
}
