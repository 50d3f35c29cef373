import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { inflateSync, deflateSync } from 'node:zlib';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import {
  DeserializationError,
  InvalidArgumentError,
  Job,
  NoSuchJobError,
  Queue,
  TimeoutFormatError,
} from '../src/index.js';
import { enqueueJobs } from '../src/scripts/enqueue-jobs.js';
import { useRedis } from './harness/index.js';
import { skipWithoutPythonRq } from './harness/python.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RQ_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('enqueue writes RQ 1.13\'s layout', () => {
  test('the job hash has exactly the fields RQ writes, encoded as RQ encodes them', async () => {
    const job = await new Queue('default', { connection }).enqueue('tasks.add', 2, 3);
    assert.match(job.id, UUID4);
    const hash = await redis.admin.hgetallBuffer(`rq:job:${job.id}`);
    assert.deepEqual(Object.keys(hash).sort(), [
      'created_at', 'data', 'description', 'ended_at', 'enqueued_at', 'failure_callback_name', 'last_heartbeat',
      'origin', 'started_at', 'status', 'success_callback_name', 'timeout', 'worker_name',
    ]);
    const text = (field: string) => hash[field]!.toString();
    assert.deepEqual(JSON.parse(inflateSync(hash['data']!).toString()), ['tasks.add', null, [2, 3], {}]);
    assert.equal(text('status'), 'queued');
    assert.equal(text('origin'), 'default');
    assert.equal(text('description'), 'tasks.add(2, 3)');
    assert.equal(text('timeout'), '180');
    assert.match(text('created_at'), RQ_TIMESTAMP);
    assert.match(text('enqueued_at'), RQ_TIMESTAMP);
    for (const empty of ['started_at', 'ended_at', 'last_heartbeat', 'worker_name', 'success_callback_name', 'failure_callback_name']) {
      assert.equal(text(empty), '', empty);
    }
    assert.deepEqual(await redis.admin.smembers('rq:queues'), ['rq:queue:default']);
    assert.deepEqual(await redis.admin.lrange('rq:queue:default', 0, -1), [job.id]);
    assert.equal(await redis.admin.ttl(`rq:job:${job.id}`), -1);
  });

  test('options land in RQ\'s fields: timeout, TTLs, meta (plain JSON), description, job id', async () => {
    const queue = new Queue('emails', { connection, defaultTimeout: '10m' });
    const job = await queue.enqueueCall('tasks.send', {
      args: ['ada@example.com'],
      kwargs: { subject: "it's here", retries: [1, true, null] },
      jobTimeout: '1h',
      resultTtl: 60,
      failureTtl: '2d',
      ttl: 30,
      meta: { tenant: 'acme' },
      jobId: 'send-ada_1',
    });
    assert.equal(job.id, 'send-ada_1');
    const hash = await redis.admin.hgetall('rq:job:send-ada_1');
    assert.equal(hash['timeout'], '3600');
    assert.equal(hash['result_ttl'], '60');
    assert.equal(hash['failure_ttl'], '172800');
    assert.equal(hash['ttl'], '30');
    assert.deepEqual(JSON.parse(hash['meta']!), { tenant: 'acme' });
    assert.equal(hash['description'], `tasks.send('ada@example.com', subject="it's here", retries=[1, True, None])`);
    // ttl expires the job key and its dependency keys, as RQ does.
    assert.ok((await redis.admin.ttl('rq:job:send-ada_1')) > 25);
    // The queue's default timeout applies when the job has none.
    const plain = await queue.enqueue('tasks.send', 'x');
    assert.equal(await redis.admin.hget(`rq:job:${plain.id}`, 'timeout'), '600');
  });

  test('atFront pushes at the head, others at the tail', async () => {
    const queue = new Queue('default', { connection });
    const a = await queue.enqueue('tasks.a');
    const b = await queue.enqueue('tasks.b');
    const c = await queue.enqueueCall('tasks.c', { atFront: true });
    assert.deepEqual(await queue.getJobIds(), [c.id, a.id, b.id]);
  });

  test('the same enqueue sent twice (a resend after a lost reply) writes the job once; the id enqueued again later is pushed again', async () => {
    const batch = { queue: 'default', jobs: [{ id: 'once', placement: { mode: 'tail' as const }, ttl: undefined, fields: { created_at: '2026-12-02T10:00:00.000000Z', data: 'x', status: 'queued' } }], pastSlack: 1 };
    await enqueueJobs(connection, batch);
    await enqueueJobs(connection, batch); // what ioredis resends after a reconnect: the very same call
    assert.deepEqual(await redis.admin.lrange('rq:queue:default', 0, -1), ['once']);
    await enqueueJobs(connection, { ...batch, jobs: [{ ...batch.jobs[0]!, fields: { ...batch.jobs[0]!.fields, created_at: '2026-12-02T10:05:00.000000Z' } }] });
    assert.deepEqual(await redis.admin.lrange('rq:queue:default', 0, -1), ['once', 'once'], 'a later enqueue of the id is another call: pushed, as RQ does');
  });

  test('bad input is a typed error, and nothing is written', async () => {
    const queue = new Queue('default', { connection });
    await assert.rejects(queue.enqueueCall('tasks.a', { jobId: 'has:colon' }), InvalidArgumentError);
    await assert.rejects(queue.enqueueCall('tasks.a', { jobTimeout: '5x' as never }), (error: Error) => error instanceof TimeoutFormatError && /Bad job timeout '5x'/.test(error.message));
    await assert.rejects(queue.enqueueCall('tasks.a', { jobTimeout: 0 }), TimeoutFormatError);
    await assert.rejects(queue.enqueueCall('tasks.a', { ttl: 0 }), /ttl must be greater than 0/);
    await assert.rejects(queue.enqueueCall('tasks.a', { resultTtl: -5 }), /resultTtl must be -1 \(forever\), 0 or more/);
    await assert.rejects(queue.enqueueCall('tasks.a', { failureTtl: -2 }), /failureTtl must be -1/);
    await assert.rejects(queue.enqueueCall('tasks.a', { ttl: 1e20 }), (error: Error) => error instanceof TimeoutFormatError && /Bad ttl 100000000000000000000: use whole seconds \(at most 9007199254740991\)/.test(error.message));
    await assert.rejects(queue.enqueueCall('tasks.a', { resultTtl: '99999999999999d' }), /Bad resultTtl '99999999999999d': at most 9007199254740991 seconds/);
    await assert.rejects(queue.enqueueCall('', {}), /needs a function name/);
    assert.deepEqual(await redis.admin.keys('*'), []);
  });
});

