import { describe, expect, it } from "vitest";
import { zMoments, zParams, zScoreInto, zScoreRowsInto } from "../../src/stats/standardize.js";

describe("z-scoring", () => {
  it("zMoments: count, mean and sd (ddof 1) of the non-NaN values, with no threshold", () => {
    // 1, 2, 4, NaN: mean 7/3, var ((16 + 1 + 25) / 9) / 2 = 7/3
    const m = zMoments(Float64Array.of(1, 2, NaN, 4));
    expect(m.n).toBe(3);
    expect(m.mean).toBeCloseTo(7 / 3, 15);
    expect(m.sd).toBeCloseTo(Math.sqrt(7 / 3), 15);
    expect(m.scale).toBe(1);
    expect(zMoments(Float64Array.of(5, 5, 5)).sd).toBe(0);
    expect(zParams(Float64Array.of(5, 5, 5), 1e-12)).toBeNull();
  });

  it("beyond 1e150 the moments are of values / max|v|, the sd threshold on the original scale", () => {
    const v = Float64Array.of(1e300, -1e300, 2e300);
    const m = zMoments(v);
    expect(m.scale).toBe(2e300);
    expect(m.mean).toBeCloseTo(1 / 3, 15);
    expect(m.sd).toBeCloseTo(Math.sqrt(((1 / 6) ** 2 + (5 / 6) ** 2 + (2 / 3) ** 2) / 2), 15);
    expect(zParams(v, 1e-8)).toEqual({ mean: m.mean, sd: m.sd, scale: m.scale });
  });

  it("zScoreRowsInto: the z-scores of the chosen rows, to the last bit or one ulp of zScoreInto's", () => {
    const v = Float64Array.of(0.3, 1.7, NaN, 2.9, -4.1, 1e-3);
    const z = zParams(v, 1e-12)!;
    const all = new Float64Array(v.length);
    zScoreInto(v, z, all, 0);
    const rows = Int32Array.of(5, 0, 3);
    const out = new Float64Array(3);
    zScoreRowsInto(v, z, rows, out);
    rows.forEach((r, i) => expect(Math.abs(out[i] - all[r])).toBeLessThanOrEqual(2 * Number.EPSILON * Math.abs(all[r])));
    expect(out[1]).toBe((0.3 - z.mean) * (1 / z.sd));
  });
});
