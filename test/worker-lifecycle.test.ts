import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import {
  Job,
  Queue,
  Worker,
  getCurrentJob,
  sendKillHorseCommand,
  sendShutdownCommand,
  sendStopJobCommand,
} from '../src/index.js';
import { useRedis, waitUntil } from './harness/index.js';
import { skipWithoutPythonRq } from './harness/python.js';

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

/** A job function that waits until it is aborted or `ms` pass, and counts how many run at once. */
function makeTasks() {
  let running = 0;
  let peak = 0;
  const tasks = {
    'tasks.wait': async (ms: number) => {
      running += 1;
      peak = Math.max(peak, running);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          getCurrentJob()?.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(getCurrentJob()?.signal?.reason);
          });
        });
        return ms;
      } finally {
        running -= 1;
      }
    },
    'tasks.fail': () => {
      throw new Error('failing on purpose');
    },
  };
  return { tasks, peak: () => peak };
}

describe('concurrency', () => {
  test('runs up to `concurrency` jobs at once, each slot a worker RQ can see with its current job', async () => {
    const { tasks, peak } = makeTasks();
    const queue = new Queue('default', { connection });
    const jobs = await queue.enqueueMany(Array.from({ length: 6 }, () => Queue.prepareData('tasks.wait', { args: [300] })));
    const worker = new Worker([queue], { tasks, concurrency: 3, name: 'pool' });
    assert.deepEqual(worker.slotNames, ['pool', 'pool-2', 'pool-3']);
    const working = worker.work({ burst: true });
    await waitUntil(async () => (await redis.admin.zcard('rq:wip:default')) === 3, 5000, 'three jobs to start');
    const current = await Promise.all(worker.slotNames.map((name) => redis.admin.hget(`rq:worker:${name}`, 'current_job')));
    assert.equal(new Set(current).size, 3);
    for (const id of current) assert.ok(jobs.some((job) => job.id === id));
    assert.deepEqual((await redis.admin.smembers('rq:workers:default')).sort(), ['rq:worker:pool', 'rq:worker:pool-2', 'rq:worker:pool-3']);
    assert.equal(await working, 6);
    assert.equal(peak(), 3);
    for (const job of jobs) assert.equal(await job.getStatus(), 'finished');
    const counts = await Promise.all(worker.slotNames.map((name) => redis.admin.hget(`rq:worker:${name}`, 'successful_job_count')));
    assert.equal(counts.reduce((sum, count) => sum + Number(count ?? 0), 0), 6);
  });

  test('Python RQ 1.13 lists each slot as a busy worker', { skip: skipWithoutPythonRq() }, async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    await queue.enqueueMany([Queue.prepareData('tasks.wait', { args: [1500] }), Queue.prepareData('tasks.wait', { args: [1500] })]);
    const worker = new Worker([queue], { tasks, concurrency: 2, name: 'seen' });
    const working = worker.work({ burst: true });
    await waitUntil(async () => (await redis.admin.zcard('rq:wip:default')) === 2, 5000, 'two jobs to start');
    const out = execFileSync('/usr/bin/python3', ['-c', `
from redis import Redis
from rq import Worker
for w in sorted(Worker.all(connection=Redis(port=${redis.server.port})), key=lambda w: w.name):
    print(w.name, w.get_state(), ','.join(w.queue_names()), bool(w.get_current_job_id()))
`], { encoding: 'utf8' });
    assert.equal(out.trim(), 'seen busy default True\nseen-2 busy default True');
    await working;
  });
});

