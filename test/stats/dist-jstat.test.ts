// Cross-check of src/stats/dist.ts against jstat where jstat is accurate. jstat's normal cdf (an erfc
// series) agrees to ~1e-14 for |z| <= 3 and ~5e-13 for |z| <= 4, but loses digits beyond (1e-10 at
// |z| = 6, 2% at z = -8);
// its Student t cdf (incomplete beta by continued fraction) to ~1e-7 at best, and its upper tail
// 1 - cdf cancels (2.8% off at t = 8, df = 1000); its normal quantile to ~1e-13 for p in [1e-5, 1 - 1e-5].
// So: the central ranges only, jstat's own accuracy as the tolerance; the tails are checked against
// mpmath references in dist.test.ts.
import { describe, expect, it } from "vitest";
import jStatModule from "jstat";
import { normalCdf, normalQuantile, normalTwoSided, normalUpper, tTwoSided } from "../../src/stats/dist.js";

const jStat = jStatModule as unknown as {
  normal: { cdf(x: number, mean: number, sd: number): number; inv(p: number, mean: number, sd: number): number };
  studentt: { cdf(x: number, df: number): number };
};
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const grid = (lo: number, hi: number, step: number) => Array.from({ length: Math.round((hi - lo) / step) + 1 }, (_, i) => lo + i * step);

describe("dist.ts against jstat (central ranges)", () => {
  it("normal cdf, upper tail and two-sided p agree to 1e-12 relative for |z| <= 4", () => {
    for (const z of grid(-4, 4, 0.05)) {
      const j = jStat.normal.cdf(z, 0, 1);
      expect(rel(normalCdf(z), j), `z=${z}`).toBeLessThan(1e-12);
      expect(rel(normalUpper(-z), j), `z=${z}`).toBeLessThan(1e-12);
      expect(rel(normalTwoSided(z), 2 * jStat.normal.cdf(-Math.abs(z), 0, 1)), `z=${z}`).toBeLessThan(1e-12);
    }
  });
  it("normal quantile agrees to 1e-12 for p in [1e-5, 1 - 1e-5]", () => {
    for (const p of [1e-5, 1e-4, 1e-3, 0.01, 0.025, 0.05, ...grid(0.1, 0.9, 0.05), 0.95, 0.975, 0.99, 0.999, 1 - 1e-4, 1 - 1e-5]) {
      const x = normalQuantile(p);
      expect(Math.abs(x - jStat.normal.inv(p, 0, 1)), `p=${p}`).toBeLessThan(1e-12 * Math.max(1, Math.abs(x)));
    }
  });
  it("Student t two-sided p agrees to 1e-6 relative for df in [1, 1000], |t| <= 8 (jstat: 2 cdf(-|t|))", () => {
    for (const df of [1, 1.5, 2, 3, 4.7, 5, 10, 12.3, 30, 44, 100, 250, 1000])
      for (const t of [0, ...grid(0.1, 8, 0.3)]) {
        const j = 2 * jStat.studentt.cdf(-t, df);
        expect(rel(tTwoSided(t, df), j), `t=${t} df=${df}`).toBeLessThan(1e-6);
        expect(rel(tTwoSided(-t, df), j), `t=${-t} df=${df}`).toBeLessThan(1e-6);
      }
  });
});
