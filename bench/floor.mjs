/**
 * `npm run bench:floor`: how much of Redis' time a processed job costs, against the least that
 * RQ's layout lets any worker spend. Answers "how fast could processing be on this Redis at all".
 *
 * With many jobs in flight, Redis' main thread is the bottleneck (85% busy at concurrency 50 here),
 * so a system's ceiling is 1 / (Redis CPU per job). For each measurement the same pre-enqueued
 * rq-ts jobs are processed and INFO's used_cpu_*_main_thread is read before and after:
 *   - rq-ts, BullMQ and Bee-Queue workers at concurrency 50, as bench/child.mjs runs them (each on
 *     jobs its own producer enqueued);
 *   - "RQ layout floor": one Lua script per 25 jobs doing only the writes RQ 1.13's layout needs
 *     for a start and a finish (LPOP, HGETALL, HSET started, PERSIST, started registry, HSET
 *     finished, results stream entry, EXPIREs, finished registry, worker hash), without fences,
 *     dependents, retries or anything a real worker must check;
 *   - the same floor without the results stream (XADD of a new stream per job and its EXPIRE),
 *     which RQ 1.12+ writes and Python's `job.return_value()` reads.
 * Redis pinned to the last core, clients to the others (bench/lib/pinning.mjs). Prints microseconds
 * of Redis CPU per job and the ceiling that implies. Installs BullMQ into bench/node_modules as
 * `npm run bench` does.
 */
import { ensurePeersInstalled } from './lib/install.mjs';
import { ownRedis } from './lib/own-redis.mjs';
import { summarize } from './lib/stats.mjs';
import { FLOOR_SCRIPT, FLOOR_SCRIPT_WITH_RESULTS } from './lib/floor-script.mjs';

const N = Number(process.env.FLOOR_N ?? 20000);
const RUNS = Number(process.env.FLOOR_RUNS ?? 3);
const PER_CALL = 25;

const MEASUREMENTS = {
  'rq-ts worker, concurrency 50': { system: 'rq-ts' },
  'BullMQ worker, concurrency 50': { system: 'bullmq' },
  'Bee-Queue worker, concurrency 50': { system: 'bee-queue' },
  'RQ layout floor': { script: FLOOR_SCRIPT_WITH_RESULTS },
  'RQ layout floor without results stream': { script: FLOOR_SCRIPT },
};

ensurePeersInstalled({ allowed: true, log: console.log });

const { redis, plan, admin, child } = await ownRedis({ timeoutMs: 120_000 });

async function redisCpuSeconds() {
  const info = await admin.info('cpu');
  const read = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)[1]);
  return read('used_cpu_user_main_thread') + read('used_cpu_sys_main_thread');
}

async function measure({ system, script }) {
  await admin.flushall();
  await child({ system: system ?? 'rq-ts', role: 'fill', n: N, batch: 1000 }).result;
  const sha = script && (await admin.script('LOAD', script));
  const before = await redisCpuSeconds();
  if (system) {
    await child({ system, role: 'process', n: N, concurrency: 50 }).result;
  } else {
    const calls = [];
    for (let i = 0; i < N / PER_CALL; i++) calls.push(admin.evalsha(sha, 1, 'rq:queue:bench', '2026-12-01T00:00:00.000000Z', PER_CALL));
    await Promise.all(calls);
    if ((await admin.llen('rq:queue:bench')) !== 0) throw new Error('the floor script left jobs in the queue');
  }
  return ((await redisCpuSeconds()) - before) / N * 1e6;
}

try {
  const samples = Object.fromEntries(Object.keys(MEASUREMENTS).map((name) => [name, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const [name, how] of Object.entries(MEASUREMENTS)) samples[name].push(await measure(how));
  }
  console.log(`Redis main-thread CPU per processed job, median of ${RUNS} (min-max), ${N} jobs each; ${plan ? 'pinned' : 'not pinned'}`);
  for (const [name, values] of Object.entries(samples)) {
    const { median, min, max } = summarize(values);
    console.log(`  ${name.padEnd(40)} ${median.toFixed(1).padStart(6)} us (${min.toFixed(1)}-${max.toFixed(1)})   ceiling ${Math.round(1e6 / median).toLocaleString('en')} jobs/s`);
  }
} finally {
  await admin.quit();
  await redis.stop();
}