describe('commands, as RQ sends them', () => {
  test('stop-job ends the job stopped, in the failed registry; the worker carries on', async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.wait', 10_000);
    const next = await queue.enqueue('tasks.wait', 1);
    const worker = new Worker([queue], { tasks, name: 'stopper' });
    const working = worker.work({ burst: true });
    await waitUntil(async () => (await job.getStatus()) === 'started', 5000, 'the job to start');
    const refreshed = await Job.fetch(job.id, { connection });
    assert.equal(await sendStopJobCommand(refreshed.workerName!, job.id, { connection }), 1);
    assert.equal(await working, 2);
    assert.equal(await job.getStatus(), 'stopped');
    assert.equal(await queue.failedJobRegistry.contains(job), true);
    assert.match((await job.latestResult())?.excString ?? '', /Job stopped by user/);
    assert.equal(await next.getStatus(), 'finished');
  });

  test('shutdown stops the worker warmly: the running job finishes', async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.wait', 500);
    const worker = new Worker([queue], { tasks, name: 'shut' });
    const working = worker.work();
    await waitUntil(async () => (await job.getStatus()) === 'started', 5000, 'the job to start');
    await sendShutdownCommand('shut', { connection });
    assert.equal(await working, 1);
    assert.equal(await job.getStatus(), 'finished');
    assert.equal(await redis.admin.sismember('rq:workers', 'rq:worker:shut'), 0);
  });

  test('kill-horse fails the running job', async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.wait', 10_000);
    const worker = new Worker([queue], { tasks, name: 'horse' });
    const working = worker.work({ burst: true });
    await waitUntil(async () => (await job.getStatus()) === 'started', 5000, 'the job to start');
    await sendKillHorseCommand('horse', { connection });
    await working;
    assert.equal(await job.getStatus(), 'failed');
    assert.match((await job.excInfo()) ?? '', /kill-horse/);
  });

  test('from Python: send_stop_job_command and send_shutdown_command', { skip: skipWithoutPythonRq() }, async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.wait', 10_000);
    const worker = new Worker([queue], { tasks, name: 'pyctl' });
    const working = worker.work();
    await waitUntil(async () => (await job.getStatus()) === 'started', 5000, 'the job to start');
    execFileSync('/usr/bin/python3', ['-c', `
from redis import Redis
from rq.command import send_stop_job_command, send_shutdown_command
r = Redis(port=${redis.server.port})
send_stop_job_command(r, '${job.id}')
`]);
    await waitUntil(async () => (await job.getStatus()) === 'stopped', 5000, 'the job to stop');
    execFileSync('/usr/bin/python3', ['-c', `
from redis import Redis
from rq.command import send_shutdown_command
send_shutdown_command(Redis(port=${redis.server.port}), 'pyctl')
`]);
    assert.equal(await working, 1);
  });
});

describe('stopping', () => {
  test('a cold stop interrupts running jobs now; they end failed', async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.wait', 10_000);
    const worker = new Worker([queue], { tasks });
    const working = worker.work();
    await waitUntil(async () => (await job.getStatus()) === 'started', 5000, 'the job to start');
    worker.stop({ cold: true });
    await working;
    assert.equal(await job.getStatus(), 'failed');
    assert.match((await job.excInfo()) ?? '', /ShutDownImminentError: .*shut down cold/);
    assert.equal(await redis.admin.zcard('rq:wip:default'), 0);
  });

  test('maxJobs stops after that many jobs; maxIdleTime after that long without one', async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    await queue.enqueueMany(Array.from({ length: 3 }, () => Queue.prepareData('tasks.wait', { args: [1] })));
    assert.equal(await new Worker([queue], { tasks }).work({ maxJobs: 2 }), 2);
    assert.equal(await queue.count(), 1);
    const started = Date.now();
    assert.equal(await new Worker([queue], { tasks }).work({ maxIdleTime: 1 }), 1);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1000 && elapsed < 8000, `stopped after ${elapsed} ms idle`);
  });

  test('while rq:suspended exists, a burst worker takes no job', async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    await queue.enqueue('tasks.wait', 1);
    await redis.admin.set('rq:suspended', '1');
    assert.equal(await new Worker([queue], { tasks }).work({ burst: true }), 0);
    assert.equal(await queue.count(), 1);
    await redis.admin.del('rq:suspended');
    assert.equal(await new Worker([queue], { tasks }).work({ burst: true }), 1);
  });
});

