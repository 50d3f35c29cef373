/**
 * rq-ts on a real Redis Cluster (3 masters, 3 replicas): the tagged key layout (docs/cluster.md),
 * and queues, jobs, workers and registries on queues whose slots are on different masters.
 * Queues 'a', 'b' and 'c' are tagged {a} (slot 15495), {b} (3300) and {c} (7365): one per master.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Cluster } from 'ioredis';
import {
  CrossSlotError,
  FailedJobRegistry,
  FinishedJobRegistry,
  InvalidArgumentError,
  InvalidJobDependencyError,
  Job,
  Queue,
  Retry,
  Worker,
  suspend,
  resume,
  CanceledJobRegistry,
  CronScheduler,
  DuplicateJobError,
  Repeat,
  sendStopJobCommand,
  deleteJob,
  Group,
  StartedJobRegistry,
} from '../src/index.js';
import { createServer } from 'node:http';
import { createDashboard } from '../src/dashboard/index.js';
import { keySlot } from '../src/keys.js';
import { Scheduler } from '../src/scheduler.js';
import { useCluster, waitUntil } from './harness/index.js';

const fixture = useCluster();
let connection: Cluster;
beforeEach(() => {
  connection = fixture.connect();
});

/** The port of the master serving `key` now. */
async function masterPortOf(key: string): Promise<number> {
  return (await fixture.cluster.masterOfKey(key)).port;
}

const ran: string[] = [];
const tasks = {
  'tasks.add': (a: number, b: number) => a + b,
  'tasks.note': (name: string) => {
    ran.push(name);
    return name;
  },
  'tasks.fail': () => {
    throw new RangeError('no good');
  },
};

