// zlib (RFC 1950/1951) decompression, synchronous, for the `uncompress` a blosc plugin calls on
// its zlib-codec chunks (plugins.ts). A plugin calls it from inside HDF5's read, so it cannot wait
// for the browser's asynchronous DecompressionStream; the same code runs in Node, so the Node tests
// cover the page's path. Canonical Huffman decoding as in zlib's contrib/puff.

/** A canonical Huffman code: how many codes of each length, and the symbols in code order. */
interface Huffman {
  count: Uint16Array;
  symbol: Uint16Array;
}

function huffman(lengths: ArrayLike<number>, n: number): Huffman {
  const count = new Uint16Array(16);
  for (let i = 0; i < n; i++) count[lengths[i]]++;
  const offs = new Uint16Array(16);
  for (let len = 1; len < 15; len++) offs[len + 1] = offs[len] + count[len];
  const symbol = new Uint16Array(n);
  for (let i = 0; i < n; i++) if (lengths[i] !== 0) symbol[offs[lengths[i]]++] = i;
  count[0] = 0;
  return { count, symbol };
}

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

let fixed: [Huffman, Huffman] | null = null;
function fixedCodes(): [Huffman, Huffman] {
  if (!fixed) {
    const l = new Uint8Array(288);
    l.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    fixed = [huffman(l, 288), huffman(new Uint8Array(30).fill(5), 30)];
  }
  return fixed;
}

class Inflater {
  pos: number;
  private bitBuf = 0;
  private bitCnt = 0;
  out: Uint8Array;
  n = 0;

  constructor(
    private src: Uint8Array,
    start: number,
  ) {
    this.pos = start;
    this.out = new Uint8Array(Math.max(1024, src.length * 4));
  }

  bits(need: number): number {
    let v = this.bitBuf;
    while (this.bitCnt < need) {
      if (this.pos >= this.src.length) throw new Error("inflate: input ends early");
      v |= this.src[this.pos++] << this.bitCnt;
      this.bitCnt += 8;
    }
    this.bitBuf = v >>> need;
    this.bitCnt -= need;
    return v & ((1 << need) - 1);
  }

  private room(k: number): void {
    if (this.n + k <= this.out.length) return;
    const bigger = new Uint8Array(Math.max(this.out.length * 2, this.n + k));
    bigger.set(this.out.subarray(0, this.n));
    this.out = bigger;
  }

  private decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= this.bits(1);
      const c = h.count[len];
      if (code - c < first) return h.symbol[index + (code - first)];
      index += c;
      first = (first + c) << 1;
      code <<= 1;
    }
    throw new Error("inflate: invalid Huffman code");
  }

  stored(): void {
    this.bitBuf = 0;
    this.bitCnt = 0;
    const s = this.src;
    if (this.pos + 4 > s.length) throw new Error("inflate: input ends early");
    const len = s[this.pos] | (s[this.pos + 1] << 8);
    if ((len ^ 0xffff) !== (s[this.pos + 2] | (s[this.pos + 3] << 8))) throw new Error("inflate: bad stored block length");
    this.pos += 4;
    if (this.pos + len > s.length) throw new Error("inflate: input ends early");
    this.room(len);
    this.out.set(s.subarray(this.pos, this.pos + len), this.n);
    this.n += len;
    this.pos += len;
  }

  codes(lit: Huffman, dist: Huffman): void {
    for (;;) {
      let sym = this.decode(lit);
      if (sym < 256) {
        this.room(1);
        this.out[this.n++] = sym;
      } else if (sym === 256) return;
      else {
        sym -= 257;
        if (sym >= 29) throw new Error("inflate: invalid length code");
        const len = LEN_BASE[sym] + this.bits(LEN_EXTRA[sym]);
        const ds = this.decode(dist);
        if (ds >= 30) throw new Error("inflate: invalid distance code");
        const d = DIST_BASE[ds] + this.bits(DIST_EXTRA[ds]);
        if (d > this.n) throw new Error("inflate: distance before the start");
        this.room(len);
        const o = this.out;
        for (let k = 0, from = this.n - d; k < len; k++) o[this.n++] = o[from + k];
      }
    }
  }

  dynamic(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new Error("inflate: bad code counts");
    const lengths = new Uint8Array(320);
    for (let i = 0; i < ncode; i++) lengths[CL_ORDER[i]] = this.bits(3);
    const cl = huffman(lengths, 19);
    lengths.fill(0);
    for (let i = 0; i < nlen + ndist; ) {
      const sym = this.decode(cl);
      if (sym < 16) lengths[i++] = sym;
      else {
        let len = 0;
        let rep: number;
        if (sym === 16) {
          if (i === 0) throw new Error("inflate: repeat with no first length");
          len = lengths[i - 1];
          rep = 3 + this.bits(2);
        } else rep = sym === 17 ? 3 + this.bits(3) : 11 + this.bits(7);
        if (i + rep > nlen + ndist) throw new Error("inflate: too many lengths");
        while (rep-- > 0) lengths[i++] = len;
      }
    }
    this.codes(huffman(lengths, nlen), huffman(lengths.subarray(nlen), ndist));
  }
}

/** Decompress zlib-format bytes (2-byte header, deflate stream, Adler-32 checked); throws on bad input. */
export function inflateZlib(src: Uint8Array): Uint8Array {
  if (src.length < 6 || (src[0] & 0x0f) !== 8 || ((src[0] << 8) | src[1]) % 31 !== 0 || src[1] & 0x20) throw new Error("inflate: not a zlib stream");
  const z = new Inflater(src, 2);
  let last = 0;
  while (!last) {
    last = z.bits(1);
    const type = z.bits(2);
    if (type === 0) z.stored();
    else if (type === 1) z.codes(...fixedCodes());
    else if (type === 2) z.dynamic();
    else throw new Error("inflate: invalid block type");
  }
  const out = z.out.subarray(0, z.n);
  const end = z.pos;
  if (end + 4 > src.length) throw new Error("inflate: input ends early");
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