describe('failures and retries', () => {
  test('a failing job with retries left is retried as RQ 1.13 does: at once for interval 0, scheduled otherwise', async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.fail');
    await redis.admin.hset(job.key, { retries_left: '2', retry_intervals: '[0, 60]' });
    const worker = new Worker([queue], { tasks });
    const retried: string[] = [];
    worker.on('job:retried', (retriedJob) => retried.push(retriedJob.id));
    // First failure: index max(2 - 2, 0) = 0 -> interval 0 -> back on the queue; the burst worker runs it again.
    // Second failure: index max(2 - 1, 0) = 1 -> 60 s -> scheduled.
    assert.equal(await worker.work({ burst: true }), 2);
    assert.deepEqual(retried, [job.id, job.id]);
    const hash = await redis.admin.hgetall(job.key);
    assert.equal(hash['status'], 'scheduled');
    assert.equal(hash['retries_left'], '0');
    const due = Number(await redis.admin.zscore('rq:scheduled:default', job.id));
    assert.ok(Math.abs(due - (Date.now() / 1000 + 60)) < 5);
    assert.equal(await redis.admin.xlen(`rq:results:${job.id}`), 0, 'a retried run writes no result, as RQ');
    assert.equal(await redis.admin.hget(`rq:worker:${worker.name}`, 'failed_job_count'), '2');
  });
});

describe('abandoned jobs and dead workers', () => {
  /** A dead worker's job: started, its started-registry score already past. */
  async function orphan(id: string, extra: Record<string, string> = {}): Promise<void> {
    await redis.admin.hset(`rq:job:${id}`, { data: '["tasks.wait", null, [1], {}]', status: 'started', origin: 'default', worker_name: 'dead-one', ...extra });
    await redis.admin.zadd('rq:wip:default', Math.floor(Date.now() / 1000) - 1, id);
  }

  test('a job whose worker died is put back on its queue within seconds, and runs', async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    await orphan('orphan');
    await redis.admin.sadd('rq:workers', 'rq:worker:dead-one');
    await redis.admin.sadd('rq:workers:default', 'rq:worker:dead-one');
    const worker = new Worker([queue], { tasks });
    const working = worker.work();
    await waitUntil(async () => (await redis.admin.hget('rq:job:orphan', 'status')) === 'finished', 10_000, 'the abandoned job to run again');
    assert.equal(await redis.admin.hget('rq:job:orphan', 'abandoned_count'), '1');
    // Maintenance at start pruned the dead worker (its key does not exist) from both sets.
    assert.equal(await redis.admin.sismember('rq:workers', 'rq:worker:dead-one'), 0);
    assert.equal(await redis.admin.sismember('rq:workers:default', 'rq:worker:dead-one'), 0);
    assert.equal(await redis.admin.get('rq:clean_registries:default'), '1');
    worker.stop();
    await working;
  });

  test('a job abandoned more than maxAbandonedCount times fails with AbandonedJobError; onAbandoned fail is RQ\'s way', async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    await orphan('poison', { abandoned_count: '1' });
    const worker = new Worker([queue], { tasks });
    const working = worker.work();
    await waitUntil(async () => (await redis.admin.hget('rq:job:poison', 'status')) === 'failed', 10_000, 'the poison job to fail');
    assert.match((await (await Job.fetch('poison', { connection })).excInfo()) ?? '', /^AbandonedJobError: .*abandoned 2 times/);
    worker.stop();
    await working;

    await orphan('rq-style');
    const rqWorker = new Worker([queue], { tasks, onAbandoned: 'fail' });
    const rqWorking = rqWorker.work();
    await waitUntil(async () => (await redis.admin.hget('rq:job:rq-style', 'status')) === 'failed', 10_000, 'the abandoned job to fail');
    assert.match((await (await Job.fetch('rq-style', { connection })).excInfo()) ?? '', /^Moved to FailedJobRegistry at /);
    rqWorker.stop();
    await rqWorking;
  });

  test('a worker keeps its key alive while idle, and its job\'s started entry while busy', async () => {
    const { tasks } = makeTasks();
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.wait', 2500);
    const worker = new Worker([queue], { tasks, jobMonitoringInterval: 1, workerTtl: 2, name: 'beat' });
    const working = worker.work({ burst: true });
    await waitUntil(async () => (await job.getStatus()) === 'started', 5000, 'the job to start');
    const firstScore = Number(await redis.admin.zscore('rq:wip:default', job.id));
    await waitUntil(async () => Number(await redis.admin.zscore('rq:wip:default', job.id)) > firstScore, 5000, 'a heartbeat to push the score');
    const ttl = await redis.admin.ttl('rq:worker:beat');
    assert.ok(ttl > 0 && ttl <= 61, `worker key TTL while busy: ${ttl}`);
    await working;
  });

  test('ending a job that was meanwhile handed to another execution is fenced off', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.slowly');
    const worker = new Worker([queue], {
      tasks: {
        'tasks.slowly': async () => {
          // Meanwhile, the job is declared abandoned and started again elsewhere.
          await redis.admin.hset(job.key, 'worker_name', 'someone-else', 'started_at', '2026-01-01T00:00:00.000000Z');
          return 'late result';
        },
      },
    });
    await worker.work({ burst: true });
    const hash = await redis.admin.hgetall(job.key);
    assert.equal(hash['status'], 'started');
    assert.equal(hash['worker_name'], 'someone-else');
    assert.equal(await redis.admin.exists(`rq:results:${job.id}`), 0);
  });
});

