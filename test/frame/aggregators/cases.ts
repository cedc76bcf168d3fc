// A small matrix with zeros, negatives and NaNs as dense, CSR (two row blocks) and CSC chunks, for
// the aggregator tests: 6 cells (the last one skipped) in 2 groups, 3 genes.
import type { MatrixChunk } from "../../../src/io/h5ad/reader.js";
import { type AggFunc, aggregateChunks, aggregateVector } from "../../../src/frame/aggregate.js";

// rows = cells, columns = genes A, B, C
const X = [
  [1, 0, -1],
  [0, 0, 2],
  [3, 0, 5],
  [-2, NaN, 4],
  [NaN, NaN, 0],
  [100, 5, 7],
];
export const groupOf = Int32Array.from([0, 0, 0, 1, 1, -1]);
const nGroups = 2;
const nCols = 3;

function csr(r0: number, r1: number): MatrixChunk {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let r = r0; r < r1; r++) {
    X[r].forEach((v, c) => {
      if (v !== 0) {
        indices.push(c);
        data.push(v);
      }
    });
    indptr.push(indices.length);
  }
  return { kind: "csr", rowStart: r0, rowEnd: r1, indptr: Float64Array.from(indptr), indices: Int32Array.from(indices), data: Float64Array.from(data) };
}

function csc(): MatrixChunk {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let c = 0; c < nCols; c++) {
    X.forEach((row, r) => {
      if (row[c] !== 0) {
        indices.push(r);
        data.push(row[c]);
      }
    });
    indptr.push(indices.length);
  }
  return { kind: "csc", cols: Int32Array.from([0, 1, 2]), indptr: Float64Array.from(indptr), indices: Int32Array.from(indices), data: Float64Array.from(data) };
}

const dense: MatrixChunk = { kind: "dense", rowStart: 0, rowEnd: X.length, nCols, data: Float64Array.from(X.flat()) };

/** The aggregator's table (out[gene][group]) from each chunk kind and from the obs-vector path. */
export function tables(agg: AggFunc): Record<"dense" | "csr" | "csc" | "vector", number[][]> {
  const colMap = Int32Array.from([0, 1, 2]);
  const byGene = (t: ArrayLike<number>) => [0, 1, 2].map((j) => Array.from(t).slice(j * nGroups, (j + 1) * nGroups));
  return {
    dense: byGene(aggregateChunks([dense], groupOf, nGroups, colMap, nCols, agg)),
    csr: byGene(aggregateChunks([csr(0, 3), csr(3, 6)], groupOf, nGroups, colMap, nCols, agg)),
    csc: byGene(aggregateChunks([csc()], groupOf, nGroups, colMap, nCols, agg)),
    vector: [0, 1, 2].map((j) => Array.from(aggregateVector(X.map((row) => row[j]), groupOf, nGroups, agg))),
  };
}
