import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { MAX_RANDOM_EFFECTS } from "../../src/kernel/index.js";
import { fitLmm, type LmmFit } from "../../src/models/lmm.js";
import { fitBatchFull } from "../../src/kernel/index.js";
import { readRef, num, relClose } from "../helpers/refs.js";

// ---------- an independent plain-JS profiled REML/ML criterion (dense, per group) ----------
function chol(a: number[][]): number[][] | null {
  const n = a.length, L = a.map((r) => r.map(() => 0));
  for (let j = 0; j < n; j++) {
    let s = a[j][j];
    for (let k = 0; k < j; k++) s -= L[j][k] ** 2;
    if (!(s > 0)) return null;
    L[j][j] = Math.sqrt(s);
    for (let i = j + 1; i < n; i++) {
      let t = a[i][j];
      for (let k = 0; k < j; k++) t -= L[i][k] * L[j][k];
      L[i][j] = t / L[j][j];
    }
  }
  return L;
}
function fwdSolve(L: number[][], b: number[]): number[] {
  const x = b.slice();
  for (let i = 0; i < x.length; i++) { for (let k = 0; k < i; k++) x[i] -= L[i][k] * x[k]; x[i] /= L[i][i]; }
  return x;
}
/** lme4's profiled criterion at theta (column-wise lower triangle). */
function jsCriterion(y: number[], X: number[][], Z: number[][], g: string[], theta: number[], reml = true): number {
  const n = y.length, p = X[0].length, q = Z[0].length;
  const Lam = Array.from({ length: q }, () => new Array(q).fill(0));
  let t = 0;
  for (let j = 0; j < q; j++) for (let i = j; i < q; i++) Lam[i][j] = theta[t++];
  const A = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => X.reduce((s, r) => s + r[i] * r[j], 0)));
  const r = Array.from({ length: p }, (_, i) => X.reduce((s, row, k) => s + row[i] * y[k], 0));
  let s = y.reduce((a, v) => a + v * v, 0), ldL = 0;
  for (const lab of new Set(g)) {
    const rows = g.map((x, i) => (x === lab ? i : -1)).filter((i) => i >= 0);
    const ZL = rows.map((i) => Array.from({ length: q }, (_, j) => Z[i].reduce((acc, z, k) => acc + z * Lam[k][j], 0)));
    const T = Array.from({ length: q }, (_, a) => Array.from({ length: q }, (_, b) => ZL.reduce((acc, zr) => acc + zr[a] * zr[b], 0) + (a === b ? 1 : 0)));
    const L = chol(T)!;
    for (let j = 0; j < q; j++) ldL += 2 * Math.log(L[j][j]);
    const RZX = Array.from({ length: p }, (_, c) => fwdSolve(L, Array.from({ length: q }, (_, a) => rows.reduce((acc, i, k) => acc + ZL[k][a] * X[i][c], 0))));
    const cu = fwdSolve(L, Array.from({ length: q }, (_, a) => rows.reduce((acc, i, k) => acc + ZL[k][a] * y[i], 0)));
    for (let i = 0; i < p; i++) { for (let j = 0; j < p; j++) A[i][j] -= RZX[i].reduce((acc, v, k) => acc + v * RZX[j][k], 0); r[i] -= RZX[i].reduce((acc, v, k) => acc + v * cu[k], 0); }
    s -= cu.reduce((acc, v) => acc + v * v, 0);
  }
  const RX = chol(A)!;
  let ldRX = 0;
  for (let j = 0; j < p; j++) ldRX += 2 * Math.log(RX[j][j]);
  const z = fwdSolve(RX, r);
  const pw = s - z.reduce((a, v) => a + v * v, 0);
  return reml ? ldL + ldRX + (n - p) * (1 + Math.log((2 * Math.PI * pw) / (n - p))) : ldL + n * (1 + Math.log((2 * Math.PI * pw) / n));
}
/** theta implied by a covariance of the random effects and a residual variance. */
function thetaOf(covRe: number[][], scale: number): number[] {
  const L = chol(covRe.map((r) => r.map((v) => v / scale)))!;
  const th: number[] = [];
  for (let j = 0; j < L.length; j++) for (let i = j; i < L.length; i++) th.push(L[i][j]);
  return th;
}

