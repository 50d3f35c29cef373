/**
 * Interoperability with Python RQ 1.13 (Debian's python3-rq), both ways, on one real Redis:
 * Python producing for rq-ts workers and the reverse, both kinds of workers on one queue, chains
 * and retries that cross languages, each side's tools on the other's state, abandoned jobs
 * recovered across languages, and a pickled job that fails alone. The Python side is
 * test/python/peer.py (producer, reader, commands) and RQ's own `rq` command with the job
 * functions of test/python/pytasks.py; rq-ts workers register functions of the same names.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Dependency, Job, Queue, Retry, Worker, getCurrentJob, sendShutdownCommand, sendStopJobCommand, type TaskFunction } from '../src/index.js';
import { ROOT, RQ_BIN, useRedis, waitUntil } from './harness/index.js';
import { PYTHON, skipWithoutPythonRq } from './harness/python.js';

const PY_DIR = join(ROOT, 'test', 'python');
const PY_RQ = '/usr/bin/rq';

const redis = useRedis();
let connection: Redis;
const children: ChildProcess[] = [];
beforeEach(() => {
  connection = redis.connect();
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  // Python work horses live in sessions of their own: whatever still runs for this test's Redis.
  spawnSync('pkill', ['-KILL', '-f', `rq worker -u ${redis.server.url} `]);
});

/** rq-ts' functions of the names test/python/pytasks.py defines; each says it ran in Node. */
const tasks: Record<string, TaskFunction> = {
  // Python keyword arguments arrive as a trailing object: add(2, y=3) is add(2, { y: 3 }).
  'pytasks.add': (x: number, y: number | { y?: number } = 0) => x + (typeof y === 'object' ? (y.y ?? 0) : y),
  'pytasks.fail': (message: string) => {
    throw new RangeError(message);
  },
  'pytasks.set_meta': async (key: string, value: unknown) => {
    const job = getCurrentJob()!;
    job.meta[key] = value;
    await job.saveMeta();
    return 'rq-ts';
  },
  'pytasks.whoami': () => 'rq-ts',
  'pytasks.flaky': () => {
    throw new Error('rq-ts fails this one');
  },
  'pytasks.echo': (...args: unknown[]) => ({ args }),
};

/** peer.py: the Python RQ side as producer, reader and command sender. */
function py<T = Record<string, any>>(command: string, payload: unknown): T {
  return JSON.parse(execFileSync(PYTHON, [join(PY_DIR, 'peer.py'), String(redis.server.port), command, JSON.stringify(payload)], { encoding: 'utf8' })) as T;
}

