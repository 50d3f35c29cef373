import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as keys from '../src/keys.js';

// Each key pinned to the exact string RQ 1.13 uses (RQ-REFERENCE.md §2.1).
const pinned: Array<[string, string, string]> = [
  ['queueKey', keys.queueKey('default', 'plain'), 'rq:queue:default'],
  ['jobKey', keys.jobKey('abc'), 'rq:job:abc'],
  ['dependentsKey', keys.dependentsKey('abc'), 'rq:job:abc:dependents'],
  ['dependenciesKey (double colon, as RQ writes it)', keys.dependenciesKey('abc'), 'rq:job::abc:dependencies'],
  ['resultsKey', keys.resultsKey('abc'), 'rq:results:abc'],
  ['startedRegistryKey', keys.startedRegistryKey('q', 'plain'), 'rq:wip:q'],
  ['finishedRegistryKey', keys.finishedRegistryKey('q', 'plain'), 'rq:finished:q'],
  ['failedRegistryKey', keys.failedRegistryKey('q', 'plain'), 'rq:failed:q'],
  ['deferredRegistryKey', keys.deferredRegistryKey('q', 'plain'), 'rq:deferred:q'],
  ['scheduledRegistryKey', keys.scheduledRegistryKey('q', 'plain'), 'rq:scheduled:q'],
  ['canceledRegistryKey', keys.canceledRegistryKey('q', 'plain'), 'rq:canceled:q'],
  ['workerKey', keys.workerKey('w1'), 'rq:worker:w1'],
  ['queueWorkersKey', keys.queueWorkersKey('q', 'plain'), 'rq:workers:q'],
  ['workerCommandsChannel', keys.workerCommandsChannel('w1'), 'rq:pubsub:w1'],
  ['schedulerLockKey', keys.schedulerLockKey('q', 'plain'), 'rq:scheduler-lock:q'],
  ['cleanRegistriesLockKey', keys.cleanRegistriesLockKey('q', 'plain'), 'rq:clean_registries:q'],
  ['intermediateQueueKey', keys.intermediateQueueKey('q', 'plain'), 'rq:queue:q:intermediate'],
  ['QUEUES_KEY', keys.QUEUES_KEY, 'rq:queues'],
  ['WORKERS_KEY', keys.WORKERS_KEY, 'rq:workers'],
  ['SUSPENDED_KEY', keys.SUSPENDED_KEY, 'rq:suspended'],
  ['JOB_KEY_PREFIX', keys.JOB_KEY_PREFIX, 'rq:job:'],
  ['QUEUE_KEY_PREFIX', keys.QUEUE_KEY_PREFIX, 'rq:queue:'],
  ['WORKER_KEY_PREFIX', keys.WORKER_KEY_PREFIX, 'rq:worker:'],
];

for (const [name, actual, expected] of pinned) {
  test(`${name} is RQ's '${expected}'`, () => {
    assert.equal(actual, expected);
  });
}

test('queueNameFromKey reads the name back from a queue key, and nothing else', () => {
  assert.equal(keys.queueNameFromKey('rq:queue:high', 'plain'), 'high');
  assert.equal(keys.queueNameFromKey('rq:job:high', 'plain'), undefined);
  assert.equal(keys.queueNameFromKey('rq:queue:{high}', 'cluster'), 'high');
  assert.equal(keys.queueNameFromKey('rq:queue:high', 'cluster'), undefined, 'a plain-layout key is not a cluster queue');
});

// The cluster layout (docs/cluster.md): RQ's names with the queue's name as a hash tag, so that a
// queue's keys share one slot; a job's keys share it through the id, which starts with the tag.
const cluster: Array<[string, string, string]> = [
  ['queueKey', keys.queueKey('emails', 'cluster'), 'rq:queue:{emails}'],
  ['startedRegistryKey', keys.startedRegistryKey('emails', 'cluster'), 'rq:wip:{emails}'],
  ['finishedRegistryKey', keys.finishedRegistryKey('emails', 'cluster'), 'rq:finished:{emails}'],
  ['failedRegistryKey', keys.failedRegistryKey('emails', 'cluster'), 'rq:failed:{emails}'],
  ['deferredRegistryKey', keys.deferredRegistryKey('emails', 'cluster'), 'rq:deferred:{emails}'],
  ['scheduledRegistryKey', keys.scheduledRegistryKey('emails', 'cluster'), 'rq:scheduled:{emails}'],
  ['canceledRegistryKey', keys.canceledRegistryKey('emails', 'cluster'), 'rq:canceled:{emails}'],
  ['queueWorkersKey', keys.queueWorkersKey('emails', 'cluster'), 'rq:workers:{emails}'],
  ['schedulerLockKey', keys.schedulerLockKey('emails', 'cluster'), 'rq:scheduler-lock:{emails}'],
  ['cleanRegistriesLockKey', keys.cleanRegistriesLockKey('emails', 'cluster'), 'rq:clean_registries:{emails}'],
  ['intermediateQueueKey', keys.intermediateQueueKey('emails', 'cluster'), 'rq:queue:{emails}:intermediate'],
  ['throughputKey', keys.throughputKey('emails', 3600, 'cluster'), 'rq:throughput:{emails}:3600'],
  ['memoryGuardKey', keys.memoryGuardKey('emails', 'cluster'), 'rq:memory-guard:{emails}'],
  ['memoryGuardKey (plain: one for all)', keys.memoryGuardKey('emails', 'plain'), 'rq:memory-guard'],
  ['jobKey of a tagged id', keys.jobKey('{emails}0f1c'), 'rq:job:{emails}0f1c'],
  ['dependentsKey of a tagged id', keys.dependentsKey('{emails}0f1c'), 'rq:job:{emails}0f1c:dependents'],
  ['dependenciesKey of a tagged id', keys.dependenciesKey('{emails}0f1c'), 'rq:job::{emails}0f1c:dependencies'],
  ['resultsKey of a tagged id', keys.resultsKey('{emails}0f1c'), 'rq:results:{emails}0f1c'],
];

for (const [name, actual, expected] of cluster) {
  test(`cluster layout: ${name} is '${expected}'`, () => {
    assert.equal(actual, expected);
  });
}

test('cluster layout: a queue name with a brace is refused, a tagged id names its queue', () => {
  assert.throws(() => keys.checkQueueName('a{b}', 'cluster'), /may not hold '\{' or '\}'/);
  assert.equal(keys.checkQueueName('a{b}', 'plain'), 'plain');
  assert.equal(keys.queueOfTaggedId('{emails}0f1c'), 'emails');
  assert.equal(keys.queueOfTaggedId('0f1c'), undefined);
  assert.equal(keys.spanningKey(keys.QUEUES_KEY, 'emails', 'cluster'), 'rq:memory-guard:{emails}');
  assert.equal(keys.spanningKey(keys.QUEUES_KEY, 'emails', 'plain'), 'rq:queues');
});

test('VERSION is package.json\'s version', async () => {
  const { VERSION } = await import('../src/index.js');
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
});