describe('the cluster layout', () => {
  test('enqueue writes the queue, the job hash and rq:queues with tags; a job id starts with its queue\'s tag and Job.fetch needs no queue', async () => {
    const queue = new Queue('a', { connection });
    assert.equal(queue.key, 'rq:queue:{a}');
    assert.equal(queue.layout, 'cluster');
    const job = await queue.enqueue('tasks.add', 2, 3);
    assert.match(job.id, /^\{a\}[0-9a-f-]{36}$/);
    assert.deepEqual(await connection.lrange('rq:queue:{a}', 0, -1), [job.id]);
    assert.deepEqual(await connection.smembers('rq:queues'), ['rq:queue:{a}']);
    const hash = await connection.hgetall(`rq:job:${job.id}`);
    assert.equal(hash['origin'], 'a');
    assert.equal(hash['status'], 'queued');
    assert.equal(await masterPortOf(`rq:job:${job.id}`), await masterPortOf('rq:queue:{a}'));
    const fetched = await Job.fetch(job.id, { connection });
    assert.equal(fetched.funcName, 'tasks.add');
    assert.deepEqual((await Queue.all({ connection })).map((q) => q.name), ['a']);
    assert.equal(await queue.count(), 1);
  });

  test('queues a, b and c are served by three different masters', async () => {
    const ports = new Set(await Promise.all(['a', 'b', 'c'].map((name) => masterPortOf(`rq:queue:{${name}}`))));
    assert.equal(ports.size, 3);
  });

  test('bad input is refused before anything is written: a brace in a queue name, an untagged or foreign job id, a missing dependency in another queue\'s slot', async () => {
    assert.throws(() => new Queue('x{y}', { connection }), InvalidArgumentError);
    const a = new Queue('a', { connection });
    await assert.rejects(a.enqueueCall('tasks.add', { args: [1, 2], jobId: 'order-42' }), /Start it with its queue's tag: '\{<queue>\}order-42'/);
    await assert.rejects(a.enqueueCall('tasks.add', { args: [1, 2], jobId: '{b}order-42' }), CrossSlotError);
    await assert.rejects(a.enqueueCall('tasks.add', { args: [1, 2], dependsOn: '{b}missing' }), (error: unknown) => {
      assert.ok(error instanceof InvalidJobDependencyError);
      assert.match((error as Error).message, /rq:job:\{b\}missing/);
      return true;
    });
    assert.deepEqual(await connection.lrange('rq:queue:{a}', 0, -1), []);
    const tagged = await a.enqueueCall('tasks.add', { args: [1, 2], jobId: '{a}order-42' });
    assert.equal(tagged.id, '{a}order-42');
  });
});

describe('a worker on queues of three masters', () => {
  test('runs every job, in its queues\' priority order, into each queue\'s registries; its hash counts them', async () => {
    ran.length = 0;
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new Queue(name, { connection }));
    await c!.enqueue('tasks.note', 'c1');
    await b!.enqueue('tasks.note', 'b1');
    await a!.enqueue('tasks.note', 'a1');
    await c!.enqueue('tasks.note', 'c2');
    await a!.enqueue('tasks.note', 'a2');
    const worker = new Worker([a!, b!, c!], { tasks, name: 'w-cluster', connection });
    assert.equal(await worker.work({ burst: true }), 5);
    assert.deepEqual(ran, ['a1', 'a2', 'b1', 'c1', 'c2']);
    for (const [queue, count] of [[a!, 2], [b!, 1], [c!, 2]] as const) {
      assert.equal(await new FinishedJobRegistry(queue).count(), count, `finished in ${queue.name}`);
      assert.equal(await connection.zcard(`rq:wip:{${queue.name}}`), 0);
    }
    assert.equal(worker.name, '{w-cluster}', 'on a cluster a worker\'s name is its hash tag');
    const hash = await connection.hgetall('rq:worker:{w-cluster}');
    assert.equal(hash['successful_job_count'], '5');
    assert.equal(hash['queues'], 'a,b,c');
    assert.ok(hash['death']);
  });

  test('at concurrency 4, jobs of three queues end with their results; a failure is retried, then fails into its queue\'s failed registry', async () => {
    const queues = ['a', 'b', 'c'].map((name) => new Queue(name, { connection }));
    const jobs = [];
    for (let i = 0; i < 30; i++) jobs.push(await queues[i % 3]!.enqueue('tasks.add', i, 1));
    const failing = await queues[1]!.enqueueCall('tasks.fail', { retry: new Retry({ max: 1 }) });
    const worker = new Worker(queues, { tasks, concurrency: 4, connection });
    assert.equal(await worker.work({ burst: true }), 32);
    for (const [i, job] of jobs.entries()) assert.equal(await job.returnValue(), i + 1);
    assert.equal(await failing.getStatus(), 'failed');
    assert.deepEqual(await new FailedJobRegistry(queues[1]!).getJobIds(), [failing.id]);
    assert.equal((await Job.fetch(failing.id, { connection })).retriesLeft, 0);
  });

  test('requeue, cancel and delete act on the job\'s own slot', async () => {
    const queue = new Queue('c', { connection });
    const failing = await queue.enqueue('tasks.fail');
    await new Worker([queue], { tasks, connection }).work({ burst: true });
    const requeued = await failing.requeue();
    assert.equal(requeued.status, 'queued');
    assert.deepEqual(await connection.lrange('rq:queue:{c}', 0, -1), [failing.id]);
    await failing.cancel();
    assert.deepEqual(await new CanceledJobRegistry(queue).getJobIds(), [failing.id]);
    assert.equal(await deleteJob(connection, failing.id), true);
    assert.equal(await connection.exists(`rq:job:${failing.id}`), 0);
  });

  test('a dependency in the same queue is released when its parent finishes', async () => {
    const queue = new Queue('b', { connection });
    const parent = await queue.enqueue('tasks.add', 1, 2);
    const child = await queue.enqueueCall('tasks.add', { args: [3, 4], dependsOn: parent });
    assert.equal(await child.getStatus(), 'deferred');
    await new Worker([queue], { tasks, connection }).work({ burst: true });
    assert.equal(await child.returnValue(), 7);
  });

  test('a suspended cluster starts no job; resumed, it does', async () => {
    const queue = new Queue('a', { connection });
    const job = await queue.enqueue('tasks.add', 1, 1);
    await suspend({ connection });
    assert.equal(await new Worker([queue], { tasks, connection }).work({ burst: true }), 0);
    assert.equal(await job.getStatus(), 'queued');
    await resume({ connection });
    assert.equal(await new Worker([queue], { tasks, connection }).work({ burst: true }), 1);
    assert.equal(await job.getStatus(), 'finished');
  });
});

