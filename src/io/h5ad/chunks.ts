// X (or a layer) streamed in blocks: dense and CSR as row blocks, CSC as column blocks. Never the
// whole matrix at once; with `reuse`, every block is read in place into the same buffers on
// h5wasm's heap (blocks.ts). Sparse blocks are checked as they are read (indptr monotone, indices
// in range), so a corrupt file is an H5adError naming the entry, not a wrong result.
import type { ChunkOptions, MatrixChunk, MatrixInfo, NumArray } from "../source.js";
import type { FileAccess, H5Dataset } from "./access.js";
import { HeapBlocks, heapReadable } from "./blocks.js";
import { toFloat64, toInt32, toNum } from "./dtype.js";
import { quiet } from "./timeouts.js";
import { formatBytes } from "../text.js";

/** Stored values of one sparse block (data and indices, on h5wasm's heap): larger row or column ranges are split. */
const MAX_BLOCK_BYTES = 2 ** 29;

/** The blocks of the matrix at `path` (described by `info`): rows of `rowsPerChunk`, or CSC columns within opts' budget. */
export function* matrixChunks(f: FileAccess, path: string, info: MatrixInfo, rowsPerChunk: number, opts: ChunkOptions): Generator<MatrixChunk> {
  const step = Math.max(1, Math.floor(rowsPerChunk));
  const heap = opts.reuse ? new HeapBlocks() : null;
  try {
    if (info.encoding === "dense") yield* denseChunks(f, path, info, step, heap);
    else yield* sparseChunks(f, path, info, step, opts, heap);
  } finally {
    heap?.free();
  }
}

function* denseChunks(f: FileAccess, path: string, info: MatrixInfo, step: number, heap: HeapBlocks | null): Generator<MatrixChunk> {
  const [nr, nc] = info.shape;
  const ds = f.dataset(path, "dense matrix");
  f.checkDeclared(ds, Math.min(step, nr) * nc);
  const inPlace = heap !== null && heapReadable(ds);
  for (let r0 = 0; r0 < nr; r0 += step) {
    const r1 = Math.min(nr, r0 + step);
    let data: NumArray;
    if (inPlace) {
      f.guard(ds, () => heap.read(0, ds, [nr, nc], r0, r1 - r0, quiet));
      data = toNum(heap.view(0));
    } else data = toNum(quiet(() => ds.slice([[r0, r1], []]), (r1 - r0) * nc * 8));
    yield { kind: "dense", rowStart: r0, rowEnd: r1, nCols: nc, data };
  }
}

/** One block of stored values to read, [a, b), and how to make it a chunk. */
interface Block {
  a: number;
  b: number;
  chunk: (data: NumArray, indices: Int32Array) => MatrixChunk;
}

/** A sparse matrix's stored values being streamed. */
interface Stored {
  f: FileAccess;
  path: string;
  info: MatrixInfo;
  data: H5Dataset;
  indices: H5Dataset;
  nnz: number;
  /** The heap buffers to read into, when both datasets can be read in place. */
  heap: HeapBlocks | null;
}

function* sparseChunks(f: FileAccess, path: string, info: MatrixInfo, step: number, opts: ChunkOptions, heap: HeapBlocks | null): Generator<MatrixChunk> {
  const data = f.dataset(`${path}/data`, "sparse data");
  const indices = f.dataset(`${path}/indices`, "sparse indices");
  const inPlace = heap !== null && heapReadable(data) && heapReadable(indices);
  const ptr = toFloat64(f.read(f.dataset(`${path}/indptr`, "sparse indptr")));
  const s: Stored = { f, path, info, data, indices, nnz: data.shape?.[0] ?? 0, heap: inPlace ? heap : null };
  checkIndptr(s, ptr);
  const perValue = data.metadata.size + indices.metadata.size;
  // the blocks first, so that the heap buffers are sized once for the largest
  const plan = info.encoding === "csr_matrix" ? csrBlocks(s, ptr, step, perValue) : cscBlocks(s, ptr, step, perValue, opts);
  if (s.heap) {
    const most = plan.reduce((m, p) => Math.max(m, p.b - p.a), 0);
    const h = s.heap;
    f.guard(data, () => h.reserve(0, most * data.metadata.size));
    f.guard(indices, () => h.reserve(1, most * indices.metadata.size));
  }
  for (const p of plan) {
    const [d, ix] = readStored(s, p.a, p.b);
    yield p.chunk(d, ix);
  }
}

/** indptr: integer offsets, non-decreasing, within the stored values (as many indices as data). */
function checkIndptr(s: Stored, ptr: Float64Array): void {
  if (ptr[ptr.length - 1] > s.nnz || (s.indices.shape?.[0] ?? 0) !== s.nnz) s.f.fail(`/${s.path}`, `indptr/indices/data lengths disagree (data has ${s.nnz} values)`);
  for (let i = 0; i < ptr.length; i++)
    if (!Number.isInteger(ptr[i]) || ptr[i] < (i > 0 ? ptr[i - 1] : 0))
      s.f.fail(`/${s.path}/indptr`, `entry ${i} (${ptr[i]}) ${i > 0 && ptr[i] < ptr[i - 1] ? `is below entry ${i - 1} (${ptr[i - 1]}): indptr must be non-decreasing` : "is not a valid offset"}`);
}

