/**
 * RQ's `SENTINEL` settings against a real Sentinel group: one primary, one replica and three
 * redis-sentinel processes on free loopback ports (the harness' recipe, down-after 1000 ms),
 * never a mock. Through the public functions only: connectionFromSettings, openConnection and
 * loadSettings. One group serves the first block (the primary is SIGKILLed in its last test), a
 * second, password-protected group the second block.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  ConfigurationError,
  Queue,
  connectionFromSettings,
  loadSettings,
  openConnection,
  type Job,
  type RQSettings,
  type SentinelSettings,
} from '../src/index.js';
import {
  adminClient,
  assertServersIdle,
  freePort,
  sleep,
  startRedis,
  startSentinelGroup,
  waitUntil,
  type RedisProcess,
  type SentinelGroup,
} from './harness/index.js';

/** SOCKET_TIMEOUT of the tests, in seconds: the budget for finding a master. */
const BUDGET_S = 1;
/** "Did not hang": a failure must come within this, a generous multiple of the budget. */
const NO_HANG_MS = 3 * BUDGET_S * 1000;
/** Longest the failover test waits for writes to succeed again. */
const FAILOVER_BOUND_MS = 30_000;

const root = fileURLToPath(new URL('../..', import.meta.url)); // build/test/ -> the repository

/** RQ's settings for `group`, DB 2 unless `extra` says otherwise. */
function settingsFor(group: SentinelGroup, extra: Partial<SentinelSettings> = {}): RQSettings {
  return {
    SENTINEL: {
      INSTANCES: group.instances,
      MASTER_NAME: group.masterName,
      DB: 2,
      SOCKET_TIMEOUT: BUDGET_S,
      ...(group.password ? { PASSWORD: group.password } : {}),
      ...extra,
    },
  };
}

/** Ids in `rq:queue:<queue>` of database `db` on `server`, read by an admin client. */
async function jobIdsOn(server: Pick<RedisProcess, 'port'>, db: number, queue: string, password?: string): Promise<string[]> {
  const admin = adminClient(server, password);
  try {
    await admin.select(db);
    return await admin.lrange(`rq:queue:${queue}`, 0, -1);
  } finally {
    admin.disconnect();
  }
}

/** Whether job `id`'s hash exists in database `db` on `server`. */
async function jobExistsOn(server: Pick<RedisProcess, 'port'>, db: number, id: string, password?: string): Promise<boolean> {
  const admin = adminClient(server, password);
  try {
    await admin.select(db);
    return (await admin.exists(`rq:job:${id}`)) === 1;
  } finally {
    admin.disconnect();
  }
}

/**
 * Awaits `promise`, which must reject, within `boundMs` (else the code under test hangs).
 * Returns the error and how long it took from `startedAt`.
 */
async function rejectionOf(promise: Promise<unknown>, startedAt: number, boundMs = 30_000): Promise<{ error: Error; elapsedMs: number }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), boundMs);
  });
  try {
    const outcome = await Promise.race([
      promise.then(
        () => ({ resolved: true as const }),
        (error: unknown) => ({ error: error as Error }),
      ),
      hang,
    ]);
    assert.notEqual(outcome, 'hang', `did not settle within ${boundMs} ms: it hangs`);
    assert.ok(outcome !== 'hang' && 'error' in outcome, 'resolved, but was expected to reject');
    return { error: outcome.error, elapsedMs: Date.now() - startedAt };
  } finally {
    clearTimeout(timer);
  }
}


/** Runs the built examples/sentinel.ts as a child process, as a user would. */
function runExample(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['build/examples/sentinel.js', ...args], { cwd: root, env, timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      const killed = error?.killed ? `\n(killed: still running after 15 s; an open connection keeps it alive)` : '';
      resolve({ code, stdout, stderr: stderr + killed });
    });
  });
}

