/**
 * Redis server time (server-time.ts, scripts/server-time.lib.lua): the clock of every time that
 * other processes compare.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, useRedis } from './harness/index.js';

const redis = useRedis();

describe('server-time.lib.lua', () => {
  test("writes RQ's timestamp text, as Python's utcformat, for any date: leap days, centuries, 1970, 9999", async () => {
    const lib = readFileSync(join(ROOT, 'src', 'scripts', 'server-time.lib.lua'), 'utf8');
    const script = `${lib}\nlocal out = {}\nfor i = 1, #ARGV, 2 do out[#out + 1] = timestamp_text(tonumber(ARGV[i]), tonumber(ARGV[i + 1])) end\nreturn out`;
    const cases: Array<[number, number, string]> = [
      [0, 0, '1970-01-01T00:00:00.000000Z'],
      [86_399, 999_999, '1970-01-01T23:59:59.999999Z'],
      [-1, 500_000, '1969-12-31T23:59:59.500000Z'],
      [68_169_600, 1, '1972-02-29T00:00:00.000001Z'],
      [951_782_400, 123_456, '2000-02-29T00:00:00.123456Z'],
      [951_868_799, 0, '2000-02-29T23:59:59.000000Z'],
      [1_709_251_200, 42, '2024-03-01T00:00:00.000042Z'],
      [1_796_222_371, 354_918, '2026-12-02T14:39:31.354918Z'],
      [4_107_456_000, 0, '2100-02-28T00:00:00.000000Z'],
      [4_107_542_400, 0, '2100-03-01T00:00:00.000000Z'],
      [253_402_300_799, 999_999, '9999-12-31T23:59:59.999999Z'],
    ];
    const out = (await redis.admin.eval(script, 0, ...cases.flatMap(([seconds, micros]) => [seconds, micros]))) as string[];
    assert.deepEqual(out, cases.map(([, , text]) => text));
  });
});
