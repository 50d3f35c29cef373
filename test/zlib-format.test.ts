import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync, inflateSync } from 'node:zlib';
import { STORE_BELOW_BYTES, adler32, storedZlib, zlibUnwrap, zlibWrap } from '../src/zlib-format.js';

const MAX = 1 << 26;

function bytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + (i >> 7)) & 0xff;
  return out;
}

test('adler32 matches known checksums', () => {
  assert.equal(adler32(Buffer.alloc(0)), 1);
  assert.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398);
  // Past the 5552-byte reduction boundary, all 0xff: the sums must be reduced in time.
  assert.equal(adler32(Buffer.alloc(100_000, 0xff)), inflateAdler(Buffer.alloc(100_000, 0xff)));
});

/** The Adler-32 that Node's own zlib writes at the end of a stream. */
function inflateAdler(payload: Buffer): number {
  const stream = deflateSync(payload);
  return stream.readUInt32BE(stream.length - 4);
}

test('a stored stream is read back by zlib itself, whatever its length (one block, several, empty)', () => {
  for (const length of [0, 1, 40, STORE_BELOW_BYTES - 1, 65_535, 65_536, 200_001]) {
    const payload = bytes(length);
    const stream = storedZlib(payload);
    assert.deepEqual(inflateSync(stream), payload, `length ${length}`);
    assert.deepEqual(zlibUnwrap(stream, MAX), payload, `length ${length}`);
  }
});

test('small payloads are stored, large ones compressed, and both read back', () => {
  const small = Buffer.from(JSON.stringify(['tasks.add', null, [2, 3], {}]));
  assert.deepEqual(zlibWrap(small), storedZlib(small));
  const large = Buffer.from('x'.repeat(STORE_BELOW_BYTES * 4));
  const packed = zlibWrap(large);
  assert.ok(packed.length < large.length / 10, 'compressed');
  assert.deepEqual(zlibUnwrap(packed, MAX), large);
  assert.deepEqual(zlibUnwrap(deflateSync(small, { level: 9 }), MAX), small, "a compressed stream (Python's) reads too");
});

test('a stored stream with a wrong checksum or a cut end is not taken as stored: zlib rejects it', () => {
  const stream = storedZlib(Buffer.from('["tasks.add", null, [1], {}]'));
  const corrupt = Buffer.from(stream);
  corrupt[corrupt.length - 1] = corrupt.at(-1)! ^ 1;
  assert.throws(() => zlibUnwrap(corrupt, MAX), /incorrect data check/);
  assert.throws(() => zlibUnwrap(stream.subarray(0, stream.length - 2), MAX), /unexpected end of file/);
  assert.throws(() => zlibUnwrap(Buffer.from('["tasks.add", null, [1], {}]'), MAX), /incorrect header check/);
});

test('the output cap still holds for compressed streams', () => {
  const bomb = deflateSync(Buffer.alloc(1 << 20));
  assert.throws(() => zlibUnwrap(bomb, 1024), (error: NodeJS.ErrnoException) => error.code === 'ERR_BUFFER_TOO_LARGE');
});