describe('Sentinel: a primary, a replica and three sentinels', () => {
  let group: SentinelGroup;
  let primaryKilled = false;

  before(async () => {
    // A master name that is not ioredis' or RQ's default, so that MASTER_NAME must be honoured.
    group = await startSentinelGroup({ masterName: 'rqts-main' });
  });

  after(async () => {
    await group?.stop();
  });

  afterEach(async () => {
    await assertServersIdle([...(primaryKilled ? [] : [group.primary]), group.replica, ...group.sentinels]);
  });

  test('openConnection reaches the primary: an enqueue lands there, in SENTINEL.DB', async () => {
    const connection = await openConnection(settingsFor(group));
    try {
      const job = await new Queue('default', { connection }).enqueue('tasks.add', 2, 3);
      assert.deepEqual(await jobIdsOn(group.primary, 2, 'default'), [job.id]);
      assert.equal(await jobExistsOn(group.primary, 2, job.id), true);
      assert.deepEqual(await jobIdsOn(group.primary, 0, 'default'), [], 'DB 2 was asked for, not 0');
    } finally {
      // quit(), not disconnect(): the leak check after the test then also proves that quit()
      // closes the failover detector's subscriptions to the sentinels (redis/ioredis#1362).
      await connection.quit();
    }
  });

  test('SENTINEL read from a .mjs config file by loadSettings gives connectionFromSettings a client on the primary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rqts-sentinel-config-'));
    const sentinel = { INSTANCES: group.instances, MASTER_NAME: group.masterName, DB: 2, SOCKET_TIMEOUT: BUDGET_S };
    const file = join(dir, 'settings.mjs');
    writeFileSync(file, `export const SENTINEL = ${JSON.stringify(sentinel)};\nexport const QUEUES = ['from-config'];\n`);
    try {
      const settings = await loadSettings({ config: file, env: {} });
      assert.deepEqual(settings.SENTINEL, sentinel);
      const connection = connectionFromSettings(settings); // not awaited: the offline queue holds the enqueue
      try {
        const job = await new Queue('from-config', { connection }).enqueue('tasks.add', 1, 2);
        assert.deepEqual(await jobIdsOn(group.primary, 2, 'from-config'), [job.id]);
        assert.deepEqual(await jobIdsOn(group.replica, 0, 'from-config'), []);
      } finally {
        connection.disconnect();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a wrong MASTER_NAME: openConnection fails within SOCKET_TIMEOUT, naming it and the masters the sentinels know', async (t) => {
    const { error, elapsedMs } = await rejectionOf(openConnection(settingsFor(group, { MASTER_NAME: 'no-such-master' })), Date.now());
    assert.ok(error instanceof ConfigurationError, `${error.name}: ${error.message}`);
    assert.match(error.message, /knows no master named 'no-such-master' \(it knows: rqts-main\)/);
    for (const [, port] of group.instances) assert.match(error.message, new RegExp(`sentinel 127\\.0\\.0\\.1:${port} knows no master`));
    assert.match(error.message, /Check SENTINEL\.INSTANCES and SENTINEL\.MASTER_NAME/);
    assert.ok(elapsedMs < NO_HANG_MS, `took ${elapsedMs} ms for a budget of ${BUDGET_S} s`);
    t.diagnostic(`openConnection, wrong master name: ConfigurationError after ${elapsedMs} ms (SOCKET_TIMEOUT ${BUDGET_S} s)`);
  });

  test('a wrong MASTER_NAME: a connectionFromSettings client rejects its commands instead of hanging', async (t) => {
    const client = connectionFromSettings(settingsFor(group, { MASTER_NAME: 'no-such-master' }));
    let errorEvents = 0;
    client.on('error', () => errorEvents++);
    try {
      const { error, elapsedMs } = await rejectionOf(client.set('rq:test:key', 'value'), Date.now());
      assert.match(error.message, /No such master with that name/);
      assert.ok(elapsedMs < NO_HANG_MS, `took ${elapsedMs} ms for a budget of ${BUDGET_S} s`);
      assert.equal(client.status, 'end', 'the client gave up looking for a master it never reached');
      t.diagnostic(`connectionFromSettings, wrong master name: SET rejected after ${elapsedMs} ms, ${errorEvents} 'error' events`);
    } finally {
      client.disconnect();
    }
  });

  test('unreachable sentinels: openConnection and a plain client fail within the budget, saying so', async (t) => {
    const ports = [await freePort(), await freePort()]; // nothing listens there
    const settings = settingsFor(group, { INSTANCES: ports.map((port) => ['127.0.0.1', port] as const) });
    const { error, elapsedMs } = await rejectionOf(openConnection(settings), Date.now());
    assert.ok(error instanceof ConfigurationError, `${error.name}: ${error.message}`);
    for (const port of ports) assert.match(error.message, new RegExp(`sentinel 127\\.0\\.0\\.1:${port} is unreachable \\(connect ECONNREFUSED`));
    assert.ok(elapsedMs < NO_HANG_MS, `took ${elapsedMs} ms for a budget of ${BUDGET_S} s`);

    const client = connectionFromSettings(settings);
    client.on('error', () => {});
    try {
      const plain = await rejectionOf(client.ping(), Date.now());
      assert.match(plain.error.message, /All sentinels are unreachable/);
      assert.ok(plain.elapsedMs < NO_HANG_MS, `took ${plain.elapsedMs} ms for a budget of ${BUDGET_S} s`);
      t.diagnostic(`unreachable sentinels: openConnection failed after ${elapsedMs} ms, a plain client's PING after ${plain.elapsedMs} ms`);
    } finally {
      client.disconnect();
    }
  });

  test('hung sentinels (accepting, never answering): openConnection still fails within about the budget', async (t) => {
    const hung: RedisProcess[] = [];
    try {
      for (let i = 0; i < 2; i++) hung.push(await startRedis({ sentinelConfig: 'sentinel monitor elsewhere 127.0.0.1 1 2' }));
      for (const sentinel of hung) process.kill(sentinel.pid, 'SIGSTOP'); // the kernel still accepts connections
      const settings = settingsFor(group, { INSTANCES: hung.map((s) => [s.host, s.port] as const) });
      const { error, elapsedMs } = await rejectionOf(openConnection(settings), Date.now());
      assert.ok(error instanceof ConfigurationError, `${error.name}: ${error.message}`);
      for (const sentinel of hung) assert.match(error.message, new RegExp(`sentinel 127\\.0\\.0\\.1:${sentinel.port} is unreachable \\(timed out\\)`));
      // Sentinels asked one by one, each for 2 s after the budget, took 1 + 2 x 2 = 5 s here.
      assert.ok(elapsedMs < NO_HANG_MS, `took ${elapsedMs} ms for a budget of ${BUDGET_S} s`);
      t.diagnostic(`hung sentinels: openConnection failed after ${elapsedMs} ms`);
    } finally {
      await Promise.all(hung.map((sentinel) => sentinel.stop())); // SIGKILL ends a stopped process too
    }
  });

  test('the rq command with a SENTINEL config file: enqueue lands on the primary, info reads it from there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rqts-sentinel-cli-'));
    const sentinel = { INSTANCES: group.instances, MASTER_NAME: group.masterName, DB: 2, SOCKET_TIMEOUT: BUDGET_S };
    const file = join(dir, 'settings.mjs');
    writeFileSync(file, `export const SENTINEL = ${JSON.stringify(sentinel)};\n`);
    const rq = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [join(root, 'dist', 'cli', 'index.js'), ...args, '-c', file], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' }, timeout: 15_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
        });
      });
    try {
      const enqueued = await rq(['enqueue', 'tasks.add', ':1', ':2', '--queue', 'via-sentinel', '--job-id', 'sentinel-cli']);
      assert.equal(enqueued.code, 0, enqueued.stderr);
      assert.deepEqual(await jobIdsOn(group.primary, 2, 'via-sentinel'), ['sentinel-cli']);
      const info = await rq(['info', '--raw', '--only-queues']);
      assert.equal(info.code, 0, info.stderr);
      assert.match(info.stdout, /^queue via-sentinel 1, 0 executing/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('examples/sentinel.ts enqueues on the primary, from settings and from examples/sentinel-settings.mjs', async () => {
    const env = {
      ...process.env,
      RQ_EXAMPLE_SENTINELS: group.instances.map(([host, port]) => `${host}:${port}`).join(','),
      RQ_EXAMPLE_MASTER_NAME: group.masterName,
    };
    const runs = await Promise.all([
      runExample([], env),
      runExample(['examples/sentinel-settings.mjs'], env),
      runExample([], { ...env, RQ_EXAMPLE_MASTER_NAME: 'no-such-master' }),
    ]);
    const enqueued: string[] = [];
    for (const run of runs.slice(0, 2)) {
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`Asking sentinel://127\\.0\\.0\\.1:${group.instances[0]![1]},.*/rqts-main/0 for the master`));
      const match = /Enqueued job (\S+) on queue 'default' at master 127\.0\.0\.1:(\d+), db 0/.exec(run.stdout);
      assert.ok(match, run.stdout);
      assert.equal(Number(match[2]), group.primary.port);
      enqueued.push(match[1]!);
    }
    assert.deepEqual((await jobIdsOn(group.primary, 0, 'default')).sort(), enqueued.sort());
    const failed = runs[2]!;
    assert.equal(failed.code, 1, failed.stdout);
    assert.match(failed.stderr, /knows no master named 'no-such-master'/);
  });

  // Last in this block: it leaves the group with the replica as its only server.
  test('after a SIGKILL of the primary, enqueues succeed again on the promoted replica, the client untouched', async (t) => {
    const connection = await openConnection(settingsFor(group));
    const clientErrors: string[] = [];
    connection.on('error', (error: Error) => clientErrors.push(error.message)); // observes only
    const queue = new Queue('failover', { connection });
    const acked: Array<{ job: Job; sentAt: number; at: number }> = [];
    const failures: string[] = [];
    let killedAt = Number.POSITIVE_INFINITY;
    let writing = true;
    // A producer enqueueing every 20 ms, before, during and after the failover.
    const producer = (async () => {
      while (writing) {
        const sentAt = Date.now();
        try {
          const job = await queue.enqueue('tasks.add', acked.length, 1);
          acked.push({ job, sentAt, at: Date.now() });
        } catch (error) {
          failures.push((error as Error).message);
        }
        await sleep(20);
      }
    })();
    try {
      await waitUntil(() => acked.length >= 5, 10_000, 'the producer to enqueue on the primary');
      killedAt = Date.now();
      await group.primary.kill('SIGKILL');
      primaryKilled = true;
      const sentAfterKill = () => acked.filter((entry) => entry.sentAt > killedAt);
      await waitUntil(() => sentAfterKill().length >= 5, FAILOVER_BOUND_MS, 'enqueues to succeed again after the failover');
      writing = false;
      await Promise.race([producer, sleep(5000)]);
      const outageMs = sentAfterKill()[0]!.at - killedAt;

      // The sentinels promoted the replica, and what was enqueued after the kill is there, in DB 2.
      await waitUntil(async () => (await group.currentMasterPort()) === group.replica.port, 5000, `the sentinels to name the replica (port ${group.replica.port}) as master`);
      const onReplica = new Set(await jobIdsOn(group.replica, 2, 'failover'));
      for (const { job } of sentAfterKill()) {
        assert.ok(onReplica.has(job.id), `job ${job.id}, acknowledged after the failover, is not on the new primary`);
        assert.equal(await jobExistsOn(group.replica, 2, job.id), true);
      }
      const lostBefore = acked.filter((entry) => entry.sentAt <= killedAt && !onReplica.has(entry.job.id)).length;
      t.diagnostic(
        `SIGKILL of the primary: writes back after ${outageMs} ms; ${acked.length} enqueues acknowledged ` +
          `(${sentAfterKill().length} sent after the kill), ${failures.length} rejected, ` +
          `${lostBefore} acknowledged before the kill missing on the new primary, ${clientErrors.length} 'error' events`,
      );
    } finally {
      writing = false;
      connection.disconnect();
      await producer;
    }
  });
});

