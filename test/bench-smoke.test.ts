/**
 * The benchmark script (`npm run bench`) in its smoke mode, so that it cannot rot: tiny job counts,
 * one run, rq-ts and (where /usr/bin/python3 has rq) Python RQ. BullMQ and Bee-Queue are left out
 * on purpose: they would make every test run install packages from the registry into
 * bench/node_modules, which is slow and can fail for reasons that are not ours. The Redis Cluster
 * scenario (`--cluster --smoke`) runs rq-ts alone, on a plain Redis and a cluster of 3 masters
 * of its own. Nothing here asserts a speed: only that the runs complete, write their tables and
 * results, and clean up.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'bench', 'run.mjs');
const DOCS = join(ROOT, 'docs', 'benchmarks.md');

interface Cell {
  median: number;
  runs: number[];
}
interface Results {
  smoke: boolean;
  runs: number;
  columns: string[];
  errors: unknown[];
  redis: { port: number; pid: number };
  values: Record<string, Record<string, number[]>>;
  table: Array<{ key: string; cells: Record<string, Cell | undefined> }>;
  commandDetails?: Record<string, { perJob: { enqueue: { executed: Record<string, number> }; process: { executed: Record<string, number> } } }>;
}

const ROW_KEYS = [
  'enqueue-seq',
  'enqueue-inflight',
  'enqueue-bulk',
  'process-c1',
  'process-c50',
  'process-c100',
  'latency-p50',
  'latency-p95',
  'latency-p99',
  'round-trips',
  'commands-sent',
  'commands-executed',
  'rss-c1',
  'rss-c50',
  'rss-c100',
];

function pythonHasRq(): boolean {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import rq, redis'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run bench -- --smoke', () => {
  let out: string;
  let run: SpawnSyncReturns<string>;
  let docsBefore: number | undefined;

  before(() => {
    out = mkdtempSync(join(tmpdir(), 'rqts-bench-smoke-'));
    docsBefore = existsSync(DOCS) ? statSync(DOCS).mtimeMs : undefined;
    // A clean environment: no BENCH_* variable of the developer's may widen the run.
    run = spawnSync(process.execPath, [SCRIPT, '--smoke', '--no-install', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '' },
      timeout: 110_000,
    });
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  function results(): Results {
    const files = readdirSync(out).filter((name) => name.endsWith('.json'));
    assert.equal(files.length, 1, `one JSON result in ${out}: ${files.join(', ')}`);
    return JSON.parse(readFileSync(join(out, files[0]!), 'utf8')) as Results;
  }

  test('completes with exit code 0 and prints the table', () => {
    assert.equal(run.status, 0, `bench exited ${run.status ?? run.signal}:\n${run.stdout}\n${run.stderr}`);
    const stdout = run.stdout;
    assert.match(stdout, /^Scenario\s+rq-ts/m);
    assert.match(stdout, /^1\. Enqueue one by one, awaited \(jobs\/s\)\s+[\d,]+/m);
    assert.match(stdout, /^6\. Add-to-completion latency p99 \(ms\)\s+[\d.]+/m);
    assert.match(stdout, /^8\. Worker peak RSS, concurrency 100 \(MB\)\s+[\d.]+/m);
  });

  test('writes its Markdown table, JSON and SVG chart to --out, and leaves docs/ alone', () => {
    const names = readdirSync(out);
    const md = names.find((name) => /-smoke\.md$/.test(name));
    assert.ok(md, `a -smoke.md in ${names.join(', ')}`);
    assert.ok(names.some((name) => /-smoke\.svg$/.test(name)));
    const text = readFileSync(join(out, md), 'utf8');
    assert.match(text, /^\| Scenario \| rq-ts \|/m);
    for (const scenario of ['1. Enqueue one by one', '2. Enqueue, 100 in flight', '3. Bulk enqueue', '4. Process no-op jobs, concurrency 1', '5. Process no-op jobs, concurrency 100', '6. Add-to-completion latency p50', '7. Round trips per job', '8. Worker peak RSS']) {
      assert.ok(text.includes(`| ${scenario}`), `row '${scenario}' in ${md}`);
    }
    const svg = readFileSync(join(out, names.find((name) => name.endsWith('.svg'))!), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal(existsSync(DOCS) ? statSync(DOCS).mtimeMs : undefined, docsBefore, 'the smoke run must not rewrite docs/benchmarks.md');
  });

  test('measured every scenario for rq-ts, once, without errors', () => {
    const data = results();
    assert.equal(data.smoke, true);
    assert.equal(data.runs, 1);
    assert.deepEqual(data.errors, []);
    for (const key of ROW_KEYS) {
      const values = data.values[key]?.['rq-ts'] ?? [];
      assert.equal(values.length, 1, `one rq-ts value for ${key}`);
      const value = values[0] ?? Number.NaN;
      assert.ok(Number.isFinite(value) && value > 0, `${key} is a positive number, got ${value}`);
    }
    // rq-ts enqueues and runs jobs with Lua scripts: the counters saw the scripts and what they ran.
    const rqts = data.commandDetails?.['rq-ts'];
    assert.ok(rqts, 'command breakdown for rq-ts');
    const enqueued = rqts.perJob.enqueue.executed;
    assert.ok((enqueued['evalsha'] ?? 0) + (enqueued['eval'] ?? 0) > 0 && (enqueued['hset'] ?? 0) > 0, 'the enqueue script and its HSET counted in the enqueue phase');
    assert.ok((rqts.perJob.process.executed['evalsha'] ?? 0) + (rqts.perJob.process.executed['eval'] ?? 0) > 0, 'scripts counted in the process phase');
  });

  test('runs Python RQ where /usr/bin/python3 has it, and never BullMQ or Bee-Queue', () => {
    const data = results();
    assert.ok(!data.columns.includes('bullmq') && !data.columns.includes('bee-queue'));
    if (pythonHasRq()) {
      assert.deepEqual(data.columns, ['rq-ts', 'rq-py', 'rq-py-fork']);
      assert.ok((data.values['process-c1']?.['rq-py']?.[0] ?? 0) > 0);
      assert.ok((data.values['process-c1']?.['rq-py-fork']?.[0] ?? 0) > 0);
    } else {
      assert.deepEqual(data.columns, ['rq-ts']);
    }
  });

  test('stops the redis-server it started', () => {
    const { pid, port } = results().redis;
    assert.notEqual(port, 6379);
    assert.equal(isAlive(pid), false, `redis-server pid ${pid} still running`);
  });
});

interface ClusterResults {
  smoke: boolean;
  systems: string[];
  queues: string[];
  masters: Array<{ name: string; queues: string[] }>;
  errors: unknown[];
  redis: { plain: { port: number; pid: number }; cluster: Array<{ port: number; pid: number }> };
  measurements: Array<{ system: string; target: string; jobs: number; throughput: number; cpuPerJobUs: number; nodes: Array<{ name: string; jobs: number; cpuSec: number; commands: number; keys: number }> }>;
}

describe('npm run bench -- --cluster --smoke', () => {
  let out: string;
  let run: SpawnSyncReturns<string>;
  let docsBefore: number | undefined;

  before(() => {
    out = mkdtempSync(join(tmpdir(), 'rqts-bench-cluster-smoke-'));
    docsBefore = existsSync(DOCS) ? statSync(DOCS).mtimeMs : undefined;
    run = spawnSync(process.execPath, [SCRIPT, '--cluster', '--smoke', '--no-install', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '' },
      timeout: 110_000,
    });
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  function results(): ClusterResults {
    const files = readdirSync(out).filter((name) => name.endsWith('-cluster-smoke.json'));
    assert.equal(files.length, 1, `one cluster JSON result in ${out}: ${readdirSync(out).join(', ')}`);
    return JSON.parse(readFileSync(join(out, files[0]!), 'utf8')) as ClusterResults;
  }

  test('completes with exit code 0, prints both tables and leaves docs/ alone', () => {
    assert.equal(run.status, 0, `bench exited ${run.status ?? run.signal}:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^Throughput, one Redis \(jobs\/s\)\s+[\d,]+$/m);
    assert.match(run.stdout, /^Redis CPU per job of its queues, master A \([^)]*\) \(us\)\s+[\d.,]+$/m);
    assert.match(run.stdout, /^Projected ceiling, a core per master, these queues: busiest master full \(jobs\/s\)\s+[\d,]+$/m);
    assert.match(run.stdout, /^Spread over the masters/m);
    assert.ok(readdirSync(out).some((name) => name.endsWith('-cluster-smoke.md')));
    assert.equal(existsSync(DOCS) ? statSync(DOCS).mtimeMs : undefined, docsBefore, 'the smoke run must not rewrite docs/benchmarks.md');
  });

  test('runs rq-ts alone on one Redis and on 3 masters, over which q0-q8 all spread', () => {
    const data = results();
    assert.equal(data.smoke, true);
    assert.deepEqual(data.errors, []);
    assert.deepEqual(data.systems, ['rq-ts']);
    assert.deepEqual(data.queues, ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8']);
    assert.equal(data.masters.length, 3);
    assert.deepEqual(data.masters.flatMap((master) => master.queues).sort(), data.queues);
    assert.ok(data.masters.every((master) => master.queues.length > 0), `every master serves a queue: ${JSON.stringify(data.masters)}`);
    assert.deepEqual(data.measurements.map((m) => `${m.system} ${m.target}`), ['rq-ts plain', 'rq-ts cluster']);
  });

  test('measures throughput, and Redis CPU, commands and keys on each master', () => {
    for (const measurement of results().measurements) {
      assert.ok(measurement.throughput > 0 && measurement.cpuPerJobUs > 0, `${measurement.target}: positive throughput and CPU per job`);
      assert.equal(measurement.nodes.reduce((sum, node) => sum + node.jobs, 0), measurement.jobs);
      for (const node of measurement.nodes) {
        assert.ok(node.cpuSec > 0 && node.commands > 0 && node.keys > 0, `${measurement.target} node ${node.name}: ${JSON.stringify(node)}`);
      }
    }
  });

  test('stops every redis-server it started', () => {
    const { plain, cluster } = results().redis;
    for (const { pid, port } of [plain, ...cluster]) {
      assert.notEqual(port, 6379);
      assert.equal(isAlive(pid), false, `redis-server pid ${pid} (port ${port}) still running`);
    }
  });
});
