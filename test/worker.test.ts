import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Callback, Job, Queue, Worker, withConnection } from '../src/index.js';
import { useRedis, waitUntil } from './harness/index.js';
import { skipWithoutPythonRq } from './harness/python.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

const tasks = {
  'tasks.add': (a: number, b: number) => a + b,
  'tasks.addKw': (x: number, options: { y: number }) => x + options.y,
  'tasks.fail': () => {
    throw new TypeError('no good');
  },
  'tasks.nothing': () => undefined,
  'tasks.slow': () => new Promise((resolve) => setTimeout(() => resolve('late'), 3000)),
  // Busy for 1.2 s before its first await, then a promise that would settle 50 ms later.
  'tasks.busyThenAsync': () => {
    const until = Date.now() + 1200;
    while (Date.now() < until);
    return new Promise((resolve) => setTimeout(() => resolve('late'), 50));
  },
  'tasks.napThenValue': (ms: number) => new Promise((resolve) => setTimeout(() => resolve('rested'), ms)),
  'tasks.napCallback': async (job: Job, conn: Redis) => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await conn.set('callback:napped', job.id);
  },
  'tasks.busySync': () => {
    const until = Date.now() + 1200;
    while (Date.now() < until);
    return 'done';
  },
};

describe('a burst worker runs jobs into RQ\'s registries', () => {
  test('success: finished registry, results stream, TTLs, worker stats', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.add', 2, 3);
    const worker = new Worker([queue], { tasks, name: 'w-success' });
    assert.equal(await worker.work({ burst: true }), 1);

    const hash = await redis.admin.hgetall(`rq:job:${job.id}`);
    assert.equal(hash['status'], 'finished');
    assert.equal(hash['worker_name'], 'w-success');
    assert.match(hash['started_at']!, /Z$/);
    assert.match(hash['ended_at']!, /Z$/);
    assert.equal(await redis.admin.zcard('rq:wip:default'), 0);
    const finishedScore = Number(await redis.admin.zscore('rq:finished:default', job.id));
    assert.ok(Math.abs(finishedScore - (Date.now() / 1000 + 500)) < 5, `finished score ${finishedScore} is not now + 500`);
    const ttl = await redis.admin.ttl(`rq:job:${job.id}`);
    assert.ok(ttl > 490 && ttl <= 500, `job TTL ${ttl}`);
    const entries = await redis.admin.xrange(`rq:results:${job.id}`, '-', '+');
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0]![1], ['type', '1', 'return_value', Buffer.from('5').toString('base64')]);
    assert.equal(await job.returnValue(), 5);
    assert.equal(await job.getStatus(), 'finished');

    const workerHash = await redis.admin.hgetall('rq:worker:w-success');
    assert.equal(workerHash['successful_job_count'], '1');
    assert.equal(workerHash['queues'], 'default');
    assert.ok(workerHash['death'], 'a burst worker records its death');
    assert.equal(await redis.admin.sismember('rq:workers', 'rq:worker:w-success'), 0);
    assert.ok((await redis.admin.ttl('rq:worker:w-success')) <= 60);
  });

  test('a slot going from job to job counts each in its worker hash and shows each as its current job', async () => {
    const queue = new Queue('default', { connection });
    await queue.enqueueMany([1, 2, 3, 4].map((n) => Queue.prepareData(n === 3 ? 'tasks.fail' : 'tasks.add', { args: [n, n] })));
    // 20 ms a job, so that each read of the hash lands while its job runs.
    const add = async (a: number, b: number) => new Promise((resolve) => setTimeout(() => resolve(a + b), 20));
    const fail = async () => new Promise((_, reject) => setTimeout(() => reject(new TypeError('no good')), 20));
    const worker = new Worker([queue], { tasks: { ...tasks, 'tasks.add': add, 'tasks.fail': fail }, name: 'w-counts' });
    const seen: Array<string | null> = [];
    worker.on('job:started', (job) => {
      // The step that started this job ended the one before: the hash shows this job, busy.
      void redis.admin.hmget('rq:worker:w-counts', 'current_job', 'state').then(([current, state]) => seen.push(current === job.id && state === 'busy' ? 'ok' : `${current}/${state}`));
    });
    assert.equal(await worker.work({ burst: true }), 4);
    await waitUntil(async () => seen.length === 4, 2000, 'the four reads');
    assert.deepEqual(seen, ['ok', 'ok', 'ok', 'ok']);
    const hash = await redis.admin.hgetall('rq:worker:w-counts');
    assert.equal(hash['successful_job_count'], '3');
    assert.equal(hash['failed_job_count'], '1');
    assert.ok(Number(hash['total_working_time']) > 0 && Number(hash['total_working_time']) < 5, `total_working_time ${hash['total_working_time']}`);
    assert.equal(hash['current_job'], undefined, 'idle at the end, as RQ');
  });

  test('a fractional monitoring interval gives whole-second TTLs (EXPIRE takes no fractions); a fractional result TTL is refused', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.busyTtl');
    // Read by the job itself, so while the worker is busy with it (a read after the job, on a
    // loaded machine, would see the idle TTL).
    const busyTtl = () => redis.admin.ttl('rq:worker:w-fraction');
    const worker = new Worker([queue], { tasks: { 'tasks.busyTtl': busyTtl }, name: 'w-fraction', jobMonitoringInterval: 0.5 });
    assert.equal(await worker.work({ burst: true }), 1);
    assert.equal(await job.getStatus(), 'finished');
    const ttl = (await job.returnValue()) as number;
    assert.ok(ttl > 55 && ttl <= 61, `busy worker key TTL ${ttl} is not ceil(0.5) + 60`);
    assert.throws(() => new Worker([queue], { tasks, defaultResultTtl: 1.5 }), /defaultResultTtl must be whole seconds/);
  });

  test('failure: failed registry, one-year TTL, exc_string holds the error', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.fail');
    await new Worker(['default'], { connection, tasks }).work({ burst: true });
    assert.equal(await job.getStatus(), 'failed');
    const score = Number(await redis.admin.zscore('rq:failed:default', job.id));
    assert.ok(Math.abs(score - (Date.now() / 1000 + 31_536_000)) < 5);
    const result = await job.latestResult();
    assert.equal(result?.type, 2);
    assert.equal(result?.excString?.split('\n').at(-1), 'TypeError: no good', 'the last line names the error, as in a Python traceback');
    assert.match(result?.excString ?? '', /^\s+at .*worker\.test\.js/m, 'the stack frames are kept');
    // No explicit failure_ttl: the stream keeps no TTL, as RQ 1.13 leaves it.
    assert.equal(await redis.admin.ttl(`rq:results:${job.id}`), -1);
  });

  test('an unknown function fails that job with a message saying how to register it; the next job runs', async () => {
    const queue = new Queue('default', { connection });
    const unknown = await queue.enqueue('child_process.execSync', 'rm -rf /');
    const next = await queue.enqueue('tasks.add', 1, 1);
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await unknown.getStatus(), 'failed');
    assert.match((await unknown.latestResult())?.excString ?? '', /UnknownFunctionError: .*'child_process\.execSync'.*register/);
    assert.equal(await next.returnValue(), 2);
  });

  test('unreadable data (pickle) fails that job only, and the worker goes on', async () => {
    await redis.admin.hset('rq:job:pickled', { data: Buffer.from([0x80, 0x05, 0x95]), status: 'queued', origin: 'default' });
    await redis.admin.rpush('rq:queue:default', 'pickled');
    const queue = new Queue('default', { connection });
    const next = await queue.enqueue('tasks.add', 2, 2);
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await redis.admin.hget('rq:job:pickled', 'status'), 'failed');
    assert.equal(await redis.admin.zcard('rq:wip:default'), 0);
    assert.equal(await next.returnValue(), 4);
  });

  test('queues in priority order; result_ttl 0 deletes the job; a null return writes no return_value', async () => {
    const low = new Queue('low', { connection });
    const high = new Queue('high', { connection });
    const order: string[] = [];
    const a = await low.enqueue('tasks.mark', 'low');
    await high.enqueue('tasks.mark', 'high');
    const gone = await high.enqueueCall('tasks.nothing', { resultTtl: 0 });
    const nothing = await high.enqueue('tasks.nothing');
    await new Worker([high, low], { tasks: { ...tasks, 'tasks.mark': (name: string) => order.push(name) } }).work({ burst: true });
    assert.deepEqual(order, ['high', 'low']);
    assert.equal(await redis.admin.exists(`rq:job:${gone.id}`), 0);
    assert.equal(await redis.admin.zscore('rq:finished:high', gone.id), null);
    assert.deepEqual((await redis.admin.xrange(`rq:results:${nothing.id}`, '-', '+'))[0]![1], ['type', '1']);
    assert.equal(await a.getStatus(), 'finished');
  });

  test('a job past its timeout fails with JobTimeoutError', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueueCall('tasks.slow', { jobTimeout: 1 });
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await job.getStatus(), 'failed');
    assert.match((await job.latestResult())?.excString ?? '', /JobTimeoutError: .*timeout of 1 s/);
  });

  test('the timeout counts from the call: an async function whose synchronous part outlasts it times out when that part ends; a plain return value is the result', async () => {
    const queue = new Queue('default', { connection });
    const busy = await queue.enqueueCall('tasks.busyThenAsync', { jobTimeout: 1 });
    // Nothing can interrupt synchronous code in one thread: a function that returns a value has finished.
    const sync = await queue.enqueueCall('tasks.busySync', { jobTimeout: 1 });
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await busy.getStatus(), 'failed');
    assert.match((await busy.latestResult())?.excString ?? '', /JobTimeoutError: .*timeout of 1 s/);
    assert.equal(await sync.getStatus(), 'finished');
    assert.equal(await sync.returnValue(), 'done');
  });
});

