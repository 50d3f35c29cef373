import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pack, unpack, type Packable } from '../src/scripts/pack.js';
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

test('ASCII and non-ASCII strings around the header and copy thresholds arrive intact', async () => {
  // Headers are sized from 3 bytes per unit, so 11 ASCII units get a str8 header: cmsgpack reads it.
  const texts = [10, 11, 47, 48, 85, 86, 21_845, 21_846].flatMap((length) => ['a'.repeat(length), `${'a'.repeat(length - 1)}€`, `€${'b'.repeat(length - 1)}`]);
  assert.deepEqual(asText(await throughLua(texts)), texts);
});

test('bytes arrive byte for byte, numbers as their decimal text, nested arrays as nested tables', async () => {
  const bytes = Buffer.from([0x78, 0x01, 0x00, 0xff, 0x80, 0x0d, 0x0a]);
  const reply = (await throughLua([['job-1', 'tail', '', 300, 'data', bytes], ['job-2', 'front', 1.5, '', 'x', 'y']])) as Buffer[][];
  assert.deepEqual(reply[0]![5], bytes);
  assert.deepEqual(asText(reply), [['job-1', 'tail', '', '300', 'data', bytes.toString('utf8')], ['job-2', 'front', '1.5', '', 'x', 'y']]);
});

/** What Lua's cmsgpack.pack writes for the table the Lua expression `table` builds, read back by unpack. */
async function fromLua(table: string): Promise<unknown> {
  const packed = (await redis.admin.callBuffer('EVAL', `return cmsgpack.pack(${table})`, 0)) as Buffer;
  return asText(unpack(packed));
}

test("unpack reads what Redis' cmsgpack.pack writes: nested arrays, strings of every length, integers, floats", async () => {
  assert.deepEqual(await fromLua("{ { 'finished', 'failed' }, 0, { { 1, 2, 'job-1', { 'status', 'queued', 'data', '' } } } }"), [
    ['finished', 'failed'],
    0,
    [[1, 2, 'job-1', ['status', 'queued', 'data', '']]],
  ]);
  assert.deepEqual(await fromLua('{ 0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -32, -33, -128, -129, -32768, -32769, 1.5, -0.25 }'), [
    0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -32, -33, -128, -129, -32768, -32769, 1.5, -0.25,
  ]);
  for (const length of [0, 31, 32, 255, 256, 65_535, 65_536]) {
    assert.deepEqual(await fromLua(`{ string.rep('x', ${length}) }`), ['x'.repeat(length)], `string of ${length}`);
  }
  for (const length of [15, 16, 65_535, 65_536]) {
    const items = (await fromLua(`(function () local t = {} for i = 1, ${length} do t[i] = i end return t end)()`)) as number[];
    assert.equal(items.length, length);
    assert.equal(items.at(-1), length);
  }
});

test('unpack returns views of the packed bytes, and refuses bytes that end early or are left over', () => {
  const packed = pack([['id', Buffer.from([0, 1, 2])]]);
  const [id, bytes] = (unpack(packed) as Buffer[][])[0]!;
  assert.equal(id!.toString(), 'id');
  assert.equal(bytes!.buffer, packed.buffer, 'a view, not a copy');
  assert.throws(() => unpack(packed.subarray(0, packed.length - 1)), /unexpected end/);
  assert.throws(() => unpack(Buffer.concat([packed, Buffer.from([0])])), /left over/);
  assert.throws(() => unpack(Buffer.from([0xc1])), /unsupported type 0xc1/);
});
