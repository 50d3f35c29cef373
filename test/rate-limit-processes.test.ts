/**
 * RQ's RateLimit(key, concurrency) across real `rq worker` processes (docs/limits.md), the jobs'
 * own bodies (test/fixtures/limited.mjs) writing what they do to Redis:
 * - three processes at concurrency 10 (each quitting after 25 jobs, so that the limited jobs pass
 *   from process to process) never run more than 2 jobs of a key limited to 2 at once (read off
 *   the jobs' start and end events, in Redis' order), run every one of them once, and meanwhile
 *   run the other jobs of the same queue without making them wait behind the limit;
 * - a worker SIGKILLed while its job holds the only slot: the slot stays held (the next jobs
 *   wait) while the abandoned-job sweep of a live worker requeues the job (rq worker's default:
 *   once), and is given back by the sweep when it fails the job abandoned a second time; the
 *   waiting jobs then run, and the limit ends with nothing held and nothing waiting.
 * A started job counts as abandoned HEARTBEAT_GRACE (60 s) after its last heartbeat whatever the
 * flags (`--job-monitoring-interval 1` still means 61 s): the test ages the dead job's
 * started-registry entry instead of waiting, as the other SIGKILL tests call the sweep with a
 * future cutoff; what follows (the live worker's own 5 s sweep, the slot, the admissions) is real.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { Queue, RateLimit, type Job } from '../src/index.js';
import { ROOT, RQ_BIN, useRedis, waitUntil } from './harness/index.js';

const redis = useRedis();

/** How an `rq worker` process ended. */
interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** A running `rq worker` process, and its end. */
interface WorkerProcess {
  child: ChildProcess;
  exit: Promise<Exit>;
}

/** Starts `rq worker` on 'default' with the fixtures, named `name` (its slots: name, name-2, ...). */
function startWorker(name: string, args: string[] = []): WorkerProcess {
  const argv = [RQ_BIN, 'worker', '-u', redis.server.url, '-P', 'test/fixtures', '--name', name, ...args, 'default'];
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<Exit>((done) => child.once('exit', (code, signal) => done({ code, signal, stderr })));
  return { child, exit };
}

/** Sends `signal` to the workers still running and waits for every one to end. */
async function stopWorkers(workers: readonly WorkerProcess[], signal: NodeJS.Signals): Promise<Exit[]> {
  for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  return Promise.all(workers.map((worker) => worker.exit));
}

/** The most jobs tagged `tag` running at once, read off the events in Redis' order. */
function mostAtOnce(events: readonly string[], tag: string): number {
  let running = 0;
  let most = 0;
  for (const event of events) {
    const [phase, eventTag] = event.split(':');
    if (eventTag !== tag) continue;
    running += phase === 'start' ? 1 : -1;
    most = Math.max(most, running);
  }
  return most;
}

/** The job ids of the events `phase:tag:...`, in order. */
function idsOf(events: readonly string[], phase: 'start' | 'end', tag: string): string[] {
  return events.filter((event) => event.startsWith(`${phase}:${tag}:`)).map((event) => event.split(':')[2]!);
}

/** How many jobs tagged `tag` had not ended when the last job tagged `other` ended. */
function notEndedWhenLastEnded(events: readonly string[], tag: string, other: string): number {
  const last = events.map((event) => event.startsWith(`end:${other}:`)).lastIndexOf(true);
  return idsOf(events, 'start', tag).length - idsOf(events.slice(0, last), 'end', tag).length;
}

/** The worker processes (slot names without their -N) that ran `jobs`. */
async function processesOf(jobs: readonly Job[]): Promise<Set<string>> {
  const names = await Promise.all(jobs.map((job) => redis.admin.hget(job.key, 'worker_name')));
  return new Set(names.map((name) => (name ?? '').replace(/-\d+$/, '')));
}

