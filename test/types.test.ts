/**
 * Typed results: a job enqueued from a task defined with defineTask knows what the task returns,
 * so `returnValue()` and `latestResult()` are typed without casts. Most checks here are for the
 * compiler (`npm run typecheck` compiles this file): `expectType` compiles only for the exact type,
 * and each `@ts-expect-error` fails the build if its line compiles. The tests then run typed jobs
 * on a real redis-server and check that the values are what the types say.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Group, Job, Queue, Worker, defineTask, type JobResult } from '../src/index.js';
import { useRedis } from './harness/index.js';

/** True when X and Y are the same type; comparing generic signatures tells `any` and `unknown` apart from the rest. */
type Same<X, Y> = (<T>() => T extends X ? 1 : 0) extends <T>() => T extends Y ? 1 : 0 ? true : false;

/** `expectType<Expected>()(value)` compiles only when `value` is exactly an `Expected`, and gives `value` back. */
function expectType<Expected>() {
  return <Actual>(value: Actual, ..._exact: Same<Actual, Expected> extends true ? [] : [mismatch: Actual]): Actual => value;
}

const square = defineTask('types.square', (n: number) => n * n);
const greet = defineTask('types.greet', async (name: string) => `hello ${name}`);
const fail = defineTask('types.fail', (reason: string): number => {
  throw new Error(reason);
});
const notify = defineTask('types.notify', (_to: string): void => undefined);

/** Compile-time checks only: never called, so it needs no Redis; the compiler reads every line. */
async function typeChecks(queue: Queue, group: Group): Promise<void> {
  // The result type is the task's return type, awaited.
  expectType<Job<number>>()(await queue.enqueue(square, 4));
  expectType<Job<string>>()(await queue.enqueue(greet, 'ada'));
  expectType<Job<void>>()(await queue.enqueue(notify, 'ada'));
  expectType<Job<number>>()(await queue.enqueueCall(square, { args: [4], resultTtl: 10 }));
  expectType<Job<number>>()(await queue.enqueueAt(new Date(Date.now() + 60_000), square, 4));
  expectType<Job<number>>()(await queue.enqueueIn('5m', square, 4));
  // A function name, or a job read back from Redis, says nothing about its result.
  expectType<Job<unknown>>()(await queue.enqueue('types.square', 4));
  expectType<Job<unknown>>()(await queue.enqueueCall('types.square', { args: [4] }));
  expectType<Job<unknown>>()(await Job.fetch('some-id'));
  expectType<Job<unknown> | null>()(await queue.fetchJob('some-id'));

  const job = await queue.enqueue(square, 4);
  expectType<number | null>()(await job.returnValue());
  expectType<JobResult<number> | undefined>()(await job.latestResult());
  expectType<Array<JobResult<number>>>()(await job.results());
  expectType<Job<number>>()(await job.requeue());
  // @ts-expect-error a number task's value is not a string
  const text: string | null = await job.returnValue();
  // @ts-expect-error it may be null: the job may not have finished
  const count: number = await job.returnValue();
  // @ts-expect-error expectType fails on a wrong type, so the checks above can fail
  expectType<string | null>()(await job.returnValue());
  // @ts-expect-error nor is `unknown` taken for the exact type
  expectType<unknown>()(await job.returnValue());

  // Only a success holds the task's value: narrow on `type`.
  const latest = await job.latestResult();
  expectType<unknown>()(latest?.returnValue);
  if (latest?.type === 1) expectType<number | null>()(latest.returnValue);
  if (latest !== undefined && latest.type !== 1) expectType<unknown>()(latest.returnValue);
  // @ts-expect-error without narrowing, a result may be a failure's
  const unchecked: number | null | undefined = latest?.returnValue;

  // Jobs of any type still go where a plain Job goes; a plain Job is not a typed one.
  const plain: Job = job;
  // @ts-expect-error Job<unknown> does not claim a number result
  const typed: Job<number> = await Job.fetch(job.id);
  // @ts-expect-error nor does a job of another task
  const wrong: Job<number> = await queue.enqueue(greet, 'ada');

  // Wrong arguments still do not compile.
  // @ts-expect-error square takes a number
  await queue.enqueue(square, 'four');
  // @ts-expect-error square's args are [number]
  await queue.enqueueCall(square, { args: ['four'] });
  // @ts-expect-error square takes a number
  await queue.enqueueIn(10, square, 'four');

  // A batch: one task gives Job<R>[]; a list written out gives a type per place.
  expectType<Array<Job<number>>>()(await queue.enqueueMany([1, 2, 3].map((n) => Queue.prepareData(square, { args: [n] }))));
  const mixed = await queue.enqueueMany([
    Queue.prepareData(square, { args: [2] }),
    Queue.prepareData(greet, { args: ['ada'] }),
    Queue.prepareData('types.square', { args: [3] }),
    { funcName: 'types.square', options: { args: [5] } }, // made by hand: nothing known
  ]);
  expectType<[Job<number>, Job<string>, Job<unknown>, Job<unknown>]>()(mixed);
  expectType<Array<Job<number | string>>>()(await queue.enqueueMany([square, greet].map((task) => (task === square ? Queue.prepareData(square, { args: [2] }) : Queue.prepareData(greet, { args: ['ada'] })))));
  expectType<[]>()(await queue.enqueueMany([]));
  expectType<[Job<number>]>()(await group.enqueueMany(queue, [Queue.prepareData(square, { args: [2] })]));
  // @ts-expect-error prepareData checks the args too
  Queue.prepareData(square, { args: ['two'] });

  void [text, count, unchecked, plain, typed, wrong];
}
void typeChecks;

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

