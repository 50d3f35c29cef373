import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { InvalidJobOperationError, Job, NoSuchJobError, Queue, Worker, cancelJob, requeueJob } from '../src/index.js';
import { useRedis } from './harness/index.js';
import { PYTHON, skipWithoutPythonRq } from './harness/python.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

const tasks = {
  'tasks.ok': (value: unknown) => value,
  'tasks.fail': () => {
    throw new Error('no');
  },
};

describe('cancel', () => {
  test('takes a queued job out of its queue into the canceled registry; twice is an error', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.ok', 1);
    const kept = await queue.enqueue('tasks.ok', 2);
    await job.cancel();
    assert.equal(job.status, 'canceled');
    assert.equal(await redis.admin.hget(job.key, 'status'), 'canceled');
    assert.deepEqual(await queue.getJobIds(), [kept.id]);
    assert.deepEqual(await queue.canceledJobRegistry.getJobIds(), [job.id]);
    await assert.rejects(job.cancel(), (error: Error) => error instanceof InvalidJobOperationError && /already canceled/.test(error.message));
    await assert.rejects(cancelJob('missing', { connection }), NoSuchJobError);
  });

  test('a scheduled or deferred job leaves its registry', async () => {
    const queue = new Queue('default', { connection });
    const scheduled = await queue.enqueueIn(600, 'tasks.ok', 's');
    const parent = await queue.enqueue('tasks.ok', 'p');
    const deferred = await queue.enqueueCall('tasks.ok', { dependsOn: parent });
    await cancelJob(scheduled.id, { connection });
    await deferred.cancel();
    assert.equal(await redis.admin.zcard('rq:scheduled:default'), 0);
    assert.equal(await redis.admin.zcard('rq:deferred:default'), 0);
    assert.equal(await queue.canceledJobRegistry.count(), 2);
  });

  test('dependents of a canceled job wait for good, unless enqueueDependents releases them', async () => {
    const queue = new Queue('default', { connection });
    const parent = await queue.enqueue('tasks.ok', 'p');
    const waiting = await queue.enqueueCall('tasks.ok', { args: ['w'], dependsOn: parent });
    await parent.cancel();
    assert.equal(await waiting.getStatus(), 'deferred');

    const other = await queue.enqueue('tasks.ok', 'o');
    const released = await queue.enqueueCall('tasks.ok', { args: ['r'], dependsOn: other });
    await other.cancel({ enqueueDependents: true });
    assert.equal(await released.getStatus(), 'queued');
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await released.returnValue(), 'r');
    assert.equal(await waiting.getStatus(), 'deferred');
  });
});

describe('requeue', () => {
  test('job.requeue and requeueJob put a failed job back on its queue; a job not failed is refused', async () => {
    const queue = new Queue('default', { connection });
    const first = await queue.enqueue('tasks.fail');
    const second = await queue.enqueue('tasks.fail');
    await new Worker([queue], { tasks }).work({ burst: true });
    const fetched = await Job.fetch(first.id, { connection });
    await fetched.requeue();
    assert.equal(fetched.status, 'queued');
    await requeueJob(second.id, { connection, atFront: true });
    assert.deepEqual(await queue.getJobIds(), [second.id, first.id]);
    await assert.rejects(fetched.requeue(), InvalidJobOperationError);
  });
});

describe('with Python RQ 1.13', { skip: skipWithoutPythonRq() }, () => {
  test('Python cancels an rq-ts job and requeues a job rq-ts failed; rq-ts cancels a Python job', async () => {
    const queue = new Queue('default', { connection });
    const queued = await queue.enqueue('tasks.ok', 1);
    const failing = await queue.enqueue('tasks.fail');
    await queue.remove(queued);
    await new Worker([queue], { tasks }).work({ burst: true });
    await redis.admin.rpush(queue.key, queued.id);
    execFileSync(PYTHON, ['-c', `
from redis import Redis
from rq import Queue
from rq.job import cancel_job, requeue_job
from rq.serializers import JSONSerializer
r = Redis(port=${redis.server.port})
cancel_job('${queued.id}', connection=r, serializer=JSONSerializer)
requeue_job('${failing.id}', connection=r, serializer=JSONSerializer)
Queue('default', connection=r, serializer=JSONSerializer).enqueue('tasks.ok', 3, job_id='py-job')
`]);
    assert.equal(await queued.getStatus(), 'canceled');
    assert.deepEqual(await queue.canceledJobRegistry.getJobIds(), [queued.id]);
    assert.equal(await failing.getStatus(), 'queued');
    await cancelJob('py-job', { connection });
    const seen = execFileSync(PYTHON, ['-c', `
from redis import Redis
from rq.job import Job
from rq.registry import CanceledJobRegistry
from rq.serializers import JSONSerializer
r = Redis(port=${redis.server.port})
print(Job.fetch('py-job', connection=r, serializer=JSONSerializer).get_status(), sorted(CanceledJobRegistry('default', connection=r).get_job_ids()))
`], { encoding: 'utf8' }).trim();
    assert.equal(seen, `canceled ${JSON.stringify([queued.id, 'py-job'].sort()).replaceAll('"', "'").replaceAll(',', ', ')}`);
  });
});
