#!/usr/bin/env node
/**
 * `npm run bench:parts`: where a job's time goes at concurrency 1, for rq-ts, BullMQ and Bee-Queue
 * side by side (issue 19), on a redis-server of its own, pinned as `npm run bench` pins.
 *
 * Each worker child runs with bench/lib/wire-timeline.mjs, which notes every socket write and read:
 *   - steady state: N pre-enqueued no-op jobs at concurrency 1; over the second half, per job, the
 *     time waiting on Redis (a command unanswered), the time in the client (nothing outstanding),
 *     round trips, and Redis' CPU (INFO, main thread) with the part spent in scripts (commandstats);
 *     beside them the RQ layout floor: bench/lib/floor-script.mjs, one job per call, awaited one at
 *     a time from a client that does nothing else: the fastest any worker could go on RQ's layout;
 *   - enqueue, one by one and with 100 in flight: client CPU, Redis CPU and script time per job,
 *     beside the same per call of rq-ts' own enqueue script sent bare (its EVALSHA, captured from
 *     one enqueue and sent again as it is: what ioredis and the socket cost for that command);
 *   - low load: a job every 2 ms, as the latency rows of `npm run bench`; per job (medians) the time
 *     from the producer's send to the worker's wake-up, then to completion the time waiting on
 *     Redis and in the client, and the round trips.
 * The hooks cost about a microsecond per write and read: the split is the figure, `npm run bench`
 * the speed. Speeds are never asserted anywhere.
 *
 *   npm run bench:parts                  # PARTS_N=20000 jobs, PARTS_RUNS=3, all three systems;
 *                                        # writes the section "Where a job's time goes" of docs/benchmarks.md
 *   PARTS_SYSTEMS=rq-ts npm run bench:parts    # any other choice only prints (PARTS_DOCS=0 too)
 */
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { putSection } from './lib/docs-sections.mjs';
import { describeMachine } from './lib/machine.mjs';
import { machineLines } from './lib/report.mjs';
import { FLOOR_SCRIPT_WITH_RESULTS } from './lib/floor-script.mjs';
import { ensurePeersInstalled } from './lib/install.mjs';
import { killChildren } from './lib/processes.mjs';
import { ownRedis } from './lib/own-redis.mjs';
import { describePinning, pin } from './lib/pinning.mjs';
import { percentile, summarize } from './lib/stats.mjs';

const N = Number(process.env.PARTS_N ?? 20000);
/** Enqueues timed per measurement (after a warm-up of a tenth, on the same connection). */
const ENQUEUE_N = Number(process.env.PARTS_ENQUEUE_N ?? 20000);
const IN_FLIGHT = 100;
const LATENCY_N = Number(process.env.PARTS_LATENCY_N ?? 1500);
const RUNS = Number(process.env.PARTS_RUNS ?? 3);
const SYSTEMS = (process.env.PARTS_SYSTEMS ?? 'rq-ts,bullmq,bee-queue').split(',');
const TITLES = { 'rq-ts': 'rq-ts', bullmq: 'BullMQ', 'bee-queue': 'Bee-Queue' };
const DOCS = new URL('../docs/benchmarks.md', import.meta.url);
// The page gets a full run only: every system, the default counts.
const WRITE_DOCS = process.env.PARTS_DOCS !== '0' && SYSTEMS.length === 3 && N === 20000 && LATENCY_N === 1500 && RUNS >= 3;
const HOOK = ['--import', fileURLToPath(new URL('./lib/wire-timeline.mjs', import.meta.url))];
const TIMEOUT_MS = 300_000;

for (const system of SYSTEMS) if (!TITLES[system]) throw new Error(`PARTS_SYSTEMS: unknown system '${system}' (rq-ts, bullmq, bee-queue).`);
if (SYSTEMS.some((system) => system !== 'rq-ts')) ensurePeersInstalled({ allowed: true, log: console.log });

