#!/usr/bin/env node
/**
 * `npm run bench`: rq-ts, BullMQ, Bee-Queue (and Python RQ where /usr/bin/python3 has it) through
 * the scenarios of issue 4, on a redis-server of its own, in one run; with `--cluster`, rq-ts and
 * BullMQ on one Redis and on a Redis Cluster of its own instead (bench/lib/cluster-run.mjs). See docs/benchmarks.md for
 * what is measured and how; `node bench/run.mjs --help` for the flags. rq-ts must be built first
 * (`npm run bench` does it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snapshotDist } from './lib/dist-snapshot.mjs';
import { runClusterBench } from './lib/cluster-run.mjs';
import { ensurePeersInstalled } from './lib/install.mjs';
import { takeBenchLock } from './lib/lock.mjs';
import { describeMachine } from './lib/machine.mjs';
import { parseOptions, usage } from './lib/options.mjs';
import { PYTHON, killChildren } from './lib/processes.mjs';
import { startRedisServer } from './lib/redis-server.mjs';
import { describePinning, pin, pinningPlan } from './lib/pinning.mjs';
import { buildTable, format, textTable, writeDocs, writeResults } from './lib/report.mjs';
import { COLUMNS, ROWS, SCENARIOS } from './lib/scenarios.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const { Redis } = createRequire(join(root, 'package.json'))('ioredis');

const log = (line) => console.log(line);

/** An admin connection to the benchmark's redis-server on `port`, which fails rather than retries. */
function connectTo(port) {
  const client = new Redis({ host: '127.0.0.1', port, retryStrategy: () => null, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // reported by the failing command
  return client;
}

function pythonHasRq() {
  const probe = spawnSync(PYTHON, ['-c', 'import rq, redis'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

/** The command as the user typed it, for the report. */
function commandLine(argv) {
  const args = argv.map((arg) => (/^[\w./=,:-]+$/.test(arg) ? arg : `'${arg}'`)).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`;
  return `node bench/run.mjs${args ? ` ${args}` : ''}`;
}

/** The table columns this run fills, from the systems asked for and what is installed. */
function chooseColumns(options) {
  const columns = [];
  for (const system of options.systems) {
    if (system !== 'python') columns.push(system);
    else if (pythonHasRq()) columns.push('rq-py', 'rq-py-fork');
    else log(`Python RQ skipped: ${PYTHON} cannot import rq (apt-get install -y python3-rq).`);
  }
  return columns;
}

function rotate(list, by) {
  if (list.length === 0) return list;
  const offset = by % list.length;
  return [...list.slice(offset), ...list.slice(0, offset)];
}

async function main(argv) {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(usage());
    return 0;
  }
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('rq-ts is not built (dist/index.js is missing): run `npm run build`, or use `npm run bench`, which builds it.');
  if (options.cluster) return runClusterBench(options, { root, log, command: commandLine(argv), connect: connectTo });
  const columns = chooseColumns(options);
  if (columns.some((column) => column === 'bullmq' || column === 'bee-queue')) ensurePeersInstalled({ allowed: options.install, log });
  const releaseLock = options.smoke ? () => undefined : await takeBenchLock(log);
  process.on('exit', releaseLock);
  const snapshot = snapshotDist(root);
  process.env.RQ_TS_BENCH_DIST = join(snapshot, 'dist', 'index.js'); // read by bench/systems/rq-ts.mjs in the children
  const outDir = options.out ?? join(root, 'bench', 'results');
  const profileDir = options.profile ? join(outDir, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const connect = (port = redis.port) => connectTo(port);
  let redis;
  try {
    redis = await startRedisServer({ connect });
  } catch (error) {
    rmSync(snapshot, { recursive: true, force: true });
    throw error;
  }
  const cleanup = async () => {
    killChildren();
    await redis.stop();
    rmSync(snapshot, { recursive: true, force: true });
    releaseLock();
  };
  const onSignal = (signal) => {
    log(`\n${signal}: stopping the benchmark's processes and redis-server.`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const admin = connect();
  try {
    const startedAt = new Date();
    const machine = describeMachine(await admin.info('server'));
    log(`Redis ${machine.redis} on ${redis.url} (pid ${redis.pid}); ${machine.cpu}, ${machine.cores} cores; Node ${process.version}`);
    const plan = pinningPlan({ enabled: options.pin });
    if (plan && !pin(redis.pid, plan.redis)) throw new Error(`taskset could not pin redis-server (pid ${redis.pid}); run with --no-pin`);
    machine.pinning = describePinning(plan);
    log(`CPU pinning: ${machine.pinning}`);
    log(`Systems: ${columns.map((key) => COLUMNS[key].title).join(', ')}; ${options.runs} run(s)${options.smoke ? '; smoke mode' : ''}`);
    const loadAtStart = loadavg()[0];
    if (loadAtStart > cpus().length / 2) log(`Note: the machine is busy (1-min load average ${loadAtStart.toFixed(2)} before the first measurement); other processes skew the numbers.`);
    const ctx = { redis, admin, connect: () => connect(), counts: options.counts, timeoutMs: 600_000, profileDir, clientCpus: plan?.clients, loadCpus: plan?.redis };
    const values = {};
    const errors = [];
    let commandDetails;
    const scenarios = SCENARIOS.filter((scenario) => options.scenarios.includes(scenario.number) || (scenario.number <= 5 && scenario.number >= 4 && options.scenarios.includes(8)));
    for (const scenario of scenarios) {
      const scenarioColumns = columns.filter((column) => scenario.columns.includes(column));
      for (let run = 0; run < options.runs; run++) {
        for (const column of rotate(scenarioColumns, run)) {
          await admin.flushall();
          const label = `[${scenario.number} ${scenario.name}] run ${run + 1}/${options.runs} ${COLUMNS[column].title}`;
          try {
            const measured = await scenario.measure(ctx, column, run);
            const { details, ...metrics } = measured;
            for (const [key, value] of Object.entries(metrics)) {
              const row = ROWS.find((candidate) => candidate.key === key);
              if (!options.scenarios.includes(row.scenario)) continue; // RSS without 8, or 4/5 run only for 8
              ((values[key] ??= {})[column] ??= []).push(value);
            }
            if (scenario.name === 'commands') (commandDetails ??= {})[column] = details;
            log(`${label}: ${Object.entries(metrics).map(([key, value]) => `${key} ${format(value, ROWS.find((row) => row.key === key).unit)}`).join(', ')}`);
          } catch (error) {
            killChildren(); // a worker left waiting would take the next measurement's jobs
            errors.push({ scenario: scenario.name, column, run: run + 1, message: error.message });
            log(`${label}: FAILED: ${error.message}`);
          }
        }
      }
    }
    const usedColumns = columns.filter((column) => Object.values(values).some((byColumn) => byColumn[column]));
    const table = buildTable(values, usedColumns);
    const run = {
      startedAt: startedAt.toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      command: commandLine(argv),
      smoke: options.smoke,
      runs: options.runs,
      counts: options.counts,
      columns: usedColumns,
      machine: { ...machine, loadAverage: { start: Number(loadAtStart.toFixed(2)), end: Number(loadavg()[0].toFixed(2)) } },
      redis: { port: redis.port, pid: redis.pid },
      values,
      errors,
      ...(commandDetails && { commandDetails }),
    };
    log(`\n${textTable(table)}\n`);
    const written = writeResults(run, table, outDir);
    const docs = options.docs ? writeDocs(run, table) : [];
    for (const path of [...Object.values(written), ...docs]) log(`Wrote ${relative(process.cwd(), path) || path}`);
    if (profileDir) log(`CPU profiles of rq-ts workers: ${relative(process.cwd(), profileDir)} (summary: node bench/profile-summary.mjs ${relative(process.cwd(), profileDir)})`);
    if (errors.length > 0) log(`${errors.length} measurement(s) failed; see above.`);
    return errors.length > 0 ? 1 : 0;
  } finally {
    admin.disconnect();
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(`bench: ${error.message}`);
  process.exitCode = 1;
}