describe('dequeue strategies', () => {
  test('default takes queues in priority order; round_robin alternates', async () => {
    const order: string[] = [];
    const tasks = { 'tasks.mark': (name: string) => order.push(name) };
    const a = new Queue('a', { connection });
    const b = new Queue('b', { connection });
    for (let i = 0; i < 2; i++) {
      await a.enqueue('tasks.mark', 'a');
      await b.enqueue('tasks.mark', 'b');
    }
    await new Worker([a, b], { tasks }).work({ burst: true });
    assert.deepEqual(order, ['a', 'a', 'b', 'b']);
    order.length = 0;
    for (let i = 0; i < 2; i++) {
      await a.enqueue('tasks.mark', 'a');
      await b.enqueue('tasks.mark', 'b');
    }
    await new Worker([a, b], { tasks, dequeueStrategy: 'round_robin' }).work({ burst: true });
    assert.deepEqual(order, ['a', 'b', 'a', 'b']);
  });

  test('round_robin starts after the queue that gave the last job, as RQ', async () => {
    const order: string[] = [];
    const tasks = { 'tasks.mark': (name: string) => order.push(name) };
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new Queue(name, { connection }));
    for (let i = 0; i < 2; i++) {
      await a!.enqueue('tasks.mark', 'a');
      await c!.enqueue('tasks.mark', 'c');
    }
    await new Worker([a!, b!, c!], { tasks, dequeueStrategy: 'round_robin' }).work({ burst: true });
    assert.deepEqual(order, ['a', 'c', 'a', 'c']);
  });

  test('close() resolves once the worker has deregistered; a live worker\'s name is refused', async () => {
    const worker = new Worker('default', { connection, tasks: {}, name: 'only-one', dequeueTimeout: 1 });
    const working = worker.work();
    await waitUntil(async () => (await redis.admin.exists('rq:worker:only-one')) === 1, 5000, 'registration');
    await assert.rejects(new Worker('default', { connection, tasks: {}, name: 'only-one' }).work(), /There exists an active worker named 'only-one' already/);
    assert.throws(() => worker.work(), /already working/);
    await worker.close();
    assert.equal(await redis.admin.sismember('rq:workers', 'rq:worker:only-one'), 0);
    assert.ok(await redis.admin.hget('rq:worker:only-one', 'death'));
    assert.equal(await working, 0);
    // Once dead, the name can be used again.
    const again = new Worker('default', { connection, tasks: {}, name: 'only-one' });
    assert.equal(await again.work({ burst: true }), 0);
  });

  test('a bad option is a clear error at construction', () => {
    assert.throws(() => new Worker('q', { connection, isolated: true, tasks: { 'tasks.x': () => 1 } }), /isolated mode .* drop `tasks`/);
    assert.throws(() => new Worker('q', { connection, concurrency: 0 }), /concurrency must be a whole number/);
    assert.throws(() => new Worker('q', { connection, dequeueStrategy: 'lifo' as never }), /Unknown dequeue strategy 'lifo'/);
    assert.throws(() => new Worker([], { connection }), /at least one queue/);
  });
});