const { redis, plan, admin, child } = await ownRedis({ timeoutMs: TIMEOUT_MS });
if (plan) pin(process.pid, plan.clients); // the floor's client runs in this process

/** Redis main-thread CPU seconds, and the µs spent in script commands, since the last reset. */
async function redisCounters() {
  const info = `${await admin.info('cpu')}${await admin.info('commandstats')}`;
  const read = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)[1]);
  let scriptUs = 0;
  for (const [, usec] of info.matchAll(/cmdstat_(?:evalsha|eval|fcall)(?:_ro)?:calls=\d+,usec=(\d+)/g)) scriptUs += Number(usec);
  return { cpu: read('used_cpu_user_main_thread') + read('used_cpu_sys_main_thread'), scriptUs };
}

/** Steady state at concurrency 1: throughput and the wire split of the second half of N jobs. */
async function steady(system) {
  await admin.flushall();
  await child({ system, role: 'fill', n: N, batch: 1000 }).result;
  await admin.config('RESETSTAT');
  const before = await redisCounters();
  const { ms, wire } = await child({ system, role: 'process', n: N, concurrency: 1 }, { execArgv: HOOK }).result;
  const after = await redisCounters();
  return {
    rate: (N / ms) * 1000,
    usPerJob: wire.waitingUs + wire.clientUs,
    waitingUs: wire.waitingUs,
    clientUs: wire.clientUs,
    roundTrips: wire.roundTrips,
    redisUs: ((after.cpu - before.cpu) / N) * 1e6,
    scriptUs: (after.scriptUs - before.scriptUs) / N,
  };
}

/** The RQ layout floor at concurrency 1: the bare script, one job a call, awaited one at a time. */
async function floor() {
  await admin.flushall();
  await child({ system: 'rq-ts', role: 'fill', n: N, batch: 1000 }).result;
  const sha = await admin.script('LOAD', FLOOR_SCRIPT_WITH_RESULTS);
  await admin.config('RESETSTAT');
  const before = await redisCounters();
  const start = performance.now();
  for (let i = 0; i < N; i++) await admin.evalshaBuffer(sha, 1, 'rq:queue:bench', '2026-12-01T00:00:00.000000Z', 1);
  const ms = performance.now() - start;
  const after = await redisCounters();
  if ((await admin.llen('rq:queue:bench')) !== 0) throw new Error('the floor script left jobs in the queue');
  return { rate: (N / ms) * 1000, usPerJob: (ms / N) * 1000, redisUs: ((after.cpu - before.cpu) / N) * 1e6, scriptUs: (after.scriptUs - before.scriptUs) / N, roundTrips: 1 };
}

/** Enqueues of `mode` ('seq' or 'inflight') by one producer child: throughput, client and Redis CPU per job. */
async function enqueue(system, mode) {
  await admin.flushall();
  await admin.config('RESETSTAT');
  const before = await redisCounters();
  const { ms, cpuUs } = await child({ system, role: 'enqueue', mode, n: ENQUEUE_N, warmup: ENQUEUE_N / 10, inFlight: IN_FLIGHT, batch: 1000 }).result;
  const after = await redisCounters();
  // Redis' counters include the warm-up: per job over warm-up and timed jobs together.
  const jobs = ENQUEUE_N * 1.1;
  return { rate: (ENQUEUE_N / ms) * 1000, usPerJob: (ms / ENQUEUE_N) * 1000, cpuUs, redisUs: ((after.cpu - before.cpu) / jobs) * 1e6, scriptUs: (after.scriptUs - before.scriptUs) / jobs };
}

/**
 * rq-ts' enqueue script sent bare: the EVALSHA of one `queue.enqueue` captured on its way to the
 * socket, then sent again as it is (the same job written again), one by one or 100 in flight, in
 * this process. What any client pays to send that command: ioredis and the socket, no job made.
 */
