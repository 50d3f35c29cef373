/**
 * The connection examples (examples/explicit-connections.ts, nested-contexts.ts,
 * push-pop-in-tests.ts), run as a user runs them: the compiled file as a child process, against
 * two real servers. Checks the exit code, the lines that tell what happened, and the Redis state
 * each example left on each server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { adminClient, startRedis, type RedisProcess } from './harness/index.js';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs build/examples/<name>.js with `env` added to (and `unset` removed from) this environment. */
function runExample(name: string, env: Record<string, string>, unset: string[] = []): Promise<Outcome> {
  const file = fileURLToPath(new URL(`../examples/${name}.js`, import.meta.url));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // The node:test runner marks its children; an example is a plain script, not a test file.
  delete childEnv['NODE_TEST_CONTEXT'];
  for (const key of unset) delete childEnv[key];
  return new Promise((resolve) => {
    // An example that leaves a connection open never exits: the timeout turns that into a failure.
    execFile(process.execPath, [file], { env: childEnv, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The job ids printed on lines that match `pattern`, whose first group is the id. */
function idsFrom(stdout: string, pattern: RegExp): string[] {
  return [...stdout.matchAll(new RegExp(pattern, 'gm'))].map((match) => match[1]!);
}

const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';

let server1: RedisProcess;
let server2: RedisProcess;
let admin1: Redis;
let admin2: Redis;
let urls: Record<string, string>;

before(async () => {
  [server1, server2] = await Promise.all([startRedis(), startRedis({ password: 'ex-secret' })]);
  admin1 = adminClient(server1);
  admin2 = adminClient(server2, 'ex-secret');
  await admin2.select(3);
  // Server 2 has a password, so that the examples are seen not to print it; database 3, so that
  // a database number in a URL is seen to be honoured.
  urls = { RQ_EXAMPLE_URL_1: server1.url, RQ_EXAMPLE_URL_2: `${server2.url}/3` };
});

after(async () => {
  admin1.disconnect();
  admin2.disconnect();
  await Promise.all([server1.stop(), server2.stop()]);
});

afterEach(async () => {
  await Promise.all([admin1.flushall(), admin2.flushall()]);
});

/** The ids in queue `name` on a server (database 0 on server 1, 3 on server 2). */
async function queueIds(admin: Redis, name: string): Promise<string[]> {
  return admin.lrange(`rq:queue:${name}`, 0, -1);
}

describe('examples/explicit-connections', () => {
  test('each queue enqueues on the server of its own connection, and only there', async () => {
    const { code, stdout, stderr } = await runExample('explicit-connections', urls);
    assert.equal(code, 0, `exit code ${code}\n${stdout}\n${stderr}`);
    assert.match(stdout, /^queue 'foo' uses server 1 \(redis:\/\/127\.0\.0\.1:\d+\)$/m);
    assert.match(stdout, /^queue 'bar' uses server 2 \(redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/3\)$/m);
    assert.match(stdout, /^checked: server 1 holds only job 1, server 2 holds only job 2$/m);
    assert.doesNotMatch(stdout + stderr, /ex-secret/, 'an example printed a password');
    const [foo] = idsFrom(stdout, new RegExp(`^job ${UUID} enqueued on 'foo' went to server 1 `));
    const [bar] = idsFrom(stdout, new RegExp(`^job ${UUID} enqueued on 'bar' went to server 2 `));
    assert.ok(foo && bar, stdout);
    assert.deepEqual(await queueIds(admin1, 'foo'), [foo]);
    assert.deepEqual(await queueIds(admin2, 'bar'), [bar]);
    assert.equal(await admin1.exists('rq:queue:bar', `rq:job:${bar}`), 0);
    assert.equal(await admin2.exists('rq:queue:foo', `rq:job:${foo}`), 0);
    assert.equal(await admin1.hget(`rq:job:${foo}`, 'origin'), 'foo');
    assert.equal(await admin2.hget(`rq:job:${bar}`, 'origin'), 'bar');
  });

  test('exits non-zero when the two URLs are the same server, as its check then fails', async () => {
    const { code, stderr } = await runExample('explicit-connections', { RQ_EXAMPLE_URL_1: server1.url, RQ_EXAMPLE_URL_2: `${server1.url}/0` });
    assert.equal(code, 1);
    assert.match(stderr, /job 1 is also on server 2/);
  });

  test('without its URLs it says which variables to set and exits with code 2', async () => {
    const { code, stderr } = await runExample('explicit-connections', {}, ['RQ_EXAMPLE_URL_1', 'RQ_EXAMPLE_URL_2']);
    assert.equal(code, 2);
    assert.match(stderr, /RQ_EXAMPLE_URL_1 and RQ_EXAMPLE_URL_2/);
  });
});

describe('examples/nested-contexts', () => {
  test('q1 and q3 take the outer connection, q2 the inner one, and q2 keeps it after its context', async () => {
    const { code, stdout, stderr } = await runExample('nested-contexts', urls);
    assert.equal(code, 0, `exit code ${code}\n${stdout}\n${stderr}`);
    assert.match(stdout, /^queue 'foo' uses server 1 /m);
    assert.match(stdout, /^queue 'bar' uses server 2 /m);
    assert.match(stdout, /^queue 'qux' uses server 1 /m);
    assert.match(stdout, /^outside the contexts the current connection is: no server$/m);
    assert.match(stdout, /^concurrent task A created its queue on server 1 /m);
    assert.match(stdout, /^concurrent task B created its queue on server 2 /m);
    assert.match(stdout, /^checked: every queue and every job is on the expected server$/m);
    assert.doesNotMatch(stdout + stderr, /ex-secret/, 'an example printed a password');
    const onServer = (queue: string, server: 1 | 2) => idsFrom(stdout, new RegExp(`^job ${UUID} enqueued on '${queue}' is on server ${server} `))[0];
    const [foo, bar, qux] = [onServer('foo', 1), onServer('bar', 2), onServer('qux', 1)];
    assert.ok(foo && bar && qux, stdout);
    assert.deepEqual(await queueIds(admin1, 'foo'), [foo]);
    assert.deepEqual(await queueIds(admin1, 'qux'), [qux]);
    assert.deepEqual(await queueIds(admin2, 'bar'), [bar]);
    assert.equal(await admin1.exists('rq:queue:bar'), 0);
    assert.equal(await admin2.exists('rq:queue:foo', 'rq:queue:qux'), 0);
    // Queues are created but nothing is enqueued in the concurrent part.
    assert.equal(await admin1.exists('rq:queue:concurrent-A', 'rq:queue:concurrent-B'), 0);
  });

  test('exits non-zero when both URLs name one database: a job is then on "both servers"', async () => {
    const { code, stdout } = await runExample('nested-contexts', { RQ_EXAMPLE_URL_1: server1.url, RQ_EXAMPLE_URL_2: `${server1.url}/0` });
    assert.equal(code, 1);
    assert.match(stdout, /enqueued on 'foo' is on both servers/);
  });
});

describe('examples/push-pop-in-tests', () => {
  test('every test passes, and its jobs are on the pushed connection\'s server', async () => {
    const { code, stdout, stderr } = await runExample('push-pop-in-tests', urls);
    assert.equal(code, 0, `exit code ${code}\n${stdout}\n${stderr}`);
    assert.equal(stdout.match(/^ok - /gm)?.length, 3, stdout);
    assert.doesNotMatch(stdout, /^not ok/m);
    assert.match(stdout, /^ok - a queue created in a test uses the pushed connection$/m);
    assert.match(stdout, /^ok - `using pushConnection\(\.\.\.\)` pops at the end of its block$/m);
    assert.match(stdout, /^after the using block the connection stack is empty again$/m);
    const [inDefault] = idsFrom(stdout, new RegExp(`^job ${UUID} went to redis://127\\.0\\.0\\.1:${server1.port}, queue 'default'$`));
    const [inEmails] = idsFrom(stdout, new RegExp(`^job ${UUID} went to redis://127\\.0\\.0\\.1:${server1.port}, queue 'emails', inside`));
    assert.ok(inDefault && inEmails, stdout);
    assert.deepEqual(await queueIds(admin1, 'default'), [inDefault]);
    assert.deepEqual(await queueIds(admin1, 'emails'), [inEmails]);
    assert.equal(await admin1.llen('rq:queue:reports'), 1);
    assert.doesNotMatch(await admin2.info('keyspace'), /^db\d+:/m, 'server 2 got a key');
  });

  test('reports "not ok" and exits non-zero when the tests fail (here: Redis refuses them)', async () => {
    // Server 2 requires a password that this URL lacks: every command fails with NOAUTH.
    const { code, stdout } = await runExample('push-pop-in-tests', { RQ_EXAMPLE_URL_1: `redis://127.0.0.1:${server2.port}` });
    assert.equal(code, 1);
    assert.equal(stdout.match(/^not ok - .*NOAUTH/gm)?.length, 3, stdout);
  });
});
