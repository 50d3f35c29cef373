/**
 * Every `rq` command that fails before its main loop exits, with one line that names what is
 * wrong (the flag, for a bad option) and RQ's exit code: 2 for bad usage, 1 for a failure at run
 * time. A command that hung instead (an open connection, a server that never listened) would be
 * killed at the runner's timeout and have no exit code. Nothing is written to Redis by a refused
 * command.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Queue, suspend } from '../src/index.js';
import { freePort, runRqAsync, useRedis, useTempDir, type RqRun } from './harness/index.js';

const redis = useRedis();
const dir = useTempDir('rqts-cli-errors-');

/** A command line, the exit code it must end with, and what its one line of error must say. */
type Case = [args: string[], code: 1 | 2, says: RegExp];

/** Runs the cases four at a time and checks each: exit code, one line on stderr, its text, nothing left holding the process. */
async function check(cases: Case[]): Promise<RqRun[]> {
  const runs: RqRun[] = [];
  for (let i = 0; i < cases.length; i += 4) runs.push(...(await Promise.all(cases.slice(i, i + 4).map(([args]) => runRqAsync(args)))));
  cases.forEach(([args, code, says], index) => {
    const run = runs[index]!;
    const what = `rq ${args.join(' ')}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
    assert.notEqual(run.code, null, `hung until killed: ${what}`);
    assert.equal(run.code, code, what);
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${what}`);
    assert.match(run.stderr, says, what);
    assert.doesNotMatch(run.stderr, /still held open/, `closed everything it opened: ${what}`);
  });
  return runs;
}