async function bareEnqueue(mode) {
  const dist = new URL('../dist/index.js', import.meta.url);
  const { Queue } = await import(dist.href);
  const { Redis: DistRedis, Command } = createRequire(dist)('ioredis');
  await admin.flushall();
  const connection = new DistRedis({ host: redis.host, port: redis.port });
  await once(connection, 'ready');
  const queue = new Queue('bench', { connection });
  await queue.enqueue('bench_tasks.noop', 0); // the script loaded on this socket: the next call is an EVALSHA
  let captured;
  const send = connection.sendCommand;
  connection.sendCommand = function capture(command, ...rest) {
    if (command.name === 'evalsha' && captured === undefined) captured = [...command.args];
    return send.call(this, command, ...rest);
  };
  await queue.enqueue('bench_tasks.noop', 1);
  connection.sendCommand = send;
  if (captured === undefined) throw new Error('no EVALSHA seen from queue.enqueue');
  const call = () => {
    const command = new Command('evalsha', captured, { replyEncoding: 'utf8' });
    connection.sendCommand(command);
    return command.promise;
  };
  const run = async (count) => {
    if (mode === 'seq') for (let i = 0; i < count; i++) await call();
    else {
      let next = 0;
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => { while (next++ < count) await call(); }));
    }
  };
  await run(ENQUEUE_N / 10);
  await admin.config('RESETSTAT');
  const before = await redisCounters();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run(ENQUEUE_N);
  const ms = performance.now() - start;
  const { user, system: sys } = process.cpuUsage(cpu);
  const after = await redisCounters();
  await connection.quit();
  return { rate: (ENQUEUE_N / ms) * 1000, usPerJob: (ms / ENQUEUE_N) * 1000, cpuUs: (user + sys) / ENQUEUE_N, redisUs: ((after.cpu - before.cpu) / ENQUEUE_N) * 1e6, scriptUs: (after.scriptUs - before.scriptUs) / ENQUEUE_N };
}

/** A job every 2 ms to a worker at concurrency 1: latency percentiles and the per-job parts. */
async function lowLoad(system) {
  await admin.flushall();
  const worker = child({ system, role: 'latency-worker', n: LATENCY_N, concurrency: 1 }, { execArgv: HOOK });
  await worker.ready;
  await new Promise((resolve) => setTimeout(resolve, 200)); // let the worker settle into its idle wait
  // As in `npm run bench`: the producer is load, on Redis' core, idle most of the time at this rate.
  await child({ system, role: 'latency-producer', n: LATENCY_N, intervalMs: 2 }, { cpus: plan?.redis ?? plan?.clients }).result;
  const { samples, parts } = await worker.result;
  const ms = samples.sort((a, b) => a[0] - b[0]).slice(Math.ceil(LATENCY_N / 10)).map(([, latency]) => latency);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), ...parts };
}

const field = (run, key) => key.split('.').reduce((value, part) => value?.[part], run);
const median = (runs, key) => (runs.every((run) => typeof field(run, key) === 'number') ? summarize(runs.map((run) => field(run, key))).median : undefined);
const fixed = (digits) => (value) => (value === undefined ? '—' : value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }));

/** A Markdown table: one column per system, one row per measure (median of the runs). */
function table(columns, rows) {
  const lines = [`| | ${columns.map(([name]) => name).join(' | ')} |`, `| :-- | ${columns.map(() => '--:').join(' | ')} |`];
  for (const [label, key, format] of rows) lines.push(`| ${label} | ${columns.map(([, runs]) => format(median(runs, key))).join(' | ')} |`);
  return lines.join('\n');
}

const STEADY_ROWS = [
  ['Throughput, whole run (jobs/s)', 'rate', fixed(0)],
  ['Wall time, second half (µs)', 'usPerJob', fixed(1)],
  ['… waiting on Redis (µs)', 'waitingUs', fixed(1)],
  ['… in the client (µs)', 'clientUs', fixed(1)],
  ['Round trips', 'roundTrips', fixed(2)],
  ['Redis CPU, main thread (µs)', 'redisUs', fixed(1)],
  ['… in scripts (µs, commandstats)', 'scriptUs', fixed(1)],
];