// ---------- data ----------
const sleep = readRef("sleepstudy.csv");
const sy = sleep.map((r) => num(r, "Reaction"));
const sd = sleep.map((r) => num(r, "Days"));
const sg = sleep.map((r) => r.Subject);
const one = sy.map(() => 1);
const sX = sy.map((_, i) => [1, sd[i]]);

describe("sleepstudy (Reaction ~ Days + (Days | Subject))", () => {
  const f = fitLmm({ y: sy, X: [one, sd], Z: [one, sd], groups: sg });
  it("matches lme4 REML", () => {
    expect(relClose(f.beta[0], 251.40510, 1e-6)).toBe(true);
    expect(relClose(f.beta[1], 10.46729, 1e-6)).toBe(true);
    expect(relClose(f.logLik, -871.8141, 1e-6)).toBe(true);
    // lme4's bobyqa stops ~1e-5 (relative, in theta) short of the optimum (its criterion is higher, checked
    // below), so its variance components / se agree to ~2e-5 only.
    expect(relClose(f.se[0], 6.824597, 2e-5)).toBe(true);
    expect(relClose(f.se[1], 1.545790, 2e-5)).toBe(true);
    expect(relClose(f.covRe[0][0], 612.100158, 3e-5)).toBe(true);
    expect(relClose(f.covRe[0][1], 9.604409, 3e-5)).toBe(true);
    expect(relClose(f.covRe[1][0], 9.604409, 3e-5)).toBe(true);
    expect(relClose(f.covRe[1][1], 35.071714, 3e-5)).toBe(true);
    expect(relClose(f.scale, 654.940008, 3e-5)).toBe(true);
    // lme4 itself, converged tightly (bobyqa, rhoend = 1e-12: REML criterion 1743.628271958 against the
    // default's 1743.628271960), agrees with ours to 1e-6:
    expect(relClose(-2 * f.logLik, 1743.628271958, 1e-12)).toBe(true);
    expect(relClose(f.se[0], 6.8245558, 1e-6)).toBe(true);
    expect(relClose(f.se[1], 1.5457889, 1e-6)).toBe(true);
    expect(relClose(f.covRe[0][0], 612.089748, 1e-6)).toBe(true);
    expect(relClose(f.covRe[0][1], 9.604335, 1e-6)).toBe(true);
    expect(relClose(f.covRe[1][1], 35.071662, 1e-6)).toBe(true);
    expect(relClose(f.scale, 654.941041, 1e-6)).toBe(true);
    expect(f.converged).toBe(true);
    expect(f.singular).toBe(false);
    expect(f.warnings).toEqual([]);
    // lmerTest: 17.00 (numerical derivatives); the design is balanced and the df is G - 1 = 17 exactly, which the
    // analytic Hessian of the deviance reproduces (central differences of gradients gave 17.0000003)
    expect(relClose(f.df[1], 17, 1e-9)).toBe(true);
    expect(f.optSummary.finalObjective).toBeCloseTo(-2 * f.logLik, 9);
  });
  it("is certified: optSummary reports the final gradient (small against the tolerance) and the tolerances used", () => {
    const o = f.optSummary;
    expect(o.certified).toBe(true);
    expect(o.returnCode).toBe("CERTIFIED");
    expect(o.gradient.length).toBe(3);
    expect(o.tolerances.CERT_GRAD_RTOL).toBe(1e-7);
    expect(Object.keys(o.tolerances)).toEqual(expect.arrayContaining(["REFINE_RSS", "EXACT_FIT_ULPS", "NEWTON_DEC_TOL", "THETA_MAX_Q2"]));
    // the gradient of the criterion at theta, by central differences of the JS criterion, agrees with the reported one
    for (let i = 0; i < 3; i++) {
      const h = 1e-5, tp = o.theta.slice(), tm = o.theta.slice();
      tp[i] += h; tm[i] -= h;
      const fd = (jsCriterion(sy, sX, sX, sg, tp) - jsCriterion(sy, sX, sX, sg, tm)) / (2 * h);
      expect(Math.abs(o.gradient[i])).toBeLessThan(1e-6);
      expect(Math.abs(fd - o.gradient[i])).toBeLessThan(1e-6);
    }
  });
  it("the optimum is at least as good as lme4's and the kernel criterion agrees with a JS one", () => {
    const ours = jsCriterion(sy, sX, sX, sg, f.optSummary.theta);
    expect(relClose(ours, f.optSummary.finalObjective, 1e-11)).toBe(true);
    const lme4 = jsCriterion(sy, sX, sX, sg, thetaOf([[612.100158, 9.604409], [9.604409, 35.071714]], 654.940008));
    expect(ours).toBeLessThanOrEqual(lme4 + 1e-12 * lme4);
    // stationarity: no coordinate step improves the criterion
    for (let i = 0; i < 3; i++) for (const h of [1e-4, -1e-4]) {
      const th = f.optSummary.theta.slice(); th[i] += h;
      expect(jsCriterion(sy, sX, sX, sg, th)).toBeGreaterThan(ours);
    }
  });
  it("BLUPs and condVar follow lme4's formulas", () => {
    const r308 = f.randomEffects.find((r) => r.group === "308")!;
    expect(f.randomEffects.map((r) => r.group)).toEqual([...new Set(sg)].sort());
    // lme4: ranef(fm1)$Subject["308",] = (2.2585, 9.1990)
    expect(r308.mean[0]).toBeCloseTo(2.2585, 3);
    expect(r308.mean[1]).toBeCloseTo(9.1990, 3);
    expect(r308.condVar[0][1]).toBeCloseTo(r308.condVar[1][0], 12);
    expect(r308.condVar[0][0]).toBeGreaterThan(0);
  });
  it("ML fit matches lme4 (logLik -875.9697)", () => {
    const m = fitLmm({ y: sy, X: [one, sd], Z: [one, sd], groups: sg, reml: false });
    expect(relClose(m.logLik, -875.9697, 1e-6)).toBe(true);
    expect(relClose(m.beta[1], 10.46729, 1e-5)).toBe(true);
    expect(relClose(-2 * m.logLik, jsCriterion(sy, sX, sX, sg, m.optSummary.theta, false), 1e-11)).toBe(true);
  });
  it("diagonal covariance: zero covariance, nested below the unstructured fit", () => {
    const d = fitLmm({ y: sy, X: [one, sd], Z: [one, sd], groups: sg, covariance: "diagonal" });
    expect(d.covRe[0][1]).toBe(0);
    expect(d.optSummary.theta.length).toBe(2);
    expect(d.logLik).toBeLessThanOrEqual(f.logLik + 1e-9);
    expect(d.logLik).toBeGreaterThan(f.logLik - 1);
    // lme4: lmer(Reaction ~ Days + (Days || Subject)): REML criterion 1743.669
    expect(-2 * d.logLik).toBeCloseTo(1743.669, 2);
  });
});

