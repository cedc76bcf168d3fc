// aggregateChunks on tables large enough for the group-major CSR path (> 4 MB), against a direct sum
// of the same values, and dense / CSR / CSC chunks of one matrix against each other.
import { describe, it, expect } from "vitest";
import { aggregateChunks } from "../../src/frame/aggregate.js";
import type { MatrixChunk } from "../../src/io/h5ad/reader.js";
import { fitMixedTable } from "../../src/models/mixed/index.js";
import type { AnalysisFrame } from "../../src/types.js";

/** A seeded sparse matrix (rows x cols, density d) with some NaNs and negatives, as CSR row blocks. */
function sparseCase(rows: number, cols: number, d: number, seed: number) {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const dense = new Float64Array(rows * cols);
  for (let i = 0; i < dense.length; i++) if (rnd() < d) dense[i] = rnd() < 0.01 ? NaN : Math.fround((rnd() - 0.3) * 5);
  const chunks: MatrixChunk[] = [];
  const step = 97;
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    const indptr = [0];
    const indices: number[] = [];
    const data: number[] = [];
    for (let r = r0; r < r1; r++) {
      for (let c = 0; c < cols; c++) {
        const v = dense[r * cols + c];
        if (v !== 0) {
          indices.push(c);
          data.push(v);
        }
      }
      indptr.push(indices.length);
    }
    chunks.push({ kind: "csr", rowStart: r0, rowEnd: r1, indptr: Float64Array.from(indptr), indices: Int32Array.from(indices), data: Float64Array.from(data) });
  }
  return { dense, chunks, rnd };
}

