/**
 * Script arguments packed as MessagePack, which Redis' Lua reads with `cmsgpack.unpack`.
 *
 * Each argument of a command costs the client a protocol header and a copy, and the server a
 * parse and a Lua string: a batch of 1000 jobs as separate arguments is 30,000 of them. Packed, it
 * is one argument, built in one pass over one buffer. Only what the scripts need is encoded:
 * arrays, and strings or bytes (both become MessagePack `str`, which Lua reads as a string;
 * numbers are sent as their decimal text, as Redis would receive them anyway). Pure, no Redis.
 */

/** What {@link pack} encodes: text, bytes, numbers (as text), and arrays of them. */
export type Packable = string | number | Buffer | readonly Packable[];

/** `value` as MessagePack bytes. */
export function pack(value: Packable): Buffer {
  const out = Buffer.allocUnsafe(packedSize(value));
  write(value, out, 0);
  return out;
}

function packedSize(value: Packable): number {
  if (typeof value === 'string') {
    const length = Buffer.byteLength(value);
    return strHeaderSize(length) + length;
  }
  if (typeof value === 'number') return packedSize(String(value));
  if (Buffer.isBuffer(value)) return strHeaderSize(value.length) + value.length;
  let size = value.length < 16 ? 1 : value.length < 0x10000 ? 3 : 5;
  for (const item of value) size += packedSize(item);
  return size;
}

function strHeaderSize(length: number): number {
  return length < 32 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

function write(value: Packable, out: Buffer, at: number): number {
  if (typeof value === 'string') return writeString(value, out, at);
  if (typeof value === 'number') return writeString(String(value), out, at);
  if (Buffer.isBuffer(value)) {
    at = writeStrHeader(value.length, out, at);
    value.copy(out, at);
    return at + value.length;
  }
  const length = value.length;
  if (length < 16) {
    out[at++] = 0x90 | length;
  } else if (length < 0x10000) {
    out[at] = 0xdc;
    out.writeUInt16BE(length, at + 1);
    at += 3;
  } else {
    out[at] = 0xdd;
    out.writeUInt32BE(length, at + 1);
    at += 5;
  }
  for (const item of value) at = write(item, out, at);
  return at;
}

function writeString(text: string, out: Buffer, at: number): number {
  at = writeStrHeader(Buffer.byteLength(text), out, at);
  return at + out.write(text, at, 'utf8');
}

function writeStrHeader(length: number, out: Buffer, at: number): number {
  if (length < 32) {
    out[at] = 0xa0 | length;
    return at + 1;
  }
  if (length < 0x100) {
    out[at] = 0xd9;
    out[at + 1] = length;
    return at + 2;
  }
  if (length < 0x10000) {
    out[at] = 0xda;
    out.writeUInt16BE(length, at + 1);
    return at + 3;
  }
  out[at] = 0xdb;
  out.writeUInt32BE(length, at + 1);
  return at + 5;
}