// ---------- frames: fitLmm == one batch call ----------
function frame(name: string, covars: boolean, slope: boolean) {
  const rows = readRef(`ref/${name}.frame.csv`);
  const feats = readRef(`ref/${name}.lme4.csv`).map((r) => r.feature).filter((f) => rows.every((r) => Number.isFinite(num(r, f))));
  const a = rows.map((r) => (r.arm === "Treated" ? 1 : 0));
  const t = rows.map((r) => (r.visit === "Post" ? 1 : 0));
  const X: number[][] = [rows.map(() => 1), a, t, a.map((v, i) => v * t[i])];
  if (covars) { X.push(rows.map((r) => num(r, "age"))); X.push(rows.map((r) => (r.sex === "M" ? 1 : 0))); }
  const Z: number[][] = slope ? [rows.map(() => 1), t] : [rows.map(() => 1)];
  const groups = rows.map((r) => r.participant_id);
  return { rows, feats, X, Z, groups, ys: feats.map((f) => rows.map((r) => num(r, f))) };
}

function batchOf(fr: ReturnType<typeof frame>) {
  const n = fr.rows.length, p = fr.X.length, q = fr.Z.length;
  const labels = [...new Set(fr.groups)];
  const X = new Float64Array(n * p), Z = new Float64Array(n * q), groups = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) X[i * p + j] = fr.X[j][i];
    for (let j = 0; j < q; j++) Z[i * q + j] = fr.Z[j][i];
    groups[i] = labels.indexOf(fr.groups[i]);
  }
  const Y = new Float64Array(fr.feats.length * n);
  fr.ys.forEach((y, k) => Y.set(y, k * n));
  return fitBatchFull({ n, p, q, X, Z, groups, G: labels.length }, Y, {}, true);
}