const ENQUEUE_ROWS = [
  ['One by one: jobs/s', 'seq.rate', fixed(0)],
  ['One by one: wall time per job (µs)', 'seq.usPerJob', fixed(1)],
  ['One by one: client CPU per job (µs)', 'seq.cpuUs', fixed(1)],
  ['One by one: Redis CPU per job (µs)', 'seq.redisUs', fixed(1)],
  [`${IN_FLIGHT} in flight: jobs/s`, 'inflight.rate', fixed(0)],
  [`${IN_FLIGHT} in flight: client CPU per job (µs)`, 'inflight.cpuUs', fixed(1)],
  [`${IN_FLIGHT} in flight: Redis CPU per job (µs)`, 'inflight.redisUs', fixed(1)],
  ['… in scripts (µs, commandstats)', 'inflight.scriptUs', fixed(1)],
];

const LATENCY_ROWS = [
  ['Latency p50 (ms)', 'p50', fixed(3)],
  ['Latency p95 (ms)', 'p95', fixed(3)],
  ["Send to the worker's wake-up (µs)", 'wakeUs', fixed(0)],
  ['Then waiting on Redis (µs)', 'waitingUs', fixed(0)],
  ['Then in the client (µs)', 'clientUs', fixed(0)],
  ['Round trips after the wake-up', 'roundTrips', fixed(1)],
];

