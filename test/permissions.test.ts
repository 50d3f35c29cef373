/**
 * The ACL rules that docs/reliability.md publishes, read from that page and given to real Redis
 * users: everything rq-ts does works under them, and a worker whose user lacks a command stops at
 * once with exit 1 and one line naming the command (it used to retry forever, also with --burst).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { createDashboard } from '../src/dashboard/index.js';
import { Queue, RedisPermissionError, Retry, Worker } from '../src/index.js';
import { ROOT, runRqAsync, useRedis } from './harness/index.js';

const redis = useRedis();

/** The `ACL SETUSER <name> ...` rules of docs/reliability.md's "Permissions" section, by user name, as arguments after the name. */
function publishedRules(): Map<string, string[]> {
  const page = readFileSync(join(ROOT, 'docs', 'reliability.md'), 'utf8');
  const section = page.slice(page.indexOf('## Permissions'));
  const rules = new Map<string, string[]>();
  for (const [, line] of section.matchAll(/^```\n(ACL SETUSER .+)\n```$/gm)) {
    const [, , name, ...rule] = line!.split(' ');
    rules.set(name!, rule.map((token) => (token === '>password' ? '>pw' : token)));
  }
  return rules;
}

/** Creates `user` with exactly `rule` (plus `extra`), and a URL that logs in as it. */
async function userWith(user: string, rule: readonly string[], extra: readonly string[] = []): Promise<string> {
  await redis.admin.call('ACL', 'SETUSER', user, 'reset', ...rule, ...extra);
  return `redis://${user}:pw@127.0.0.1:${redis.server.port}`;
}

test("the published rule lets producers, a worker with its scheduler and maintenance, and the rq commands do all they do", async () => {
  const rule = publishedRules().get('rq');
  assert.ok(rule, 'docs/reliability.md publishes the rule of user rq');
  const url = await userWith('rq', rule);
  const connection = new Redis(url);
  try {
    const queue = new Queue('default', { connection });
    const added = await queue.enqueue('tasks.add', 2, 3);
    const failing = await queue.enqueueCall('tasks.fail', { args: ['on purpose'], retry: new Retry({ max: 1 }) });
    const child = await queue.enqueueCall('tasks.add', { args: [1, 1], dependsOn: added.id });
    const later = await queue.enqueueIn(1, 'tasks.add', 4, 4);
    const unique = await queue.enqueueCall('tasks.add', { args: [5, 5], jobId: 'only-once', unique: true });
    await queue.enqueueMany([Queue.prepareData('tasks.add', { args: [6, 6] })], { groupId: 'batch' });
    await new Promise((done) => setTimeout(done, 1100)); // `later` falls due

    const worker = await runRqAsync(['worker', '--burst', '--with-scheduler', '-u', url, '-P', 'test/fixtures']);
    assert.equal(worker.code, 0, worker.stderr);
    assert.doesNotMatch(worker.stderr, /refused|NOPERM|can't run/);
    assert.deepEqual(await Promise.all([added, child, later, unique].map((job) => job.getStatus())), ['finished', 'finished', 'finished', 'finished']);
    assert.equal(await failing.getStatus(), 'failed', 'retried once, then failed');

    for (const args of [['info'], ['requeue', '--queue', 'default', '--all'], ['suspend'], ['resume'], ['empty', 'default']]) {
      const run = await runRqAsync([...args, '-u', url]);
      assert.equal(run.code, 0, `rq ${args.join(' ')}: ${run.stderr}`);
    }
  } finally {
    connection.disconnect();
  }
});

test('the published read-only rule shows every dashboard page', async () => {
  const rule = publishedRules().get('rq-viewer');
  assert.ok(rule, 'docs/reliability.md publishes the rule of user rq-viewer');
  const producer = redis.connect();
  const job = await new Queue('default', { connection: producer }).enqueue('tasks.add', 1, 2);
  await new Worker(['default'], { connection: producer, tasks: { 'tasks.add': (a: number, b: number) => a + b } }).work({ burst: true });
  const viewer = new Redis(await userWith('rq-viewer', rule));
  const handler = createDashboard({ instances: [{ name: 'main', connection: viewer }], readOnly: true });
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    for (const path of ['/', '/workers', '/queues/default/finished', `/jobs/${job.id}`, '/api/queues', '/api/workers']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 200, `${path}: ${(await response.text()).slice(0, 200)}`);
    }
  } finally {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
    viewer.disconnect();
  }
});

test('a worker whose user lacks a command stops at once: exit 1, one line naming the command', async () => {
  const rule = publishedRules().get('rq')!;
  const producer = redis.connect();
  await new Queue('default', { connection: producer }).enqueue('tasks.add', 1, 2);
  const cases: Array<[string[], RegExp]> = [
    // The rule of RELIABILITY.md's first research, which lacked TIME: no job could run under it.
    // TIME is refused by name when called alone, and as a script's command (which Redis does not
    // name: rq-ts finds it from the script's line) when a script calls it first.
    [rule.filter((token) => token !== '+time'), /NOPERM this user has no permissions to run the 'time' command|can't run this command.*\(the command TIME, which [a-z-]+\.lua calls\)/],
    [[...rule, '-eval', '-evalsha'], /NOPERM this user has no permissions to run the 'eval(sha)?' command/],
  ];
  for (const [index, [userRule, says]] of cases.entries()) {
    const url = await userWith(`lacking-${index}`, userRule);
    const run = await runRqAsync(['worker', '--burst', '-u', url, '-P', 'test/fixtures']);
    assert.equal(run.code, 1, `exits 1 (null: still retrying when killed) ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, says);
    assert.match(lines[0]!, /Give this user the ACL rule in docs\/reliability\.md/);

    const connection = new Redis(url);
    try {
      await assert.rejects(new Worker(['default'], { connection, paths: [join(ROOT, 'test', 'fixtures')] }).work({ burst: true }), RedisPermissionError);
    } finally {
      connection.disconnect();
    }
  }
});
