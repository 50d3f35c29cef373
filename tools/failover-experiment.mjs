// The graceful-failover loss experiment of docs/reliability.md ("Sentinel graceful failover"):
// a producer at ~100 enqueues/s and a worker at concurrency 10, through Sentinel (1 primary,
// 1 replica, 3 sentinels on free loopback ports, down-after 1000 ms), and a SENTINEL FAILOVER
// mid-stream; every execution is counted in a ledger on a separate redis-server. Runs each mode
// several times and prints every run, then min-max per figure.
//
//   npm run build && npm run build:test && node tools/failover-experiment.mjs [--runs 3] [--mode both|default|durable] [--replicas 1] [--durable-replicas 1]
//
// --replicas: replicas in the Sentinel group; --durable-replicas: replicas durable mode waits for.
//
// Needs redis-server and redis-sentinel on the PATH; never touches a server it did not start.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, mode: { type: 'string', default: 'both' }, replicas: { type: 'string', default: '1' }, 'durable-replicas': { type: 'string', default: '1' }, verbose: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number of at least 1, got '${values.runs}'`);
if (!['both', 'default', 'durable'].includes(values.mode)) throw new Error(`--mode must be both, default or durable, got '${values.mode}'`);
const replicas = Number(values.replicas);
if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`--replicas must be a whole number of at least 1, got '${values.replicas}'`);
const durableReplicas = Number(values['durable-replicas']);
if (!Number.isInteger(durableReplicas) || durableReplicas < 1) throw new Error(`--durable-replicas must be a whole number of at least 1, got '${values['durable-replicas']}'`);
const built = new URL('../build/test/harness/failover-experiment.js', import.meta.url);
if (!existsSync(built)) throw new Error('Build the tests first: npm run build && npm run build:test');
const { runFailoverExperiment } = await import(built.href);

const FIGURES = [
  ['sent', 'enqueues sent'],
  ['acknowledged', 'acknowledged'],
  ['lost', 'acknowledged, then lost'],
  ['lostNeverRan', '  of which never ran'],
  ['unconfirmed', 'rejected: replication unconfirmed'],
  ['unconfirmedLost', '  of which lost'],
  ['failed', 'rejected: other errors'],
  ['ranTwice', 'jobs run twice'],
  ['leftStarted', '  of which left started (abandoned-job sweep)'],
  ['ranTwiceUnreported', '  of which not reported by the worker'],
  ['workerUnconfirmed', 'endings reported unconfirmed by the worker'],
  ['acknowledgedBeforeSwitch', 'acknowledged between FAILOVER and the switch'],
  ['switchMs', 'FAILOVER -> client switched (ms)'],
  ['outageMs', 'longest gap between acknowledgements (ms)'],
  ['oldPrimaryRejoinedMs', 'FAILOVER -> old primary a synced replica (ms)'],
  ['producerFailovers', 'connection:failover, producer'],
  ['workerFailovers', 'connection:failover, worker'],
];

const modes = values.mode === 'both' ? ['default', 'durable'] : [values.mode];
const results = new Map(modes.map((mode) => [mode, []]));
for (let run = 1; run <= runs; run++) {
  for (const mode of modes) {
    const started = Date.now();
    const result = await runFailoverExperiment({ durable: mode === 'durable', replicas, durableReplicas, log: values.verbose ? (line) => console.error(`  ${line}`) : undefined });
    results.get(mode).push(result);
    console.log(`${mode} run ${run} (${((Date.now() - started) / 1000).toFixed(1)} s): ${JSON.stringify(result)}`);
  }
}

const range = (list) => {
  const numbers = list.filter((value) => typeof value === 'number');
  if (numbers.length === 0) return 'n/a';
  const [min, max] = [Math.min(...numbers), Math.max(...numbers)];
  return min === max ? String(min) : `${min}–${max}`;
};
console.log(`\n| figure (${runs} run(s) each, min–max; ${replicas} replica(s)) | ${modes.map((mode) => (mode === 'durable' ? `durable (replicas: ${durableReplicas})` : mode)).join(' | ')} |`);
console.log(`| --- | ${modes.map(() => '---').join(' | ')} |`);
for (const [key, label] of FIGURES) console.log(`| ${label} | ${modes.map((mode) => range(results.get(mode).map((result) => result[key]))).join(' | ')} |`);