describe('scheduling, the abandoned-job sweep, groups and maintenance on a cluster', () => {
  test('the scheduler moves a due job of each queue onto it under the queue\'s own lock', async () => {
    const queues = ['a', 'b', 'c'].map((name) => new Queue(name, { connection }));
    const jobs = await Promise.all(queues.map((queue) => queue.enqueueIn(600, 'tasks.add', 1, 2)));
    for (const [index, job] of jobs.entries()) {
      assert.equal(await connection.zscore(`rq:scheduled:{${queues[index]!.name}}`, job.id) !== null, true);
      await connection.zadd(`rq:scheduled:{${queues[index]!.name}}`, 1, job.id); // due now
    }
    const scheduler = new Scheduler(connection, ['a', 'b', 'c']);
    assert.equal(await scheduler.tick(), 3);
    for (const [index, job] of jobs.entries()) assert.deepEqual(await queues[index]!.getJobIds(), [job.id]);
    assert.equal(await connection.get('rq:scheduler-lock:{b}'), String(process.pid));
    await scheduler.release();
    assert.equal(await connection.exists('rq:scheduler-lock:{b}'), 0);
  });

  test('a job abandoned in a started registry is failed by the sweep, in its queue\'s slot', async () => {
    const queue = new Queue('c', { connection });
    const job = await queue.enqueue('tasks.add', 1, 2);
    await connection.lpop('rq:queue:{c}');
    await connection.hset(`rq:job:${job.id}`, { status: 'started', worker_name: 'dead', started_at: '2026-11-24T00:00:00.000000Z' });
    await connection.zadd('rq:wip:{c}', 1, job.id);
    const result = await new StartedJobRegistry(queue).cleanup();
    assert.deepEqual(result.failed, [job.id]);
    assert.equal(await job.getStatus(), 'failed');
    assert.deepEqual(await new FailedJobRegistry(queue).getJobIds(), [job.id]);
  });

  test('a group spans queues on several masters; its sets sit in slots of their own', async () => {
    const group = new Group('batch-1', { connection });
    const jobs = [
      ...(await group.enqueueMany(new Queue('a', { connection }), [Queue.prepareData('tasks.add', { args: [1, 1] })])),
      ...(await group.enqueueMany(new Queue('b', { connection }), [Queue.prepareData('tasks.add', { args: [2, 2] })])),
    ];
    assert.deepEqual(await group.getJobIds(), jobs.map((job) => job.id).sort());
    assert.deepEqual(await connection.smembers('rq:groups'), ['batch-1']);
    assert.equal((await group.getJobs()).length, 2);
  });

  test('a worker\'s maintenance lists its queues in rq:queues again, and its registration lists it per queue', async () => {
    const queue = new Queue('b', { connection });
    await queue.enqueue('tasks.add', 1, 1);
    await connection.del('rq:queues');
    const worker = new Worker([queue], { tasks, connection, name: 'w-maintenance' });
    let seen: string[] = [];
    worker.on('job:finished', () => {
      void Promise.all([connection.smembers('rq:workers:{b}'), connection.smembers('rq:workers')]).then(([perQueue, all]) => (seen = [...perQueue, ...all]));
    });
    await worker.work({ burst: true });
    assert.deepEqual(await connection.smembers('rq:queues'), ['rq:queue:{b}']);
    assert.deepEqual(seen, ['rq:worker:{w-maintenance}', 'rq:worker:{w-maintenance}']);
  });
});

