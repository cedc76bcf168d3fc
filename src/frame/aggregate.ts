// Streaming per-group aggregation of matrix chunks (mean, median, pct_pos) and of obs vectors.
//
// Groups are given per cell (`groupOf[cell]` in 0..nGroups-1, or -1 to skip the cell); output
// columns per matrix column (`colMap[col]` in 0..nOut-1, or -1 to skip). Results are
// feature-major: out[j * nGroups + g] (column j of the analysis frame is a contiguous run). Missing values (NaN) are skipped as pandas does; a group
// without any finite value gives NaN.
//
// Memory:
// - mean / pct_pos: one Float64Array of nGroups x nOut (a Float32Array when a float32 matrix has one
//   cell per group), plus, only when a NaN is met, one of NaN counts, and for CSR tables over 4 MB a
//   group-major twin of each; independent of the number of cells. The stored values are added
//   directly from each chunk, with no per-value allocation.
// - median: the stored values of the selected columns in the kept cells are gathered per
//   column (12 bytes each: value + group), i.e. bounded by nnz(selected columns of kept cells)
//   for sparse input and by kept cells x selected columns for dense input; implicit zeros of
//   sparse matrices are counted, not stored.
import type { MatrixChunk, NumArray } from "../io/h5ad/reader.js";
import type { FeatureValues } from "../types.js";

/** The aggregation functions of participant-visit rows, in the order the CLI and the page list them. */
export const AGG_FUNCS = ["mean", "median", "pct_pos"] as const;
export type AggFunc = (typeof AGG_FUNCS)[number];

/** Cells per group (groupOf[i] = -1 skips cell i). */
export function groupSizes(groupOf: Int32Array, nGroups: number): Float64Array {
  const n = new Float64Array(nGroups);
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i];
    if (g >= 0) n[g]++;
  }
  return n;
}

class GrowF64 {
  v = new Float64Array(16);
  g = new Int32Array(16);
  n = 0;
  push(x: number, g: number): void {
    if (this.n === this.v.length) {
      const v2 = new Float64Array(this.n * 2);
      v2.set(this.v);
      this.v = v2;
      const g2 = new Int32Array(this.n * 2);
      g2.set(this.g);
      this.g = g2;
    }
    this.v[this.n] = x;
    this.g[this.n++] = g;
  }
}

/** Median of sorted finite values `s[0..m)` plus `zeros` implicit zeros (NaN if empty). */
function medianWithZeros(s: Float64Array, m: number, zeros: number): number {
  const total = m + zeros;
  if (total === 0) return NaN;
  // position of the zeros in the merged order: after the negatives
  let neg = 0;
  while (neg < m && s[neg] < 0) neg++;
  const at = (k: number): number => (k < neg ? s[k] : k < neg + zeros ? 0 : s[k - zeros]);
  const h = total >> 1;
  return total % 2 === 1 ? at(h) : (at(h - 1) + at(h)) / 2;
}

/**
 * Aggregate matrix chunks per group. `nCells[g]` (groupSizes) counts the cells of each
 * group, including those whose stored entries are implicit zeros. Float64, but float32 when
 * `float32` is set and every group is one cell (the values are then float32 already).
 */
export function aggregateChunks(
  chunks: Iterable<MatrixChunk>,
  groupOf: Int32Array,
  nGroups: number,
  colMap: Int32Array,
  nOut: number,
  agg: AggFunc,
  opts: { float32?: boolean } = {},
): FeatureValues {
  const nCells = groupSizes(groupOf, nGroups);
  const f32 = opts.float32 === true && agg === "mean";
  if (agg === "median") {
    const med = medianChunks(chunks, groupOf, nGroups, colMap, nOut, nCells);
    // numpy's median of a float32 column is float32 (the middle pair averaged in float32)
    if (opts.float32 === true) for (let i = 0; i < med.length; i++) med[i] = Math.fround(med[i]);
    return med;
  }
  // a float32 matrix whose every group is one cell (a pseudobulk file): each sum is one stored value,
  // exact in float32, so the table is float32 too: half the memory to touch (and fresh pages are dear)
  const compact = opts.float32 === true && nCells.every((c) => c === 1);
  const acc = compact ? new Float32Array(nGroups * nOut) : new Float64Array(nGroups * nOut); // feature-major: acc[c * nGroups + g]
  const sums: Sums = { acc, nan: null, nGroups, pos: agg === "pct_pos" };
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
        gm ??= { acc: new Float64Array(nGroups * nOut), nan: null, nGroups, pos: sums.pos };
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
  finishMeans(sums, nCells, nOut, f32);
  return acc;
}

