/**
 * `rq info`, `rq enqueue`, `rq requeue` and `rq empty`: the built bin run as a child process, as a
 * user runs it, against a real redis-server.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Job, Queue, Worker } from '../src/index.js';
import { ROOT, RQ_BIN, runRq, useRedis, useTempDir, waitUntil } from './harness/index.js';

const dir = useTempDir('rqts-cli-commands-');

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

function rq(args: string[], env: Record<string, string> = {}) {
  return runRq(args, { cwd: dir(), env: { RQ_REDIS_URL: redis.server.url, ...env } });
}

describe('rq enqueue', () => {
  test("reads RQ's argument syntax: text, key=text, :json, key:=json, @file, :@file", async () => {
    writeFileSync(join(dir(), 'body.txt'), 'Hello\nthere');
    writeFileSync(join(dir(), 'items.json'), '[1, 2, {"x": null}]');
    const result = rq(['enqueue', 'tasks.send', 'ada', 'count:=3', ':{"deep": [true]}', 'greeting=@body.txt', ':@items.json', 'subject=Hi=you', 'ratio:=0.5']);
    assert.equal(result.code, 0, result.stderr);
    const id = /with job-id '([0-9a-f-]{36})'/.exec(result.stdout)?.[1];
    assert.ok(id, result.stdout);
    assert.match(result.stdout, /^Enqueued tasks\.send\('ada', \{'deep': \[True\]\}, \[1, 2, \{'x': None\}\], count=3, greeting='Hello\\nthere', subject='Hi=you', ratio=0\.5\) with job-id/);
    const job = await Job.fetch(id, { connection });
    assert.deepEqual(job.args, ['ada', { deep: [true] }, [1, 2, { x: null }]]);
    assert.deepEqual(job.kwargs, { count: 3, greeting: 'Hello\nthere', subject: 'Hi=you', ratio: 0.5 });
    assert.equal(job.origin, 'default');
    assert.deepEqual(await new Queue('default', { connection }).getJobIds(), [id]);
  });

  test('every option lands in the job as RQ writes it', async () => {
    const parent = await new Queue('default', { connection }).enqueue('tasks.parent');
    const result = rq([
      'enqueue', 'tasks.work', '--queue', 'high', '--timeout', '5m', '--result-ttl', '60', '--ttl', '1h', '--failure-ttl', '2d',
      '--description', 'nightly work', '--job-id', 'work-1', '--depends-on', parent.id, '--retry-max', '2', '--retry-interval', '10', '--retry-interval', '60', '--quiet',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '', '--quiet');
    const hash = await redis.admin.hgetall('rq:job:work-1');
    assert.equal(hash['timeout'], '300');
    assert.equal(hash['result_ttl'], '60');
    assert.equal(hash['ttl'], '3600');
    assert.equal(hash['failure_ttl'], '172800');
    assert.equal(hash['description'], 'nightly work');
    assert.equal(hash['status'], 'deferred');
    assert.equal(hash['retries_left'], '2');
    assert.equal(hash['retry_intervals'], '[10, 60]');
    assert.deepEqual(await redis.admin.smembers(`rq:job:${parent.id}:dependents`), ['work-1']);

    const front = rq(['enqueue', 'tasks.first', '--queue', 'high', '--at-front', '--job-id', 'first']);
    assert.equal(front.code, 0, front.stderr);
    await new Queue('high', { connection }).enqueue('tasks.tail');
    assert.equal((await new Queue('high', { connection }).getJobIds())[0], 'first');

    const later = rq(['enqueue', 'tasks.later', '--schedule-in', '10m', '--job-id', 'later']);
    assert.equal(later.code, 0, later.stderr);
    assert.match(later.stdout, /\(scheduled\)/);
    const due = Number(await redis.admin.zscore('rq:scheduled:default', 'later'));
    assert.ok(Math.abs(due - (Date.now() / 1000 + 600)) < 5, `due ${due}`);
    const at = rq(['enqueue', 'tasks.at', '--schedule-at', '2099-01-02T03:04:05Z', '--job-id', 'at']);
    assert.equal(at.code, 0, at.stderr);
    assert.equal(await redis.admin.zscore('rq:scheduled:default', 'at'), String(Date.UTC(2099, 0, 2, 3, 4, 5) / 1000));
    // Without a zone, local time, as RQ's strptime: Tokyo is UTC+9 all year.
    const local = rq(['enqueue', 'tasks.local', '--schedule-at', '2099-01-02T03:04:05', '--job-id', 'local'], { TZ: 'Asia/Tokyo' });
    assert.equal(local.code, 0, local.stderr);
    assert.equal(await redis.admin.zscore('rq:scheduled:default', 'local'), String(Date.UTC(2099, 0, 1, 18, 4, 5) / 1000));
  });

  test('bad arguments are exit 2 and one line saying which; nothing is enqueued', async () => {
    const cases: [string[], RegExp][] = [
      [['enqueue', 'tasks.x', '%[1, 2]'], /argument 1 \('%\[1, 2\]'\): '%' marks a Python literal.*Write it as JSON instead: :<json>/],
      [['enqueue', 'tasks.x', 'items%=(1,)'], /keyword argument 'items': '%' marks a Python literal.*items:=<json>/],
      [['enqueue', 'tasks.x', ':{nope'], /argument 1 \(':\{nope'\): not valid JSON/],
      [['enqueue', 'tasks.x', 'a=1', 'a=2'], /keyword argument 'a' is given twice/],
      [['enqueue', 'tasks.x', '@missing.txt'], /cannot read the file 'missing\.txt'/],
      [['enqueue', 'tasks.x', '--timeout', '5x'], /--timeout: Bad job timeout '5x'/],
      [['enqueue', 'tasks.x', '--schedule-in', '1m', '--schedule-at', '2099-01-01T00:00:00'], /both --schedule-in and --schedule-at/],
      [['enqueue', 'tasks.x', '--schedule-at', 'tomorrow'], /--schedule-at 'tomorrow': use 2026-12-24T18:00:00/],
      [['enqueue', 'tasks.x', '--schedule-at', '2027-02-30T10:00:00'], /--schedule-at '2027-02-30T10:00:00': there is no such time/],
      [['enqueue', 'tasks.x', '--schedule-at', '2027-03-01T24:00:00'], /there is no such time/],
      [['enqueue', 'tasks.x', '--retry-interval', '5'], /--retry-interval needs --retry-max/],
      [['enqueue', 'tasks.x', '-S', 'rq.serializers.DefaultSerializer'], /cannot read or write pickle/],
    ];
    for (const [args, message] of cases) {
      const result = rq(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, message);
    }
    const missingParent = rq(['enqueue', 'tasks.x', '--depends-on', 'no-such-job']);
    assert.equal(missingParent.code, 1);
    assert.match(missingParent.stderr, /depends on job no-such-job, which does not exist/);
    assert.deepEqual(await redis.admin.keys('rq:job:*'), []);
  });
});

describe('rq info', () => {
  test("shows queues with their counts per registry and workers, in RQ's default, raw, by-queue and only- views", async () => {
    const queue = new Queue('default', { connection });
    const high = new Queue('high', { connection });
    for (let i = 0; i < 3; i++) await queue.enqueue('tasks.wait');
    await high.enqueueCall('tasks.later', { in: 600 });
    let release!: () => void;
    const gate = new Promise<void>((done) => (release = done));
    const worker = new Worker(['high', 'default'], { connection: redis.connect(), concurrency: 2, name: 'cli-info', tasks: { 'tasks.wait': () => gate } });
    const working = worker.work();
    try {
      await waitUntil(async () => (await queue.startedJobRegistry.count()) === 2, 10_000, 'two jobs running');
      const plain = rq(['info']);
      assert.equal(plain.code, 0, plain.stderr);
      const lines = plain.stdout.split('\n');
      assert.match(lines[0]!, /^default {6}\|█+ 1, 2 executing, 0 finished, 0 failed, 0 deferred, 0 scheduled, 0 canceled$/);
      assert.match(lines[1]!, /^high {9}\| 0, 0 executing, 0 finished, 0 failed, 0 deferred, 1 scheduled, 0 canceled$/);
      assert.equal(lines[2], '2 queues, 1 jobs total');
      const workerLines = lines.filter((line) => line.startsWith('cli-info'));
      assert.equal(workerLines.length, 2, 'each slot is a worker, as RQ sees them');
      assert.match(workerLines[0]!, new RegExp(`^cli-info \\(\\S+ \\S+ ${process.pid}\\): busy high, default\\. jobs: 0 finished, 0 failed$`));
      assert.ok(lines.includes('2 workers, 2 queues'));
      assert.match(plain.stdout, /\nUpdated: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\n$/);
      assert.doesNotMatch(plain.stdout, /\u001b\[/, 'no colour in a pipe');

      const raw = rq(['info', '--raw']);
      assert.deepEqual(raw.stdout.split('\n').filter((line) => line.startsWith('queue ')), [
        'queue default 1, 2 executing, 0 finished, 0 failed, 0 deferred, 0 scheduled, 0 canceled',
        'queue high 0, 0 executing, 0 finished, 0 failed, 0 deferred, 1 scheduled, 0 canceled',
      ]);
      assert.equal(raw.stdout.split('\n').filter((line) => /^worker cli-info(-2)? \(.*\) busy high, default\. jobs: /.test(line)).length, 2);
      assert.doesNotMatch(raw.stdout, /Updated|queues,/);

      const byQueue = rq(['info', '-R', 'default']);
      assert.match(byQueue.stdout, /^default: cli-info \(busy\), cli-info-2 \(busy\)$/m);
      assert.match(rq(['info', '--by-queue', 'high', 'default']).stdout, /^high:    cli-info \(busy\), cli-info-2 \(busy\)$/m);

      const queuesOnly = rq(['info', '-Q']);
      assert.doesNotMatch(queuesOnly.stdout, /cli-info|workers/);
      assert.match(queuesOnly.stdout, /2 queues, 1 jobs total/);
      const workersOnly = rq(['info', '--only-workers', '--raw']);
      assert.doesNotMatch(workersOnly.stdout, /^queue /m);
      assert.match(workersOnly.stdout, /^worker cli-info /m);
    } finally {
      release();
      worker.stop();
      await working;
    }
    const after = rq(['info', '--raw', 'default']);
    assert.match(after.stdout, /^queue default 1, 0 executing, 2 finished, 0 failed/m, 'counts follow: the two finished; the stopped worker left the third');
  });

  test('--interval redraws until SIGINT, then exits 0; a bad interval is a usage error', async () => {
    await new Queue('default', { connection }).enqueue('tasks.x');
    const child = spawn(process.execPath, [RQ_BIN, 'info', '--interval', '0.2', '--raw', '-u', redis.server.url], { cwd: dir() });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await waitUntil(async () => (stdout.match(/^queue default 1,/gm)?.length ?? 0) >= 2, 10_000, 'two frames');
    await new Queue('default', { connection }).enqueue('tasks.y');
    await waitUntil(async () => /^queue default 2,/m.test(stdout), 10_000, 'a frame with the new count');
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.doesNotMatch(stdout, /\u001b\[/, 'frames in a pipe are not cleared with escape codes');
    const bad = rq(['info', '--interval', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--interval must be a number of seconds above 0/);
  });
});

describe('rq info on a terminal', { skip: spawnSync('script', ['--version']).status !== 0 ? 'needs script(1) for a pseudo-terminal' : false }, () => {
  /** Runs a shell command line in a pseudo-terminal (util-linux script), as in a user's terminal. */
  function inTerminal(command: string, env: Record<string, string> = {}) {
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: dir(), encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', TERM: 'xterm', ...env }, timeout: 30_000 });
    return { code: result.status, output: result.stdout };
  }

  test('colour on a terminal, none with NO_COLOR; --interval redraws in place and stops on SIGINT with exit 0', async () => {
    await new Queue('default', { connection }).enqueue('tasks.x');
    const info = `${process.execPath} ${RQ_BIN} info -u ${redis.server.url}`;
    const colored = inTerminal(`${info} -Q`);
    assert.equal(colored.code, 0, colored.output);
    assert.match(colored.output, /default {6}\u001b\[32m\|/, 'the bar is green');
    const plain = inTerminal(`${info} -Q`, { NO_COLOR: '1' });
    assert.doesNotMatch(plain.output, /\u001b\[/);
    assert.match(plain.output, /default {6}\|/);
    const live = inTerminal(`timeout --preserve-status -s INT 1.5 ${info} -Q --interval 0.2`);
    assert.equal(live.code, 0, live.output);
    const frames = live.output.split('\u001b[H\u001b[2J').filter((frame) => frame.includes('default'));
    assert.ok(frames.length >= 3, `${frames.length} frames, each drawn over the last`);
  });
});