describe('dependencies across queues on different masters, released in idempotent steps', () => {
  const counted = new Map<string, number>();
  const countingTasks = { ...tasks, 'tasks.count': (name: string) => void counted.set(name, (counted.get(name) ?? 0) + 1) };

  test('a job waits on a job of another master: told in the parent\'s slot, released when the parent finishes, run once', async () => {
    counted.clear();
    const [a, b] = ['a', 'b'].map((name) => new Queue(name, { connection }));
    const parent = await b!.enqueue('tasks.count', 'parent');
    const child = await a!.enqueueCall('tasks.count', { args: ['child'], dependsOn: parent });
    assert.equal(await child.getStatus(), 'deferred');
    assert.deepEqual(await connection.smembers(`rq:job:${parent.id}:dependents`), [child.id]);
    assert.deepEqual(await connection.smembers(`rq:job::${child.id}:dependencies`), [parent.id]);
    assert.deepEqual(await connection.zrange('rq:deferred:{a}', 0, -1), [child.id]);
    assert.equal(await new Worker([a!, b!], { tasks: countingTasks, connection }).work({ burst: true }), 2);
    assert.deepEqual(Object.fromEntries(counted), { parent: 1, child: 1 });
    assert.equal(await child.getStatus(), 'finished');
    assert.equal(await connection.zcard('rq:deferred:{a}'), 0);
    assert.equal(await connection.exists(`rq:job:${parent.id}:dependents`), 0);
  });

  test('a parent that finished before its dependent was enqueued lets it be queued at once', async () => {
    const [a, c] = ['a', 'c'].map((name) => new Queue(name, { connection }));
    const parent = await c!.enqueue('tasks.add', 1, 1);
    await new Worker([c!], { tasks, connection }).work({ burst: true });
    const child = await a!.enqueueCall('tasks.add', { args: [2, 2], dependsOn: parent });
    assert.equal(child.status, 'queued');
    assert.deepEqual(await connection.lrange('rq:queue:{a}', 0, -1), [child.id]);
  });

  test('two parents on two other masters: the job waits for both, and runs once after the second', async () => {
    counted.clear();
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new Queue(name, { connection }));
    const first = await b!.enqueue('tasks.count', 'first');
    const second = await c!.enqueue('tasks.count', 'second');
    const child = await a!.enqueueCall('tasks.count', { args: ['child'], dependsOn: [first, second] });
    await new Worker([b!], { tasks: countingTasks, connection }).work({ burst: true });
    assert.equal(await child.getStatus(), 'deferred');
    await new Worker([c!], { tasks: countingTasks, connection }).work({ burst: true });
    assert.equal(await child.getStatus(), 'queued');
    await new Worker([a!], { tasks: countingTasks, connection }).work({ burst: true });
    assert.deepEqual(Object.fromEntries(counted), { first: 1, second: 1, child: 1 });
  });

  test('a dependent left deferred by a process killed between its parent\'s end and its release is released by maintenance', async () => {
    const [a, b] = ['a', 'b'].map((name) => new Queue(name, { connection }));
    const parent = await b!.enqueue('tasks.add', 1, 1);
    const child = await a!.enqueueCall('tasks.add', { args: [2, 3], dependsOn: parent });
    // The parent's step ran (finished, its dependents set gone) and the release never came.
    await connection.hset(`rq:job:${parent.id}`, 'status', 'finished');
    await connection.lrem('rq:queue:{b}', 1, parent.id);
    await connection.del(`rq:job:${parent.id}:dependents`);
    assert.equal(await child.getStatus(), 'deferred');
    // A worker's first maintenance releases it; the burst then runs it.
    assert.equal(await new Worker([a!], { tasks, connection }).work({ burst: true }), 1);
    assert.equal(await child.returnValue(), 5);
  });

  test('a parent canceled with enqueueDependents releases its dependent on another master; a cycle across slots is refused', async () => {
    const [a, b] = ['a', 'b'].map((name) => new Queue(name, { connection }));
    const parent = await b!.enqueue('tasks.add', 1, 1);
    const child = await a!.enqueueCall('tasks.add', { args: [1, 1], dependsOn: parent, jobId: '{a}child' });
    await parent.cancel({ enqueueDependents: true });
    assert.equal(await child.getStatus(), 'queued');
    await assert.rejects(b!.enqueueCall('tasks.add', { args: [1, 1], jobId: '{b}grandparent', dependsOn: '{a}child' }).then(() => a!.enqueueCall('tasks.add', { args: [1, 1], jobId: '{a}child', dependsOn: '{b}grandparent' })), InvalidJobDependencyError);
  });

  test('deleting a job with deleteDependents deletes its dependents on other masters', async () => {
    const [a, b] = ['a', 'b'].map((name) => new Queue(name, { connection }));
    const parent = await b!.enqueue('tasks.add', 1, 1);
    const child = await a!.enqueueCall('tasks.add', { args: [1, 1], dependsOn: parent });
    assert.equal(await deleteJob(connection, parent.id, { deleteDependents: true }), true);
    assert.equal(await connection.exists(`rq:job:${child.id}`), 0);
    assert.equal(await connection.zcard('rq:deferred:{a}'), 0);
  });
});