test('three worker processes at concurrency 10: 50 jobs on one key with concurrency 2 never run more than 2 at once, every job finishes, and other keys\' jobs on the same queue keep flowing meanwhile', async (t) => {
  const queue = new Queue('default', { connection: redis.connect() });
  const remote = new RateLimit('remote', 2);
  const limited: Job[] = [];
  for (let i = 0; i < 50; i++) limited.push(await queue.enqueueCall('limited.span', { args: ['remote', 30], rateLimit: remote }));
  assert.equal(await redis.admin.zcard('rq:rl:remote:rate_limited'), 48, 'two hold a slot, 48 wait');
  const events = () => redis.admin.lrange('rqts-test:events', 0, -1);
  // A worker ends a job and starts the next in one step, so the slot a limited job frees goes, with
  // the job it admits, to the same process: at most 25 jobs a process make the limited jobs change
  // process (3 x 25 >= 70: the last one left runs the rest).
  const workers = ['lim1', 'lim2', 'lim3'].map((name) => startWorker(name, ['--concurrency', '10', '--max-jobs', '25']));
  const others: Job[] = [];
  let exits: Exit[] = [];
  try {
    // Once the limited jobs are under way, 20 others join the same queue: half on a key of their own, half on none.
    await waitUntil(async () => idsOf(await events(), 'end', 'remote').length >= 4, 30_000, 'the limited jobs to be under way');
    const local = new RateLimit('local', 10);
    for (let i = 0; i < 20; i++) others.push(await queue.enqueueCall('limited.span', { args: ['other', 30], ...(i % 2 === 0 && { rateLimit: local }) }));
    await waitUntil(async () => (await redis.admin.zcard('rq:finished:default')) === 70, 60_000, 'all 70 jobs to finish');
  } finally {
    exits = await stopWorkers(workers, 'SIGTERM');
  }
  for (const exit of exits) assert.equal(exit.code, 0, `a worker ended ${exit.code} ${exit.signal}: ${exit.stderr}`);
  const log = await events();
  const most = mostAtOnce(log, 'remote');
  assert.ok(most <= 2, `${most} limited jobs ran at once`);
  assert.equal(most, 2, 'the limit was reached');
  assert.deepEqual(idsOf(log, 'end', 'remote').sort(), limited.map((job) => job.id).sort(), 'every limited job ran, once');
  assert.deepEqual(idsOf(log, 'end', 'other').sort(), others.map((job) => job.id).sort(), 'every other job ran, once');
  assert.deepEqual(new Set(await Promise.all([...limited, ...others].map((job) => job.getStatus()))), new Set(['finished']));
  const stillLimited = notEndedWhenLastEnded(log, 'remote', 'other');
  assert.ok(stillLimited >= 10, `the other jobs waited behind the limited ones: only ${stillLimited} limited jobs were left when the last other one ended`);
  const processes = await processesOf(limited);
  assert.ok(processes.size >= 2, `the limited jobs ran in ${[...processes].join(', ')} only`);
  for (const key of ['rq:rl:remote:allowed', 'rq:rl:remote:rate_limited', 'rq:rl:local:allowed', 'rq:rl:local:rate_limited']) assert.equal(await redis.admin.zcard(key), 0, key);
  const at = (event: string | undefined) => Number(event?.split(':')[3]);
  t.diagnostic(`most limited jobs at once: ${most}; limited jobs not yet ended when the last other job ended: ${stillLimited} of 50; ` +
    `limited jobs ran in ${processes.size} processes; first limited start to last limited end: ${at(log.findLast((e) => e.startsWith('end:remote:'))) - at(log[0])} ms`);
});

/** Ages a dead worker's job in the started registry past its heartbeat, as the 60 s grace would. */
async function expireHeartbeat(id: string): Promise<void> {
  const [seconds] = await redis.admin.time();
  assert.equal(await redis.admin.zadd('rq:wip:default', 'XX', 'CH', Number(seconds) - 1, id), 1, 'the dead job was still started');
}