describe("fitLmm agrees with the batch entry on every feature", () => {
  for (const [name, cov, slope] of [["basic", false, false], ["messy", true, false], ["cells_slope", false, true]] as const) {
    it(name, () => {
      const fr = frame(name, cov, slope);
      const B = batchOf(fr);
      const p = fr.X.length, q = fr.Z.length;
      const nth = (q * (q + 1)) / 2;
      fr.ys.forEach((y, k) => {
        const f = fitLmm({ y, X: fr.X, Z: fr.Z, groups: fr.groups });
        expect(f.beta).toEqual(Array.from(B.beta.subarray(k * p, (k + 1) * p)));
        expect(f.se).toEqual(Array.from(B.se.subarray(k * p, (k + 1) * p)));
        expect(f.df).toEqual(Array.from(B.df.subarray(k * p, (k + 1) * p)));
        expect(f.covRe.flat()).toEqual(Array.from(B.covRe.subarray(k * q * q, (k + 1) * q * q)));
        expect(f.optSummary.theta).toEqual(Array.from(B.theta.subarray(k * nth, (k + 1) * nth)));
        expect(f.scale).toBe(B.scale[k]);
        expect(f.logLik).toBe(B.logLik[k]);
        expect(f.singular).toBe(B.singular[k] === 1);
        expect(f.vcov[p - 1][p - 1]).toBeCloseTo(f.se[p - 1] ** 2, 14);
      });
    });
  }
});

// ---------- invariances (fast-check) ----------
const basic = frame("basic", false, false);
function perm(n: number, seed: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) { s = (s * 1103515245 + 12345) >>> 0; const j = s % (i + 1); [idx[i], idx[j]] = [idx[j], idx[i]]; }
  return idx;
}
function sameFit(a: LmmFit, b: LmmFit, tol: number) {
  a.beta.forEach((v, j) => expect(relClose(v, b.beta[j], tol, 1e-9)).toBe(true));
  a.se.forEach((v, j) => expect(relClose(v, b.se[j], tol)).toBe(true));
  a.df.forEach((v, j) => expect(relClose(v, b.df[j], 1e-7)).toBe(true));
  a.covRe.flat().forEach((v, j) => expect(relClose(v, b.covRe.flat()[j], 1e-8, 1e-9 * b.scale)).toBe(true));
  expect(relClose(a.scale, b.scale, tol)).toBe(true);
  expect(relClose(a.logLik, b.logLik, 1e-11)).toBe(true);
}

