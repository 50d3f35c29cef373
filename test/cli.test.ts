import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { Queue } from '../src/index.js';
import { freePort, ROOT, RQ_BIN, runRq, useRedis, useTempDir, waitUntil } from './harness/index.js';

// The built bin, run as a user runs it, from the repository root.
const dir = useTempDir('rqts-cli-');

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

function rq(args: string[], env: Record<string, string> = {}) {
  return runRq(args, { env });
}

describe('rq', () => {
  test('--help lists the worker command; a bad option is a usage error (exit 2)', () => {
    const help = rq(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /worker \[options\] \[queues\.\.\.\]/);
    const workerHelp = rq(['worker', '--help']);
    assert.match(workerHelp.stdout, /--burst/);
    assert.match(workerHelp.stdout, /RQ_REDIS_URL/);
    const bad = rq(['worker', '--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option '--bogus'/);
  });

  test('an unreachable Redis is exit 1 and one line naming the address, without the password', async () => {
    const port = await freePort();
    const result = rq(['worker', '--burst', '-u', `redis://:topsecret@127.0.0.1:${port}/0`]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, new RegExp(`Cannot connect to Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0`));
    assert.doesNotMatch(result.stderr + result.stdout, /topsecret/);
  });

  test('worker --burst runs the queues dry with functions from --path, logging each job', async () => {
    const queue = new Queue('default', { connection });
    const ok = await queue.enqueue('tasks.add', 2, 3);
    const bad = await queue.enqueue('tasks.fail', 'on purpose');
    const result = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures', '--name', 'cli-w']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Worker rq:worker:cli-w started/);
    assert.match(result.stdout, new RegExp(`default: tasks\\.add\\(2, 3\\) \\(${ok.id}\\)`));
    assert.match(result.stdout, new RegExp(`default: Job OK \\(${ok.id}\\) in \\d+ ms`));
    assert.match(result.stderr, new RegExp(`default: Job failed \\(${bad.id}\\) in \\d+ ms: Error: on purpose`));
    assert.equal(await ok.returnValue(), 5);
    assert.equal(await bad.getStatus(), 'failed');
    assert.equal(await redis.admin.hget('rq:worker:cli-w', 'successful_job_count'), '1');
  });

  test('a job held by RateLimitError is logged with its hold', async () => {
    const held = await new Queue('default', { connection }).enqueue('limited.tooMany', 60_000);
    const result = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`default: Job held \\(${held.id}\\) for 60000 ms, then scheduled: `));
    assert.equal(await held.getStatus(), 'scheduled');
  });

  test('a retried job is logged with the retries Redis has left for it: 1, then 0, then the failure', async () => {
    const enqueued = rq(['enqueue', '-u', redis.server.url, '--retry-max', '2', '--retry-interval', '0', '--job-id', 'flaky', 'tasks.fail', 'again']);
    assert.equal(enqueued.code, 0, enqueued.stderr);
    const result = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 3, result.stderr);
    assert.match(lines[0]!, /default: Job failed \(flaky\), retried \(1 retries left\): Error: again/);
    assert.match(lines[1]!, /default: Job failed \(flaky\), retried \(0 retries left\): Error: again/);
    assert.match(lines[2]!, /default: Job failed \(flaky\) in \d+ ms: Error: again/);
    assert.equal(await redis.admin.hget('rq:job:flaky', 'retries_left'), '0');
  });

  test("logging options: RQ's --logging-level (and --logging_level), -v, -q, --log-format, --date-format", async () => {
    const queue = new Queue('default', { connection });
    const ok = await queue.enqueue('tasks.add', 1, 1);
    const formatted = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures', '--name', 'cli-log', '--log-format', '[%(levelname)s] %(name)s %(asctime)s: %(message)s', '--date-format', '%Y-%m-%d %H:%M:%S.%f']);
    assert.equal(formatted.code, 0, formatted.stderr);
    assert.match(formatted.stdout, new RegExp(`^\\[INFO\\] rq\\.worker \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}: default: Job OK \\(${ok.id}\\)`, 'm'));
    assert.doesNotMatch(formatted.stdout, /DEBUG/, 'INFO by default');

    await queue.enqueue('tasks.add', 2, 2);
    const verbose = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures', '-v', '--log-format', '%(levelname)s %(message)s']);
    assert.match(verbose.stdout, /^DEBUG /m, '-v shows debug lines');
    await queue.enqueue('tasks.fail', 'loud');
    await queue.enqueue('tasks.add', 3, 3);
    const quiet = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures', '--logging_level', 'WARNING']);
    assert.equal(quiet.stdout, '', 'WARNING hides the INFO lines');
    assert.match(quiet.stderr, /default: Job failed \(.*\) in \d+ ms: Error: loud/);
    await queue.enqueue('tasks.fail', 'again');
    const q = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures', '-q', '--log-format', '%(levelname)-8s|%(asctime)s,%(msecs)03d %(message)s 100%%']);
    assert.equal(q.stdout, '', '-q is WARNING');
    assert.match(q.stderr, /^ERROR {3}\|\d\d:\d\d:\d\d,\d{3} default: Job failed .* Error: again 100%$/m, 'Python widths, zero padding and %%');
    await queue.enqueue('tasks.add', 4, 4);
    const errorsOnly = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures', '--logging-level', 'error']);
    assert.equal(errorsOnly.code, 0, errorsOnly.stderr);
    assert.equal(errorsOnly.stdout + errorsOnly.stderr, '', 'nothing failed, so nothing at ERROR');

    for (const [args, message] of [
      [['--logging-level', 'LOUD'], /--logging-level 'LOUD': use DEBUG, INFO, WARNING, ERROR or CRITICAL/],
      [['--log-format', '%(funcName)s %(message)s'], /--log-format: %\(funcName\) is not known here/],
      [['--date-format', '%Q'], /--date-format: %Q is not known here/],
      [['--log-format', '100% %(message)s'], /a '%' at 3 starts no field; write %% for a literal %/],
      [['-v', '-q'], /-v\/--verbose and -q\/--quiet cannot be used together/],
    ] as const) {
      const bad = rq(['worker', '--burst', '-u', redis.server.url, ...args]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, message);
    }
  });

  test('settings: a config file (-c or RQ_CONFIG) gives REDIS_URL and QUEUES; --url wins over it; REDIS_* env without one', async () => {
    writeFileSync(join(dir(), 'settings.mjs'), `export const REDIS_URL = '${redis.server.url}';\nexport const QUEUES = ['high', 'low'];\n`);
    const port = await freePort();
    writeFileSync(join(dir(), 'wrong.json'), JSON.stringify({ REDIS_URL: `redis://127.0.0.1:${port}` }));
    const high = new Queue('high', { connection });
    const low = new Queue('low', { connection });

    await high.enqueue('tasks.add', 1, 1);
    await low.enqueue('tasks.add', 1, 2);
    const byFlag = rq(['worker', '--burst', '-c', join(dir(), 'settings.mjs'), '-P', 'test/fixtures']);
    assert.equal(byFlag.code, 0, byFlag.stderr);
    assert.match(byFlag.stdout, /Listening on high, low/);
    assert.ok(byFlag.stdout.indexOf('high: tasks.add(1, 1)') < byFlag.stdout.indexOf('low: tasks.add(1, 2)'), 'high before low');

    await high.enqueue('tasks.add', 2, 2);
    const byEnv = rq(['worker', '--burst', '-P', 'test/fixtures'], { RQ_CONFIG: join(dir(), 'settings.mjs') });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.match(byEnv.stdout, /high: tasks\.add\(2, 2\)/);

    await high.enqueue('tasks.add', 3, 3);
    const urlWins = rq(['worker', '--burst', 'high', '-c', join(dir(), 'wrong.json'), '-u', redis.server.url, '-P', 'test/fixtures']);
    assert.equal(urlWins.code, 0, urlWins.stderr);
    assert.match(urlWins.stdout, /high: tasks\.add\(3, 3\)/);
    assert.equal(rq(['worker', '--burst', '-c', join(dir(), 'wrong.json')]).code, 1);

    await low.enqueue('tasks.add', 4, 4);
    const byRedisEnv = rq(['worker', '--burst', 'low', '-P', 'test/fixtures'], { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.server.port) });
    assert.equal(byRedisEnv.code, 0, byRedisEnv.stderr);
    assert.match(byRedisEnv.stdout, /low: tasks\.add\(4, 4\)/);

    const missing = rq(['worker', '--burst', '-c', join(dir(), 'nope.mjs')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Config file '.*nope\.mjs' not found/);
  });

  test('SIGTERM is a warm shutdown: the running job finishes, the worker deregisters and exits 0', async () => {
    const job = await new Queue('default', { connection }).enqueue('tasks.sleepThenReturn', 1500, 'done');
    const child = spawn(process.execPath, [RQ_BIN, 'worker', '-u', redis.server.url, '-P', 'test/fixtures', '--name', 'warm'], { cwd: ROOT });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await waitUntil(async () => (await job.getStatus()) === 'started', 10_000, 'the job to start');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(stdout, /warm shut down/);
    assert.equal(await job.getStatus(), 'finished');
    assert.equal(await job.returnValue(), 'done');
    assert.equal(await redis.admin.sismember('rq:workers', 'rq:worker:warm'), 0);
    assert.ok(await redis.admin.hget('rq:worker:warm', 'death'));
  });
});