/** CSR: row blocks of `step` rows, split where their stored values would exceed MAX_BLOCK_BYTES. */
function csrBlocks(s: Stored, ptr: Float64Array, step: number, perValue: number): Block[] {
  const nr = s.info.shape[0];
  const plan: Block[] = [];
  for (let r0 = 0; r0 < nr; ) {
    let r1 = Math.min(nr, r0 + step);
    while (r1 > r0 + 1 && (ptr[r1] - ptr[r0]) * perValue > MAX_BLOCK_BYTES) r1 = r0 + Math.ceil((r1 - r0) / 2);
    if ((ptr[r1] - ptr[r0]) * perValue > MAX_BLOCK_BYTES)
      s.f.fail(`/${s.path}/indptr`, `row ${r0} declares ${ptr[r1] - ptr[r0]} stored values (${formatBytes((ptr[r1] - ptr[r0]) * perValue)}), more than one read may hold (${formatBytes(MAX_BLOCK_BYTES)})`);
    const a = ptr[r0];
    const [rowStart, rowEnd] = [r0, r1];
    plan.push({
      a,
      b: ptr[r1],
      chunk: (data, indices) => {
        const indptr = new Float64Array(rowEnd - rowStart + 1);
        for (let i = 0; i <= rowEnd - rowStart; i++) indptr[i] = ptr[rowStart + i] - a;
        return { kind: "csr", rowStart, rowEnd, indptr, indices, data };
      },
    });
    r0 = r1;
  }
  return plan;
}

/** CSC: column blocks (contiguous runs of the wanted columns), each at most maxValues stored values. */
function cscBlocks(s: Stored, ptr: Float64Array, step: number, perValue: number, opts: ChunkOptions): Block[] {
  const nc = s.info.shape[1];
  const maxValues = Math.max(1, opts.maxValues ?? Math.max(1 << 20, step * 64));
  const want: number[] = opts.cols ? Array.from(opts.cols).sort((x, y) => x - y) : Array.from({ length: nc }, (_, i) => i);
  const plan: Block[] = [];
  for (let i = 0, j: number; i < want.length; i = j) {
    j = i + 1;
    while (j < want.length && want[j] === want[j - 1] + 1 && ptr[want[j] + 1] - ptr[want[i]] <= maxValues) j++;
    const c0 = want[i];
    const c1 = want[j - 1] + 1;
    if ((ptr[c1] - ptr[c0]) * perValue > Math.max(MAX_BLOCK_BYTES, maxValues * perValue))
      s.f.fail(`/${s.path}/indptr`, `column ${c0} declares ${ptr[c1] - ptr[c0]} stored values (${formatBytes((ptr[c1] - ptr[c0]) * perValue)}), more than one read may hold`);
    const a = ptr[c0];
    plan.push({
      a,
      b: ptr[c1],
      chunk: (data, indices) => {
        const cols = new Int32Array(c1 - c0);
        const indptr = new Float64Array(c1 - c0 + 1);
        for (let k = 0; k < c1 - c0; k++) cols[k] = c0 + k;
        for (let k = 0; k <= c1 - c0; k++) indptr[k] = ptr[c0 + k] - a;
        return { kind: "csc", cols, indptr, indices, data };
      },
    });
  }
  return plan;
}

/** Stored values a..b-1: data and indices (checked to lie in range), in place on the heap or as copies. */
function readStored(s: Stored, a: number, b: number): [NumArray, Int32Array] {
  if (b <= a) return [new Float32Array(0), new Int32Array(0)];
  let d: NumArray;
  let raw: ArrayLike<number | bigint>;
  if (s.heap) {
    const h = s.heap;
    // both reads first: the second may grow the heap and detach a view of the first
    s.f.guard(s.data, () => h.read(0, s.data, [s.nnz], a, b - a, quiet));
    s.f.guard(s.indices, () => h.read(1, s.indices, [s.nnz], a, b - a, quiet));
    d = toNum(h.view(0));
    raw = h.view(1);
  } else {
    d = toNum(s.f.read(s.data, [a, b]));
    raw = s.f.read(s.indices, [a, b]) as ArrayLike<number | bigint>;
  }
  checkIndices(s, raw, a);
  return [d, toInt32(raw)];
}

/**
 * Indices within 0..bound-1 (csr indices are columns, csc indices rows). int32 indices (the usual):
 * their range in one branch-free pass; others (which int32 could wrap) and wrong ranges entry by
 * entry, to name the offending entry (`first`: the block's first stored value).
 */
function checkIndices(s: Stored, raw: ArrayLike<number | bigint>, first: number): void {
  const csr = s.info.encoding === "csr_matrix";
  const bound = csr ? s.info.shape[1] : s.info.shape[0];
  let lo = 0;
  let hi = 0;
  const i32 = raw instanceof Int32Array ? raw : null;
  if (i32)
    for (let k = 0; k < i32.length; k++) {
      const x = i32[k];
      lo = x < lo ? x : lo;
      hi = x > hi ? x : hi;
    }
  if (!i32 || lo < 0 || hi >= bound)
    for (let k = 0; k < raw.length; k++) {
      const x = Number(raw[k]);
      if (!(x >= 0 && x < bound)) s.f.fail(`/${s.path}/indices`, `entry ${first + k} is ${x}, outside 0..${bound - 1} (${csr ? "n_vars" : "n_obs"} = ${bound})`);
    }
}