/** Running sums (feature-major, or group-major for sumCsrByGroup) and the NaN counts, made when a NaN is met. */
interface Sums {
  acc: FeatureValues;
  nan: Float64Array | null;
  nGroups: number;
  pos: boolean; // pct_pos: count the positive values
}

function nanCounts(s: Sums): Float64Array {
  return (s.nan ??= new Float64Array(s.acc.length));
}

/** CSR rows into a feature-major table small enough to stay in cache. */
function sumCsr(ch: Extract<MatrixChunk, { kind: "csr" }>, s: Sums, groupOf: Int32Array, colMap: Int32Array): void {
  const { indptr, indices, data } = ch;
  const { acc, nGroups, pos } = s;
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
      if (v === v) acc[o] += pos ? (v > 0 ? 1 : 0) : v;
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
  const { acc, pos, nGroups } = gm;
  const nr = ch.rowEnd - ch.rowStart;
  // counting sort of the block's rows by group
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
  const all = !pos && isIdentity(colMap, nOut); // every column, in order (the default scan): no lookup
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
        if (v === v) acc[base + c] += pos ? (v > 0 ? 1 : 0) : v;
        else nanCounts(gm)[base + c]++;
      }
  }
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
  const { acc, nGroups, pos } = s;
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
        if (v === v) acc[o] += pos ? (v > 0 ? 1 : 0) : v;
        else nanCounts(s)[o]++;
      }
    }
  }
}

/** CSC columns: each column's cells added to that column's run of the table. */
function sumCsc(ch: Extract<MatrixChunk, { kind: "csc" }>, s: Sums, groupOf: Int32Array, colMap: Int32Array): void {
  const { indptr, indices, cols, data } = ch;
  const { acc, nGroups, pos } = s;
  for (let t = 0; t < cols.length; t++) {
    const c = colMap[cols[t]];
    if (c < 0) continue;
    const base = c * nGroups;
    const k1 = indptr[t + 1];
    for (let k = indptr[t]; k < k1; k++) {
      const g = groupOf[indices[k]];
      if (g < 0) continue;
      const v = data[k];
      if (v === v) acc[base + g] += pos ? (v > 0 ? 1 : 0) : v;
      else nanCounts(s)[base + g]++;
    }
  }
}

/** Sums to means (or percentages), in place; NaN where a group has no finite value. */
function finishMeans(s: Sums, nCells: Float64Array, nOut: number, f32: boolean): void {
  for (let j = 0; j < nOut; j++) finishColumn(s, nCells, j * s.nGroups, f32);
}

function finishColumn(s: Sums, nCells: Float64Array, base: number, f32: boolean): void {
  const { acc, nan, nGroups, pos } = s;
  for (let g = 0; g < nGroups; g++) {
    const n = nCells[g] - (nan ? nan[base + g] : 0);
    const a = acc[base + g];
    // a store per branch: `x = n > 0 ? ... : NaN` boxed every value in V8 11 (a HeapNumber each)
    if (!(n > 0)) acc[base + g] = NaN;
    else if (pos) acc[base + g] = (100 * a) / n;
    else if (f32) acc[base + g] = Math.fround(Math.fround(a) / n);
    else acc[base + g] = a / n;
  }
}

/** Above this size (4 MB, about a core's share of cache) CSR blocks are summed group-major. */
const GROUP_MAJOR_BYTES = 1 << 22;