/** The section of docs/benchmarks.md: the tables, and what they say (figures from this run). */
function docsSection({ startedAt, seconds, machine, steadyTable, latencyTable, enqueueTable, steadyRuns, latencyRuns, floorRuns, enqueueRuns }) {
  const m = (runs, key) => median(runs, key);
  const us = (value) => fixed(0)(value);
  const rq = steadyRuns['rq-ts'];
  const bull = steadyRuns.bullmq;
  const wire = (runs) => m(runs, 'waitingUs') - m(runs, 'redisUs');
  return `## Where a job's time goes

Run of ${startedAt} (${Math.round(seconds)} s), \`npm run bench:parts\` (bench/parts.mjs).

${machineLines(machine)}
- ${N} no-op jobs at concurrency 1, the second half measured; ${LATENCY_N} jobs at one per 2 ms (the first 10% left out); median of ${RUNS} runs of each.

Each worker runs with a hook on its sockets (bench/lib/wire-timeline.mjs) that notes every write
and every read: the time during which a command waits for its reply is "waiting on Redis" (the
command on the wire, Redis running it, the reply coming back, the wake-ups of both processes), the
rest is the client's own work. Redis' CPU comes from INFO, the part in scripts from commandstats.
The RQ layout floor is bench/lib/floor-script.mjs (the writes RQ 1.13's layout needs for a start
and a finish, no checks) called for one job at a time, each call awaited, by a client that does
nothing else: the fastest any worker can go on RQ's layout at one round trip per job.

### One job at a time

${steadyTable}

- A job costs one round trip in rq-ts and BullMQ, three in Bee-Queue (BRPOPLPUSH, the job's hash,
  the MULTI that ends it): its commands are plain and light, but each round trip costs Redis a read,
  a parse and a reply of its own (${us(m(steadyRuns['bee-queue'], 'redisUs'))} µs of Redis CPU per job) and the worker a wait.
- Waiting on Redis is Redis' CPU plus about ${us(wire(rq))} µs (rq-ts) and ${us(wire(bull))} µs (BullMQ) per round trip
  that Redis' CPU does not account for: the round trip outside Redis (system calls, the wake-ups
  of both processes; not split further). No client change removes it; only fewer round trips would.
- rq-ts' step costs ${us(m(rq, 'scriptUs') - m(bull, 'scriptUs'))} µs more Redis time in scripts than BullMQ's. Of its ${us(m(rq, 'scriptUs'))} µs the RQ
  layout floor's writes take ${us(m(floorRuns, 'scriptUs'))}; the rest is what a real worker checks and keeps beside
  them: the fence that refuses an ending that is no longer this execution's (HMGET), the job's
  dependents (SMEMBERS), the events streams, rq:suspended and due rate limits (one EXISTS), the
  throughput counter, the memory guard, the server's time as RQ's timestamp text, the worker
  hash's idle and busy states, and the Lua that reads the step and packs the reply.
- ${reach(m(bull, 'rate'), m(floorRuns, 'rate'), m(floorRuns, 'usPerJob'), m(rq, 'clientUs'), m(bull, 'clientUs'))}

### Low load: a job every 2 ms

${latencyTable}

- Every system here takes three round trips from enqueue to a finished job: the producer's
  enqueue, whose reply to the worker's blocking command is its wake-up, then two more. Bee-Queue's
  wake-up already claims the job (BRPOPLPUSH moves its id into its active list); rq-ts and BullMQ
  wake on a notification and claim the job with their next script, so that a job id is never
  held only in a worker's memory (for rq-ts: always in its queue, the started registry or a
  registry of its end).
- At low load every part costs several times what it costs one job after another (the same code;
  why is not measured here), so the client's work weighs more: rq-ts'
  ${us(m(latencyRuns['rq-ts'], 'clientUs'))} µs against BullMQ's ${us(m(latencyRuns.bullmq, 'clientUs'))} and Bee-Queue's ${us(m(latencyRuns['bee-queue'], 'clientUs'))} per job. The send-to-wake-up time includes
  the producer's own work on the job before its enqueue leaves.

### Enqueue

${enqueueTable}

- The last column is rq-ts' own enqueue script, captured from one \`queue.enqueue\` on its way to
  the socket and sent again as it is (the same job written again, so its Redis figures are of a
  rewrite): what ioredis and the socket cost for that command, with no job made. rq-ts' client
  spends ${us(m(enqueueRuns['rq-ts'], 'inflight.cpuUs') - m(enqueueRuns.bare, 'inflight.cpuUs'))} µs per job above it with 100 in flight, and ${us(m(enqueueRuns['rq-ts'], 'seq.cpuUs') - m(enqueueRuns.bare, 'seq.cpuUs'))} µs one by one: making the job
  (its id, RQ's 13 fields, the description as Python prints the call, the data as zlib-framed
  JSON, the timestamps as RQ's text), packing it and the promises of the call.
- Bee-Queue's job is one JSON string in one hash field, and its script an id (INCR), an HEXISTS, an HSET and an
  LPUSH: its client spends ${us(m(enqueueRuns['bee-queue'], 'inflight.cpuUs'))} µs per job with 100 in flight, ${closeTo(m(enqueueRuns['bee-queue'], 'inflight.cpuUs'), m(enqueueRuns.bare, 'inflight.cpuUs'))} what ioredis alone
  costs rq-ts to send its command (${us(m(enqueueRuns.bare, 'inflight.cpuUs'))} µs; Bee-Queue uses the \`redis\` client, not ioredis), and Redis
  ${us(m(enqueueRuns['bee-queue'], 'inflight.redisUs'))} µs against rq-ts' ${us(m(enqueueRuns['rq-ts'], 'inflight.redisUs'))}: RQ's layout writes a hash of 13 fields, the queue list and
  the rq:queues set for every job.
- With 100 in flight the producer is bound by its client CPU (one core): the rate is close to one
  job per client CPU time. One by one, each job also waits a round trip, as for a worker.`;
}

/** "less than", "about" or "more than", of `value` against `reference` (within 15%: about). */
function closeTo(value, reference) {
  if (Math.abs(value - reference) <= 0.15 * reference) return 'about';
  return value < reference ? 'less than' : 'more than';
}

/**
 * What the floor says of "1.3 times BullMQ at concurrency 1": the time per job that speed allows,
 * against what the floor's bare writes take and what each worker's client takes on top.
 */
