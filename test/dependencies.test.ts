import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Dependency, InvalidJobDependencyError, Job, Queue, Worker } from '../src/index.js';
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
    throw new Error('parent failed');
  },
};

describe('dependsOn, in RQ 1.13\'s layout', () => {
  test('a job waiting on an unfinished one is deferred: registry, dependents and dependencies sets, fields', async () => {
    const queue = new Queue('default', { connection });
    const other = new Queue('other', { connection });
    const parentA = await queue.enqueue('tasks.ok', 'a');
    const parentB = await queue.enqueue('tasks.ok', 'b');
    const child = await other.enqueueCall('tasks.ok', { args: ['child'], dependsOn: [parentA, parentB.id] });
    assert.equal(child.status, 'deferred');
    const hash = await redis.admin.hgetall(child.key);
    assert.equal(hash['status'], 'deferred');
    assert.equal(hash['dependency_ids'], `["${parentA.id}", "${parentB.id}"]`);
    assert.equal(hash['dependency_id'], parentA.id);
    assert.equal(hash['allow_dependency_failures'], undefined, 'written only with a Dependency, as RQ');
    assert.equal(hash['enqueued_at'], undefined);
    assert.deepEqual(await redis.admin.zrange('rq:deferred:other', 0, -1), [child.id]);
    assert.deepEqual(await redis.admin.smembers(`rq:job:${parentA.id}:dependents`), [child.id]);
    assert.deepEqual(await redis.admin.smembers(`rq:job:${parentB.id}:dependents`), [child.id]);
    assert.deepEqual((await redis.admin.smembers(`rq:job::${child.id}:dependencies`)).sort(), [parentA.id, parentB.id].sort());
    assert.equal(await other.count(), 0);

    const flagged = await queue.enqueueCall('tasks.ok', { dependsOn: new Dependency({ jobs: [parentA], allowFailure: true, enqueueAtFront: true }) });
    assert.equal(await redis.admin.hget(flagged.key, 'allow_dependency_failures'), '1');
    assert.equal(await redis.admin.hget(flagged.key, 'enqueue_at_front'), '1');
    assert.deepEqual((await Job.fetch(flagged.id, { connection })).dependencyIds, [parentA.id]);
  });

  test('when every dependency has finished, the job is enqueued at once', async () => {
    const queue = new Queue('default', { connection });
    const parent = await queue.enqueue('tasks.ok', 'p');
    await new Worker([queue], { tasks }).work({ burst: true });
    const child = await queue.enqueueCall('tasks.ok', { dependsOn: parent });
    assert.equal(child.status, 'queued');
    assert.deepEqual(await queue.getJobIds(), [child.id]);
    assert.equal(await redis.admin.zcard('rq:deferred:default'), 0);
  });

  test('a worker releases dependents when the last dependency finishes, across queues, at the front when asked', async () => {
    const queue = new Queue('default', { connection });
    const other = new Queue('other', { connection });
    const parentA = await queue.enqueue('tasks.ok', 'a');
    const parentB = await queue.enqueue('tasks.ok', 'b');
    const child = await other.enqueueCall('tasks.ok', { args: ['child'], dependsOn: [parentA, parentB] });
    const waiting = await other.enqueue('tasks.ok', 'already there');
    const front = await other.enqueueCall('tasks.ok', { args: ['front'], dependsOn: new Dependency({ jobs: parentB, enqueueAtFront: true }) });
    await new Worker([queue], { tasks }).work({ burst: true, maxJobs: 1 });
    assert.equal(await child.getStatus(), 'deferred', 'one dependency is not enough');
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await child.getStatus(), 'queued');
    assert.deepEqual(await other.getJobIds(), [front.id, waiting.id, child.id]);
    assert.equal(await redis.admin.zcard('rq:deferred:other'), 0);
    // The last dependency's dependents set is gone; the first one's keeps the id until it expires
    // with that job (RQ leaves it so too).
    assert.equal(await redis.admin.exists(`rq:job:${parentB.id}:dependents`), 0);
    assert.ok((await redis.admin.ttl(`rq:job:${parentA.id}:dependents`)) > 0);
    await new Worker([other], { tasks }).work({ burst: true });
    assert.equal(await child.returnValue(), 'child');
  });

  test('a failed dependency releases only dependents that allow failure; a canceled one none', async () => {
    const queue = new Queue('default', { connection });
    const parent = await queue.enqueue('tasks.fail');
    const strict = await queue.enqueueCall('tasks.ok', { args: ['strict'], dependsOn: parent });
    const lenient = await queue.enqueueCall('tasks.ok', { args: ['lenient'], dependsOn: new Dependency({ jobs: parent, allowFailure: true }) });
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await strict.getStatus(), 'deferred');
    assert.equal(await lenient.returnValue(), 'lenient');

    const canceled = await queue.enqueue('tasks.ok', 'c');
    const done = await queue.enqueue('tasks.ok', 'd');
    const blocked = await queue.enqueueCall('tasks.ok', { dependsOn: new Dependency({ jobs: [canceled, done], allowFailure: true }) });
    await redis.admin.lrem(queue.key, 0, canceled.id);
    await redis.admin.hset(canceled.key, 'status', 'canceled');
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await done.getStatus(), 'finished');
    assert.equal(await blocked.getStatus(), 'deferred', 'never released while a dependency is canceled');
  });

  test('a dependency with result_ttl 0 still releases its dependents before it is deleted', async () => {
    const queue = new Queue('default', { connection });
    const parent = await queue.enqueueCall('tasks.ok', { args: ['gone'], resultTtl: 0 });
    const child = await queue.enqueueCall('tasks.ok', { args: ['child'], dependsOn: parent });
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await redis.admin.exists(parent.key), 0);
    assert.equal(await child.returnValue(), 'child');
  });

  test('enqueueMany with dependencies inside the batch', async () => {
    const queue = new Queue('default', { connection });
    const [first, second] = await queue.enqueueMany([
      Queue.prepareData('tasks.ok', { args: ['first'], jobId: 'first' }),
      Queue.prepareData('tasks.ok', { args: ['second'], dependsOn: 'first' }),
    ]);
    assert.equal(first!.status, 'queued');
    assert.equal(second!.status, 'deferred');
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await second!.returnValue(), 'second');
  });

  test('bad dependencies are clear errors: a job that does not exist, a cycle, both scheduled and dependent', async () => {
    const queue = new Queue('default', { connection });
    await assert.rejects(queue.enqueueCall('tasks.ok', { dependsOn: 'missing', jobId: 'orphan' }), (error: Error) => {
      assert.ok(error instanceof InvalidJobDependencyError);
      assert.match(error.message, /Job orphan depends on job missing, which does not exist/);
      return true;
    });
    assert.equal(await redis.admin.exists('rq:job:orphan'), 0, 'nothing written');
    await assert.rejects(queue.enqueueCall('tasks.ok', { dependsOn: 'self', jobId: 'self' }), /cycle/);
    const a = await queue.enqueueCall('tasks.ok', { jobId: 'a' });
    await queue.enqueueCall('tasks.ok', { jobId: 'b', dependsOn: a });
    await assert.rejects(queue.enqueueCall('tasks.ok', { jobId: 'a', dependsOn: 'b' }), (error: Error) => error instanceof InvalidJobDependencyError && /cycle/.test(error.message));
    await assert.rejects(queue.enqueueCall('tasks.ok', { dependsOn: a, in: 60 }), /both wait for other jobs and be scheduled/);
    assert.throws(() => new Dependency({ jobs: [] }), /at least one job/);
  });
});

