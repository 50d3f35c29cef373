/**
 * The connection stack by hand, for your own tests: push a connection in the setup, pop it in the
 * teardown, and every Queue or Job a test creates without a `connection` option uses it (RQ's
 * `push_connection` / `pop_connection` in a unittest `setUp` / `tearDown`). Or, for one block,
 * `using _ = pushConnection(redis)`, which pops when the block ends.
 *
 * The file is shaped like a node:test file but runs as a plain script: the small `run` function
 * at the bottom stands in for node:test. In a real test file you would write
 *
 *   import { afterEach, beforeEach, test } from 'node:test';
 *   beforeEach(setUp);
 *   afterEach(tearDown);
 *   test('a queue created in a test uses the pushed connection', async () => { ... });
 *
 * Run it from the repository root, after `npm run build:test` (use a database kept for tests):
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/1 node build/examples/push-pop-in-tests.js
 *
 * It prints `ok - <test>` or `not ok - <test>: <why>` per test, and exits with code 1 if one fails.
 *
 * In your own project, compile it with the README's tsconfig.json (`"target": "es2022"`): Node 20
 * cannot run `using` as written, which is what `tsc --init`'s `"target": "esnext"` leaves.
 * test/package.test.ts compiles this file with exactly those settings and runs it.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Job, Queue, getCurrentConnection, maskUrl, popConnection, pushConnection } from '../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis server (or a database of one) that tests may write to.');
  process.exit(2);
}

let redis: Redis;

/** Before each test: a fresh client on top of the connection stack. */
async function setUp(): Promise<void> {
  redis = new Redis(url!);
  pushConnection(redis);
}

/** After each test: pop it, check that the test left the stack balanced, close the client. */
async function tearDown(): Promise<void> {
  const popped = popConnection(); // ConnectionStackEmptyError if a test popped one too many
  assert.equal(popped, redis, 'a test pushed a connection and left it on the stack');
  await redis.quit();
}

async function aQueueUsesThePushedConnection(): Promise<void> {
  const queue = new Queue(); // the 'default' queue, on the pushed connection
  assert.equal(queue.connection, redis);
  const job = await queue.enqueue('tasks.add', 1, 2);
  assert.notEqual(await redis.lpos('rq:queue:default', job.id), null);
  console.log(`job ${job.id} went to ${maskUrl(url!)}, queue 'default'`);
}

async function jobFetchUsesThePushedConnection(): Promise<void> {
  const job = await new Queue('reports').enqueue('tasks.report', 'monthly');
  const fetched = await Job.fetch(job.id); // no connection option: the pushed one
  assert.deepEqual(fetched.args, ['monthly']);
  console.log(`job ${job.id} fetched back through the pushed connection`);
}

/** Without setUp/tearDown: `using` pops the connection when the block ends, even on a throw. */
async function usingPopsAtTheEndOfTheBlock(): Promise<void> {
  const client = new Redis(url!);
  try {
    {
      using pushed = pushConnection(client);
      const job = await new Queue('emails').enqueue('tasks.send', 'ada@example.com');
      assert.equal(job.connection, pushed.connection);
      console.log(`job ${job.id} went to ${maskUrl(url!)}, queue 'emails', inside the using block`);
    }
    assert.equal(getCurrentConnection(), undefined, 'the using block did not pop its connection');
    console.log('after the using block the connection stack is empty again');
  } finally {
    await client.quit();
  }
}

/** Runs one test, with the setup and teardown when `hooks` is true, and prints its outcome. */
async function run(name: string, test: () => Promise<void>, hooks = true): Promise<void> {
  try {
    if (hooks) await setUp();
    try {
      await test();
    } finally {
      if (hooks) await tearDown();
    }
    console.log(`ok - ${name}`);
  } catch (error) {
    process.exitCode = 1;
    console.log(`not ok - ${name}: ${(error as Error).message}`);
  }
}

await run('a queue created in a test uses the pushed connection', aQueueUsesThePushedConnection);
await run('Job.fetch without a connection option uses the pushed connection', jobFetchUsesThePushedConnection);
await run('`using pushConnection(...)` pops at the end of its block', usingPopsAtTheEndOfTheBlock, false);
