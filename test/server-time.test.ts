/**
 * Time that other processes compare comes from Redis (DESIGN.md §3, §7; RELIABILITY.md §6 row 17):
 * producers, workers and cron schedulers whose clocks are 300 s off, run under faketime, still
 * write scores and timestamps in server time. The Lua formatter of RQ's timestamp text is checked
 * here too.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { CronScheduler, Queue, Worker, defineTask } from '../src/index.js';
import { serverSeconds, serverTime } from '../src/server-time.js';
import { parseTimestamp } from '../src/timestamps.js';
import { ROOT, RQ_BIN, sleep, useRedis, waitUntil } from './harness/index.js';

const redis = useRedis();
const run = promisify(execFile);
const FIXTURES = join(ROOT, 'test', 'fixtures');
const HAS_FAKETIME = spawnSync('faketime', ['-f', '+0s', 'true']).status === 0;

/**
 * `node ARGS` run under faketime, its clock `offset` off ('+300s', '-300s'). faketime runs the
 * program as its child and passes no signal on, so `stop` signals the program itself (and kills it
 * when it has not ended 15 s later: nothing of a failed test is left running).
 */
interface Faked {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM to the program; resolves to faketime's exit code, the program's. */
  stop(): Promise<number | null>;
}

function underFaketime(offset: string, args: readonly string[]): Faked {
  const child = spawn('faketime', ['-f', offset, process.execPath, ...args], { cwd: ROOT });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    output: () => output,
    stop: async () => {
      const program = programPid(child);
      if (program === undefined) return exited;
      process.kill(program, 'SIGTERM');
      const timer = setTimeout(() => process.kill(program, 'SIGKILL'), 15_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The pid of the program faketime runs (its only child), or undefined once it has ended. */
function programPid(faketime: ChildProcess): number | undefined {
  try {
    const children = readFileSync(`/proc/${faketime.pid}/task/${faketime.pid}/children`, 'utf8').trim();
    return children === '' ? undefined : Number(children.split(' ')[0]);
  } catch {
    return undefined; // faketime has ended
  }
}

/** Enqueues one job from a producer whose clock is `offset` off; resolves to its id. */
async function produce(offset: string, how: 'in' | 'at', value: number): Promise<string> {
  const { stdout } = await run('faketime', ['-f', offset, process.execPath, join(FIXTURES, 'clock-producer.mjs'), redis.server.url, how, String(value)], { cwd: ROOT });
  return stdout.trim();
}

/** A worker of queue "clock" with its scheduler, its clock `offset` off; resolves once it has registered. */
async function startWorker(offset: string, name: string): Promise<Faked> {
  const worker = underFaketime(offset, [join(FIXTURES, 'clock-worker.mjs'), redis.server.url, name]);
  const exited = new Promise<never>((_, reject) => worker.child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}): ${worker.output()}`))));
  exited.catch(() => undefined);
  await Promise.race([waitUntil(() => worker.output().includes('started'), 15_000, `worker ${name} to start`), exited]);
  return worker;
}

/** Asserts that `value` (epoch seconds) lies in [low, high], saying what it is. */
function assertWithin(value: number, low: number, high: number, what: string): void {
  assert.ok(value >= low && value <= high, `${what}: ${value} is not within [${low}, ${high}] (server time)`);
}

/** Epoch seconds of an RQ timestamp text. */
function secondsOf(text: string | null | undefined): number {
  const date = parseTimestamp(text ?? undefined);
  assert.ok(date, `not a timestamp: ${String(text)}`);
  return date.getTime() / 1000;
}

describe('server-time.lib.lua', () => {
  test("writes RQ's timestamp text, as Python's utcformat, for any date: leap days, centuries, 1970, 9999", async () => {
    const lib = readFileSync(join(ROOT, 'src', 'scripts', 'server-time.lib.lua'), 'utf8');
    const script = `${lib}\nlocal out = {}\nfor i = 1, #ARGV, 2 do out[#out + 1] = timestamp_text(tonumber(ARGV[i]), tonumber(ARGV[i + 1])) end\nreturn out`;
    const cases: Array<[number, number, string]> = [
      [0, 0, '1970-01-01T00:00:00.000000Z'],
      [86_399, 999_999, '1970-01-01T23:59:59.999999Z'],
      [-1, 500_000, '1969-12-31T23:59:59.500000Z'],
      [68_169_600, 1, '1972-02-29T00:00:00.000001Z'],
      [951_782_400, 123_456, '2000-02-29T00:00:00.123456Z'],
      [951_868_799, 0, '2000-02-29T23:59:59.000000Z'],
      [1_709_251_200, 42, '2024-03-01T00:00:00.000042Z'],
      [1_796_222_371, 354_918, '2026-12-02T14:39:31.354918Z'],
      [4_107_456_000, 0, '2100-02-28T00:00:00.000000Z'],
      [4_107_542_400, 0, '2100-03-01T00:00:00.000000Z'],
      [253_402_300_799, 999_999, '9999-12-31T23:59:59.999999Z'],
    ];
    const out = (await redis.admin.eval(script, 0, ...cases.flatMap(([seconds, micros]) => [seconds, micros]))) as string[];
    assert.deepEqual(out, cases.map(([, , text]) => text));
  });
});

