/**
 * Script arguments and replies packed as MessagePack, which Redis' Lua reads and writes with
 * `cmsgpack.unpack` and `cmsgpack.pack`.
 *
 * Each argument of a command costs the client a protocol header and a copy, and the server a
 * parse and a Lua string: a batch of 1000 jobs as separate arguments is 30,000 of them. Packed, it
 * is one argument, built in one pass over one buffer. Only what the scripts need is encoded:
 * arrays, and strings or bytes (both become MessagePack `str`, which Lua reads as a string;
 * numbers are sent as their decimal text, as Redis would receive them anyway).
 *
 * Replies likewise: a worker's step returns up to a hundred job hashes, thousands of values. As a
 * nested Redis reply, ioredis' parser makes an array or Buffer for each and keeps partial replies
 * in long-lived state, so much of it survives young-generation collections (measured: scavenges
 * of 10-20 ms every 75 ms at 25 jobs per reply); packed, it is one bulk string that
 * {@link unpack} reads in one pass (0.5 ms scavenges, twice the replies per second). Pure, no Redis.
 */

/** What {@link pack} encodes: text, bytes, numbers (as text), and arrays of them. */
export type Packable = string | number | Buffer | readonly Packable[];

/**
 * `value` as MessagePack bytes, written in one pass into a scratch buffer that grows as needed and
 * is reused by the next call, then copied out at its exact size.
 *
 * A string's length header is sized before its bytes are written, from the most bytes its UTF-16
 * units can take in UTF-8 (three each), and then filled in with the real length: a short string
 * whose bound reaches 32 bytes gets a str8 header instead of a fixstr. MessagePack allows such
 * non-minimal forms and cmsgpack reads them; measuring each string first (Buffer.byteLength) cost
 * a second pass over every string of a batch.
 */
export function pack(value: Packable): Buffer {
  const w: Writer = { out: scratch, at: 0 };
  write(value, w);
  scratch = w.out.length > SCRATCH_KEEP ? Buffer.allocUnsafe(SCRATCH_START) : w.out;
  return Buffer.from(w.out.subarray(0, w.at));
}

interface Writer {
  out: Buffer;
  at: number;
}

/** Reused by every pack(); kept at the largest size needed so far, up to SCRATCH_KEEP. */
const SCRATCH_START = 64 * 1024;
const SCRATCH_KEEP = 16 * 1024 * 1024;
let scratch: Buffer = Buffer.allocUnsafe(SCRATCH_START);

/** Makes room for `bytes` more bytes at w.at. */
function reserve(w: Writer, bytes: number): void {
  if (w.at + bytes <= w.out.length) return;
  const grown = Buffer.allocUnsafe(Math.max(w.out.length * 2, w.at + bytes));
  w.out.copy(grown, 0, 0, w.at);
  w.out = grown;
}

function write(value: Packable, w: Writer): void {
  if (typeof value === 'string') return writeString(value, w);
  if (typeof value === 'number') return writeString(String(value), w);
  if (Buffer.isBuffer(value)) {
    reserve(w, 5 + value.length);
    const header = headerSize(value.length);
    writeStrHeader(value.length, header, w.out, w.at);
    w.at += header;
    w.at += value.copy(w.out, w.at);
    return;
  }
  reserve(w, 5);
  const { out } = w;
  const length = value.length;
  if (length < 16) {
    out[w.at++] = 0x90 | length;
  } else if (length < 0x10000) {
    out[w.at] = 0xdc;
    out.writeUInt16BE(length, w.at + 1);
    w.at += 3;
  } else {
    out[w.at] = 0xdd;
    out.writeUInt32BE(length, w.at + 1);
    w.at += 5;
  }
  for (const item of value) write(item, w);
}

function writeString(text: string, w: Writer): void {
  const bound = text.length * 3;
  reserve(w, 5 + bound);
  const header = headerSize(bound);
  const length = text.length < SHORT ? writeShort(text, w.out, w.at + header) : w.out.write(text, w.at + header, 'utf8');
  writeStrHeader(length, header, w.out, w.at);
  w.at += header + length;
}

/** Below this many units, ASCII is copied by hand: Buffer#write's own cost exceeds the copy's. */
const SHORT = 48;

/** Writes `text` (shorter than SHORT) as UTF-8 at `at`; returns the byte count. */
function writeShort(text: string, out: Buffer, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) return out.write(text, at, 'utf8');
    out[at + i] = unit;
  }
  return text.length;
}

