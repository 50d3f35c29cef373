/**
 * Results stream entries (src/results.ts), without Redis: RQ's Result.Type numbers, and entries as
 * RQ writes them (RQ-REFERENCE.md §2.4) read into JobResults.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { ResultType, parseResults, type JobResult, type StreamEntries } from '../src/results.js';
import { JSONSerializer } from '../src/serializers/index.js';

test("ResultType has RQ's Result.Type numbers", () => {
  assert.deepEqual(ResultType, { SUCCESSFUL: 1, FAILED: 2, STOPPED: 3, RETRIED: 4, MAX_RETRIES_EXCEEDED: 5 });
});

/** A stream entry as XRANGE returns it. */
function entry(id: string, fields: Record<string, string>): [Buffer, Buffer[]] {
  return [Buffer.from(id), Object.entries(fields).flatMap(([field, value]) => [Buffer.from(field), Buffer.from(value)])];
}

const base64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');

// [what, the entry's fields, the result beside its id and createdAt]
const cases: Array<[string, Record<string, string>, Pick<JobResult, 'type' | 'returnValue' | 'excString'>]> = [
  ['a success', { type: '1', return_value: base64('11') }, { type: ResultType.SUCCESSFUL, returnValue: 11, excString: undefined }],
  ['a success with a worker name (RQ 2.5)', { type: '1', return_value: base64('{"a": [1]}'), worker_name: 'w1' }, { type: 1, returnValue: { a: [1] }, excString: undefined }],
  ['a success that returned None', { type: '1' }, { type: 1, returnValue: null, excString: undefined }],
  ['a failure', { type: '2', exc_string: base64(deflateSync(Buffer.from('Traceback: boom'))) }, { type: ResultType.FAILED, returnValue: null, excString: 'Traceback: boom' }],
  ['a failure whose text is not zlib', { type: '2', exc_string: base64('plain text') }, { type: 2, returnValue: null, excString: 'plain text' }],
  ['a stop', { type: '3', exc_string: base64(deflateSync(Buffer.from('stopped'))) }, { type: ResultType.STOPPED, returnValue: null, excString: 'stopped' }],
  ['a retry with a value (RQ 2.1)', { type: '4', return_value: base64('"again"') }, { type: ResultType.RETRIED, returnValue: 'again', excString: undefined }],
];
for (const [what, fields, expected] of cases) {
  test(`reads ${what}`, () => {
    const [result] = parseResults(([entry('1700000000123-0', fields)] satisfies StreamEntries), JSONSerializer);
    assert.deepEqual(result, { id: '1700000000123-0', createdAt: new Date(1700000000123), ...expected });
  });
}

test('reads entries in the order given', () => {
  const results = parseResults([entry('2-0', { type: '2' }), entry('1-0', { type: '1' })], JSONSerializer);
  assert.deepEqual(results.map((result) => [result.id, result.type]), [['2-0', 2], ['1-0', 1]]);
});