describe('rq commands exit after an error before their main loop', () => {
  test('rq worker: each bad option is a usage error naming it, after the connection or before it', async () => {
    const url = redis.server.url;
    await check([
      [['worker', '--burst', '-u', url, '--concurrency', '0'], 2, /--concurrency must be a whole number of at least 1, got '0'/],
      [['worker', '--burst', '-u', url, '--worker-ttl', '0'], 2, /--worker-ttl .* at least 1/],
      [['worker', '--burst', '-u', url, '--job-monitoring-interval', '0'], 2, /--job-monitoring-interval .* at least 1/],
      [['worker', '--burst', '-u', url, '--maintenance-interval', '0'], 2, /--maintenance-interval .* at least 1/],
      [['worker', '--burst', '-u', url, '--max-jobs', '0'], 2, /--max-jobs .* at least 1/],
      [['worker', '--burst', '-u', url, '--results-ttl', 'soon'], 2, /--results-ttl must be a whole number, got 'soon'/],
      [['worker', '--burst', '-u', url, '--exception-handler', 'handlers.missing'], 2, /--exception-handler: 'handlers\.missing'/],
      [['worker', '--burst', '-u', url, '-P', join(dir(), 'nowhere')], 2, /-P\/--path '.*nowhere': there is no such directory/],
      [['worker', '--burst', '-u', 'redis//oops'], 2, /-u\/--url: Not a valid Redis URL: 'redis\/\/oops'/],
      [['worker', '--burst', '-u', 'redis//ada:hunter2@host'], 2, /'redis\/\/ada:\*\*\*@host'/],
      [['worker', '--burst', '-u', url, '-v', '-q'], 2, /-v\/--verbose and -q\/--quiet/],
    ]);
  });

  test('rq worker: a suspension or a config that fails after the connection is open ends it with exit 1', async () => {
    const config = join(dir(), 'broken-settings.mjs');
    writeFileSync(config, 'throw new Error("typo in the settings");\n');
    await suspend({ connection: redis.connect() });
    await check([[['worker', '--burst', '-u', redis.server.url], 1, /RQ is currently suspended/]]);
    await redis.admin.del('rq:suspended');
    await check([[['worker', '--burst', '-c', config], 1, /typo in the settings/]]);
  });

  test('rq dashboard: a bad port is a usage error; a port in use and an unreachable --redis fail with exit 1', async () => {
    const url = redis.server.url;
    const port = await freePort();
    await check([
      [['dashboard', '-u', url, '--port', '99999'], 2, /--port must be a port number, 0 to 65535, got '99999'/],
      [['dashboard', '-u', url, '--port', String(redis.server.port)], 1, /Cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/],
      [['dashboard', '-u', url, '--port', '0', '--redis', `redis://127.0.0.1:${port}`], 1, /Cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+/],
      [['dashboard', '-u', url, '--auth', 'ops:'], 2, /--auth takes user:password/],
    ]);
  });

  test('rq enqueue: each malformed option or argument is a usage error naming it, and nothing is enqueued', async () => {
    const url = redis.server.url;
    await check([
      [['enqueue', '-u', url, 'not a function name'], 2, /FUNCTION 'not a function name' is not a function name/],
      [['enqueue', '-u', url, 'tasks.x()'], 2, /FUNCTION 'tasks\.x\(\)'/],
      [['enqueue', '-u', url, '-P', '/nonexistent/dir', 'tasks.x'], 2, /-P\/--path '\/nonexistent\/dir'/],
      [['enqueue', '-u', url, '--schedule-in', '-5', 'tasks.x'], 2, /--schedule-in '-5': a delay cannot be negative/],
      [['enqueue', '-u', url, '--schedule-at', '2020-01-01T00:00:00Z', 'tasks.x'], 2, /--schedule-at '2020-01-01T00:00:00Z': that time has passed/],
      [['enqueue', '-u', url, '--job-id', 'bad:id', 'tasks.x'], 2, /--job-id: Bad job id 'bad:id'/],
      [['enqueue', '-u', url, '--depends-on', 'a b', 'tasks.x'], 2, /--depends-on: Bad job id 'a b'/],
      [['enqueue', '-u', url, '--timeout', '0', 'tasks.x'], 2, /--timeout: Bad job timeout '0'/],
      [['enqueue', '-u', url, '--timeout', '5x', 'tasks.x'], 2, /--timeout: Bad job timeout '5x'/],
      [['enqueue', '-u', url, '--ttl', '0', 'tasks.x'], 2, /--ttl '0': use 1 second or more/],
      [['enqueue', '-u', url, '--result-ttl', '-2', 'tasks.x'], 2, /--result-ttl '-2'/],
      [['enqueue', '-u', url, '--failure-ttl', 'week', 'tasks.x'], 2, /--failure-ttl/],
      [['enqueue', '-u', url, '--retry-interval', '5', 'tasks.x'], 2, /--retry-interval needs --retry-max/],
      [['enqueue', '-u', url, '--rate-limit', 'reports', 'tasks.x'], 2, /--rate-limit 'reports': use KEY:N/],
      [['enqueue', '-u', url, '--rate-limit', 'reports:0', 'tasks.x'], 2, /--rate-limit: Bad rate limit concurrency 0/],
      [['enqueue', '-u', url, '--rate-limit', 'a b:2', 'tasks.x'], 2, /--rate-limit: Bad rate limit key "a b"/],
      [['enqueue', '-u', url, '--rate', 'mail:10', 'tasks.x'], 2, /--rate 'mail:10': use KEY:MAX\/DURATION/],
      [['enqueue', '-u', url, '--rate', 'mail:0/1s', 'tasks.x'], 2, /--rate: Bad rate limit max 0/],
      [['enqueue', '-u', url, '--rate', 'mail:10/0s', 'tasks.x'], 2, /--rate: Bad rate limit duration 0/],
      [['enqueue', '-u', url, '--rate', 'mail:10/1y', 'tasks.x'], 2, /1d; a bare number is seconds/],
      [['enqueue', '-u', url, '--rate', 'mail:10/400d', 'tasks.x'], 2, /--rate: Bad rate limit duration 34560000000 .*from 1 to 31622400000/],
      [['enqueue', '-u', url, '--rate-limit', 'reports:99999999999999999999', 'tasks.x'], 2, /--rate-limit: Bad rate limit concurrency 100000000000000000000 .*from 1 to 2147483647/],
      [['enqueue', '-u', url, '--rate', 'mail:10/1s', '--rate-limit', 'api:2', 'tasks.x'], 2, /name two keys/],
    ]);
    assert.deepEqual(await redis.admin.keys('*'), [], 'nothing written');
  });

  test('rq info, empty and requeue agree on a queue Redis does not know: exit 1 naming it and the queues there are', async () => {
    const connection = redis.connect();
    await new Queue('emails', { connection }).enqueue('tasks.x');
    const url = redis.server.url;
    await check([
      [['info', '-u', url, 'emials'], 1, /No queue named 'emials' \(not in rq:queues; there are: emails\)/],
      [['info', '-u', url, '--interval', '1', 'emials'], 1, /No queue named 'emials'/],
      [['empty', '-u', url, 'emials'], 1, /No queue named 'emials' .*nothing done/],
      [['requeue', '-u', url, '--queue', 'emials', '--all'], 1, /No queue named 'emials' .*nothing done/],
      [['info', '-u', url, '--interval', '0'], 2, /--interval must be a number of seconds above 0/],
    ]);
    assert.equal(await redis.admin.llen('rq:queue:emails'), 1, 'the known queue is untouched');
  });

  test('every command refuses -S pickle, before it connects', async () => {
    const commands: string[][] = [['worker', '--burst'], ['worker-pool'], ['info'], ['enqueue', 'tasks.x'], ['requeue', '--queue', 'q', '--all'], ['empty', '--all'], ['suspend'], ['resume'], ['cron', 'cron.mjs'], ['dashboard']];
    await check(commands.map((args): Case => [[...args, '-u', redis.server.url, '-S', 'pickle'], 2, /-S pickle: rq-ts cannot read or write pickle/]));
    assert.equal(await redis.admin.exists('rq:suspended'), 0, 'rq suspend -S pickle suspended nothing');
  });

  test('rq worker-pool, suspend and cron: bad values and a config that registers nothing exit at once', async () => {
    const url = redis.server.url;
    const empty = join(dir(), 'no-cron-jobs.mjs');
    writeFileSync(empty, 'export default () => {};\n');
    await check([
      [['worker-pool', '-u', url, '--num-workers', '0'], 2, /--num-workers must be a whole number of at least 1/],
      [['worker-pool', '-u', url, '--concurrency', '0'], 2, /--concurrency must be a whole number of at least 1/],
      [['suspend', '-u', url, '--duration', '0'], 2, /--duration must be a whole number of at least 1/],
      [['cron', '-u', url, empty], 1, /registers no cron jobs/],
      [['cron', '-u', url, join(dir(), 'missing.mjs')], 1, /missing\.mjs/],
    ]);
  });
});