describe('clocks 300 s off (faketime)', { skip: HAS_FAKETIME ? false : 'faketime is not installed (apt-get install -y faketime)' }, () => {
  test("producers 300 s slow and 300 s fast schedule enqueueIn(5) at server time + 5, and a worker's scheduler runs the jobs about 5 s later", async () => {
    const connection = redis.connect();
    const before = await serverTime(connection);
    const [slow, fast] = await Promise.all([produce('-300s', 'in', 5), produce('+300s', 'in', 5)]);
    const after = await serverTime(connection);
    for (const [id, who] of [[slow, 'the slow producer'], [fast, 'the fast producer']] as const) {
      const score = Number(await redis.admin.zscore('rq:scheduled:clock', id));
      assertWithin(score, Math.floor(before.getTime() / 1000) + 5 - 1, Math.floor(after.getTime() / 1000) + 5 + 1, `the score ${who} wrote`);
    }
    // One real run, by a worker whose own clock is 300 s fast.
    const worker = await startWorker('+300s', 'clock-scheduler');
    try {
      const ranAt = new Map<string, number>();
      await waitUntil(async () => {
        for (const id of [slow, fast]) {
          if (!ranAt.has(id) && (await redis.admin.hget(`rq:job:${id}`, 'status')) === 'finished') ranAt.set(id, (await serverTime(connection)).getTime());
        }
        return ranAt.size === 2;
      }, 30_000, 'both scheduled jobs to run');
      for (const [id, at] of ranAt) {
        const waited = (at - before.getTime()) / 1000;
        assert.ok(waited >= 3.9 && waited < 20, `job ${id} ran ${waited} s after it was enqueued with a delay of 5 s`);
      }
    } finally {
      assert.equal(await worker.stop(), 0, worker.output());
    }
  });

  test("enqueueAt keeps the caller's time as given: a producer 300 s fast may schedule 60 s ahead, and a past time is refused by the server's clock", async () => {
    const connection = redis.connect();
    const now = (await serverTime(connection)).getTime();
    const id = await produce('+300s', 'at', now + 60_000);
    assert.equal(Number(await redis.admin.zscore('rq:scheduled:clock', id)), Math.floor((now + 60_000) / 1000));
    // 60 s ago on the server, though 240 s ahead by the clock of a producer 300 s slow.
    await assert.rejects(produce('-300s', 'at', now - 60_000), (error: Error & { stderr?: string }) => /in the past by the Redis server's clock/.test(error.stderr ?? ''));
    assert.deepEqual(await redis.admin.zrange('rq:scheduled:clock', 0, -1), [id], 'the refused job was not written');
  });

  test("a worker 300 s fast keeps finished and failed entries until they expire, leaves a healthy worker's job alone, and writes birth, last_heartbeat and heartbeat scores in server time", async () => {
    const connection = redis.connect();
    const queue = new Queue('clock', { connection });
    // A job held by a healthy worker of this process (its clock right)...
    const hold = defineTask('clock.hold', async () => {
      while ((await redis.admin.exists('rqts-test:release')) === 0) await sleep(100);
    });
    const healthy = new Worker([queue], { connection: redis.connect(), name: 'healthy', tasks: [hold], jobMonitoringInterval: 1 });
    const working = healthy.work();
    const held = await queue.enqueue(hold);
    await waitUntil(async () => (await held.getStatus()) === 'started', 10_000, 'the healthy worker to start its job');
    // Its maintenance ran as it started: free RQ's cleaning lock, so that the fast worker's runs.
    await redis.admin.del('rq:clean_registries:clock');

    const now = await serverSeconds(connection);
    // 20 finished and 5 failed entries that expire in 100 to 200 s; one of each expired 10 s ago.
    const entries = redis.admin.multi();
    for (let i = 0; i < 20; i++) entries.zadd('rq:finished:clock', now + 100 + 5 * i, `finished-${i}`);
    for (let i = 0; i < 5; i++) entries.zadd('rq:failed:clock', now + 100 + 20 * i, `failed-${i}`);
    entries.zadd('rq:finished:clock', now - 10, 'finished-expired').zadd('rq:failed:clock', now - 10, 'failed-expired');
    await entries.exec();

    // ...and one held by the worker 300 s fast, which runs maintenance as it starts.
    const fastHeld = await queue.enqueue(hold);
    const fast = await startWorker('+300s', 'fast');
    try {
      await waitUntil(async () => (await redis.admin.zscore('rq:finished:clock', 'finished-expired')) === null && (await redis.admin.zscore('rq:failed:clock', 'failed-expired')) === null, 15_000, 'maintenance to drop the expired entries');
      await waitUntil(async () => (await fastHeld.getStatus()) === 'started', 10_000, 'the fast worker to start its job');
      await sleep(1500); // a heartbeat of each worker
      const serverNow = await serverSeconds(connection);

      assert.equal(await redis.admin.zcard('rq:finished:clock'), 20, 'finished entries not yet expired are kept');
      assert.equal(await redis.admin.zcard('rq:failed:clock'), 5, 'failed entries not yet expired are kept');
      assert.equal(await held.getStatus(), 'started', "the healthy worker's job is not declared abandoned");
      assert.ok((await redis.admin.zscore('rq:wip:clock', held.id)) !== null);

      const hash = await redis.admin.hgetall('rq:worker:fast');
      assert.equal(hash['current_job'], fastHeld.id);
      assertWithin(secondsOf(hash['birth']), now - 5, serverNow + 1, "the fast worker's birth");
      assertWithin(secondsOf(hash['last_heartbeat']), serverNow - 5, serverNow + 1, "the fast worker's last_heartbeat");
      const [startedAt, lastHeartbeat] = await redis.admin.hmget(fastHeld.key, 'started_at', 'last_heartbeat');
      assertWithin(secondsOf(startedAt), now - 5, serverNow + 1, 'started_at of its job');
      assertWithin(secondsOf(lastHeartbeat), serverNow - 5, serverNow + 1, 'last_heartbeat of its job');
      // Its heartbeat TTL is 1 s + 60 s of grace.
      assertWithin(Number(await redis.admin.zscore('rq:wip:clock', fastHeld.id)), serverNow + 61 - 5, serverNow + 61 + 1, "its job's heartbeat score");
    } finally {
      await redis.admin.set('rqts-test:release', '1');
      assert.equal(await fast.stop(), 0, fast.output());
      await healthy.close();
      await working;
    }
    assert.equal(await fastHeld.getStatus(), 'finished');
    const ended = await redis.admin.hmget(fastHeld.key, 'ended_at');
    const death = await redis.admin.hget('rq:worker:fast', 'death');
    const end = await serverSeconds(connection);
    assertWithin(secondsOf(ended[0]), now, end + 1, 'ended_at of its job');
    assertWithin(secondsOf(death), now, end + 1, "the fast worker's death");
  });

  test('a cron scheduler 300 s slow heartbeats and scores its runs in server time, so CronScheduler.all() elsewhere keeps it', async () => {
    const connection = redis.connect();
    const cron = underFaketime('-300s', [RQ_BIN, 'cron', join(FIXTURES, 'clock-cron.mjs'), '-u', redis.server.url, '--name', 'slow-cron']);
    try {
      await waitUntil(async () => (await redis.admin.zcard('rq:cron_job:clock.mark:jobs')) === 1, 15_000, 'the first run');
      const now = await serverSeconds(connection);
      assertWithin(Number(await redis.admin.zscore('rq:cron_schedulers', 'slow-cron')), now - 5, now + 1, "the scheduler's heartbeat");
      const [, runScore] = await redis.admin.zrange('rq:cron_job:clock.mark:jobs', 0, 0, 'WITHSCORES');
      assertWithin(Number(runScore), now - 5, now + 1, "the run's time in its history");
      assert.deepEqual((await CronScheduler.all({ connection })).map((info) => info.name), ['slow-cron']);
    } finally {
      assert.equal(await cron.stop(), 0, cron.output());
    }
  });
});
