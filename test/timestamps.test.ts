/**
 * RQ's timestamp text (src/timestamps.ts), without Redis: every form RQ and Python write is read
 * to the millisecond, the fast reading of the usual 27-character form agrees with the pattern, and
 * what is not a timestamp is unset.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTimestamp, parseTimestamp } from '../src/timestamps.js';

test('reads RQ\'s timestamps with 0 to 6 fraction digits, cut to milliseconds', () => {
  const cases: Array<[string, string]> = [
    ['2026-12-03T16:05:09.123456Z', '2026-12-03T16:05:09.123Z'],
    ['2026-12-03T16:05:09.999999Z', '2026-12-03T16:05:09.999Z'],
    ['2026-12-03T16:05:09.000000Z', '2026-12-03T16:05:09.000Z'],
    ['2026-02-28T23:59:59.5Z', '2026-02-28T23:59:59.500Z'],
    ['2024-02-29T00:00:00.12Z', '2024-02-29T00:00:00.120Z'],
    ['1999-12-31T23:59:59Z', '1999-12-31T23:59:59.000Z'],
  ];
  for (const [text, iso] of cases) assert.equal(parseTimestamp(text)?.toISOString(), iso, text);
  // Each case read again after two other texts (the last two are remembered): read anew.
  for (const [text, iso] of cases) {
    parseTimestamp('2000-01-01T00:00:00.000000Z');
    parseTimestamp('2000-01-02T00:00:00.000000Z');
    assert.equal(parseTimestamp(text)?.toISOString(), iso, text);
  }
  // And remembered ones alternating, as a worker reads created_at, started_at, last_heartbeat, enqueued_at.
  const [created, started] = ['2026-12-03T16:05:09.100000Z', '2026-12-03T16:05:10.200000Z'];
  const iso = { [created]: '2026-12-03T16:05:09.100Z', [started]: '2026-12-03T16:05:10.200Z' };
  for (const text of [created, started, started, created, started, created]) assert.equal(parseTimestamp(text)?.toISOString(), iso[text]);
});

test('a remembered timestamp comes back as a new Date each time: changing one changes no other', () => {
  const text = '2026-12-03T16:05:09.123456Z';
  const first = parseTimestamp(text)!;
  first.setTime(0);
  assert.equal(parseTimestamp(text)?.toISOString(), '2026-12-03T16:05:09.123Z');
  assert.notEqual(parseTimestamp(text), parseTimestamp(text));
});

test('text of 27 characters that is not a timestamp is unset, as any other', () => {
  for (const text of [
    '2026-12-03T16:05:09.12345xZ', // a fraction digit that is not a digit
    '2026-12-03 16:05:09.123456Z', // a space for T
    '2026-12-03T16:05:09,123456Z',
    '2026-12-03T16:05:09.123456+',
    '2O26-12-03T16:05:09.123456Z', // a letter O in the year
    'abcdefghijklmnopqrstuvwxyz0',
    '',
    'yesterday',
  ]) {
    assert.equal(parseTimestamp(text), undefined, text);
  }
  assert.equal(parseTimestamp(undefined), undefined);
});

test('what formatTimestamp writes reads back to the same millisecond', () => {
  for (const ms of [0, 1, 999, 1_700_000_000_123, Date.UTC(2026, 11, 31, 23, 59, 59, 999)]) {
    const date = new Date(ms);
    const text = formatTimestamp(date);
    assert.equal(text.length, 27);
    assert.equal(parseTimestamp(text)?.getTime(), ms, text);
  }
});