describe('cron on a cluster', () => {
  test('two schedulers: each tick enqueues one job on its queue\'s slot, its history beside it; a worker runs it', async () => {
    const at = new Date('2026-12-01T10:00:00Z');
    const schedulers = [new CronScheduler({ connection, name: 'one' }), new CronScheduler({ connection, name: 'two' })];
    for (const cron of schedulers) cron.register('tasks.add', { queue: 'c', interval: '1m', args: [20, 22], name: 'answer' });
    const written = [...(await schedulers[0]!.enqueueJobs(at)), ...(await schedulers[1]!.enqueueJobs(at))];
    assert.equal(written.length, 1, 'one run per tick however many schedulers');
    const [job] = written;
    assert.match(job!.id, /^\{c\}/);
    assert.deepEqual(await connection.zrange('rq:cron_job:{c}:answer:jobs', 0, -1), [job!.id]);
    assert.equal(await masterPortOf('rq:cron_job:{c}:answer:jobs'), await masterPortOf('rq:queue:{c}'));
    assert.deepEqual(await connection.smembers('rq:queues'), ['rq:queue:{c}']);
    await new Worker(['c'], { tasks, connection }).work({ burst: true });
    assert.equal(await job!.returnValue(), 42);
  });
});

describe('repeat, unique jobs, callbacks, commands and bulk enqueue on a cluster', () => {
  test('a repeated job runs its times; a unique job is refused the second time; callbacks run', async () => {
    const queue = new Queue('b', { connection });
    const calls: string[] = [];
    const repeated = await queue.enqueueCall('tasks.add', { args: [1, 1], repeat: new Repeat({ times: 2 }) });
    const unique = await queue.enqueueCall('tasks.add', { args: [2, 2], jobId: '{b}report-march', unique: true });
    await assert.rejects(queue.enqueueCall('tasks.add', { args: [2, 2], jobId: '{b}report-march', unique: true }), DuplicateJobError);
    const called = await queue.enqueueCall('tasks.add', { args: [3, 3], onSuccess: 'callbacks.done' });
    const worker = new Worker([queue], { tasks: { ...tasks, 'callbacks.done': (job: Job, _connection: unknown, result: unknown) => void calls.push(`${job.id} ${String(result)}`) }, connection });
    assert.equal(await worker.work({ burst: true }), 5);
    assert.equal((await connection.xlen(`rq:results:${repeated.id}`)), 3, 'the first run and two repeats');
    assert.equal(await unique.returnValue(), 4);
    assert.deepEqual(calls, [`${called.id} 6`]);
  });

  test('stop-job reaches a worker through pub/sub on the cluster; the job ends stopped', async () => {
    const queue = new Queue('c', { connection });
    const job = await queue.enqueue('tasks.wait');
    const worker = new Worker([queue], { tasks: { 'tasks.wait': (signal?: unknown) => new Promise((resolve) => setTimeout(resolve, 10_000, signal)) }, connection });
    const working = worker.work({ burst: true });
    await waitUntil(async () => (await job.getStatus()) === 'started', 5000, 'the job to start');
    assert.ok((await sendStopJobCommand(worker.name, job.id, { connection })) >= 0);
    await working;
    assert.equal(await job.getStatus(), 'stopped');
    assert.deepEqual(await new FailedJobRegistry(queue).getJobIds(), [job.id]);
  });

  test('enqueueMany on queues of three masters, and Worker.all per queue', async () => {
    const queues = ['a', 'b', 'c'].map((name) => new Queue(name, { connection }));
    const batches = await Promise.all(queues.map((queue) => queue.enqueueMany(Array.from({ length: 50 }, (_, n) => Queue.prepareData('tasks.add', { args: [n, 0] })))));
    for (const [index, batch] of batches.entries()) {
      assert.equal(await queues[index]!.count(), 50);
      for (const job of batch) assert.ok(job.id.startsWith(`{${queues[index]!.name}}`));
    }
    const worker = new Worker(queues, { tasks, connection, concurrency: 8, name: 'w-all' });
    let seen: string[] = [];
    worker.on('job:finished', () => {
      void Worker.all({ connection, queue: 'b' }).then((all) => (seen = all.map((info) => info.name)));
    });
    assert.equal(await worker.work({ burst: true }), 150);
    assert.ok(seen.some((name) => name.startsWith('{w-all}')), `Worker.all for queue b saw ${seen.join(', ')}`);
    // The 8 slots' hashes share the worker's slot, so that one call writes them all each step.
    assert.equal(new Set(['{w-all}', '{w-all}-2', '{w-all}-8'].map((name) => keySlot(`rq:worker:${name}`))).size, 1);
  });
});

