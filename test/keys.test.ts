import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as keys from '../src/keys.js';

// Each key pinned to the exact string RQ 1.13 uses (RQ-REFERENCE.md §2.1).
const pinned: Array<[string, string, string]> = [
  ['queueKey', keys.queueKey('default'), 'rq:queue:default'],
  ['jobKey', keys.jobKey('abc'), 'rq:job:abc'],
  ['dependentsKey', keys.dependentsKey('abc'), 'rq:job:abc:dependents'],
  ['dependenciesKey (double colon, as RQ writes it)', keys.dependenciesKey('abc'), 'rq:job::abc:dependencies'],
  ['resultsKey', keys.resultsKey('abc'), 'rq:results:abc'],
  ['startedRegistryKey', keys.startedRegistryKey('q'), 'rq:wip:q'],
  ['finishedRegistryKey', keys.finishedRegistryKey('q'), 'rq:finished:q'],
  ['failedRegistryKey', keys.failedRegistryKey('q'), 'rq:failed:q'],
  ['deferredRegistryKey', keys.deferredRegistryKey('q'), 'rq:deferred:q'],
  ['scheduledRegistryKey', keys.scheduledRegistryKey('q'), 'rq:scheduled:q'],
  ['canceledRegistryKey', keys.canceledRegistryKey('q'), 'rq:canceled:q'],
  ['workerKey', keys.workerKey('w1'), 'rq:worker:w1'],
  ['queueWorkersKey', keys.queueWorkersKey('q'), 'rq:workers:q'],
  ['workerCommandsChannel', keys.workerCommandsChannel('w1'), 'rq:pubsub:w1'],
  ['schedulerLockKey', keys.schedulerLockKey('q'), 'rq:scheduler-lock:q'],
  ['cleanRegistriesLockKey', keys.cleanRegistriesLockKey('q'), 'rq:clean_registries:q'],
  ['intermediateQueueKey', keys.intermediateQueueKey('q'), 'rq:queue:q:intermediate'],
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
  assert.equal(keys.queueNameFromKey('rq:queue:high'), 'high');
  assert.equal(keys.queueNameFromKey('rq:job:high'), undefined);
});

test('VERSION is package.json\'s version', async () => {
  const { VERSION } = await import('../src/index.js');
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
});