describe('reading a queue', () => {
  test('count, getJobIds with offset and length, fetchJob', async () => {
    const queue = new Queue('default', { connection });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await queue.enqueue('tasks.n', i)).id);
    assert.equal(await queue.count(), 5);
    assert.deepEqual(await queue.getJobIds(), ids);
    assert.deepEqual(await queue.getJobIds(1, 2), ids.slice(1, 3));
    const job = await queue.fetchJob(ids[3]!);
    assert.ok(job);
    assert.equal(job.funcName, 'tasks.n');
    assert.deepEqual(job.args, [3]);
    assert.equal(job.origin, 'default');
    assert.equal(job.status, 'queued');
    assert.equal(job.timeout, 180);
    assert.ok(job.enqueuedAt instanceof Date);
  });

  test('fetchJob of an id whose hash is gone resolves to null and drops the id from the queue', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.gone');
    await redis.admin.del(`rq:job:${job.id}`);
    assert.equal(await queue.fetchJob(job.id), null);
    assert.equal(await queue.count(), 0);
  });

  test('empty removes every waiting job and its hash, and leaves other queues alone', async () => {
    const queue = new Queue('default', { connection });
    const other = new Queue('other', { connection });
    const jobs = [await queue.enqueue('tasks.a'), await queue.enqueue('tasks.b')];
    await redis.admin.sadd(`rq:job:${jobs[0]!.id}:dependents`, 'child');
    const kept = await other.enqueue('tasks.c');
    assert.equal(await queue.empty(), 2);
    assert.equal(await queue.count(), 0);
    assert.equal(await redis.admin.exists(`rq:job:${jobs[0]!.id}`, `rq:job:${jobs[1]!.id}`, `rq:job:${jobs[0]!.id}:dependents`), 0);
    assert.equal(await other.count(), 1);
    assert.equal(await redis.admin.exists(`rq:job:${kept.id}`), 1);
    assert.equal(await queue.empty(), 0);
  });
});