/** Starts a worker, waits until `job` runs there (its run number `run`), and SIGKILLs it; resolves to when it was killed (epoch ms). */
async function killWhileRunning(name: string, job: Job, run: number): Promise<number> {
  const worker = startWorker(name);
  try {
    await waitUntil(async () => {
      const [ran, status, runner] = await Promise.all([redis.admin.get(`rqts-test:ran:${job.id}`), job.getStatus(), redis.admin.hget(job.key, 'worker_name')]);
      return Number(ran) === run && status === 'started' && runner === name && (await redis.admin.zscore('rq:wip:default', job.id)) !== null;
    }, 20_000, `job ${job.id} to run in ${name}`);
  } finally {
    worker.child.kill('SIGKILL');
  }
  const killedAt = Date.now();
  assert.equal((await worker.exit).signal, 'SIGKILL');
  return killedAt;
}

test('a worker SIGKILLed while it holds a slot: the abandoned-job sweep gives the slot back and nothing is lost', async (t) => {
  const queue = new Queue('default', { connection: redis.connect() });
  const limit = new RateLimit('remote', 1);
  const held = await queue.enqueueCall('limited.block', { args: [120_000], rateLimit: limit });
  const waiting = [await queue.enqueueCall('limited.block', { args: [20], rateLimit: limit }), await queue.enqueueCall('limited.block', { args: [20], rateLimit: limit })];
  const allowed = () => redis.admin.zrange('rq:rl:remote:allowed', 0, -1);
  const statuses = (jobs: readonly Job[]) => Promise.all(jobs.map((job) => job.getStatus()));
  const runs = (job: Job) => redis.admin.get(`rqts-test:ran:${job.id}`).then(Number);

  // Killed while the job holds the only slot: the slot stays with the dead job, the others wait.
  const firstKill = await killWhileRunning('rl-first', held, 1);
  assert.deepEqual(await statuses(waiting), ['rate_limited', 'rate_limited']);
  assert.deepEqual(await allowed(), [held.id]);
  // A live worker's sweep puts the job back on its queue on its slot (once, rq worker's default) and runs it: killed again.
  await expireHeartbeat(held.id);
  const secondKill = await killWhileRunning('rl-second', held, 2);
  assert.equal(await redis.admin.hget(held.key, 'abandoned_count'), '1');
  assert.deepEqual(await statuses(waiting), ['rate_limited', 'rate_limited'], 'a requeued job keeps its slot');
  assert.deepEqual(await allowed(), [held.id]);

  // Abandoned a second time: the next live worker's sweep fails it and gives its slot to the next job.
  await expireHeartbeat(held.id);
  const third = startWorker('rl-third');
  let freedAfter = -1;
  let exits: Exit[] = [];
  try {
    await waitUntil(async () => !(await allowed()).includes(held.id), 20_000, 'the dead job\'s slot to be given back');
    freedAfter = Date.now() - secondKill;
    await waitUntil(async () => (await statuses(waiting)).every((status) => status === 'finished'), 20_000, 'the waiting jobs to finish');
  } finally {
    exits = await stopWorkers([third], 'SIGTERM');
  }
  assert.equal(exits[0]!.code, 0, exits[0]!.stderr);
  assert.equal(await held.getStatus(), 'failed');
  assert.match((await held.excInfo()) ?? '', /^AbandonedJobError/);
  assert.equal(await redis.admin.zscore('rq:failed:default', held.id) !== null, true, 'in the failed registry');
  assert.deepEqual([await runs(held), ...(await Promise.all(waiting.map(runs)))], [2, 1, 1], 'the dead job ran twice, the waiting ones once each');
  assert.equal(await redis.admin.zcard('rq:rl:remote:allowed'), 0);
  assert.equal(await redis.admin.zcard('rq:rl:remote:rate_limited'), 0);
  assert.equal(await redis.admin.zcard('rq:wip:default'), 0, 'nothing left started');
  t.diagnostic(`second kill to the slot given back: ${freedAfter} ms (heartbeat aged at once; the worker's sweep runs every 5 s); ` +
    `first kill to the second: ${secondKill - firstKill} ms`);
});
