import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Queue, UnknownFunctionError, Worker, importFunction, type Serializer } from '../src/index.js';
import { useRedis } from './harness/index.js';

const FIXTURES = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures');

describe('importFunction: dotted names, only under the given paths', () => {
  test('module.function, package.module.function, module.Object.method', async () => {
    assert.equal((await importFunction('tasks.add', [FIXTURES]))(2, 3), 5);
    assert.equal((await importFunction('pkg.jobs.double', [FIXTURES]))(4), 8);
    assert.equal((await importFunction('pkg.jobs.Math2.triple', [FIXTURES]))(4), 12);
  });

  test('refuses names that leave the paths or name no function, saying why', async () => {
    const refused: Array<[string, RegExp]> = [
      ['../etc/passwd', /not a function name rq-ts can import/],
      ['/abs.path', /not a function name rq-ts can import/],
      ['child_process.execSync', /no module under .* defines it/],
      ['node:fs.readFileSync', /not a function name rq-ts can import/],
      ['justaname', /not a function name rq-ts can import/],
      ['pkg.jobs.notAFunction', /has no function 'notAFunction'/],
      ['tasks.missing', /has no function 'missing'/],
    ];
    for (const [name, message] of refused) {
      await assert.rejects(importFunction(name, [FIXTURES]), (error: Error) => error instanceof UnknownFunctionError && message.test(error.message), name);
    }
  });
});

describe('worker', () => {
  const redis = useRedis();
  let connection: Redis;
  beforeEach(() => {
    connection = redis.connect();
  });

  test('a pluggable serializer encodes data and results; worker:idle fires when there is nothing to do', async () => {
    const tagged: Serializer = {
      dumps: (value) => `tagged:${JSON.stringify(value)}`,
      loads: (data) => JSON.parse(data.toString().replace(/^tagged:/, '')) as unknown,
    };
    const queue = new Queue('custom', { connection, serializer: tagged });
    const job = await queue.enqueueCall('pkg.jobs.double', { args: [21], meta: { m: 1 } });
    assert.equal(await redis.admin.hget(job.key, 'meta'), 'tagged:{"m":1}');
    const worker = new Worker([queue], { paths: [FIXTURES], dequeueTimeout: 1 });
    let idle = 0;
    worker.on('worker:idle', () => {
      idle += 1;
      worker.stop();
    });
    assert.equal(await worker.work(), 1);
    assert.ok(idle >= 1);
    const [, fields] = (await redis.admin.xrange(`rq:results:${job.id}`, '-', '+'))[0]!;
    assert.equal(Buffer.from(fields[3]!, 'base64').toString(), 'tagged:42');
    assert.equal(await job.returnValue(), 42);
  });
});