describe('Job.fetch', () => {
  test('throws NoSuchJobError for a missing job', async () => {
    await assert.rejects(Job.fetch('nope', { connection }), (error: Error) => error instanceof NoSuchJobError && error.message === 'No such job: rq:job:nope');
  });

  test('reads uncompressed JSON data, as RQ readers do', async () => {
    await redis.admin.hset('rq:job:raw', { data: '["tasks.x", null, [1], {"k": 2}]', status: 'queued', origin: 'default' });
    const job = await Job.fetch('raw', { connection });
    assert.deepEqual([job.funcName, job.args, job.kwargs], ['tasks.x', [1], { k: 2 }]);
  });

  test('refuses pickle data with a message that names the JSON serializer', async () => {
    // Python: zlib.compress(pickle.dumps(('tasks.add', None, (2, 3), {}), protocol=5))
    const pickled = deflateSync(Buffer.from('8005951900000000000000288c097461736b732e616464944e4b024b0386947d9474942e', 'hex'));
    await redis.admin.hset('rq:job:pickled', { data: pickled, status: 'queued' });
    await assert.rejects(Job.fetch('pickled', { connection }), (error: Error) => {
      assert.ok(error instanceof DeserializationError);
      assert.match(error.message, /pickle/);
      assert.match(error.message, /JSONSerializer/);
      return true;
    });
  });

  test('a malformed hash is a DeserializationError naming the job and the field', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ status: 'queued' }, /has no 'data' field/],
      [{ data: 'not json' }, /'data' is not readable/],
      [{ data: '{"a": 1}' }, /not RQ's \[funcName, instance, args, kwargs\]/],
      [{ data: '["m", {"obj": 1}, [], {}]' }, /method of a Python object/],
      [{ data: '["f", null, [], {}]', meta: '[1]' }, /'meta' is not an object/],
    ];
    for (const [fields, message] of cases) {
      await redis.admin.del('rq:job:bad');
      await redis.admin.hset('rq:job:bad', fields);
      await assert.rejects(Job.fetch('bad', { connection }), (error: Error) => error instanceof DeserializationError && /rq:job:bad/.test(error.message) && message.test(error.message), JSON.stringify(fields));
    }
  });
});

describe('Python RQ 1.13 reads what rq-ts wrote, and the reverse', { skip: skipWithoutPythonRq() }, () => {
  test('a job enqueued by rq-ts is a valid RQ job for Python, and a Python job reads back in rq-ts', async () => {
    const job = await new Queue('default', { connection }).enqueueCall('tasks.add', { args: [2], kwargs: { y: 3 }, meta: { m: 1 }, resultTtl: 60 });
    const script = `
import json, sys
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer
r = Redis(port=${redis.server.port})
j = Job.fetch(sys.argv[1], connection=r, serializer=JSONSerializer)
q = Queue('default', connection=r, serializer=JSONSerializer)
p = q.enqueue_call('tasks.mul', args=(4,), kwargs={'z': 5}, job_id='from-python', meta={'src': 'py'})
print(json.dumps({'func': j.func_name, 'args': list(j.args), 'kwargs': j.kwargs, 'status': j.get_status(), 'origin': j.origin,
  'meta': j.meta, 'timeout': j.timeout, 'result_ttl': j.result_ttl, 'enqueued': j.enqueued_at is not None, 'ids': q.job_ids}))
`;
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, job.id], { encoding: 'utf8' })) as Record<string, unknown>;
    assert.deepEqual(out, {
      func: 'tasks.add', args: [2], kwargs: { y: 3 }, status: 'queued', origin: 'default', meta: { m: 1 }, timeout: 180, result_ttl: 60,
      enqueued: true, ids: [job.id, 'from-python'],
    });
    const fromPython = await Job.fetch('from-python', { connection });
    assert.deepEqual([fromPython.funcName, fromPython.args, fromPython.kwargs, fromPython.meta], ['tasks.mul', [4], { z: 5 }, { src: 'py' }]);
    assert.equal(fromPython.status, 'queued');
    assert.equal(fromPython.description, "tasks.mul(4, z=5)");
    assert.ok(fromPython.createdAt.getTime() > Date.now() - 60_000);
  });
});