describe('timeouts longer than a timer holds', () => {
  test('a job and its success callback with timeouts of 30 days run to their end: Node\'s timers take at most 24.8 days', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueueCall('tasks.napThenValue', { args: [150], jobTimeout: '30d', onSuccess: new Callback('tasks.napCallback', { timeout: 30 * 86_400 }) });
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await job.getStatus(), 'finished', (await job.latestResult())?.excString);
    assert.equal(await job.returnValue(), 'rested');
    assert.equal(await connection.get('callback:napped'), job.id, 'the callback ran to its end');
  });
});

describe('a waiting worker', () => {
  test('blocks until a job arrives, runs it, and stops when asked', async () => {
    const worker = new Worker(['default'], { connection, tasks, dequeueTimeout: 1 });
    const working = worker.work();
    await waitUntil(async () => (await redis.admin.hget(`rq:worker:${worker.name}`, 'state')) === 'idle', 5000, 'the worker to register and wait, idle as RQ shows it');
    const job = await new Queue('default', { connection }).enqueue('tasks.add', 20, 22);
    await waitUntil(async () => (await job.getStatus()) === 'finished', 5000, 'the job to finish');
    worker.stop();
    assert.equal(await working, 1);
    assert.equal(await job.returnValue(), 42);
  });

  test('takes its connection from the context it was created in', async () => {
    const worker = withConnection(connection, () => new Worker('default', { tasks }));
    assert.equal(worker.connection, connection);
  });
});

