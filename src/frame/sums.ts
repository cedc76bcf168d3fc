// The streaming sum kernels of the sum aggregators (mean, pct_pos, ...): per group and output column,
// the sum of value(x) over the finite stored values x and, only when a NaN is met, the NaN count.
//
// Memory: one Float64Array of nGroups x nOut (a Float32Array when a float32 matrix has one cell per
// group), plus, only when a NaN is met, one of NaN counts, and for CSR tables over 4 MB a group-major
// twin of each; independent of the number of cells. The stored values are added directly from each
// chunk, with no per-value allocation.
import type { MatrixChunk, NumArray } from "../io/h5ad/reader.js";
import type { FeatureValues } from "../types.js";
import type { SumAggregator } from "./aggregators/index.js";

/** Above this size (4 MB, about a core's share of cache) CSR blocks are summed group-major. */
const GROUP_MAJOR_BYTES = 1 << 22;

/** Running sums (feature-major, or group-major for sumCsrByGroup) and the NaN counts, made when a NaN is met. */
interface Sums {
  acc: FeatureValues;
  nan: Float64Array | null;
  nGroups: number;
  value: ((x: number) => number) | null; // the aggregator's per-value transform (null: x itself)
}

/**
 * The aggregator's table over the chunks: feature-major out[j * nGroups + g]. Float64, but float32 when
 * `float32` is set and every group is one cell (each sum is then one stored float32 value).
 */
export function sumChunks(
  chunks: Iterable<MatrixChunk>,
  agg: SumAggregator,
  groupOf: Int32Array,
  nGroups: number,
  colMap: Int32Array,
  nOut: number,
  nCells: Float64Array,
  float32: boolean,
): FeatureValues {
  // a float32 matrix whose every group is one cell (a pseudobulk file): each sum is one stored value,
  // exact in float32, so the table is float32 too: half the memory to touch (and fresh pages are dear)
  const compact = float32 && nCells.every((c) => c === 1);
  const acc = compact ? new Float32Array(nGroups * nOut) : new Float64Array(nGroups * nOut); // feature-major: acc[c * nGroups + g]
  const sums: Sums = { acc, nan: null, nGroups, value: agg.value ?? null };
  // Large tables, CSR: summed group-major (a group's run of nOut) with each block's rows taken in
  // group order, so that a run stays in cache across the group's rows; transposed at the end.
  const byGroup = nGroups * nOut * 8 > GROUP_MAJOR_BYTES;
  let gm: Sums | null = null;
  let rowOrder = new Int32Array(0);
  // one small function per chunk kind: each is optimised on its own (one big loop nest deoptimised at
  // every new branch and ran boxed, allocating, in between)
  for (const ch of chunks) {
    if (ch.kind === "csr") {
      if (byGroup) {
        gm ??= { acc: new Float64Array(nGroups * nOut), nan: null, nGroups, value: sums.value };
        if (rowOrder.length < ch.rowEnd - ch.rowStart) rowOrder = new Int32Array(ch.rowEnd - ch.rowStart);
        sumCsrByGroup(ch, gm, groupOf, colMap, nOut, rowOrder);
      } else sumCsr(ch, sums, groupOf, colMap);
    } else if (ch.kind === "dense") sumDense(ch, sums, groupOf, colMap);
    else sumCsc(ch, sums, groupOf, colMap);
  }
  if (gm) {
    addTransposed(gm.acc, acc, nGroups, nOut);
    if (gm.nan) addTransposed(gm.nan, nanCounts(sums), nGroups, nOut);
  }
  for (let j = 0; j < nOut; j++) finishColumn(sums, agg.finish, nCells, j * nGroups, float32);
  return acc;
}

function nanCounts(s: Sums): Float64Array {
  return (s.nan ??= new Float64Array(s.acc.length));
}

/** CSR rows into a feature-major table small enough to stay in cache. */
function sumCsr(ch: Extract<MatrixChunk, { kind: "csr" }>, s: Sums, groupOf: Int32Array, colMap: Int32Array): void {
  const { indptr, indices, data } = ch;
  const { acc, nGroups, value } = s;
  const nr = ch.rowEnd - ch.rowStart;
  for (let r = 0; r < nr; r++) {
    const g = groupOf[ch.rowStart + r];
    if (g < 0) continue;
    const k1 = indptr[r + 1];
    for (let k = indptr[r]; k < k1; k++) {
      const c = colMap[indices[k]];
      if (c < 0) continue;
      const v = data[k];
      const o = c * nGroups + g;
      if (v === v) acc[o] += value === null ? v : value(v);
      else nanCounts(s)[o]++;
    }
  }
}

/**
 * CSR rows into a group-major table (gm.acc[g * nOut + c]), the block's rows
 * taken in group order: a group's run of the table (nOut values) then stays in cache while its rows
 * stream past. With 20,000 genes the feature-major table is tens of MB, and adding rows into it in
 * file order missed the cache on nearly every value (29 M values/s on a 4.5 GiB file).
 */
