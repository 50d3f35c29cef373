import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Group, InvalidArgumentError, NoSuchGroupError, Queue, Worker } from '../src/index.js';
import { useRedis } from './harness/index.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

describe('Group (RQ 2.0)', () => {
  test("writes RQ 2.0's layout: rq:group:<name> of ids, the name in rq:groups, group_id in each job", async () => {
    const queue = new Queue('default', { connection });
    const group = Group.create({ connection, name: 'nightly' });
    const jobs = await group.enqueueMany(queue, [
      Queue.prepareData('tasks.a', { args: [1] }),
      Queue.prepareData('tasks.b', { args: [2], at: new Date(Date.now() + 60_000) }),
    ]);
    assert.deepEqual((await redis.admin.smembers('rq:group:nightly')).sort(), jobs.map((job) => job.id).sort());
    assert.deepEqual(await redis.admin.smembers('rq:groups'), ['nightly']);
    for (const job of jobs) assert.equal(await redis.admin.hget(job.key, 'group_id'), 'nightly');
    assert.equal(jobs[0]!.groupId, 'nightly');
    assert.equal((await queue.fetchJob(jobs[1]!.id))?.groupId, 'nightly');
    assert.deepEqual(await queue.getJobIds(), [jobs[0]!.id], 'enqueued as enqueueMany enqueues: the scheduled one waits');
    const plain = await queue.enqueue('tasks.c');
    assert.equal(await redis.admin.hexists(plain.key, 'group_id'), 0, 'no group, no field (RQ 1.13 layout)');
    assert.match(new Group(undefined, { connection }).name, /^[0-9a-f]{32}$/, 'a new name is 32 hex digits, as RQ');
  });

  test('a job that depends on another joins the group too', async () => {
    const queue = new Queue('default', { connection });
    const parent = await queue.enqueue('tasks.parent');
    const group = new Group('chain', { connection });
    const [child] = await group.enqueueMany(queue, [Queue.prepareData('tasks.child', { dependsOn: parent })]);
    assert.equal(child!.status, 'deferred');
    assert.deepEqual(await group.getJobIds(), [child!.id]);
    assert.equal(await redis.admin.hget(child!.key, 'group_id'), 'chain');
    assert.deepEqual(await redis.admin.smembers('rq:groups'), ['chain']);
  });

  test('fetch, all, getJobs, and cleanup of jobs that are gone', async () => {
    const queue = new Queue('default', { connection });
    await assert.rejects(Group.fetch('nothing', { connection }), NoSuchGroupError);
    const group = new Group('batch', { connection });
    const jobs = await group.enqueueMany(queue, [1, 2, 3].map((n) => Queue.prepareData('tasks.n', { args: [n] })));
    assert.equal((await Group.fetch('batch', { connection })).key, 'rq:group:batch');
    assert.deepEqual((await Group.all({ connection })).map((g) => g.name), ['batch']);

    await jobs[0]!.delete();
    assert.equal(await redis.admin.sismember('rq:group:batch', jobs[0]!.id), 0, 'delete takes the job out of its group');
    await redis.admin.del(jobs[1]!.key); // as if it had expired
    assert.deepEqual((await group.getJobs()).map((job) => job.args), [[3]]);
    assert.deepEqual(await group.getJobIds(), [jobs[2]!.id], 'getJobs cleaned the expired id');

    await redis.admin.del(jobs[2]!.key);
    await redis.admin.sadd('rq:groups', 'stale');
    await Group.cleanRegistries({ connection });
    assert.equal(await redis.admin.exists('rq:group:batch'), 0);
    assert.deepEqual(await redis.admin.smembers('rq:groups'), [], 'groups without jobs leave rq:groups');
  });

  test('names a Python producer wrote are read as they are; maintenance goes on past them', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.x');
    // What RQ's Group(conn, name='nightly run #3').enqueue_many writes: RQ checks no name.
    await redis.admin.sadd('rq:group:nightly run #3', job.id, 'expired-id');
    await redis.admin.sadd('rq:groups', 'nightly run #3');
    const [group] = await Group.all({ connection });
    assert.equal(group?.name, 'nightly run #3');
    assert.equal((await Group.fetch('nightly run #3', { connection })).key, 'rq:group:nightly run #3');
    const errors: Error[] = [];
    const worker = new Worker([queue], { tasks: { 'tasks.x': () => 'ok' } });
    worker.on('worker:error', (error) => errors.push(error));
    await worker.work({ burst: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(await redis.admin.smembers('rq:group:nightly run #3'), [job.id], 'cleaned by maintenance');
  });

  test('bad names are clear errors, and nothing is written', async () => {
    assert.throws(() => new Group('a b', { connection }), InvalidArgumentError);
    assert.throws(() => new Group('', { connection }), /Invalid group name/);
    assert.equal(new Group('import:2026-12', { connection }).key, 'rq:group:import:2026-12', 'a colon is fine, as in RQ');
    const queue = new Queue('default', { connection });
    await assert.rejects(queue.enqueueMany([Queue.prepareData('tasks.x')], { groupId: 'no spaces' }), InvalidArgumentError);
    assert.equal(await queue.count(), 0);
  });

  test("a worker runs a group's jobs as any others; a job deleted at its end leaves its group; maintenance cleans the rest", async () => {
    const queue = new Queue('default', { connection });
    const group = new Group('run', { connection });
    const jobs = await group.enqueueMany(queue, [Queue.prepareData('tasks.ok', { resultTtl: 0 }), Queue.prepareData('tasks.ok'), Queue.prepareData('tasks.ok')]);
    await new Worker([queue], { tasks: { 'tasks.ok': () => 'ok' } }).work({ burst: true });
    assert.equal(await jobs[1]!.getStatus(), 'finished');
    assert.equal(await redis.admin.sismember(group.key, jobs[0]!.id), 0, 'result TTL 0: deleted, and out of the group at once, as RQ 2.x');
    await redis.admin.del(jobs[2]!.key); // as if its result TTL had run out
    await new Worker([queue], { tasks: {} }).work({ burst: true }); // maintenance runs as a worker starts
    assert.deepEqual(await group.getJobIds(), [jobs[1]!.id]);
  });
});