function reach(bullRate, floorRate, floorUs, rqClientUs, bullClientUs) {
  const us = fixed(0);
  const allowed = 1e6 / (1.3 * bullRate);
  const left = allowed - floorUs;
  const head = `The floor runs ${us(floorRate)} jobs/s with a client that does nothing. 1.3 times BullMQ's ${us(bullRate)} jobs/s allows ${us(allowed)} µs per job over a whole run; the floor's round trip and bare writes take ${us(floorUs)}`;
  if (left <= 0) return `${head}, more than that already.`;
  const verdict = left < Math.min(rqClientUs, bullClientUs) ? 'less than either worker\'s client takes per job (rq-ts ' : 'to compare with what each worker\'s client takes per job (rq-ts ';
  return `${head}, which leaves ${us(left)} µs for a worker's own checks and its client: ${verdict}${us(rqClientUs)} µs, BullMQ ${us(bullClientUs)}), before any check beyond the bare writes.`;
}

const startedAt = Date.now();
const loadStart = loadavg()[0].toFixed(2);
try {
  const steadyRuns = Object.fromEntries(SYSTEMS.map((system) => [system, []]));
  const latencyRuns = Object.fromEntries(SYSTEMS.map((system) => [system, []]));
  const floorRuns = [];
  const enqueueRuns = Object.fromEntries([...SYSTEMS, 'bare'].map((system) => [system, []]));
  for (let run = 0; run < RUNS; run++) {
    // Each run in another order, so that no system always runs first after the machine's idle spell.
    const order = [...SYSTEMS.slice(run % SYSTEMS.length), ...SYSTEMS.slice(0, run % SYSTEMS.length)];
    for (const system of order) steadyRuns[system].push(await steady(system));
    floorRuns.push(await floor());
    for (const system of order) latencyRuns[system].push(await lowLoad(system));
    for (const system of order) enqueueRuns[system].push({ seq: await enqueue(system, 'seq'), inflight: await enqueue(system, 'inflight') });
    enqueueRuns.bare.push({ seq: await bareEnqueue('seq'), inflight: await bareEnqueue('inflight') });
  }
  const steadyTable = table([...SYSTEMS.map((system) => [TITLES[system], steadyRuns[system]]), ['RQ layout floor', floorRuns]], STEADY_ROWS);
  const latencyTable = table(SYSTEMS.map((system) => [TITLES[system], latencyRuns[system]]), LATENCY_ROWS);
  const enqueueTable = table([...SYSTEMS.map((system) => [TITLES[system], enqueueRuns[system]]), ["rq-ts' enqueue script, bare EVALSHA", enqueueRuns.bare]], ENQUEUE_ROWS);
  console.log(`npm run bench:parts: ${N} no-op jobs at concurrency 1 (the second half measured), ${LATENCY_N} jobs at one per 2 ms; median of ${RUNS} runs; ${describePinning(plan)}.`);
  console.log(`\nOne job at a time (per job)\n\n${steadyTable}\n\nLow load, a job every 2 ms (per job, medians)\n\n${latencyTable}\n\nEnqueue (per job)\n\n${enqueueTable}`);
  if (WRITE_DOCS) {
    const machine = { ...describeMachine(await admin.info('server')), pinning: describePinning(plan), loadAverage: { start: loadStart, end: loadavg()[0].toFixed(2) } };
    const section = docsSection({ startedAt: new Date(startedAt).toISOString(), seconds: (Date.now() - startedAt) / 1000, machine, steadyTable, latencyTable, enqueueTable, steadyRuns, latencyRuns, floorRuns, enqueueRuns });
    writeFileSync(DOCS, putSection(readFileSync(DOCS, 'utf8'), 'parts', section, '## How to run it'));
    console.log(`\nWrote the section "Where a job's time goes" of ${fileURLToPath(DOCS)}.`);
  }
} finally {
  killChildren();
  await admin.quit();
  await redis.stop();
}