describe('typed results', () => {
  test('returnValue() of a task\'s job resolves to what the task returned, from enqueue, enqueueCall and enqueueMany', async () => {
    const queue = new Queue('default', { connection });
    const four = await queue.enqueue(square, 4);
    const hello = await queue.enqueueCall(greet, { args: ['ada'], resultTtl: 60 });
    const batch = await queue.enqueueMany([Queue.prepareData(square, { args: [3] }), Queue.prepareData(greet, { args: ['grace'] })]);
    assert.equal(await new Worker([queue]).work({ burst: true }), 4);
    const value: number | null = await four.returnValue();
    assert.equal(value, 16);
    assert.equal(expectType<string | null>()(await hello.returnValue()), 'hello ada');
    const [nine, grace] = batch;
    assert.equal(expectType<number | null>()(await nine.returnValue()), 9);
    assert.equal(expectType<string | null>()(await grace.returnValue()), 'hello grace');
  });

  test('latestResult() of a finished job is a success whose returnValue is the typed value', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue(square, 7);
    await new Worker([queue]).work({ burst: true });
    const result = await job.latestResult();
    assert.equal(result?.type, 1);
    if (result?.type !== 1) return;
    const value: number | null = result.returnValue;
    assert.equal(value, 49);
    assert.deepEqual((await job.results()).map((entry) => entry.type), [1]);
  });

  test('a failed run is no success: latestResult() has type 2 and the error, returnValue() is null', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue(fail, 'no luck');
    await new Worker([queue]).work({ burst: true });
    const result = await job.latestResult();
    assert.equal(result?.type, 2);
    assert.equal(result?.returnValue, null);
    assert.match(result?.excString ?? '', /Error: no luck/);
    assert.equal(expectType<number | null>()(await job.returnValue()), null);
  });

  test('before a worker runs the job, returnValue() is null and latestResult() undefined', async () => {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue(square, 5);
    assert.equal(await job.returnValue(), null);
    assert.equal(await job.latestResult(), undefined);
    assert.equal(await queue.count(), 1);
  });

  test('a job fetched by id or enqueued by name reads the same value, as unknown', async () => {
    const queue = new Queue('default', { connection });
    const typed = await queue.enqueue(square, 6);
    const byName = await queue.enqueue('types.square', 8);
    await new Worker([queue]).work({ burst: true });
    const fetched = await Job.fetch(typed.id, { connection });
    assert.equal(expectType<unknown>()(await fetched.returnValue()), 36);
    assert.equal(expectType<unknown>()(await byName.returnValue()), 64);
  });
});
