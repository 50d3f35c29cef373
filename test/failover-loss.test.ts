/**
 * The graceful-failover loss experiment (test/harness/failover-experiment.ts) in durable mode, as
 * a test: a producer at ~100 enqueues/s and a worker at concurrency 10, both durable, through a
 * `SENTINEL FAILOVER`. No enqueue that resolved (confirmed by a replica with WAIT) may be missing
 * on the new primary. The default mode loses about a second of acknowledged enqueues here; its
 * figures, and more runs of both modes, come from tools/failover-experiment.mjs (docs/reliability.md).
 * A file of its own: about 10 s, run beside the other files.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFailoverExperiment } from './harness/failover-experiment.js';

test('durable mode through a graceful SENTINEL FAILOVER under load: no acknowledged enqueue is lost, and both clients report the switch once', async (t) => {
  const result = await runFailoverExperiment({
    durable: true,
    durableReplicas: 1, // the group's one replica
    // Stop producing once the switch is seen, and read the new primary without waiting for the old
    // one to rejoin as its replica (about 11 s): without a replica, every WAIT waits its timeout.
    durableTimeout: 0.5,
    acksAfterSwitch: 0,
    waitForRejoin: false,
  });
  t.diagnostic(JSON.stringify(result));
  assert.notEqual(result.primaryAfter, result.primaryBefore);
  assert.ok(result.acknowledged >= 100, `only ${result.acknowledged} enqueues were acknowledged`);
  assert.equal(result.lost, 0, `${result.lost} acknowledged (replica-confirmed) jobs are gone from the new primary`);
  assert.equal(result.failed, 0, 'enqueues failed with errors other than ReplicationTimeoutError');
  assert.equal(result.producerFailovers, 1);
  assert.equal(result.workerFailovers, 1);
});