function sumCsrByGroup(ch: Extract<MatrixChunk, { kind: "csr" }>, gm: Sums, groupOf: Int32Array, colMap: Int32Array, nOut: number, order: Int32Array): void {
  const { indptr, indices, data } = ch;
  const { acc, value } = gm;
  const kept = orderByGroup(ch, groupOf, gm.nGroups, order);
  const all = value === null && isIdentity(colMap, nOut); // every column, in order (the default scan): no lookup
  for (let t = 0; t < kept; t++) {
    const r = order[t];
    const base = groupOf[ch.rowStart + r] * nOut;
    const k0 = indptr[r];
    const k1 = indptr[r + 1];
    if (all) addRow(acc, base, indices, data, k0, k1, gm);
    else
      for (let k = k0; k < k1; k++) {
        const c = colMap[indices[k]];
        if (c < 0) continue;
        const v = data[k];
        if (v === v) acc[base + c] += value === null ? v : value(v);
        else nanCounts(gm)[base + c]++;
      }
  }
}

/** The block's kept rows in group order into `order` (a counting sort); returns how many. */
function orderByGroup(ch: Extract<MatrixChunk, { kind: "csr" }>, groupOf: Int32Array, nGroups: number, order: Int32Array): number {
  const nr = ch.rowEnd - ch.rowStart;
  const count = new Int32Array(nGroups + 1);
  for (let r = 0; r < nr; r++) {
    const g = groupOf[ch.rowStart + r];
    if (g >= 0) count[g + 1]++;
  }
  for (let g = 0; g < nGroups; g++) count[g + 1] += count[g];
  const kept = count[nGroups];
  for (let r = 0; r < nr; r++) {
    const g = groupOf[ch.rowStart + r];
    if (g >= 0) order[count[g]++] = r;
  }
  return kept;
}

/** acc[base + indices[k]] += data[k] for k in [k0, k1), NaN counted apart. */
function addRow(acc: FeatureValues, base: number, indices: Int32Array, data: NumArray, k0: number, k1: number, gm: Sums): void {
  for (let k = k0; k < k1; k++) {
    const v = data[k];
    if (v === v) acc[base + indices[k]] += v;
    else nanCounts(gm)[base + indices[k]]++;
  }
}

/** colMap maps column j to output j, for every column. */
function isIdentity(colMap: Int32Array, nOut: number): boolean {
  if (colMap.length !== nOut) return false;
  for (let j = 0; j < nOut; j++) if (colMap[j] !== j) return false;
  return true;
}

/** out[c * rows + r] += src[r * cols + c], in tiles that stay in cache. */
function addTransposed(src: FeatureValues, out: FeatureValues, rows: number, cols: number): void {
  const T = 64;
  for (let r0 = 0; r0 < rows; r0 += T)
    for (let c0 = 0; c0 < cols; c0 += T) {
      const r1 = Math.min(rows, r0 + T);
      const c1 = Math.min(cols, c0 + T);
      for (let c = c0; c < c1; c++) for (let r = r0; r < r1; r++) out[c * rows + r] += src[r * cols + c];
    }
}

/** Dense rows, in column tiles: the tile's output columns stay in cache while the chunk's rows stream past. */
function sumDense(ch: Extract<MatrixChunk, { kind: "dense" }>, s: Sums, groupOf: Int32Array, colMap: Int32Array): void {
  const { data, nCols: nc } = ch;
  const { acc, nGroups, value } = s;
  const nr = ch.rowEnd - ch.rowStart;
  let m = 0;
  for (let j = 0; j < nc; j++) if (colMap[j] >= 0) m++;
  const sel = new Int32Array(m);
  const out = new Float64Array(m);
  for (let j = 0, t = 0; j < nc; j++)
    if (colMap[j] >= 0) {
      sel[t] = j;
      out[t++] = colMap[j] * nGroups;
    }
  const TILE = 256;
  for (let t0 = 0; t0 < m; t0 += TILE) {
    const t1 = Math.min(m, t0 + TILE);
    for (let r = 0; r < nr; r++) {
      const g = groupOf[ch.rowStart + r];
      if (g < 0) continue;
      const row = r * nc;
      for (let t = t0; t < t1; t++) {
        const v = data[row + sel[t]];
        const o = out[t] + g;
        if (v === v) acc[o] += value === null ? v : value(v);
        else nanCounts(s)[o]++;
      }
    }
  }
}

/** CSC columns: each column's cells added to that column's run of the table. */
function sumCsc(ch: Extract<MatrixChunk, { kind: "csc" }>, s: Sums, groupOf: Int32Array, colMap: Int32Array): void {
  const { indptr, indices, cols, data } = ch;
  const { acc, nGroups, value } = s;
  for (let t = 0; t < cols.length; t++) {
    const c = colMap[cols[t]];
    if (c < 0) continue;
    const base = c * nGroups;
    const k1 = indptr[t + 1];
    for (let k = indptr[t]; k < k1; k++) {
      const g = groupOf[indices[k]];
      if (g < 0) continue;
      const v = data[k];
      if (v === v) acc[base + g] += value === null ? v : value(v);
      else nanCounts(s)[base + g]++;
    }
  }
}

/** One column's sums to results, in place; NaN where a group has no finite value. */
function finishColumn(s: Sums, finish: SumAggregator["finish"], nCells: Float64Array, base: number, f32: boolean): void {
  const { acc, nan, nGroups } = s;
  for (let g = 0; g < nGroups; g++) {
    const n = nCells[g] - (nan ? nan[base + g] : 0);
    // a store per branch: `x = n > 0 ? ... : NaN` boxed every value in V8 11 (a HeapNumber each)
    if (!(n > 0)) acc[base + g] = NaN;
    else acc[base + g] = finish(acc[base + g], n, f32);
  }
}