describe('with Python RQ 1.13', { skip: skipWithoutPythonRq() }, () => {
  test('Python enqueues with kwargs, rq-ts runs it, Python reads the result and the registries', async () => {
    const python = (code: string) =>
      execFileSync('/usr/bin/python3', ['-c', `
import json
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer
r = Redis(port=${redis.server.port})
q = Queue('default', connection=r, serializer=JSONSerializer)
${code}`], { encoding: 'utf8' }).trim();
    python("q.enqueue('tasks.addKw', 2, y=3, job_id='py-1')");
    python("q.enqueue('tasks.fail', job_id='py-2')");
    await new Worker(['default'], { connection, tasks, name: 'ts-worker' }).work({ burst: true });
    const seen = JSON.parse(python(`
ok = Job.fetch('py-1', connection=r, serializer=JSONSerializer)
bad = Job.fetch('py-2', connection=r, serializer=JSONSerializer)
print(json.dumps({'status': ok.get_status(), 'value': ok.return_value(), 'worker': ok.worker_name,
  'latest': ok.latest_result().type.name, 'failed': bad.get_status(), 'exc': bad.exc_info,
  'finished_ids': q.finished_job_registry.get_job_ids(), 'failed_ids': q.failed_job_registry.get_job_ids()}))`)) as Record<string, unknown>;
    assert.equal(seen['status'], 'finished');
    assert.equal(seen['value'], 5);
    assert.equal(seen['worker'], 'ts-worker');
    assert.equal(seen['latest'], 'SUCCESSFUL');
    assert.equal(seen['failed'], 'failed');
    assert.match(String(seen['exc']), /TypeError: no good/);
    assert.deepEqual(seen['finished_ids'], ['py-1']);
    assert.deepEqual(seen['failed_ids'], ['py-2']);
    assert.equal(await (await Job.fetch('py-1', { connection })).returnValue(), 5);
  });
});

