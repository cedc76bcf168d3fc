import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { applyFdr, bhAdjust } from "../../src/stats/fdr.js";

describe("applyFdr (Benjamini-Hochberg, NaN-aware)", () => {
  it("matches statsmodels multipletests(fdr_bh) on the finite subset", () => {
    // finite p = [0.01, 0.04, 0.03, 0.5, 0.02, 0.9] (m = 6); by hand:
    // sorted 0.01,0.02,0.03,0.04,0.5,0.9 -> p*m/rank = 0.06,0.06,0.06,0.06,0.6,0.9
    const p = [0.01, NaN, 0.04, 0.03, NaN, 0.5, 0.02, 0.9];
    const q = applyFdr(p);
    const want = [0.06, NaN, 0.06, 0.06, NaN, 0.6, 0.06, 0.9];
    want.forEach((w, i) => (Number.isNaN(w) ? expect(q[i]).toBeNaN() : expect(q[i]).toBeCloseTo(w, 15)));
  });
  it("step-up minimum and cap at 1", () => {
    // sorted 0.001,0.008,0.039,0.041,0.042,0.06,0.074,0.205 (m = 8)
    const p = [0.205, 0.074, 0.06, 0.042, 0.041, 0.039, 0.008, 0.001, Infinity];
    const q = applyFdr(p);
    const m = 8;
    const raw = [0.001 * m, (0.008 * m) / 2, (0.039 * m) / 3, (0.041 * m) / 4, (0.042 * m) / 5, (0.06 * m) / 6, (0.074 * m) / 7, 0.205];
    const adj = raw.slice();
    for (let i = adj.length - 2; i >= 0; i--) adj[i] = Math.min(adj[i], adj[i + 1]);
    const sortedP = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205];
    sortedP.forEach((sp, r) => expect(q[p.indexOf(sp)]).toBeCloseTo(adj[r], 14));
    expect(q[8]).toBeNaN();
    expect(applyFdr([0.9, 0.95])[1]).toBe(0.95);
    expect(applyFdr([0.8, 0.9, 0.99]).every((v) => v <= 1)).toBe(true);
  });
  it("all NaN / empty", () => {
    expect(Array.from(applyFdr([NaN, NaN])).every(Number.isNaN)).toBe(true);
    expect(applyFdr([]).length).toBe(0);
  });
  it("is monotone in p, >= p and <= 1", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(NaN)), { maxLength: 60 }), (p) => {
        const q = applyFdr(p);
        const idx = p.map((_, i) => i).filter((i) => Number.isFinite(p[i]));
        for (const i of idx) {
          if (!(q[i] >= p[i] - 1e-15 && q[i] <= 1)) return false;
          for (const j of idx) if (p[i] < p[j] && q[i] > q[j] + 1e-15) return false;
        }
        return p.every((v, i) => Number.isFinite(v) || Number.isNaN(q[i]));
      }),
    );
  });
});

describe("bhAdjust", () => {
  it("is the tables' FDR (applyFdr)", () => {
    expect(applyFdr).toBe(bhAdjust);
  });
  it("keeps NaN as NaN and matches the step-up min(1, p m / rank) to 2 ulp (the page's former copy)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(NaN)), { maxLength: 60 }), (p) => {
        const q = bhAdjust(p);
        // the textbook form: sorted ascending, running minimum from the largest p down
        const idx = p.map((v, i) => [v, i] as const).filter(([v]) => Number.isFinite(v)).sort((a, b) => a[0] - b[0]);
        const want = new Array<number>(p.length).fill(NaN);
        let run = 1;
        for (let k = idx.length - 1; k >= 0; k--) {
          run = Math.min(run, (idx[k][0] * idx.length) / (k + 1));
          want[idx[k][1]] = run;
        }
        return want.every((w, i) => (Number.isNaN(w) ? Number.isNaN(q[i]) : Math.abs(q[i] - w) <= 4.5e-16 * w + 1e-322)); // subnormal p: a few of the smallest doubles
      }),
    );
  });
});
