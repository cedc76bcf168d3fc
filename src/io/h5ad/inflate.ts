// zlib (RFC 1950) decompression, synchronous, for the `uncompress` a blosc plugin calls on its zlib-codec
// chunks (plugins.ts). A plugin calls it from inside HDF5's read, so it cannot wait for the browser's
// asynchronous DecompressionStream; fflate's synchronous inflate does the deflate stream (in Node and in
// the page alike, so the Node tests cover the page's path). fflate does not check the stream's Adler-32:
// that is done here.
import { inflateSync } from "fflate";

/** Decompress zlib-format bytes (2-byte header, deflate stream, Adler-32 checked); throws on bad input. */
export function inflateZlib(src: Uint8Array): Uint8Array {
  if (src.length < 6 || (src[0] & 0x0f) !== 8 || ((src[0] << 8) | src[1]) % 31 !== 0 || src[1] & 0x20) throw new Error("inflate: not a zlib stream");
  let out: Uint8Array;
  try {
    out = inflateSync(src.subarray(2, src.length - 4));
  } catch (e) {
    throw new Error(`inflate: ${(e as Error).message}`, { cause: e });
  }
  const end = src.length - 4;
  const want = ((src[end] << 24) | (src[end + 1] << 16) | (src[end + 2] << 8) | src[end + 3]) >>> 0;
  if (adler32(out) !== want) throw new Error("inflate: Adler-32 check failed");
  return out;
}

function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; ) {
    const end = Math.min(b.length, i + 5552);
    for (; i < end; i++) {
      a += b[i];
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}