describe("invariances", () => {
  it("row permutation and group relabelling leave the fit unchanged", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: basic.feats.length - 1 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (k, seed) => {
      const y = basic.ys[k];
      const ref = fitLmm({ y, X: basic.X, groups: basic.groups });
      const P = perm(y.length, seed);
      const relab = new Map([...new Set(basic.groups)].map((g, i) => [g, `grp-${(i * 7919 + seed) % 100003}`]));
      const f = fitLmm({ y: P.map((i) => y[i]), X: basic.X.map((c) => P.map((i) => c[i])), groups: P.map((i) => relab.get(basic.groups[i])!) });
      sameFit(f, ref, 1e-9);
      const byLabel = new Map(f.randomEffects.map((r) => [r.group, r]));
      for (const r of ref.randomEffects) {
        const o = byLabel.get(relab.get(r.group)!)!;
        expect(o.mean[0]).toBeCloseTo(r.mean[0], 9);
        expect(o.condVar[0][0]).toBeCloseTo(r.condVar[0][0], 9);
      }
    }), { numRuns: 12 });
  });
  it("random slope (sleepstudy): row permutation, relabelling and y -> a*y + c", () => {
    const ref = fitLmm({ y: sy, X: [one, sd], Z: [one, sd], groups: sg });
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: 0.05, max: 20, noNaN: true }), fc.double({ min: -500, max: 500, noNaN: true }), (seed, a, c) => {
      const P = perm(sy.length, seed);
      const f = fitLmm({ y: P.map((i) => a * sy[i] + c), X: [one, P.map((i) => sd[i])], Z: [one, P.map((i) => sd[i])], groups: P.map((i) => "s" + sg[i]) });
      expect(relClose(f.beta[0], a * ref.beta[0] + c, 1e-8)).toBe(true);
      expect(relClose(f.beta[1], a * ref.beta[1], 1e-8)).toBe(true);
      f.se.forEach((v, j) => expect(relClose(v, a * ref.se[j], 1e-7)).toBe(true));
      f.covRe.flat().forEach((v, j) => expect(relClose(v, a * a * ref.covRe.flat()[j], 1e-6)).toBe(true));
      expect(relClose(f.logLik, ref.logLik - (sy.length - 2) * Math.log(a), 1e-11)).toBe(true);
    }), { numRuns: 6 });
  });
  it("y -> a*y + c transforms beta, se, variances and logLik accordingly", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: basic.feats.length - 1 }),
      fc.double({ min: 0.01, max: 100, noNaN: true }), fc.boolean(), fc.double({ min: -50, max: 50, noNaN: true }), (k, a0, neg, c) => {
      const a = neg ? -a0 : a0;
      const y = basic.ys[k];
      const ref = fitLmm({ y, X: basic.X, groups: basic.groups });
      const f = fitLmm({ y: y.map((v) => a * v + c), X: basic.X, groups: basic.groups });
      const n = y.length, p = 4;
      const expBeta = ref.beta.map((b, j) => a * b + (j === 0 ? c : 0));
      f.beta.forEach((v, j) => expect(relClose(v, expBeta[j], 1e-9, 1e-9 * Math.abs(a))).toBe(true));
      f.se.forEach((v, j) => expect(relClose(v, Math.abs(a) * ref.se[j], 1e-9)).toBe(true));
      expect(relClose(f.scale, a * a * ref.scale, 1e-9)).toBe(true);
      expect(relClose(f.covRe[0][0], a * a * ref.covRe[0][0], 1e-8, 1e-9 * a * a * ref.scale)).toBe(true);
      f.df.forEach((v, j) => expect(relClose(v, ref.df[j], 1e-7)).toBe(true));
      expect(relClose(f.logLik, ref.logLik - (n - p) * Math.log(Math.abs(a)), 1e-10)).toBe(true);
      expect(f.singular).toBe(ref.singular);
    }), { numRuns: 15 });
  });
  it("no between-group variation gives a variance of exactly 0 (boundary)", () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 24, maxLength: 24 }), (d) => {
      const idx = new Map([...new Set(basic.groups)].map((g, i) => [g, i]));
      // each participant has one Pre and one Post row: +d_g / -d_g has zero group sums, also after the OLS fit
      const y = basic.rows.map((r, i) => (r.visit === "Pre" ? 1 : -1) * d[idx.get(basic.groups[i])!] + 0.25 * basic.X[1][i]);
      if (d.every((v) => Math.abs(v) < 1e-3)) return; // y would lie in the column space of X
      const f = fitLmm({ y, X: basic.X, groups: basic.groups });
      expect(f.covRe[0][0]).toBe(0);
      expect(f.optSummary.theta[0]).toBe(0);
      expect(f.singular).toBe(true);
      expect(f.df[3]).toBeCloseTo(y.length - 4, 6);
    }), { numRuns: 10 });
  });
});