describe('rq requeue / rq empty', () => {
  async function failedJobs(count: number): Promise<Job[]> {
    const queue = new Queue('default', { connection });
    const jobs = [];
    for (let i = 0; i < count; i++) jobs.push(await queue.enqueue('tasks.fail', i));
    await new Worker([queue], { tasks: { 'tasks.fail': () => Promise.reject(new Error('no')) } }).work({ burst: true });
    return jobs;
  }

  test('requeue puts the given failed jobs, or --all, back on their queue', async () => {
    const jobs = await failedJobs(4);
    const some = rq(['requeue', '--queue', 'default', jobs[0]!.id, 'not-failed']);
    assert.equal(some.code, 1, 'one id was not in the failed registry');
    assert.match(some.stdout, /Requeueing 2 jobs from failed queue/);
    assert.match(some.stderr, /Unable to requeue 1 jobs from failed job registry \(not in it: not-failed\)/);
    assert.deepEqual(await new Queue('default', { connection }).getJobIds(), [jobs[0]!.id]);
    const all = rq(['requeue', '--queue', 'default', '--all']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /Requeueing 3 jobs from failed queue\nRequeued 3 jobs onto default\n$/);
    assert.doesNotMatch(all.stdout, /\r|#/, 'no progress bar in a pipe');
    assert.equal(await new Queue('default', { connection }).count(), 4);
    assert.equal(await redis.admin.zcard('rq:failed:default'), 0);
    assert.equal(await (await Job.fetch(jobs[3]!.id, { connection })).getStatus(), 'queued');
    assert.match(rq(['requeue', '--queue', 'default', '--all']).stdout, /^Nothing to do$/m);
  });

  test('empty removes the waiting jobs of the queues given, or of all; unknown queues and missing arguments are errors', async () => {
    const queue = new Queue('default', { connection });
    const other = new Queue('other', { connection });
    const jobs = [await queue.enqueue('tasks.a'), await queue.enqueue('tasks.b'), await other.enqueue('tasks.c')];
    const unknown = rq(['empty', 'default', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No queue named 'nope' \(not in rq:queues; there are: default, other\): nothing done\./);
    assert.equal(await queue.count(), 2, 'nothing done');
    const one = rq(['empty', 'default']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, '2 jobs removed from default queue\n');
    assert.equal(await redis.admin.exists(jobs[0]!.key), 0, 'the jobs are deleted, as RQ does');
    assert.equal(await other.count(), 1);
    const all = rq(['empty', '--all']);
    assert.match(all.stdout, /0 jobs removed from default queue\n1 jobs removed from other queue/);
    const none = rq(['empty']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give queue names, or --all/);
    assert.equal(rq(['requeue', '--queue', 'default']).code, 2);
    assert.equal(rq(['requeue', 'x']).code, 2, '--queue is required');
  });
});

describe('rq worker-pool', () => {
  const fixtures = join(ROOT, 'test', 'fixtures');

  test('--burst: N worker processes share the queue, then the pool exits 0', async () => {
    const queue = new Queue('default', { connection });
    const jobs = [];
    for (let i = 0; i < 8; i++) jobs.push(await queue.enqueue('tasks.sleepThenReturn', 100, i));
    const result = rq(['worker-pool', '-n', '3', '--burst', '-P', fixtures, 'default']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Worker pool started with PID \d+: 3 workers/);
    const runners = new Set<string>();
    for (const job of jobs) {
      assert.equal(await job.getStatus(), 'finished');
      runners.add((await redis.admin.hget(job.key, 'worker_name'))!);
    }
    assert.ok(runners.size >= 2, `the jobs ran in ${runners.size} worker(s)`);
    for (const name of runners) assert.match(name, /^[0-9a-f]{32}$/, 'workers named as RQ names them');
  });

  test('a killed worker is replaced; SIGTERM stops them all warmly and the pool exits 0', async () => {
    const child = spawn(process.execPath, [RQ_BIN, 'worker-pool', '-n', '2', '-u', redis.server.url, '-P', fixtures, 'default'], { cwd: dir() });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await waitUntil(async () => (await Worker.all({ connection })).length === 2, 15_000, 'two workers registered');
      const [victim] = await Worker.all({ connection });
      process.kill(victim!.pid!, 'SIGKILL');
      await waitUntil(async () => {
        const names = (await Worker.all({ connection })).map((worker) => worker.name);
        return names.length >= 2 && !names.includes(victim!.name) ? true : (await redis.admin.del(victim!.key), false);
      }, 15_000, 'a new worker in place of the killed one');
      assert.match(stdout, /exited \(SIGKILL\); starting another in 1 s/);
      const job = await new Queue('default', { connection }).enqueue('tasks.add', 2, 3);
      await waitUntil(async () => (await job.getStatus()) === 'finished', 10_000, 'the pool to run a job');
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(stdout, /SIGTERM received: stopping the 2 workers warmly/);
      assert.deepEqual(await Worker.all({ connection }), [], 'every worker deregistered');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a second SIGTERM stops the workers coldly: the running job fails and the pool exits 1 at once', async () => {
    const job = await new Queue('default', { connection }).enqueue('tasks.sleepThenReturn', 60_000, 'never');
    const child = spawn(process.execPath, [RQ_BIN, 'worker-pool', '-n', '1', '-u', redis.server.url, '-P', fixtures, 'default'], { cwd: dir(), stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await waitUntil(async () => (await job.getStatus()) === 'started', 15_000, 'the job to start');
      child.kill('SIGTERM');
      await new Promise((done) => setTimeout(done, 300));
      const signalled = Date.now();
      child.kill('SIGTERM');
      assert.equal(await exited, 1);
      assert.ok(Date.now() - signalled < 10_000, `exited ${Date.now() - signalled} ms after the second signal`);
      assert.equal(await job.getStatus(), 'failed');
      assert.deepEqual(await Worker.all({ connection }), []);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a pool killed with SIGKILL leaves no worker behind; while suspended, its workers wait instead of dying', async () => {
    assert.equal(rq(['suspend']).code, 0);
    const job = await new Queue('default', { connection }).enqueue('tasks.add', 1, 2);
    const child = spawn(process.execPath, [RQ_BIN, 'worker-pool', '-n', '2', '-u', redis.server.url, '-P', fixtures, 'default'], { cwd: dir(), stdio: 'ignore' });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    try {
      await waitUntil(async () => (await Worker.all({ connection })).length === 2, 15_000, 'two workers, waiting');
      await new Promise((done) => setTimeout(done, 1500));
      assert.equal(await job.getStatus(), 'queued', 'suspended: nothing runs');
      assert.equal((await Worker.all({ connection })).length, 2, 'and no worker died of it');
      assert.equal(rq(['resume']).code, 0);
      await waitUntil(async () => (await job.getStatus()) === 'finished', 15_000, 'the job to run once resumed');
      const pids = (await Worker.all({ connection })).map((worker) => worker.pid!);
      child.kill('SIGKILL');
      await exited;
      await waitUntil(async () => (await Worker.all({ connection })).length === 0, 15_000, 'the orphaned workers to stop');
      for (const pid of pids) {
        await waitUntil(async () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        }, 10_000, `worker process ${pid} to exit`);
      }
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('workers that die at start end the pool with exit 1 instead of a restart loop; a bad config stops it before', () => {
    // Loads in the pool (its argv has worker-pool), throws in each worker (argv: worker).
    writeFileSync(join(dir(), 'workers-refused.mjs'), `if (process.argv.includes('worker')) throw new Error('this config refuses workers');\nexport const REDIS_URL = '${redis.server.url}';\n`);
    const started = Date.now();
    const result = rq(['worker-pool', '-n', '2', '-c', 'workers-refused.mjs'], { RQ_REDIS_URL: '' });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /this config refuses workers/);
    assert.match(result.stdout, /Workers keep dying at start \(5 in a row, the last with exit code 1\): stopping the pool/);
    assert.ok(Date.now() - started < 25_000);
    const missing = rq(['worker-pool', '-c', 'no-such-settings.mjs'], { RQ_REDIS_URL: '' });
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    assert.match(missing.stderr, /no-such-settings\.mjs' not found/);
  });
});

describe('rq --help', () => {
  test('lists every command, and each has its own help', () => {
    const help = rq(['--help']);
    for (const command of ['worker', 'worker-pool', 'info', 'enqueue', 'requeue', 'empty', 'suspend', 'resume', 'cron']) {
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), command);
      const own = rq([command, '--help']);
      assert.equal(own.code, 0, command);
      assert.match(own.stdout, /RQ_REDIS_URL/, `${command} has the shared options`);
    }
  });
});
