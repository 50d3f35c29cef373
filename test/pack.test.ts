import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pack, type Packable } from '../src/scripts/pack.js';
import { useRedis } from './harness/index.js';

const redis = useRedis();

/** What Redis' Lua reads from `value`: unpacked with cmsgpack, then returned as a Redis reply. */
async function throughLua(value: Packable): Promise<unknown> {
  return redis.admin.callBuffer('EVAL', 'return cmsgpack.unpack(ARGV[1])', 0, pack(value));
}

function asText(reply: unknown): unknown {
  return Array.isArray(reply) ? reply.map(asText) : Buffer.isBuffer(reply) ? reply.toString('utf8') : reply;
}

test("Redis' cmsgpack reads every length of string and array that pack writes", async () => {
  for (const length of [0, 1, 31, 32, 255, 256, 65_535, 65_536, 100_000]) {
    const text = 'é'.repeat(Math.ceil(length / 2)).slice(0, length);
    assert.deepEqual(asText(await throughLua([text])), [text], `string of ${length} units`);
  }
  for (const length of [0, 1, 15, 16, 65_535, 65_536]) {
    const items = Array.from({ length }, (_, i) => String(i));
    assert.deepEqual(asText(await throughLua(items)), items, `array of ${length}`);
  }
});

test('bytes arrive byte for byte, numbers as their decimal text, nested arrays as nested tables', async () => {
  const bytes = Buffer.from([0x78, 0x01, 0x00, 0xff, 0x80, 0x0d, 0x0a]);
  const reply = (await throughLua([['job-1', 'tail', '', 300, 'data', bytes], ['job-2', 'front', 1.5, '', 'x', 'y']])) as Buffer[][];
  assert.deepEqual(reply[0]![5], bytes);
  assert.deepEqual(asText(reply), [['job-1', 'tail', '', '300', 'data', bytes.toString('utf8')], ['job-2', 'front', '1.5', '', 'x', 'y']]);
});