/** RQ's own `rq` command (Python), from test/python so that `pytasks` imports. */
function pyRq(args: string[]) {
  const result = spawnSync(PYTHON, [PY_RQ, ...args], { cwd: PY_DIR, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONPATH: PY_DIR } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A Python `rq worker` with the JSON serializer, in burst mode unless `burst` is false. */
function pyWorker(args: string[], burst = true) {
  return [PY_RQ, 'worker', '-u', redis.server.url, '-S', 'rq.serializers.JSONSerializer', ...(burst ? ['--burst'] : []), ...args];
}

function startPyWorker(args: string[]): ChildProcess {
  const child = spawn(PYTHON, pyWorker(args, false), { cwd: PY_DIR, env: { ...process.env, PYTHONPATH: PY_DIR }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

/** The rq-ts `rq` command. */
function tsRq(args: string[]) {
  const result = spawnSync(process.execPath, [RQ_BIN, ...args, '-u', redis.server.url], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('interop with Python RQ 1.13', { skip: skipWithoutPythonRq() }, () => {
  test('Python enqueues every kind of job; an rq-ts worker runs them; Python reads statuses, results, failures, meta and registries', async () => {
    const { ids } = py<{ ids: string[] }>('enqueue', {
      jobs: [
        { func: 'pytasks.add', args: [2], kwargs: { y: 3 }, job_id: 'py-add', meta: { from: 'python' }, ttl: 600, result_ttl: 900, failure_ttl: 1200 },
        { func: 'pytasks.fail', args: ['no good'], job_id: 'py-fail' },
        { func: 'pytasks.fail', args: ['twice'], job_id: 'py-retry', retry: { max: 1 } },
        { func: 'pytasks.set_meta', args: ['progress', 100], job_id: 'py-meta' },
        { func: 'pytasks.whoami', job_id: 'py-front', at_front: true },
        { queue: 'py-parent', func: 'pytasks.add', args: [1, 1], job_id: 'py-parent' },
        { queue: 'py-child', func: 'pytasks.echo', args: ['after'], job_id: 'py-child', depends_on: ['py-parent'] },
        { func: 'pytasks.whoami', job_id: 'py-later', enqueue_in: 1 },
      ],
    });
    assert.equal(ids.length, 8);
    assert.equal((await new Queue('default', { connection }).getJobIds())[0], 'py-front', 'at_front honoured');
    await new Promise((done) => setTimeout(done, 1100)); // py-later falls due
    await new Worker(['default', 'py-parent', 'py-child'], { connection, tasks, name: 'ts-runner' }).work({ burst: true, withScheduler: true });
    // The scheduler's pass came first, so py-later ran too.
    const seen = py('read', { ids: ['py-add', 'py-fail', 'py-retry', 'py-meta', 'py-front', 'py-parent', 'py-child', 'py-later'] });
    assert.deepEqual(
      Object.fromEntries(Object.entries(seen).map(([id, job]) => [id, job.status])),
      { 'py-add': 'finished', 'py-fail': 'failed', 'py-retry': 'failed', 'py-meta': 'finished', 'py-front': 'finished', 'py-parent': 'finished', 'py-child': 'finished', 'py-later': 'finished' },
    );
    assert.equal(seen['py-add'].return_value, 5);
    assert.equal(seen['py-add'].latest_type, 'SUCCESSFUL');
    assert.equal(seen['py-add'].worker_name, 'ts-runner');
    assert.deepEqual(seen['py-add'].meta, { from: 'python' });
    assert.equal(seen['py-fail'].latest_type, 'FAILED');
    assert.equal(seen['py-fail'].exc_last_line, 'RangeError: no good', "the last line of rq-ts' failure text names the error, as Python's tools read it");
    assert.match(seen['py-fail'].exc_info, /^\s+at /m, 'the JavaScript stack is kept before it');
    assert.equal(seen['py-retry'].retries_left, 0, 'retried once by rq-ts, then failed');
    assert.deepEqual(seen['py-meta'].meta, { progress: 100 }, 'meta written by the job in rq-ts');
    assert.equal(seen['py-front'].return_value, 'rq-ts');
    assert.deepEqual(seen['py-child'].return_value, { args: ['after'] });
    const registries = py('registries', { queues: ['default', 'py-child'] });
    assert.deepEqual(registries['default'].failed.sort(), ['py-fail', 'py-retry']);
    assert.deepEqual(registries['default'].finished.sort(), ['py-add', 'py-front', 'py-later', 'py-meta']);
    assert.deepEqual(registries['default'].started, []);
    assert.deepEqual(registries['py-child'].deferred, []);
    const ttl = await redis.admin.ttl('rq:job:py-add');
    assert.ok(ttl > 800 && ttl <= 900, `result_ttl from Python honoured (${ttl})`);
  });

  test('rq-ts enqueues every kind of job; a Python rq worker runs them; rq-ts reads statuses, results, failures, meta and registries', async () => {
    const queue = new Queue('default', { connection });
    const parent = await new Queue('ts-parent', { connection }).enqueueCall('pytasks.add', { args: [20], kwargs: { y: 1 }, jobId: 'ts-parent' });
    await queue.enqueueCall('pytasks.add', { args: [2], kwargs: { y: 3 }, jobId: 'ts-add', meta: { from: 'rq-ts' }, ttl: 600, resultTtl: 900, failureTtl: 1200 });
    await queue.enqueueCall('pytasks.fail', { args: ['from python'], jobId: 'ts-fail' });
    await queue.enqueueCall('pytasks.fail', { args: ['again'], jobId: 'ts-retry', retry: new Retry({ max: 1 }) });
    await queue.enqueueCall('pytasks.set_meta', { args: ['progress', 50], jobId: 'ts-meta' });
    await queue.enqueueCall('pytasks.whoami', { jobId: 'ts-front', atFront: true });
    await new Queue('ts-child', { connection }).enqueueCall('pytasks.echo', { args: ['child'], kwargs: { k: 1 }, jobId: 'ts-child', dependsOn: new Dependency({ jobs: [parent] }) });
    await queue.enqueueCall('pytasks.whoami', { jobId: 'ts-later', in: 1 });
    await new Promise((done) => setTimeout(done, 1100));
    const worker = spawnSync(PYTHON, pyWorker(['--with-scheduler', '--name', 'py-runner', 'default', 'ts-parent', 'ts-child']), { cwd: PY_DIR, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONPATH: PY_DIR } });
    assert.equal(worker.status, 0, worker.stderr);
    const job = (id: string) => Job.fetch(id, { connection });
    assert.equal(await (await job('ts-add')).getStatus(), 'finished');
    assert.equal(await (await job('ts-add')).returnValue(), 5);
    assert.equal((await job('ts-add')).workerName, 'py-runner');
    assert.deepEqual((await job('ts-add')).meta, { from: 'rq-ts' });
    assert.equal(await (await job('ts-fail')).getStatus(), 'failed');
    assert.match((await (await job('ts-fail')).excInfo()) ?? '', /ValueError: from python/);
    assert.equal((await job('ts-retry')).retriesLeft, 0, 'retried once by Python, then failed');
    assert.deepEqual((await job('ts-meta')).meta, { progress: 50 }, 'meta written by the job in Python');
    assert.equal(await (await job('ts-front')).returnValue(), 'python');
    assert.deepEqual(await (await job('ts-child')).returnValue(), { args: ['child'], kwargs: { k: 1 } });
    assert.equal(await (await job('ts-later')).getStatus(), 'finished', "released by Python's scheduler");
    assert.deepEqual((await queue.failedJobRegistry.getJobIds()).sort(), ['ts-fail', 'ts-retry']);
    assert.deepEqual((await queue.finishedJobRegistry.getJobIds()).sort(), ['ts-add', 'ts-front', 'ts-later', 'ts-meta']);
    assert.equal(await queue.startedJobRegistry.count(), 0);
  });

  test('mixed: Python and rq-ts workers share one queue, each job runs once; a chain crosses languages; a retry scheduled by rq-ts is released by Python', async () => {
    const shared = new Queue('shared', { connection });
    for (let i = 0; i < 30; i++) await shared.enqueueCall('pytasks.whoami', { jobId: `shared-${i}` });
    // Language-specific queues and a chain: ts-only -> py-only -> ts-only.
    const first = await new Queue('ts-only', { connection }).enqueueCall('pytasks.whoami', { jobId: 'chain-1' });
    const second = await new Queue('py-only', { connection }).enqueueCall('pytasks.whoami', { jobId: 'chain-2', dependsOn: first });
    await new Queue('ts-only', { connection }).enqueueCall('pytasks.whoami', { jobId: 'chain-3', dependsOn: second });
    const python = startPyWorker(['--name', 'py-mixed', 'shared', 'py-only']);
    const tsWorker = new Worker(['shared', 'ts-only'], { connection: redis.connect(), tasks, name: 'ts-mixed', concurrency: 2 });
    const working = tsWorker.work();
    try {
      await waitUntil(async () => (await shared.finishedJobRegistry.count()) === 30 && (await Job.fetch('chain-3', { connection }).then((job) => job.getStatus())) === 'finished', 30_000, 'every job to finish');
    } finally {
      tsWorker.stop();
      await working;
      python.kill('SIGTERM');
    }
    const runners = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const job = await Job.fetch(`shared-${i}`, { connection });
      assert.equal((await job.results()).length, 1, `shared-${i} ran once`);
      runners.set(String(await job.returnValue()), (runners.get(String(await job.returnValue())) ?? 0) + 1);
    }
    assert.equal((runners.get('python') ?? 0) + (runners.get('rq-ts') ?? 0), 30);
    assert.deepEqual(
      await Promise.all(['chain-1', 'chain-2', 'chain-3'].map(async (id) => (await Job.fetch(id, { connection })).returnValue())),
      ['rq-ts', 'python', 'rq-ts'],
      'each link ran on its language',
    );

    // A retry with a wait, scheduled when rq-ts fails the job, released and run by Python.
    const retried = await new Queue('handover', { connection }).enqueueCall('pytasks.flaky', { jobId: 'handover', retry: new Retry({ max: 1, interval: 1 }) });
    await new Worker(['handover'], { connection, tasks }).work({ burst: true });
    assert.equal(await retried.getStatus(), 'scheduled');
    await new Promise((done) => setTimeout(done, 1100));
    const release = spawnSync(PYTHON, pyWorker(['--with-scheduler', 'handover']), { cwd: PY_DIR, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONPATH: PY_DIR } });
    assert.equal(release.status, 0, release.stderr);
    assert.equal(await retried.getStatus(), 'finished');
    assert.equal(await retried.returnValue(), 'python');
  });

  test("Python's rq info, requeue, empty, suspend and resume act on rq-ts state", async () => {
    const queue = new Queue('tools', { connection });
    for (let i = 0; i < 3; i++) await queue.enqueueCall('pytasks.fail', { args: [`boom ${i}`], jobId: `tools-fail-${i}` });
    await new Worker(['tools'], { connection, tasks }).work({ burst: true });
    let release!: () => void;
    const gate = new Promise<void>((done) => (release = done));
    await queue.enqueue('pytasks.gate');
    const busy = new Worker(['tools'], { connection: redis.connect(), name: 'ts-tools', concurrency: 2, tasks: { ...tasks, 'pytasks.gate': () => gate } });
    const working = busy.work();
    try {
      await waitUntil(async () => (await queue.startedJobRegistry.count()) === 1, 10_000, 'the gate job to run');
      const info = pyRq(['info', '-u', redis.server.url, 'tools']);
      assert.equal(info.code, 0, info.stderr);
      assert.match(info.stdout, /^tools +\|.* 0$/m);
      assert.match(info.stdout, /ts-tools \(.*\): busy tools/);
      assert.match(info.stdout, /ts-tools-2 \(.*\): idle tools/);
      assert.match(info.stdout, /2 workers, 1 queues/);
      assert.match(pyRq(['info', '-u', redis.server.url, '--raw', 'tools']).stdout, /^worker ts-tools \(.*\) busy tools$/m);
      assert.match(pyRq(['info', '-u', redis.server.url, '--by-queue', 'tools']).stdout, /^tools: ts-tools \(busy\), ts-tools-2 \(idle\)$/m);
    } finally {
      release();
      busy.stop();
      await working;
    }
    const requeued = pyRq(['requeue', '-u', redis.server.url, '-S', 'rq.serializers.JSONSerializer', '--queue', 'tools', '--all']);
    assert.equal(requeued.code, 0, requeued.stderr);
    assert.equal(await queue.count(), 3);
    assert.equal(await (await Job.fetch('tools-fail-0', { connection })).getStatus(), 'queued');
    const emptied = pyRq(['empty', '-u', redis.server.url, '-S', 'rq.serializers.JSONSerializer', 'tools']);
    assert.match(emptied.stdout, /3 jobs removed from tools queue/);
    assert.equal(await redis.admin.exists('rq:job:tools-fail-0'), 0);

    assert.equal(pyRq(['suspend', '-u', redis.server.url]).code, 0);
    const suspended = await queue.enqueue('pytasks.whoami');
    const refused = tsRq(['worker', '--burst', 'tools']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /RQ is currently suspended/);
    assert.equal(pyRq(['resume', '-u', redis.server.url]).code, 0);
    await new Worker(['tools'], { connection, tasks }).work({ burst: true });
    assert.equal(await suspended.getStatus(), 'finished');
  });

  test('the rq-ts tools act on Python state: rq info shows a Python worker, rq requeue and rq empty its jobs; rq-ts commands stop its job and the worker', async () => {
    py('enqueue', { jobs: [0, 1].map((i) => ({ queue: 'pyq', func: 'pytasks.fail', args: [`py ${i}`], job_id: `pyq-fail-${i}` })) });
    const failRun = spawnSync(PYTHON, pyWorker(['pyq']), { cwd: PY_DIR, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONPATH: PY_DIR } });
    assert.equal(failRun.status, 0, failRun.stderr);
    const requeue = tsRq(['requeue', '--queue', 'pyq', '--all']);
    assert.equal(requeue.code, 0, requeue.stderr);
    assert.deepEqual(py('registries', { queues: ['pyq'] })['pyq'].queued.sort(), ['pyq-fail-0', 'pyq-fail-1']);
    assert.equal(py('read', { ids: ['pyq-fail-1'] })['pyq-fail-1'].status, 'queued');
    assert.match(tsRq(['empty', 'pyq']).stdout, /^2 jobs removed from pyq queue$/m);

    py('enqueue', { jobs: [{ queue: 'pyslow', func: 'pytasks.slow', args: [30], job_id: 'py-slow' }] });
    const worker = startPyWorker(['--name', 'py-stoppable', 'pyslow']);
    const exited = new Promise<number | null>((done) => worker.once('exit', (code) => done(code)));
    await waitUntil(async () => (await redis.admin.hget('rq:job:py-slow', 'status')) === 'started', 20_000, 'the Python job to start');
    const info = tsRq(['info', '--raw', 'pyslow']);
    assert.match(info.stdout, /^worker py-stoppable \(\S+ \S+ \d+\) busy pyslow\. jobs: 0 finished, 0 failed$/m);
    await sendStopJobCommand('py-stoppable', 'py-slow', { connection });
    await waitUntil(async () => (await redis.admin.hget('rq:job:py-slow', 'status')) === 'stopped', 20_000, 'the job stopped by rq-ts');
    assert.deepEqual(py('registries', { queues: ['pyslow'] })['pyslow'].failed, ['py-slow']);
    await sendShutdownCommand('py-stoppable', { connection });
    assert.equal(await exited, 0, 'the Python worker shut down');
  });

  test("abandoned jobs: a killed rq-ts worker's job is failed by Python's maintenance, and a killed Python worker's by rq-ts'", async () => {
    // rq-ts: a worker process killed while its job runs.
    const queue = new Queue('abandon', { connection });
    const tsJob = await queue.enqueueCall('tasks.sleepThenReturn', { args: [30_000, 'never'], jobId: 'ts-abandoned' });
    const tsWorker = spawn(process.execPath, [RQ_BIN, 'worker', 'abandon', '-u', redis.server.url, '-P', join(ROOT, 'test', 'fixtures')], { stdio: 'ignore' });
    children.push(tsWorker);
    await waitUntil(async () => (await tsJob.getStatus()) === 'started', 20_000, 'the rq-ts job to start');
    tsWorker.kill('SIGKILL');
    // Its heartbeat deadline, as if it had passed (no waiting for the TTL); no cleaning lock held.
    await redis.admin.zadd('rq:wip:abandon', 1, 'ts-abandoned');
    await redis.admin.del('rq:clean_registries:abandon');
    const sweep = spawnSync(PYTHON, pyWorker(['abandon']), { cwd: PY_DIR, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONPATH: PY_DIR } });
    assert.equal(sweep.status, 0, sweep.stderr);
    assert.equal(await tsJob.getStatus(), 'failed');
    assert.deepEqual(await queue.failedJobRegistry.getJobIds(), ['ts-abandoned']);
    assert.equal(await queue.startedJobRegistry.count(), 0);

    // Python: a worker (and its work horse) killed while its job runs.
    py('enqueue', { jobs: [{ queue: 'pyabandon', func: 'pytasks.slow', args: [30], job_id: 'py-abandoned' }] });
    children.push(startPyWorker(['pyabandon']));
    await waitUntil(async () => (await redis.admin.hget('rq:job:py-abandoned', 'status')) === 'started', 20_000, 'the Python job to start');
    // The worker and its work horse (which RQ puts in a session of its own): every process of this Redis' port.
    spawnSync('pkill', ['-KILL', '-f', `rq worker -u ${redis.server.url} `]);
    await redis.admin.zadd('rq:wip:pyabandon', 1, 'py-abandoned');
    await redis.admin.del('rq:clean_registries:pyabandon');
    await new Worker(['pyabandon'], { connection, tasks }).work({ burst: true });
    const seen = py('read', { ids: ['py-abandoned'] })['py-abandoned'];
    assert.equal(seen.status, 'failed');
    assert.deepEqual(py('registries', { queues: ['pyabandon'] })['pyabandon'].failed, ['py-abandoned']);
  });

  test('a pickled job from a producer without -S fails alone, saying to use the JSON serializer; the worker goes on', async () => {
    py('enqueue', { jobs: [{ queue: 'mixed-formats', func: 'pytasks.add', args: [1, 2], job_id: 'pickled', pickle: true }, { queue: 'mixed-formats', func: 'pytasks.add', args: [3, 4], job_id: 'json-ok' }] });
    const errors: Error[] = [];
    const worker = new Worker(['mixed-formats'], { connection, tasks });
    worker.on('worker:error', (error) => errors.push(error));
    await worker.work({ burst: true });
    assert.equal(await (await Job.fetch('json-ok', { connection })).returnValue(), 7, 'the next job ran');
    assert.equal(await redis.admin.hget('rq:job:pickled', 'status'), 'failed');
    assert.deepEqual(await new Queue('mixed-formats', { connection }).failedJobRegistry.getJobIds(), ['pickled']);
    // The failure's text, as Python's job.exc_info shows it: the results entry's exc_string (zlib, base64).
    const [[, fields]] = (await redis.admin.xrevrange('rq:results:pickled', '+', '-', 'COUNT', 1)) as [string, string[]][] as [[string, string[]]];
    const excString = inflateSync(Buffer.from(fields[fields.indexOf('exc_string') + 1]!, 'base64')).toString('utf8');
    assert.match(excString, /pickle/i);
    assert.match(excString, /JSONSerializer/);
    assert.equal(py('read', { ids: ['pickled'] })['pickled'].exc_info, excString, 'Python reads the same text');
    assert.deepEqual(errors, [], 'no worker error: one job failed, nothing else');
  });
});