describe('with Python RQ 1.13', { skip: skipWithoutPythonRq() }, () => {
  test('a Python job depending on an rq-ts job across queues is released by the rq-ts worker; Python reads it all', async () => {
    const queue = new Queue('default', { connection });
    const parent = await queue.enqueue('tasks.ok', 'parent');
    const python = (code: string) =>
      execFileSync(PYTHON, ['-c', `
import json
from redis import Redis
from rq import Queue
from rq.job import Job, Dependency
from rq.serializers import JSONSerializer
r = Redis(port=${redis.server.port})
q = Queue('py', connection=r, serializer=JSONSerializer)
${code}`], { encoding: 'utf8' }).trim();
    python(`q.enqueue('tasks.ok', 'from python', job_id='py-child', depends_on=Dependency(jobs=['${parent.id}'], allow_failure=False))`);
    assert.equal(await redis.admin.hget('rq:job:py-child', 'status'), 'deferred');
    await new Worker([queue], { tasks }).work({ burst: true });
    assert.equal(await redis.admin.hget('rq:job:py-child', 'status'), 'queued');
    await new Worker(['py'], { connection, tasks }).work({ burst: true });
    const seen = JSON.parse(python(`
j = Job.fetch('py-child', connection=r, serializer=JSONSerializer)
print(json.dumps({'status': j.get_status(), 'value': j.return_value(), 'deps': j._dependency_ids, 'met': j.dependencies_are_met()}))`)) as Record<string, unknown>;
    assert.deepEqual(seen, { status: 'finished', value: 'from python', deps: [parent.id], met: true });

    // And rq-ts' deferred job reads as deferred to Python, with its dependency.
    const child = await queue.enqueueCall('tasks.ok', { dependsOn: await queue.enqueue('tasks.ok', 'x') });
    assert.equal(python(`j = Job.fetch('${child.id}', connection=r, serializer=JSONSerializer); print(j.get_status(), len(j.fetch_dependencies()))`), 'deferred 1');
  });
});
