// median: the group's median over its finite values (pandas groupby().median()). Its own path: the
// stored values of the selected columns in the kept cells are gathered per column (12 bytes each:
// value + group), i.e. bounded by nnz(selected columns of kept cells) for sparse input and by kept
// cells x selected columns for dense input; implicit zeros of sparse matrices are counted, not stored.
import type { MatrixChunk, NumArray } from "../../io/h5ad/reader.js";
import type { OwnAggregator } from "./types.js";

export const median: OwnAggregator<"median"> = {
  name: "median",
  kind: "own",
  chunks(chunks, groupOf, nGroups, colMap, nOut, nCells, float32) {
    const cols: GrowF64[] = Array.from({ length: nOut }, () => new GrowF64());
    for (const ch of chunks) gather(ch, groupOf, colMap, cols);
    const out = new Float64Array(nGroups * nOut);
    for (let j = 0; j < nOut; j++) {
      columnMedians(cols[j], nGroups, nCells, out.subarray(j * nGroups, (j + 1) * nGroups));
      cols[j] = new GrowF64(); // release memory as we go
    }
    // numpy's median of a float32 column is float32 (the middle pair averaged in float32)
    if (float32) for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]);
    return out;
  },
  vector(values, groupOf, nGroups, out) {
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
  },
};

/** A growing list of (value, group) pairs: one selected column's stored values. */
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

/** The chunk's stored values of the selected columns in the kept cells, appended per output column. */
function gather(ch: MatrixChunk, groupOf: Int32Array, colMap: Int32Array, cols: GrowF64[]): void {
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

/** One column's per-group medians into out[g], the group's implicit zeros included. */
function columnMedians(col: GrowF64, nGroups: number, nCells: Float64Array, out: Float64Array): void {
  const stored = new Int32Array(nGroups);
  const nanCnt = new Int32Array(nGroups);
  for (let k = 0; k < col.n; k++) {
    if (col.v[k] !== col.v[k]) nanCnt[col.g[k]]++;
    else stored[col.g[k]]++;
  }
  const start = new Int32Array(nGroups + 1);
  for (let g = 0; g < nGroups; g++) start[g + 1] = start[g] + stored[g];
  const buf = new Float64Array(start[nGroups]);
  const fill = start.slice(0, nGroups);
  for (let k = 0; k < col.n; k++) {
    const v = col.v[k];
    if (v === v) buf[fill[col.g[k]]++] = v;
  }
  for (let g = 0; g < nGroups; g++) {
    const s = buf.subarray(start[g], start[g + 1]).sort();
    out[g] = medianWithZeros(s, s.length, nCells[g] - stored[g] - nanCnt[g]);
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
