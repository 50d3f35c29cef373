/**
 * Timers for durations users give (src/deadline.ts) and the job timeout of execute()
 * (src/execute.ts): never early, however long, NaN at once; and a job interrupted before its call
 * leaves no unhandled rejection behind, whatever its function does later.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterDeadline, MAX_TIMER_MS, timerDelay } from '../src/deadline.js';
import { execute, Interruption } from '../src/execute.js';
import { Job } from '../src/job.js';
import { useRedis } from './harness/index.js';

const redis = useRedis();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a deadline is never met early, a delay past 24.8 days is capped, and a NaN deadline is now', async () => {
  assert.equal(timerDelay(-5), 0);
  assert.equal(timerDelay(30 * 86_400_000), MAX_TIMER_MS);
  const firedAt: number[] = [];
  const start = performance.now();
  for (let i = 0; i < 20; i++) afterDeadline(start + 25, () => firedAt.push(performance.now()));
  await sleep(60);
  assert.equal(firedAt.length, 20);
  for (const at of firedAt) assert.ok(at >= start + 25, `fired ${(start + 25 - at).toFixed(3)} ms early`);
  let far = false;
  const cancel = afterDeadline(performance.now() + 40 * 86_400_000, () => (far = true));
  await sleep(20);
  cancel();
  assert.equal(far, false, 'a deadline 40 days away did not fire');
  let nan = 0;
  afterDeadline(Number.NaN, () => (nan += 1));
  await sleep(20);
  assert.equal(nan, 1, 'a NaN deadline fires once, at once');
});

test('a job interrupted before its call rejects with the reason, and its function rejecting later is not an unhandled rejection', async () => {
  const job = Job.create({ funcName: 'tasks.late' }, { connection: redis.connect(), queue: 'q' });
  const interruption = new Interruption();
  interruption.interrupt(new Error('stopped before its call'));
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await assert.rejects(
      execute(
        async () => {
          await sleep(10);
          throw new Error('failed after its first await');
        },
        job,
        interruption,
        5,
      ),
      /stopped before its call/,
    );
    await sleep(50);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
