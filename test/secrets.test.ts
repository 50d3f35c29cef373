/**
 * No password in any error that leaves rq-ts (RELIABILITY.md §5.5): ioredis keeps a failed AUTH's
 * arguments on its error (`command.args`), which `util.inspect` shows. With a known password that
 * Redis refuses, every rejection, error event and log line is inspected, and none holds it.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { FailedJobRegistry, Job, Queue, RedisPermissionError, Worker } from '../src/index.js';
import { runRqAsync, useRedis } from './harness/index.js';

const redis = useRedis({ password: 'the-servers-own-password' });
const SECRET = 'sup3r-s3cret-passw0rd';

/** Every way an error can be shown: inspect (deep, hidden fields too), String, stack, JSON, and its causes. */
function shown(error: unknown): string {
  let json = '';
  try {
    json = JSON.stringify(error);
  } catch {
    // circular: the other forms show it
  }
  const cause = (error as { cause?: unknown } | null)?.cause;
  return [inspect(error, { depth: 10, showHidden: true }), String(error), (error as Error)?.stack ?? '', json, cause ? shown(cause) : ''].join('\n');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('resolved, with a wrong password');
}

test('with a wrong password, no rejection, error event or log line of rq-ts shows it', async () => {
  const events: unknown[] = [];
  const clients: Redis[] = [];
  /** A client with the wrong password, one per call (it gives up after its first failure); the user's error listener comes before rq-ts sees it, or after. */
  const client = (listenFirst: boolean) => {
    const made = new Redis({ port: redis.server.port, password: SECRET, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: !listenFirst });
    clients.push(made);
    if (listenFirst) made.on('error', (error) => events.push(error));
    return made;
  };
  const listenLater = (made: Redis) => {
    made.on('error', (error) => events.push(error));
    return made;
  };
  const errors: Array<[string, unknown]> = [
    ['queue.enqueue', await rejection(new Queue('default', { connection: client(true) }).enqueue('tasks.x', 1))],
    ['queue.enqueueCall', await rejection(new Queue('default', { connection: client(true) }).enqueueCall('tasks.x', { jobId: 'one', unique: true }))],
    ['queue.count', await rejection(new Queue('default', { connection: client(true) }).count())],
    ['Job.fetch', await rejection(Job.fetch('some-id', { connection: client(true) }))],
  ];
  const late = client(false);
  const registry = new FailedJobRegistry('default', { connection: late });
  listenLater(late);
  errors.push(['registry.getJobIds', await rejection(registry.getJobIds())]);
  const logged: string[] = [];
  const log = (line: string) => logged.push(line);
  const worker = new Worker(['default'], { connection: client(true), logger: { debug: log, info: log, warn: log, error: log } });
  worker.on('worker:error', (error) => events.push(error));
  const workError = await rejection(worker.work({ burst: true }));
  errors.push(['worker.work', workError]);
  for (const made of clients) made.disconnect();

  assert.ok(events.length > 0, 'the connection emitted its error');
  for (const [where, error] of [...errors, ...events.map((event, index): [string, unknown] => [`error event ${index}`, event])]) {
    const text = shown(error);
    assert.match(text, /WRONGPASS/, `${where} is the authentication error`);
    assert.ok(!text.includes(SECRET), `${where} shows the password:\n${text}`);
  }
  assert.ok(workError instanceof RedisPermissionError, 'a worker stops on wrong credentials, which will not heal');
  assert.ok(!logged.join('\n').includes(SECRET), logged.join('\n'));
});

test("the rq command's errors name the server with the password masked", async () => {
  const url = `redis://:${SECRET}@127.0.0.1:${redis.server.port}/0`;
  for (const args of [['worker', '--burst'], ['enqueue', 'tasks.x'], ['info']]) {
    const run = await runRqAsync([...args, '-u', url]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /WRONGPASS/);
    assert.ok(!(run.stdout + run.stderr).includes(SECRET), run.stderr);
  }
});
