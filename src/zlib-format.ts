/**
 * The zlib streams of RQ's `data` field (and of error texts): written cheaply, read by anyone.
 *
 * Node's `deflateSync` sets up a zlib stream for every call, about 12 µs even for the 40 bytes of
 * a typical job, more than the rest of an enqueue. A small payload gains nothing from
 * compression, so it is written as zlib's "stored" form instead: the same zlib header, the bytes
 * as they are in stored deflate blocks, and the Adler-32 checksum. Python's `zlib.decompress`
 * (RQ's reader) and every other zlib reader take it like any zlib stream. Larger payloads are
 * compressed (level 1). Reading, stored streams are unwrapped here and others go to `inflateSync`,
 * never past {@link MAX_INFLATED_BYTES}. Pure functions, no Redis.
 */
import { deflateSync, inflateSync } from 'node:zlib';

/** Largest field rq-ts inflates, in bytes: a zlib bomb fails the job instead of the worker. */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** Payloads below this many bytes are stored; from it on they are compressed. */
export const STORE_BELOW_BYTES = 1024;

/** zlib level 1: about twice as fast as the default level, nearly as small on job data. */
const DEFLATE_OPTIONS = { level: 1 };

/** Largest stored deflate block. */
const MAX_BLOCK = 0xffff;

/** Adler-32's modulus, and how many bytes can be summed before its sums must be reduced. */
const ADLER_MOD = 65521;
const ADLER_NMAX = 5552;

/** zlib's header for a deflate stream with a 32 KiB window, "fastest" level, no dictionary. */
const HEADER = [0x78, 0x01] as const;

/** `payload` as a zlib stream: stored when small, compressed otherwise. */
export function zlibWrap(payload: Buffer): Buffer {
  if (payload.length >= STORE_BELOW_BYTES) return deflateSync(payload, DEFLATE_OPTIONS);
  return storedZlib(payload);
}

/** `payload` in zlib's stored form (no compression): header, stored blocks, Adler-32. */
export function storedZlib(payload: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(payload.length / MAX_BLOCK));
  const out = Buffer.allocUnsafe(2 + blocks * 5 + payload.length + 4);
  out[0] = HEADER[0];
  out[1] = HEADER[1];
  let at = 2;
  for (let block = 0, start = 0; block < blocks; block++, start += MAX_BLOCK) {
    const length = Math.min(MAX_BLOCK, payload.length - start);
    out[at] = block === blocks - 1 ? 1 : 0; // BFINAL on the last block; BTYPE 00, stored
    out.writeUInt16LE(length, at + 1);
    out.writeUInt16LE(~length & 0xffff, at + 3);
    payload.copy(out, at + 5, start, start + length);
    at += 5 + length;
  }
  out.writeUInt32BE(adler32(payload), at);
  return out;
}

/**
 * The bytes inside a zlib stream. A stream of stored blocks is unwrapped here; any other goes to
 * `inflateSync`, with `maxOutputLength`. Throws what `inflateSync` throws for bytes that are not
 * zlib (callers fall back to the raw bytes, as RQ's readers do).
 */
export function zlibUnwrap(data: Buffer, maxOutputLength: number): Buffer {
  return unwrapStored(data) ?? inflateSync(data, { maxOutputLength });
}

/** zlib-inflated UTF-8 text (an error text), or the bytes as text when they are not zlib, as RQ's readers do. */
export function inflateText(data: Buffer): string {
  try {
    return zlibUnwrap(data, MAX_INFLATED_BYTES).toString('utf8');
  } catch {
    return data.toString('utf8');
  }
}

/** The payload of a zlib stream made only of stored blocks with a right checksum; else undefined. */
function unwrapStored(data: Buffer): Buffer | undefined {
  if (data.length < 11 || (data[0]! & 0x0f) !== 8 || ((data[0]! << 8) | data[1]!) % 31 !== 0 || (data[1]! & 0x20) !== 0) return undefined;
  const parts: Buffer[] = [];
  let at = 2;
  for (;;) {
    if (at + 5 > data.length) return undefined;
    const header = data[at]!;
    if ((header & 0x06) !== 0) return undefined; // a compressed block: not ours to read
    const length = data.readUInt16LE(at + 1);
    if ((length ^ data.readUInt16LE(at + 3)) !== 0xffff || at + 5 + length > data.length) return undefined;
    parts.push(data.subarray(at + 5, at + 5 + length));
    at += 5 + length;
    if (header & 1) break;
  }
  if (at + 4 !== data.length) return undefined;
  const payload = parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts);
  return adler32(payload) === data.readUInt32BE(at) ? payload : undefined;
}

/** zlib's Adler-32 checksum of `bytes`. */
export function adler32(bytes: Buffer): number {
  let a = 1;
  let b = 0;
  for (let start = 0; start < bytes.length; start += ADLER_NMAX) {
    const end = Math.min(start + ADLER_NMAX, bytes.length);
    for (let i = start; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= ADLER_MOD;
    b %= ADLER_MOD;
  }
  return ((b << 16) | a) >>> 0;
}