describe('the dashboard on a cluster', () => {
  test('queues, a registry, a job (its tagged id in the address), workers and throughput read over three masters', async () => {
    const queues = ['a', 'b', 'c'].map((name) => new Queue(name, { connection }));
    for (const queue of queues) await queue.enqueue('tasks.add', 1, 2);
    const failing = await queues[1]!.enqueue('tasks.fail');
    await new Worker(queues, { tasks, connection }).work({ burst: true });
    const waiting = await queues[2]!.enqueue('tasks.add', 3, 4);
    const handler = createDashboard({ instances: [{ name: 'cluster', connection }] });
    const server = createServer((req, res) => handler(req, res, () => ((res.statusCode = 404), res.end())));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const api = (await (await fetch(`${base}/api/queues`)).json()) as { queues: Array<{ name: string; counts: Record<string, number> }> };
      assert.deepEqual(Object.fromEntries(api.queues.map((queue) => [queue.name, [queue.counts['queued'], queue.counts['finished'], queue.counts['failed']]])), { a: [0, 1, 0], b: [0, 1, 1], c: [1, 1, 0] });
      const failed = await fetch(`${base}/queues/b/failed`);
      assert.equal(failed.status, 200);
      assert.ok((await failed.text()).includes(failing.id));
      const job = await fetch(`${base}/jobs/${encodeURIComponent(waiting.id)}`);
      assert.equal(job.status, 200);
      assert.ok((await job.text()).includes('tasks.add(3, 4)'));
      assert.equal((await fetch(`${base}/workers`)).status, 200);
      const throughput = (await (await fetch(`${base}/api/throughput`)).json()) as { points?: Array<{ finished: number; failed: number }> };
      const points = throughput.points ?? (throughput as unknown as Array<{ finished: number; failed: number }>);
      assert.equal(points.reduce((sum, point) => sum + point.finished, 0), 3);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});

describe('durable mode on a cluster', () => {
  test('WAIT goes to the master of the job\'s slot: confirmed by its replica; with that replica stopped, ReplicationTimeoutError', async () => {
    const queue = new Queue('a', { connection, durable: { replicas: 1, timeout: 2 } });
    const job = await queue.enqueue('tasks.add', 1, 2);
    const timeouts: Error[] = [];
    const worker = new Worker([queue], { tasks, connection, durable: { replicas: 1, timeout: 2 } });
    worker.on('replication:timeout', (error) => timeouts.push(error));
    assert.equal(await worker.work({ burst: true }), 1);
    assert.equal(await job.returnValue(), 3);
    assert.deepEqual(timeouts, []);
    // Stop the replica of queue a's master: nothing can confirm a write to that slot.
    const master = await fixture.cluster.masterOfKey('rq:queue:{a}');
    const masterId = (await fixture.cluster.admin(master.port).cluster('MYID')) as string;
    const replicaLine = ((await fixture.cluster.admin(master.port).cluster('REPLICAS', masterId)) as string[])[0]!;
    const replicaPort = Number(/:(\d+)@/.exec(replicaLine)![1]);
    const replica = fixture.cluster.nodes.find((node) => node.port === replicaPort)!;
    process.kill(replica.pid, 'SIGSTOP');
    try {
      await assert.rejects(queue.enqueue('tasks.add', 2, 2), (error: Error) => error.name === 'ReplicationTimeoutError' && /0 of 1/.test(error.message));
      // A queue on another master is confirmed meanwhile.
      await new Queue('b', { connection, durable: { replicas: 1, timeout: 2 } }).enqueue('tasks.add', 3, 3);
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }
  });
});