/** Bytes of the smallest str header that can hold `length`. */
function headerSize(length: number): number {
  return length < 32 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

/** Writes a str header of `size` bytes (as headerSize chose, possibly for a larger length) for `length`. */
function writeStrHeader(length: number, size: number, out: Buffer, at: number): void {
  if (size === 1) {
    out[at] = 0xa0 | length;
  } else if (size === 2) {
    out[at] = 0xd9;
    out[at + 1] = length;
  } else if (size === 3) {
    out[at] = 0xda;
    out.writeUInt16BE(length, at + 1);
  } else {
    out[at] = 0xdb;
    out.writeUInt32BE(length, at + 1);
  }
}

/** What {@link unpack} returns: strings as Buffers (views into the packed bytes), numbers, booleans, null, arrays and maps. */
export type Unpacked = Buffer | number | boolean | null | Unpacked[] | { [key: string]: Unpacked };

/**
 * Reads MessagePack as Lua's cmsgpack writes it. Strings and binaries come back as Buffers that
 * view `bytes` (no copy); map keys as text.
 * @throws {RangeError} on bytes that are not MessagePack or end early.
 */
export function unpack(bytes: Buffer): Unpacked {
  const reader = { bytes, at: 0 };
  const value = read(reader);
  if (reader.at !== bytes.length) throw new RangeError(`MessagePack: ${bytes.length - reader.at} bytes left over`);
  return value;
}

interface Reader {
  readonly bytes: Buffer;
  at: number;
}

function read(r: Reader): Unpacked {
  const { bytes } = r;
  if (r.at >= bytes.length) throw new RangeError('MessagePack: unexpected end');
  const type = bytes[r.at++]!;
  if (type <= 0x7f) return type;
  if (type >= 0xe0) return type - 0x100;
  if ((type & 0xe0) === 0xa0) return view(r, type & 0x1f);
  if ((type & 0xf0) === 0x90) return readArray(r, type & 0x0f);
  if ((type & 0xf0) === 0x80) return readMap(r, type & 0x0f);
  switch (type) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: case 0xd9: return view(r, advance(r, 1, bytes.readUInt8));
    case 0xc5: case 0xda: return view(r, advance(r, 2, bytes.readUInt16BE));
    case 0xc6: case 0xdb: return view(r, advance(r, 4, bytes.readUInt32BE));
    case 0xca: return advance(r, 4, bytes.readFloatBE);
    case 0xcb: return advance(r, 8, bytes.readDoubleBE);
    case 0xcc: return advance(r, 1, bytes.readUInt8);
    case 0xcd: return advance(r, 2, bytes.readUInt16BE);
    case 0xce: return advance(r, 4, bytes.readUInt32BE);
    case 0xcf: return Number(advance(r, 8, bytes.readBigUInt64BE));
    case 0xd0: return advance(r, 1, bytes.readInt8);
    case 0xd1: return advance(r, 2, bytes.readInt16BE);
    case 0xd2: return advance(r, 4, bytes.readInt32BE);
    case 0xd3: return Number(advance(r, 8, bytes.readBigInt64BE));
    case 0xdc: return readArray(r, advance(r, 2, bytes.readUInt16BE));
    case 0xdd: return readArray(r, advance(r, 4, bytes.readUInt32BE));
    case 0xde: return readMap(r, advance(r, 2, bytes.readUInt16BE));
    case 0xdf: return readMap(r, advance(r, 4, bytes.readUInt32BE));
    default: throw new RangeError(`MessagePack: unsupported type 0x${type.toString(16)}`);
  }
}

/** Reads a fixed-size number at the cursor with `reader` (a Buffer method) and moves past it. */
function advance<T>(r: Reader, size: number, reader: (this: Buffer, offset: number) => T): T {
  if (r.at + size > r.bytes.length) throw new RangeError('MessagePack: unexpected end');
  const value = reader.call(r.bytes, r.at);
  r.at += size;
  return value;
}

function view(r: Reader, length: number): Buffer {
  if (r.at + length > r.bytes.length) throw new RangeError('MessagePack: unexpected end');
  const value = r.bytes.subarray(r.at, r.at + length);
  r.at += length;
  return value;
}

function readArray(r: Reader, length: number): Unpacked[] {
  const items = new Array<Unpacked>(length);
  for (let i = 0; i < length; i++) items[i] = read(r);
  return items;
}

function readMap(r: Reader, length: number): { [key: string]: Unpacked } {
  const map: { [key: string]: Unpacked } = {};
  for (let i = 0; i < length; i++) {
    const key = read(r);
    map[Buffer.isBuffer(key) ? key.toString() : String(key)] = read(r);
  }
  return map;
}