// ---------- bad input ----------
describe("input validation", () => {
  const y = basic.ys[0], X = basic.X, groups = basic.groups;
  it("mismatched lengths", () => {
    expect(() => fitLmm({ y: y.slice(1), X, groups })).toThrow(/expected n = 47|length/);
    expect(() => fitLmm({ y, X, groups: groups.slice(2) })).toThrow(/groups has 46 entries, expected n = 48/);
    expect(() => fitLmm({ y, X: new Float64Array(y.length * 4 - 1), p: 4, groups })).toThrow(/X has 191 values, expected/);
  });
  it("non-finite values", () => {
    const y2 = y.slice(); y2[5] = NaN;
    expect(() => fitLmm({ y: y2, X, groups })).toThrow(/y\[5\] is NaN: expected finite/);
    const X2 = X.map((c) => c.slice()); X2[2][7] = Infinity;
    expect(() => fitLmm({ y, X: X2, groups })).toThrow(/X contains Infinity at row 7, column 2/);
    expect(() => fitLmm({ y, X, Z: [y.map((_, i) => (i === 3 ? NaN : 1))], groups })).toThrow(/Z contains NaN at row 3/);
  });
  it("rank-deficient X, p = 0, fewer than 2 groups", () => {
    expect(() => fitLmm({ y, X: [...X, X[1].map((v, i) => v + X[2][i])], groups })).toThrow(/rank deficient/);
    expect(() => fitLmm({ y, X: new Float64Array(0), p: 0, groups })).toThrow(/p = 0/);
    expect(() => fitLmm({ y, X, groups: y.map(() => "A") })).toThrow(/at least 2 groups/);
  });
  it("a response fitted exactly by X", () => {
    expect(() => fitLmm({ y: X[1].map((v, i) => 2 * v - X[2][i]), X, groups })).toThrow(/fitted exactly by X/);
  });
  it("more random-effect columns than supported: one error line naming the limit, at once (no optimiser run)", () => {
    for (const q of [9, 12, 50]) {
      const Z = Array.from({ length: q }, (_, k) => y.map((_, i) => Math.cos(i * (k + 1))));
      const t0 = performance.now();
      expect(() => fitLmm({ y, X, Z, groups })).toThrow(new RegExp(`^${q} random-effect columns per group: at most ${MAX_RANDOM_EFFECTS} are supported`));
      try { fitLmm({ y, X, Z, groups }); } catch (e) { expect((e as Error).name).toBe("TrialmixInputError"); expect((e as Error).message).not.toMatch(/\n/); }
      expect(performance.now() - t0).toBeLessThan(1000); // refused before any fitting (q = 12 used to run for a minute)
    }
  });
  it("q = 3 (the general-q code): logLik is the JS criterion's at the returned theta, which is stationary there, and certified", () => {
    let s = 11;
    const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
    const yy: number[] = [], Z: number[][] = [], g: string[] = [], XX: number[][] = [];
    for (let i = 0; i < 120; i++) {
      const a = u() * 2, b = u() - 0.5, grp = i % 10;
      Z.push([1, a, b]); XX.push([1, a]); g.push(`g${grp}`);
      yy.push(1 + 0.5 * a + Math.sin(grp) + 0.3 * Math.cos(3 * grp) * a + u() - 0.5);
    }
    for (const reml of [true, false]) {
      const fit = fitLmm({ y: yy, X: XX, Z, groups: g, reml });
      expect(fit.converged).toBe(true);
      const th = fit.optSummary.theta;
      const crit = (t: number[]) => jsCriterion(yy, XX, Z, g, t, reml);
      expect(relClose(-2 * fit.logLik, crit(th), 1e-10)).toBe(true);
      for (let i = 0; i < th.length; i++) {
        if (th[i] === 0) continue; // a zero variance: one-sided, checked by the kernel
        const h = 1e-5 * Math.max(1, Math.abs(th[i])), tp = th.slice(), tm = th.slice();
        tp[i] += h; tm[i] -= h;
        expect(Math.abs((crit(tp) - crit(tm)) / (2 * h))).toBeLessThan(1e-4);
      }
    }
  });
  it("the largest supported q fits in bounded work: certified, or with its reason", () => {
    const q = MAX_RANDOM_EFFECTS;
    let s = 3;
    const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
    const n = 60, yy: number[] = [], Z: number[][] = [], g: number[] = [], XX: number[][] = [];
    for (let i = 0; i < n; i++) {
      const zr = [1, ...Array.from({ length: q - 1 }, () => u() - 0.5)];
      Z.push(zr); XX.push([1, u()]); g.push(i % 6);
      yy.push(zr.reduce((a, b) => a + 0.3 * b, 0) + u());
    }
    const fit = fitLmm({ y: yy, X: XX, Z, groups: g });
    // at most ~3q + 8 Newton runs of at most 100 iterations, each q(q+1)/2 + 41 gradient evaluations
    expect(fit.iterations).toBeLessThan((3 * q + 8) * 100 * ((q * (q + 1)) / 2 + 41));
    expect(fit.converged || fit.warnings.some((w) => /not certified/.test(w))).toBe(true);
    expect(Number.isFinite(fit.logLik)).toBe(true);
  });
  it("unidentifiable random effects are fitted with a warning", () => {
    // one row per group: n <= q * G
    const n = 30;
    const yy = Array.from({ length: n }, (_, i) => Math.sin(i) + i / 10);
    const f = fitLmm({ y: yy, X: [yy.map(() => 1), yy.map((_, i) => i)], groups: yy.map((_, i) => `g${i}`) });
    expect(f.warnings.some((w) => /unidentifiable/.test(w))).toBe(true);
    expect(Number.isFinite(f.logLik)).toBe(true);
  });
});
