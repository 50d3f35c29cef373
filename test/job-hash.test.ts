/**
 * The job hash table (src/job-hash.ts), without Redis: each field's name, optionality and order
 * pinned to RQ 1.13's (RQ-REFERENCE.md §2.2), then what each row writes and reads, case by case,
 * on a plain object that has a Job's fields.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { DeserializationError } from '../src/errors.js';
import { JOB_HASH, OPTIONAL_FIELDS, readCallback, readJobHash, writeCallback, writeJobHash, type JobFields, type JobHash } from '../src/job-hash.js';
import { Callback } from '../src/callback.js';
import { JSONSerializer } from '../src/serializers/index.js';
import { zlibUnwrap } from '../src/zlib-format.js';

/** The fields of a job made by `Job.create({ funcName: 'tasks.add' })` at a fixed time. */
function fields(changes: Partial<JobFields> = {}): JobFields {
  return {
    id: 'j1',
    serializer: JSONSerializer,
    funcName: 'tasks.add',
    args: [],
    kwargs: {},
    description: '',
    origin: undefined,
    status: undefined,
    timeout: undefined,
    resultTtl: undefined,
    failureTtl: undefined,
    ttl: undefined,
    meta: {},
    enqueueAtFront: false,
    retriesLeft: undefined,
    retryIntervals: undefined,
    repeatsLeft: undefined,
    repeatIntervals: undefined,
    groupId: undefined,
    rateLimitKey: undefined,
    rateLimitConcurrency: undefined,
    rateLimitMax: undefined,
    rateLimitDuration: undefined,
    dependencyIds: [],
    allowDependencyFailures: undefined,
    createdAt: new Date(Date.UTC(2026, 10, 24, 6, 43, 0, 687)),
    enqueuedAt: undefined,
    startedAt: undefined,
    endedAt: undefined,
    lastHeartbeat: undefined,
    workerName: undefined,
    ...changes,
  };
}

/** A hash as HGETALL returns it, with a `data` field calling tasks.add(). */
function hashOf(values: Record<string, string | Buffer>): JobHash {
  const hash: JobHash = { data: Buffer.from('["tasks.add",null,[],{}]') };
  for (const [field, value] of Object.entries(values)) hash[field] = Buffer.isBuffer(value) ? value : Buffer.from(value);
  return hash;
}

/** The written fields as text, `data` unwrapped from zlib. */
function asText(hash: Record<string, string | Buffer>): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [field, value] of Object.entries(hash)) text[field] = field === 'data' ? zlibUnwrap(value as Buffer, 1 << 20).toString() : value.toString();
  return text;
}

