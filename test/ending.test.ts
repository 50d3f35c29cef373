/**
 * The pure parts of a job's ending (src/ending.ts): the failure text stored as RQ's
 * exc_info, which Python's tools read by its last line.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeError } from '../src/ending.js';

function thrower(message: string): Error {
  return new TypeError(message);
}

describe('describeError writes a failure as a Python traceback is shaped', () => {
  test("the last line is the error's name and message; its stack frames come before it, whole", () => {
    const error = thrower('no good');
    const text = describeError(error);
    const lines = text.split('\n');
    assert.equal(lines.at(-1), 'TypeError: no good');
    assert.equal(lines[0], 'Traceback (JavaScript, most recent call first):');
    const frames = error.stack!.split('\n').filter((line) => /^\s+at\s/.test(line));
    assert.ok(frames.length > 0 && frames.some((frame) => frame.includes('thrower')), 'the test itself has frames');
    assert.deepEqual(lines.slice(1, -1), frames, 'every frame, in V8 order');
  });

  test('a message of several lines ends the text; a custom name is used', () => {
    const error = new Error('first line\nsecond line');
    error.name = 'ReportError';
    const text = describeError(error);
    assert.ok(text.endsWith('\nReportError: first line\nsecond line'), text);
    assert.equal(text.split('\n').filter((line) => line.includes('first line')).length, 1, 'the message is written once');
  });

  test('an error without a stack is its name and message alone', () => {
    const error = new RangeError('out of range');
    delete error.stack;
    assert.equal(describeError(error), 'RangeError: out of range');
  });

  test('causes come first, joined as Python joins chained exceptions; the error itself is last', () => {
    const cause = new Error('socket closed');
    const error = new Error('cannot send the mail', { cause });
    const text = describeError(error);
    const parts = text.split('\n\nThe above exception was the direct cause of the following exception:\n\n');
    assert.equal(parts.length, 2);
    assert.equal(parts[0]!.split('\n').at(-1), 'Error: socket closed');
    assert.equal(text.split('\n').at(-1), 'Error: cannot send the mail');
  });

  test('a circular chain of causes ends', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    const text = describeError(b);
    assert.equal(text.split('\n').at(-1), 'Error: b');
    assert.equal(text.split('direct cause').length, 2, 'a, then b: each once');
  });
});