describe('rq worker options', () => {
  test('--concurrency runs jobs side by side; a bad number is a usage error', async () => {
    const queue = new Queue('default', { connection });
    const jobs = await queue.enqueueMany([Queue.prepareData('tasks.sleepThenReturn', { args: [800, 'a'] }), Queue.prepareData('tasks.sleepThenReturn', { args: [800, 'b'] })]);
    const started = Date.now();
    const result = rq(['worker', '--burst', '--concurrency', '2', '-u', redis.server.url, '-P', 'test/fixtures', '--name', 'duo']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(Date.now() - started < 1600 + 1500, 'the two 800 ms jobs overlapped'); // generous: process start included
    for (const job of jobs) assert.equal(await job.getStatus(), 'finished');
    const bad = rq(['worker', '--concurrency', 'many']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--concurrency must be a whole number/);
  });

  test('--exception-handler calls a function by dotted name when a job fails; an unknown one is a clear error', async () => {
    const job = await new Queue('default', { connection }).enqueue('tasks.fail', 'handled');
    const result = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures', '--exception-handler', 'tasks.recordFailure']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await redis.admin.get(`rqts-test:handled:${job.id}`), 'handled');
    const unknown = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures', '--exception-handler', 'tasks.nope']);
    assert.equal(unknown.code, 2, 'a value of an option that names nothing is bad usage');
    assert.match(unknown.stderr, /--exception-handler: 'tasks\.nope'/);
  });

  test('a second SIGTERM is a cold shutdown: the running job is interrupted and failed, exit 1', async () => {
    const job = await new Queue('default', { connection }).enqueue('tasks.sleepThenReturn', 20_000, 'never');
    const child = spawn(process.execPath, [RQ_BIN, 'worker', '-u', redis.server.url, '-P', 'test/fixtures'], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await waitUntil(async () => (await job.getStatus()) === 'started', 10_000, 'the job to start');
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    assert.equal(await exited, 1);
    assert.match(stderr, /cold shut down/);
    assert.equal(await job.getStatus(), 'failed');
  });

  test('a worker exits when its work is done though a job module holds the process open: --burst, and two SIGTERMs', async () => {
    // test/fixtures/holding.mjs starts a timer when it is imported, as a module-level client would.
    const queue = new Queue('default', { connection });
    const quick = await queue.enqueue('holding.quick');
    const burst = rq(['worker', '--burst', '-u', redis.server.url, '-P', 'test/fixtures']);
    assert.equal(burst.code, 0, `exits (null: killed at the timeout) ${burst.stderr}`);
    assert.equal(await quick.getStatus(), 'finished');

    const stuck = await queue.enqueue('holding.stuck');
    const child = spawn(process.execPath, [RQ_BIN, 'worker', '-u', redis.server.url, '-P', 'test/fixtures'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await waitUntil(async () => (await stuck.getStatus()) === 'started', 10_000, 'the stuck job to start');
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
    assert.equal(await exited, 1, 'the second SIGTERM ends it (null: killed after 15 s)');
    clearTimeout(timeout);
    assert.equal(await stuck.getStatus(), 'failed', 'the stuck job, which ignores its signal, is recorded failed');
  });
});

describe('rq suspend / resume', () => {
  test('suspend stops workers from starting (with Python too); a suspended rq worker refuses to start; resume', async () => {
    const suspended = rq(['suspend', '--duration', '30', '-u', redis.server.url]);
    assert.equal(suspended.code, 0, suspended.stderr);
    assert.match(suspended.stdout, /Suspending workers for 30 seconds/);
    const ttl = await redis.admin.ttl('rq:suspended');
    assert.ok(ttl > 25 && ttl <= 30);
    const refused = rq(['worker', '--burst', '-u', redis.server.url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /RQ is currently suspended, to resume job execution run "rq resume"/);
    const resumed = rq(['resume', '-u', redis.server.url]);
    assert.equal(resumed.code, 0);
    assert.match(resumed.stdout, /Resuming workers/);
    assert.equal(await redis.admin.exists('rq:suspended'), 0);
    assert.equal(rq(['suspend', '--duration', '0', '-u', redis.server.url]).code, 2);
    assert.equal(rq(['suspend', '-u', redis.server.url]).code, 0);
    assert.equal(await redis.admin.ttl('rq:suspended'), -1, 'without a duration, until resumed');
    await redis.admin.del('rq:suspended');
  });
});

describe('npm run quickstart', () => {
  test('runs a real worker on real jobs against the Redis in REDIS_URL', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'tools', 'quickstart.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', REDIS_URL: redis.server.url },
      timeout: 120_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /tasks\.countWords\('The quick brown fox jumps over the lazy dog'\) -> finished, returned 9/);
    assert.match(result.stdout, /tasks\.greet\('Ada', greeting='Welcome'\) -> finished, returned "Welcome, Ada!"/);
    assert.match(result.stdout, /Job OK/);
    assert.match(result.stdout, /Using the Redis that REDIS_URL names/);
  });

  test('without REDIS_URL, starts a throw-away redis-server, says so first, and leaves it up for the redis-cli lines it prints', async () => {
    const run = () =>
      spawnSync(process.execPath, [join(ROOT, 'tools', 'quickstart.mjs')], {
        cwd: ROOT,
        encoding: 'utf8',
        // TMPDIR: where the throw-away server keeps its files, this test's own directory.
        env: { PATH: process.env['PATH'] ?? '', TMPDIR: dir() },
        timeout: 120_000,
      });
    // The port the quickstart keeps its server's on, read back at the end to stop that server
    // whatever happened, so that a failing run leaves no redis-server behind.
    const portFile = join(dir(), 'rq-ts-quickstart', 'port');
    let own: Redis | undefined;
    try {
      const first = run();
      assert.equal(first.status, 0, first.stderr);
      const port = /^==> REDIS_URL is not set: starting a throw-away redis-server on 127\.0\.0\.1:(\d+)/.exec(first.stdout)?.[1];
      assert.ok(port, first.stdout);
      own = new Redis({ host: '127.0.0.1', port: Number(port), lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      own.on('error', () => undefined);
      assert.ok(first.stdout.indexOf('starting a throw-away') < first.stdout.indexOf('==> Enqueued'), 'said before anything was written');
      const hgetall = new RegExp(`redis-cli -p ${port} HGETALL rq:job:([0-9a-f-]{36})`).exec(first.stdout);
      assert.ok(hgetall, first.stdout);
      await own.connect();
      assert.equal(await own.hget(`rq:job:${hgetall[1]}`, 'status'), 'finished', 'the printed redis-cli line finds the job');
      assert.match(first.stdout, new RegExp(`Stop it with: redis-cli -p ${port} shutdown nosave`));
      const second = run();
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, new RegExp(`Using the throw-away redis-server an earlier run started, on 127\\.0\\.0\\.1:${port}`));
      assert.equal(await own.zcard('rq:finished:quickstart'), 4, 'both runs on the same server');
    } finally {
      own?.disconnect();
      if (existsSync(portFile)) {
        // No reconnection: SHUTDOWN ends the connection it came on.
        const stopper = new Redis({ host: '127.0.0.1', port: Number(readFileSync(portFile, 'utf8')), retryStrategy: () => null, maxRetriesPerRequest: 0 });
        stopper.on('error', () => undefined);
        await stopper.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
        stopper.disconnect();
      }
    }
  });
});