describe('job hash table', () => {
  test("lists RQ's fields in RQ's order of writing, with the ones written only when set", () => {
    const expected: Array<[string, 'always' | 'optional', 'modeled' | 'carried']> = [
      ['created_at', 'always', 'modeled'],
      ['data', 'always', 'modeled'],
      ['success_callback_name', 'always', 'carried'],
      ['failure_callback_name', 'always', 'carried'],
      ['started_at', 'always', 'modeled'],
      ['ended_at', 'always', 'modeled'],
      ['last_heartbeat', 'always', 'modeled'],
      ['worker_name', 'always', 'modeled'],
      ['description', 'always', 'modeled'],
      ['origin', 'optional', 'modeled'],
      ['enqueued_at', 'optional', 'modeled'],
      ['status', 'optional', 'modeled'],
      ['timeout', 'optional', 'modeled'],
      ['result_ttl', 'optional', 'modeled'],
      ['failure_ttl', 'optional', 'modeled'],
      ['ttl', 'optional', 'modeled'],
      ['meta', 'optional', 'modeled'],
      ['enqueue_at_front', 'optional', 'modeled'],
      ['retries_left', 'optional', 'modeled'],
      ['retry_intervals', 'optional', 'modeled'],
      ['repeats_left', 'optional', 'modeled'],
      ['repeat_intervals', 'optional', 'modeled'],
      ['group_id', 'optional', 'modeled'],
      ['rate_limit_key', 'optional', 'modeled'],
      ['rate_limit_concurrency', 'optional', 'modeled'],
      ['rate_limit_max', 'optional', 'modeled'], // rq-ts' rate over time
      ['rate_limit_duration', 'optional', 'modeled'],
      ['dependency_ids', 'optional', 'modeled'],
      ['dependency_id', 'optional', 'modeled'],
      ['allow_dependency_failures', 'optional', 'modeled'],
      ['stopped_callback_name', 'optional', 'carried'],
      ['success_callback_timeout', 'optional', 'carried'],
      ['failure_callback_timeout', 'optional', 'carried'],
      ['stopped_callback_timeout', 'optional', 'carried'],
      ['exc_info', 'optional', 'carried'],
      ['result', 'optional', 'carried'],
      ['number_of_retries', 'optional', 'carried'],
      ['enqueue_at_front_on_retry', 'optional', 'carried'],
      ['webhooks', 'optional', 'carried'],
    ];
    assert.deepEqual(
      JOB_HASH.map((row) => [row.field, row.optional ? 'optional' : 'always', row.write ? 'modeled' : 'carried']),
      expected,
    );
    // save() deletes these when unset, in this order.
    assert.deepEqual(OPTIONAL_FIELDS, expected.filter(([, optional, modeled]) => optional === 'optional' && modeled === 'modeled').map(([field]) => field));
  });

  test("a new job's hash: the always-written fields, '' when unset, and nothing else", () => {
    assert.deepEqual(asText(writeJobHash(fields(), {})), {
      created_at: '2026-11-24T06:43:00.687000Z',
      data: '["tasks.add",null,[],{}]',
      success_callback_name: '',
      failure_callback_name: '',
      started_at: '',
      ended_at: '',
      last_heartbeat: '',
      worker_name: '',
      description: '',
    });
  });

  const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
  // [property set, the fields it writes (beside the always-written ones, which it may change)]
  const writes: Array<[string, Partial<JobFields>, Record<string, string>]> = [
    ['call', { funcName: 'tasks.mul', args: [2, 'x'], kwargs: { y: 3 } }, { data: '["tasks.mul",null,[2,"x"],{"y":3}]' }],
    ['description', { description: 'tasks.add(2)' }, { description: 'tasks.add(2)' }],
    ['timestamps', { startedAt: at, endedAt: at, lastHeartbeat: at }, { started_at: '2026-01-02T03:04:05.006000Z', ended_at: '2026-01-02T03:04:05.006000Z', last_heartbeat: '2026-01-02T03:04:05.006000Z' }],
    ['worker', { workerName: 'w1' }, { worker_name: 'w1' }],
    ['origin and status', { origin: 'default', status: 'queued', enqueuedAt: at }, { origin: 'default', enqueued_at: '2026-01-02T03:04:05.006000Z', status: 'queued' }],
    ['an empty origin is still written', { origin: '' }, { origin: '' }],
    ['integers', { timeout: -1, resultTtl: 0, failureTtl: 86400, ttl: 5 }, { timeout: '-1', result_ttl: '0', failure_ttl: '86400', ttl: '5' }],
    ['meta, without zlib', { meta: { progress: 50 } }, { meta: '{"progress":50}' }],
    ['an empty meta is not written', { meta: {} }, {}],
    ['at front', { enqueueAtFront: true }, { enqueue_at_front: '1' }],
    ['not at front is not written', { enqueueAtFront: false }, {}],
    ["retry, in Python's JSON", { retriesLeft: 2, retryIntervals: [5, 30] }, { retries_left: '2', retry_intervals: '[5, 30]' }],
    ['repeat', { repeatsLeft: 3, repeatIntervals: [0] }, { repeats_left: '3', repeat_intervals: '[0]' }],
    ['group', { groupId: 'g1' }, { group_id: 'g1' }],
    ['dependencies, and the first as the legacy field', { dependencyIds: ['a', 'b'] }, { dependency_ids: '["a", "b"]', dependency_id: 'a' }],
    ['no dependencies writes neither', { dependencyIds: [] }, {}],
    ['allow dependency failures, 1', { allowDependencyFailures: true }, { allow_dependency_failures: '1' }],
    ['allow dependency failures, 0', { allowDependencyFailures: false }, { allow_dependency_failures: '0' }],
  ];
  for (const [name, changes, written] of writes) {
    test(`writes ${name}`, () => {
      const base = asText(writeJobHash(fields(), {}));
      assert.deepEqual(asText(writeJobHash(fields(changes), {})), { ...base, ...written });
    });
  }

  // [hash fields beside data, the properties read (beside a new job's, as fields() has them)]
  const epoch = new Date(0);
  const reads: Array<[string, Record<string, string | Buffer>, Partial<JobFields>]> = [
    ['a hash with data only', {}, { createdAt: epoch }],
    [
      'what RQ 1.13 writes for a queued job',
      { created_at: '2026-11-24T06:43:00.687019Z', success_callback_name: '', failure_callback_name: '', started_at: '', ended_at: '', last_heartbeat: '', worker_name: '', description: 'tasks.add()', origin: 'default', enqueued_at: '2026-11-24T06:43:00Z', status: 'queued', timeout: '180' },
      { createdAt: new Date(Date.UTC(2026, 10, 24, 6, 43, 0, 687)), description: 'tasks.add()', origin: 'default', enqueuedAt: new Date(Date.UTC(2026, 10, 24, 6, 43, 0)), status: 'queued', timeout: 180 },
    ],
    ["'' is unset", { origin: '', status: '', worker_name: '', group_id: '', timeout: '', allow_dependency_failures: '' }, { createdAt: epoch }],
    ['text that is not a number or a timestamp is unset', { timeout: 'abc', result_ttl: 'x', created_at: 'yesterday', started_at: '12:00' }, { createdAt: epoch }],
    ['numbers', { failure_ttl: '-1', ttl: '1.5', retries_left: '3', repeats_left: '0' }, { createdAt: epoch, failureTtl: -1, ttl: 1.5, retriesLeft: 3, repeatsLeft: 0 }],
    ['any JSON list of numbers', { retry_intervals: '[5,30]', repeat_intervals: '[1, "a"]' }, { createdAt: epoch, retryIntervals: [5, 30] }],
    ['enqueue_at_front is 1 or not', { enqueue_at_front: '0' }, { createdAt: epoch, enqueueAtFront: false }],
    ['allow_dependency_failures 0', { allow_dependency_failures: '0' }, { createdAt: epoch, allowDependencyFailures: false }],
    ['dependency_ids', { dependency_ids: '["a", "b"]', dependency_id: 'a' }, { createdAt: epoch, dependencyIds: ['a', 'b'] }],
    ['the legacy dependency_id alone', { dependency_id: 'p9' }, { createdAt: epoch, dependencyIds: ['p9'] }],
    ['the legacy dependency_id when dependency_ids is not a list of ids', { dependency_ids: 'bad', dependency_id: 'p9' }, { createdAt: epoch, dependencyIds: ['p9'] }],
    ['an empty dependency_ids wins over dependency_id', { dependency_ids: '[]', dependency_id: 'p9' }, { createdAt: epoch, dependencyIds: [] }],
    ['meta', { meta: '{"x": [1]}' }, { createdAt: epoch, meta: { x: [1] } }],
    ['zlib data, as RQ writes it', { data: deflateSync(Buffer.from('["tasks.mul", null, [2], {"y": 3}]')) }, { createdAt: epoch, funcName: 'tasks.mul', args: [2], kwargs: { y: 3 } }],
  ];
  for (const [name, values, expected] of reads) {
    test(`reads ${name}`, () => {
      const job = fields({ createdAt: new Date() });
      readJobHash(job, hashOf(values));
      assert.deepEqual(job, fields(expected));
    });
  }

  test('fields it does not model are carried over byte for byte, first, in their order; a __proto__ field stays a field', () => {
    const hash = hashOf({ zeta: 'z', exc_info: deflateSync(Buffer.from('boom')), success_callback_name: 'cb.ok', success_callback_timeout: '9', number_of_retries: '2', created_at: '2026-11-24T06:43:00.687000Z' });
    Object.defineProperty(hash, '__proto__', { value: Buffer.from('pp'), enumerable: true, writable: true, configurable: true });
    const job = fields();
    const carried = readJobHash(job, hash);
    assert.deepEqual(Object.keys(carried), ['zeta', 'exc_info', 'success_callback_name', 'success_callback_timeout', 'number_of_retries', '__proto__']);
    assert.equal(Object.getPrototypeOf(carried), Object.prototype);
    const written = writeJobHash(job, carried);
    assert.deepEqual(Object.keys(written), [...Object.keys(carried), 'created_at', 'data', 'failure_callback_name', 'started_at', 'ended_at', 'last_heartbeat', 'worker_name', 'description']);
    assert.equal(Object.getPrototypeOf(written), Object.prototype);
    for (const field of Object.keys(carried)) assert.deepEqual(written[field], hash[field], field);
    assert.deepEqual(written['created_at'], '2026-11-24T06:43:00.687000Z');
  });

  test('callbacks live in the carried fields; a timeout is written only when given', () => {
    const carried: JobHash = {};
    writeCallback(carried, 'success', new Callback('cb.ok'));
    writeCallback(carried, 'failure', new Callback('cb.failed', { timeout: 7 }));
    assert.deepEqual(asText(carried), { success_callback_name: 'cb.ok', failure_callback_name: 'cb.failed', failure_callback_timeout: '7' });
    assert.deepEqual(readCallback(carried, 'success'), { name: 'cb.ok', timeout: 60 });
    assert.deepEqual(readCallback(carried, 'failure'), { name: 'cb.failed', timeout: 7 });
    assert.equal(readCallback(carried, 'stopped'), undefined);
    assert.equal(readCallback({ stopped_callback_name: Buffer.from('') }, 'stopped'), undefined);
    assert.equal(asText(writeJobHash(fields(), carried))['success_callback_name'], 'cb.ok');
  });

  const unreadable: Array<[string, JobHash, RegExp]> = [
    ['no data', { created_at: Buffer.from('2026-11-24T06:43:00Z') }, /has no 'data' field/],
    ['data the serializer cannot read', { data: Buffer.from('not json') }, /'data' is not readable by the serializer/],
    ['pickle', { data: Buffer.from([0x80, 4, 0x95]) }, /Python pickle data/],
    ['a method of a Python object', { data: Buffer.from('["mul", {"a": 1}, [], {}]') }, /calls a method of a Python object \(mul\)/],
    ['data that is not a call', { data: Buffer.from('["f", null, {}, {}]') }, /is not RQ's \[funcName, instance, args, kwargs\]/],
    ['meta the serializer cannot read', hashOf({ meta: '{bad' }), /'meta' is not readable by the serializer/],
    ['an empty meta', hashOf({ meta: '' }), /'meta' is not readable by the serializer/],
    ['meta that is not an object', hashOf({ meta: '[1]' }), /'meta' is not an object/],
  ];
  for (const [name, hash, message] of unreadable) {
    test(`refuses ${name} with DeserializationError`, () => {
      assert.throws(() => readJobHash(fields(), hash), (error: Error) => error instanceof DeserializationError && message.test(error.message) && error.message.includes('rq:job:j1'));
    });
  }
});