describe('Sentinel with a password on the servers and the sentinels', () => {
  const password = `sekret-${randomBytes(8).toString('hex')}`;
  const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;
  let group: SentinelGroup;

  before(async () => {
    group = await startSentinelGroup({ masterName: 'rqts-auth', password });
  });

  after(async () => {
    await group?.stop();
  });

  afterEach(async () => {
    await assertServersIdle([group.primary, group.replica, ...group.sentinels], password);
  });

  /** Records what this process writes to stdout and stderr (stderr is held back) and its warnings. */
  function captureOutput(): { stop(): string } {
    const recorded: string[] = [];
    const stdoutWrite = process.stdout.write;
    const stderrWrite = process.stderr.write;
    const onWarning = (warning: Error) => recorded.push(inspect(warning));
    const chunkText = (chunk: unknown) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    // stdout still goes out (the test runner reports through it); stderr is only recorded.
    process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      recorded.push(chunkText(chunk));
      return (stdoutWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
    process.stderr.write = function (chunk: unknown, ...rest: unknown[]) {
      recorded.push(chunkText(chunk));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      if (callback) process.nextTick(callback);
      return true;
    } as typeof process.stderr.write;
    process.on('warning', onWarning);
    // The capture itself must work, or the assertions on it prove nothing.
    console.error('capture-check');
    return {
      stop() {
        process.stdout.write = stdoutWrite;
        process.stderr.write = stderrWrite;
        process.off('warning', onWarning);
        const text = recorded.join('');
        assert.match(text, /capture-check/, 'the output capture recorded nothing');
        return text;
      },
    };
  }

  function assertNoPassword(text: string, where: string): void {
    for (const secret of [password, wrongPassword]) {
      assert.ok(!text.includes(secret), `${where} shows a password:\n${text}`);
    }
  }

  test('PASSWORD reaches the sentinels and the primary: openConnection connects and enqueues', async () => {
    const output = captureOutput();
    let text: string;
    try {
      const connection = await openConnection(settingsFor(group));
      try {
        const job = await new Queue('default', { connection }).enqueue('tasks.add', 2, 3);
        assert.deepEqual(await jobIdsOn(group.primary, 2, 'default', password), [job.id]);
      } finally {
        connection.disconnect();
      }
    } finally {
      text = output.stop();
    }
    assertNoPassword(text, 'stdout, stderr or a warning');
  });

  test('a wrong PASSWORD fails clearly, and no error, inspect(error), output or warning shows a password', async (t) => {
    const output = captureOutput();
    const errors: Error[] = [];
    let text: string;
    try {
      // 1. openConnection: the sentinels refuse the password.
      const wrong = settingsFor(group, { PASSWORD: wrongPassword });
      const opened = await rejectionOf(openConnection(wrong), Date.now());
      errors.push(opened.error);
      assert.ok(opened.error instanceof ConfigurationError, `${opened.error.name}: ${opened.error.message}`);
      for (const [, port] of group.instances) {
        assert.match(opened.error.message, new RegExp(`sentinel 127\\.0\\.0\\.1:${port} refused the credentials \\(WRONGPASS`));
      }
      assert.match(opened.error.message, /Check SENTINEL\.PASSWORD/);
      assert.match(opened.error.message, /sentinel:\/\/:\*\*\*@127\.0\.0\.1:/);
      assert.ok(opened.elapsedMs < NO_HANG_MS, `took ${opened.elapsedMs} ms for a budget of ${BUDGET_S} s`);

      // 2. A plain client, with no 'error' listener: ioredis prints its errors itself.
      const client = connectionFromSettings(wrong);
      try {
        const plain = await rejectionOf(client.set('rq:test:key', 'value'), Date.now());
        errors.push(plain.error);
        assert.match(plain.error.message, /WRONGPASS/);
        assert.ok(plain.elapsedMs < NO_HANG_MS, `took ${plain.elapsedMs} ms for a budget of ${BUDGET_S} s`);
      } finally {
        client.disconnect();
      }

      // 3. The sentinels accept theirs (SENTINEL_KWARGS), the primary refuses PASSWORD.
      const masterOnly = settingsFor(group, { PASSWORD: wrongPassword, SENTINEL_KWARGS: { password } });
      const refused = await rejectionOf(openConnection(masterOnly), Date.now());
      errors.push(refused.error);
      assert.ok(refused.error instanceof ConfigurationError, `${refused.error.name}: ${refused.error.message}`);
      assert.match(refused.error.message, new RegExp(`names 127\\.0\\.0\\.1:${group.primary.port} as master 'rqts-auth', which refused the credentials \\((WRONGPASS|NOAUTH)`));
      t.diagnostic(`wrong password: openConnection failed after ${opened.elapsedMs} ms; primary refusing it: after ${refused.elapsedMs} ms`);
    } finally {
      text = output.stop();
    }
    for (const error of errors) {
      assertNoPassword(error.message, 'an error message');
      assertNoPassword(inspect(error, { depth: 10, showHidden: true }), 'inspect(error)');
      if (error.cause !== undefined) assertNoPassword(inspect(error.cause, { depth: 10 }), 'the cause of an error');
    }
    assertNoPassword(text, 'stdout, stderr or a warning');
  });
});