describe("aggregateChunks", () => {
  it("CSR blocks into a large table (7 MB: summed group-major in group order, then transposed) give the direct per-group means, NaN skipped, columns permuted and dropped", () => {
    const rows = 1200;
    const cols = 3100;
    const nGroups = 300;
    const { dense, chunks, rnd } = sparseCase(rows, cols, 0.04, 7);
    const groupOf = new Int32Array(rows).map(() => (rnd() < 0.05 ? -1 : Math.floor(rnd() * nGroups)));
    // output column t <- matrix column perm[t]; every 10th matrix column dropped
    const kept = Array.from({ length: cols }, (_, c) => c).filter((c) => c % 10 !== 3);
    const perm = kept.map((c, i) => kept[(i * 7919) % kept.length]);
    const colMap = new Int32Array(cols).fill(-1);
    perm.forEach((c, t) => (colMap[c] = t));
    const nOut = perm.length;
    expect(nGroups * nOut * 8).toBeGreaterThan(4 << 20); // the group-major path
    for (const agg of ["mean", "pct_pos"] as const) {
      const got = aggregateChunks(chunks, groupOf, nGroups, colMap, nOut, agg);
      let worst = 0;
      let finite = 0;
      for (let t = 0; t < nOut; t += 13) {
        const c = perm[t];
        const sum = new Float64Array(nGroups);
        const n = new Float64Array(nGroups);
        for (let r = 0; r < rows; r++) {
          const g = groupOf[r];
          const v = dense[r * cols + c];
          if (g < 0 || v !== v) continue;
          sum[g] += agg === "mean" ? v : v > 0 ? 1 : 0;
          n[g]++;
        }
        for (let g = 0; g < nGroups; g++) {
          const want = n[g] > 0 ? (agg === "mean" ? sum[g] / n[g] : (100 * sum[g]) / n[g]) : NaN;
          const v = got[t * nGroups + g];
          if (Number.isNaN(want)) expect(v).toBeNaN();
          else {
            finite++;
            worst = Math.max(worst, Math.abs(v - want));
          }
        }
      }
      expect(finite).toBeGreaterThan(10000);
      expect(worst).toBeLessThan(1e-12);
    }
  });

  it("the same matrix as dense, CSR and CSC chunks aggregates to the same table", () => {
    const rows = 700;
    const cols = 2000;
    const nGroups = 400; // 6.4 MB: group-major on the CSR side
    const { dense, chunks, rnd } = sparseCase(rows, cols, 0.05, 11);
    const groupOf = new Int32Array(rows).map(() => Math.floor(rnd() * nGroups));
    const colMap = new Int32Array(cols).map((_, c) => c);
    const denseChunks: MatrixChunk[] = [{ kind: "dense", rowStart: 0, rowEnd: rows, nCols: cols, data: dense }];
    const cscIndptr = [0];
    const cscIdx: number[] = [];
    const cscData: number[] = [];
    for (let c = 0; c < cols; c++) {
      for (let r = 0; r < rows; r++) if (dense[r * cols + c] !== 0) {
        cscIdx.push(r);
        cscData.push(dense[r * cols + c]);
      }
      cscIndptr.push(cscIdx.length);
    }
    const csc: MatrixChunk[] = [{ kind: "csc", cols: Int32Array.from({ length: cols }, (_, c) => c), indptr: Float64Array.from(cscIndptr), indices: Int32Array.from(cscIdx), data: Float64Array.from(cscData) }];
    const a = aggregateChunks(denseChunks, groupOf, nGroups, colMap, cols, "mean");
    const b = aggregateChunks(chunks, groupOf, nGroups, colMap, cols, "mean");
    const c = aggregateChunks(csc, groupOf, nGroups, colMap, cols, "mean");
    const close = (x: Float64Array, y: Float64Array) => x.every((v, i) => (Number.isNaN(v) ? Number.isNaN(y[i]) : Math.abs(v - y[i]) < 1e-12));
    expect(close(a, b)).toBe(true);
    expect(close(a, c)).toBe(true);
  });

  it("a float32 matrix with one cell per group gives a float32 table of the stored values, NaN and implicit zeros kept", () => {
    const rows = 40;
    const cols = 30;
    const { dense, chunks } = sparseCase(rows, cols, 0.5, 3);
    const groupOf = new Int32Array(rows).map((_, i) => (i * 7) % rows); // one cell per group, shuffled
    const colMap = new Int32Array(cols).map((_, c) => c);
    for (const agg of ["mean", "pct_pos"] as const) {
      const compact = aggregateChunks(chunks, groupOf, rows, colMap, cols, agg, { float32: true });
      const wide = aggregateChunks(chunks, groupOf, rows, colMap, cols, agg, { float32: false });
      expect(compact).toBeInstanceOf(Float32Array);
      expect(wide).toBeInstanceOf(Float64Array);
      for (let c = 0; c < cols; c++)
        for (let r = 0; r < rows; r++) {
          const v = dense[r * cols + c];
          const want = agg === "mean" ? v : v !== v ? NaN : v > 0 ? 100 : 0;
          const got = compact[c * rows + groupOf[r]];
          if (Number.isNaN(want)) expect(got).toBeNaN();
          else expect(got).toBe(want);
          expect(Object.is(wide[c * rows + groupOf[r]], got) || (Number.isNaN(got) && Number.isNaN(wide[c * rows + groupOf[r]]))).toBe(true);
        }
    }
    // two cells in a group: float64 again
    const two = groupOf.slice();
    two[1] = two[0];
    expect(aggregateChunks(chunks, two, rows, colMap, cols, "mean", { float32: true })).toBeInstanceOf(Float64Array);
  });

  it("a scan of float32 feature columns equals the scan of the same values in float64", () => {
    const P = 12;
    const participant: string[] = [];
    const visit: string[] = [];
    const arm: string[] = [];
    for (let p = 0; p < P; p++)
      for (const v of ["Pre", "Post"]) {
        participant.push(`P${p}`);
        visit.push(v);
        arm.push(p < P / 2 ? "Treated" : "Control");
      }
    let s = 5;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const f32 = Array.from({ length: 25 }, () => Float32Array.from({ length: 2 * P }, () => rnd() * 4 - 1));
    const frame = (values: (Float32Array | Float64Array)[]): AnalysisFrame => ({
      unit: "participant_visit", participant, visit, arm, covariates: [], features: values.map((_, i) => `g${i}`), values,
    });
    const opts = { visits: ["Pre", "Post"] as [string, string], treated: "Treated" };
    const a = fitMixedTable(frame(f32), opts).rows;
    const b = fitMixedTable(frame(f32.map((v) => Float64Array.from(v))), opts).rows;
    expect(a).toEqual(b);
    expect(a.filter((r) => Number.isFinite(r.beta_DiD)).length).toBe(25);
  });
});