function medianChunks(
  chunks: Iterable<MatrixChunk>,
  groupOf: Int32Array,
  nGroups: number,
  colMap: Int32Array,
  nOut: number,
  nCells: Float64Array,
): Float64Array {
  const cols: GrowF64[] = Array.from({ length: nOut }, () => new GrowF64());
  for (const ch of chunks) {
    const data: NumArray = ch.data;
    if (ch.kind === "csr") {
      const nr = ch.rowEnd - ch.rowStart;
      for (let r = 0; r < nr; r++) {
        const g = groupOf[ch.rowStart + r];
        if (g < 0) continue;
        for (let k = ch.indptr[r]; k < ch.indptr[r + 1]; k++) {
          const c = colMap[ch.indices[k]];
          if (c >= 0) cols[c].push(data[k], g);
        }
      }
    } else if (ch.kind === "dense") {
      const nr = ch.rowEnd - ch.rowStart;
      for (let r = 0; r < nr; r++) {
        const g = groupOf[ch.rowStart + r];
        if (g < 0) continue;
        for (let j = 0; j < ch.nCols; j++) {
          const c = colMap[j];
          if (c >= 0) cols[c].push(data[r * ch.nCols + j], g);
        }
      }
    } else {
      for (let t = 0; t < ch.cols.length; t++) {
        const c = colMap[ch.cols[t]];
        if (c < 0) continue;
        for (let k = ch.indptr[t]; k < ch.indptr[t + 1]; k++) {
          const g = groupOf[ch.indices[k]];
          if (g >= 0) cols[c].push(data[k], g);
        }
      }
    }
  }
  const out = new Float64Array(nGroups * nOut);
  const stored = new Int32Array(nGroups);
  const nanCnt = new Int32Array(nGroups);
  const start = new Int32Array(nGroups + 1);
  for (let j = 0; j < nOut; j++) {
    const col = cols[j];
    stored.fill(0);
    nanCnt.fill(0);
    for (let k = 0; k < col.n; k++) {
      if (col.v[k] !== col.v[k]) nanCnt[col.g[k]]++;
      else stored[col.g[k]]++;
    }
    start[0] = 0;
    for (let g = 0; g < nGroups; g++) start[g + 1] = start[g] + stored[g];
    const buf = new Float64Array(start[nGroups]);
    const fill = start.slice(0, nGroups);
    for (let k = 0; k < col.n; k++) {
      const v = col.v[k];
      if (v === v) buf[fill[col.g[k]]++] = v;
    }
    for (let g = 0; g < nGroups; g++) {
      const s = buf.subarray(start[g], start[g + 1]).sort();
      const zeros = nCells[g] - stored[g] - nanCnt[g];
      out[j * nGroups + g] = medianWithZeros(s, s.length, zeros);
    }
    cols[j] = new GrowF64(); // release memory as we go
  }
  return out;
}

/** Aggregate one per-cell vector (an obs feature or covariate) per group; NaN skipped. */
export function aggregateVector(values: ArrayLike<number>, groupOf: Int32Array, nGroups: number, agg: AggFunc): Float64Array {
  const out = new Float64Array(nGroups);
  aggregateVectorInto(values, groupOf, nGroups, agg, out, new Float64Array(nGroups));
  return out;
}

/**
 * aggregateVector into `out` (nGroups values, zeroed), with `count` (nGroups, any contents) as scratch:
 * a table of 100,000 obs features is aggregated into one block, without two fresh arrays a feature.
 */
export function aggregateVectorInto(values: ArrayLike<number>, groupOf: Int32Array, nGroups: number, agg: AggFunc, out: Float64Array, count: Float64Array): void {
  if (agg === "median") {
    const cnt = new Int32Array(nGroups + 1);
    for (let i = 0; i < groupOf.length; i++) if (groupOf[i] >= 0 && values[i] === values[i]) cnt[groupOf[i] + 1]++;
    for (let g = 0; g < nGroups; g++) cnt[g + 1] += cnt[g];
    const buf = new Float64Array(cnt[nGroups]);
    const fill = cnt.slice(0, nGroups);
    for (let i = 0; i < groupOf.length; i++) {
      const g = groupOf[i];
      if (g >= 0 && values[i] === values[i]) buf[fill[g]++] = values[i];
    }
    for (let g = 0; g < nGroups; g++) {
      const s = buf.subarray(cnt[g], cnt[g + 1]).sort();
      out[g] = medianWithZeros(s, s.length, 0);
    }
    return;
  }
  count.fill(0);
  const pct = agg === "pct_pos";
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i];
    const v = values[i];
    if (g < 0 || v !== v) continue;
    count[g]++;
    if (pct) {
      if (v > 0) out[g]++;
    } else out[g] += v;
  }
  for (let g = 0; g < nGroups; g++) out[g] = count[g] > 0 ? (pct ? (100 * out[g]) / count[g] : out[g] / count[g]) : NaN;
}
