import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { normalCdf, normalQuantile, normalTwoSided, normalUpper, tTwoSided, fUpper, chiSqUpper } from "../../src/stats/dist.js";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

// Reference values: mpmath at 40 digits, erfc(z / sqrt 2) and betainc(df/2, 1/2, 0, df/(df+t^2))
// (the same numbers as R's 2*pnorm(-z) and 2*pt(-t, df)).
describe("normalTwoSided", () => {
  const cases: [number, number][] = [
    [0.1, 0.920344325445942],
    [0.5, 0.6170750774519738],
    [1, 0.3173105078629141],
    [1.96, 0.04999579029644087],
    [3, 0.002699796063260189],
    [5, 5.733031437583878e-7],
    [8.5, 1.895906964440663670830e-17], // jstat gives 0 here
    [10, 1.523970604832105e-23],
    [20, 5.507248237212467390e-89],
    [30, 9.813427854296374e-198],
    [37, 1.145114244504915364537e-299],
  ];
  it("matches the erfc references to 1e-14 relative", () => {
    for (const [z, p] of cases) {
      expect(rel(normalTwoSided(z), p), `z=${z}`).toBeLessThan(1e-14);
      expect(rel(normalTwoSided(-z), p), `z=${-z}`).toBeLessThan(1e-14);
    }
  });
  it("is 1 at 0, NaN for NaN, 0 only past the subnormal range", () => {
    expect(normalTwoSided(0)).toBe(1);
    expect(normalTwoSided(NaN)).toBeNaN();
    expect(normalTwoSided(38)).toBeGreaterThan(0);
    expect(rel(normalTwoSided(38), 5.7708567e-316)).toBeLessThan(1e-6); // subnormal: fewer digits
    expect(normalTwoSided(38.4)).toBeGreaterThan(0);
    expect(normalTwoSided(39)).toBe(0);
    expect(normalTwoSided(Infinity)).toBe(0);
  });
  it("is monotone decreasing in |z| and within (0, 1]", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 38, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (z, dz) => {
        const p1 = normalTwoSided(z);
        const p2 = normalTwoSided(z + dz);
        return p1 > 0 && p1 <= 1 && p2 <= p1;
      }),
    );
  });
  it("cdf and upper tail are consistent", () => {
    for (const z of [-40, -8, -1, 0, 0.3, 2, 9]) {
      expect(Math.abs(normalCdf(z) + normalUpper(z) - 1)).toBeLessThan(1e-15);
      expect(normalCdf(z)).toBe(normalUpper(-z));
    }
  });
});

describe("normalQuantile", () => {
  it("gives scipy's 1.959963984540054 for the 95% interval", () => {
    expect(normalQuantile(0.975)).toBe(1.959963984540054);
    expect(normalQuantile(0.025)).toBe(-1.959963984540054);
  });
  it("inverts the cdf", () => {
    for (const p of [1e-300, 1e-20, 1e-5, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-10]) {
      const x = normalQuantile(p);
      const back = p < 0.5 ? normalCdf(x) : normalUpper(x);
      const target = p < 0.5 ? p : 1 - p;
      expect(rel(back, target), `p=${p}`).toBeLessThan(1e-13);
    }
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
  });
});

describe("tTwoSided", () => {
  const cases: [number, number, number][] = [
    [2.5, 10, 0.031446844236608804],
    [10, 44, 6.681101542608625e-13],
    [50, 44, 2.069909784739874e-40],
    [1, 3, 0.39100221895577064],
    [1.5, 1, 0.37433408362199766],
    [200, 2, 2.4999062539060792e-5],
    [5, 3.5, 0.010550178991867780276],
    [0.7, 12.3, 0.49695412705830444108],
    [25, 200, 1.8539096107492524296e-63],
    [12, 25000, 4.380713774810613e-33],
    [3, 100000, 0.002700460884064719],
  ];
  it("matches the incomplete-beta references (1e-11 relative), far beyond jstat in the tails", () => {
    for (const [t, df, p] of cases) {
      expect(rel(tTwoSided(t, df), p), `t=${t} df=${df}`).toBeLessThan(1e-11);
      expect(rel(tTwoSided(-t, df), p), `t=${-t} df=${df}`).toBeLessThan(1e-11);
    }
  });
  it("keeps ~1e-10 at df = 1e6 (the continued fraction needs O(sqrt df) terms)", () => {
    expect(rel(tTwoSided(4, 1e6), 0.00006334703401004810462)).toBeLessThan(1e-10);
  });
  it("edge cases", () => {
    expect(tTwoSided(0, 5)).toBe(1);
    expect(tTwoSided(NaN, 5)).toBeNaN();
    expect(tTwoSided(2, 0)).toBeNaN();
    expect(tTwoSided(Infinity, 5)).toBe(0);
    expect(tTwoSided(3, Infinity)).toBe(normalTwoSided(3));
  });
  it("approaches the normal for large df", () => {
    expect(rel(tTwoSided(2, 1e9), normalTwoSided(2))).toBeLessThan(1e-7);
  });
});

describe("fUpper and chiSqUpper: R's pf / pchisq upper tails", () => {
  it("match R to 1e-13 relative, far into the tail", () => {
    // options(digits = 17); pchisq(x, k, lower = FALSE), pf(f, d1, d2, lower = FALSE) (R 4.2)
    const chi: [number, number, number][] = [
      [3.5, 1, 6.1368829139401948e-2],
      [3.5, 2, 1.7377394345044514e-1],
      [80, 3, 3.0692774861724176e-17],
      [900, 4, 1.6659412638877528e-193],
    ];
    for (const [x, k, p] of chi) expect(Math.abs(chiSqUpper(x, k) - p) / p).toBeLessThan(1e-13);
    const f: [number, number, number, number][] = [
      [2.5, 2, 17.3, 1.1124019120972529e-1],
      [40, 2, 44.4, 1.1665127571656405e-10],
      [0.3, 3, 5.5, 8.2467752176229892e-1],
    ];
    for (const [x, d1, d2, p] of f) expect(Math.abs(fUpper(x, d1, d2) - p) / p).toBeLessThan(1e-13);
    expect(chiSqUpper(0, 2)).toBe(1);
    expect(fUpper(-1, 2, 3)).toBe(1);
    expect(Number.isNaN(fUpper(NaN, 2, 3))).toBe(true);
  });
});
