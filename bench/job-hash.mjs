#!/usr/bin/env node
/**
 * `node bench/job-hash.mjs [distDir]`: the job hash codec alone, no Redis: Job.toHash() and
 * Job.fromHash() of 100,000 jobs, a plain one (as `queue.enqueue` writes it) and a full one (meta,
 * retry, repeat, dependencies, callbacks, an unmodeled field), best and median of 7 rounds in ns
 * per job. Both are on hot paths (the producer's enqueue, the worker's dequeue). `distDir` (default
 * dist/) lets a build of another commit be measured with the same script; build first.
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = resolve(process.argv[2] ?? join(root, 'dist'));
const { Job, Retry, Repeat, Dependency } = await import(pathToFileURL(join(dist, 'index.js')).href);
const { Redis } = createRequire(join(root, 'package.json'))('ioredis');

const JOBS = 100_000;
const ROUNDS = 7;
const connection = new Redis({ lazyConnect: true });

function plainJob(index) {
  const job = Job.create({ funcName: 'tasks.add', args: [index, 2], kwargs: {}, description: `tasks.add(${index}, 2)`, timeout: 180 }, { connection });
  job.origin = 'default';
  job.status = 'queued';
  job.enqueuedAt = new Date();
  return job;
}

function fullJob(index) {
  const job = Job.create(
    {
      funcName: 'tasks.report',
      args: [index, 'monthly', { pages: [1, 2, 3] }],
      kwargs: { format: 'pdf' },
      description: 'tasks.report(...)',
      timeout: 600,
      resultTtl: 3600,
      failureTtl: 86400,
      ttl: 120,
      meta: { owner: 'ops', attempt: 1 },
      retry: new Retry({ max: 3, interval: [5, 30, 60] }),
      repeat: new Repeat({ times: 2, interval: 10 }),
      dependsOn: new Dependency({ jobs: ['parent-a', 'parent-b'], allowFailure: true }),
      onSuccess: 'callbacks.ok',
      onFailure: 'callbacks.failed',
    },
    { connection },
  );
  job.origin = 'reports';
  job.status = 'started';
  job.enqueuedAt = new Date();
  job.startedAt = new Date();
  job.lastHeartbeat = new Date();
  job.workerName = 'worker-1';
  return job;
}

/** The hash as HGETALL returns it: every value a Buffer, plus a field rq-ts does not model. */
function asRead(job) {
  const hash = {};
  for (const [field, value] of Object.entries(job.toHash())) hash[field] = Buffer.isBuffer(value) ? value : Buffer.from(value);
  hash['number_of_retries'] = Buffer.from('0');
  return hash;
}

function measure(name, run) {
  const times = [];
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    sink += run();
    times.push(Number(process.hrtime.bigint() - start) / JOBS);
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(18)} best ${times[0].toFixed(0).padStart(6)} ns/job   median ${times[ROUNDS >> 1].toFixed(0).padStart(6)} ns/job   (${sink > 0 ? 'ok' : '?'})`);
}

for (const [kind, make] of [['plain', plainJob], ['full', fullJob]]) {
  const jobs = Array.from({ length: JOBS }, (_, index) => make(index));
  const hashes = jobs.map(asRead);
  measure(`toHash ${kind}`, () => {
    let fields = 0;
    for (const job of jobs) fields += Object.keys(job.toHash()).length;
    return fields;
  });
  measure(`fromHash ${kind}`, () => {
    let args = 0;
    for (let i = 0; i < JOBS; i++) args += Job.fromHash(jobs[i].id, hashes[i], connection).args.length;
    return args;
  });
}
connection.disconnect();
