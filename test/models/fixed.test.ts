import { describe, expect, it } from "vitest";
import { fitFixedTable, fixedColumns, FIXED_COLUMNS } from "../../src/models/fixed/index.js";
import type { FixedRow } from "../../src/models/fixed/index.js";
import { frameFromRef } from "../helpers/frames.js";
import type { RefFrameName } from "../helpers/frames.js";
import { num, readRef, relClose } from "../helpers/refs.js";

const CASES: { name: RefFrameName; covariates: string[] }[] = [
  { name: "basic", covariates: [] },
  { name: "messy", covariates: ["age", "sex"] },
  { name: "messy_median", covariates: [] },
  { name: "cells_slope", covariates: [] },
];

const STATS = ["beta_DiD", "se_DiD", "p_DiD", "beta_time", "p_time", "resid_sd", "FDR_DiD"] as const;

describe("fitFixedTable reproduces the statsmodels references", () => {
  for (const { name, covariates } of CASES) {
    it(name, () => {
      const frame = frameFromRef(name);
      const { rows } = fitFixedTable(frame, { visits: ["Pre", "Post"], treated: "Treated", covariates });
      const ref = readRef(`ref/${name}.fixed.csv`);
      expect(rows.length).toBe(ref.length);
      const byFeature = new Map(rows.map((r) => [r.feature, r] as [string, FixedRow]));
      let bad = 0;
      const msgs: string[] = [];
      for (const rr of ref) {
        const r = byFeature.get(rr.feature)!;
        expect(r, rr.feature).toBeDefined();
        // beta_time exactly 0 in exact arithmetic (median frames): both sides are rounding noise
        const noiseTime = Math.abs(num(rr, "beta_time")) < 1e-10;
        if (noiseTime) expect(Math.abs(r.beta_time)).toBeLessThan(1e-10);
        for (const s of STATS) {
          if (noiseTime && (s === "beta_time" || s === "p_time")) continue;
          if (!relClose(r[s] as number, num(rr, s), 1e-6, 1e-12)) {
            bad++;
            if (msgs.length < 10) msgs.push(`${rr.feature} ${s}: ${r[s]} vs ${num(rr, s)}`);
          }
        }
        expect(r.n_units).toBe(num(rr, "n_units"));
        expect(r.cov_type_used).toBe(rr.cov_type_used);
      }
      expect(msgs, msgs.join("\n")).toEqual([]);
      expect(bad).toBe(0);
      // row order: same p-value order (ties aside)
      const refP = ref.map((rr) => num(rr, "p_DiD"));
      for (let i = 0; i < rows.length; i++) expect(relClose(rows[i].p_DiD, refP[i], 1e-6, 1e-300)).toBe(true);
    });
  }
});

// ---- behaviour beyond the references ---------------------------------------------------------
import { fitFixedOne, fixedBase, fixedDesign, wildClusterBootstrap } from "../../src/models/fixed/index.js";
import { pinvSym } from "../../src/models/fixed/pinv.js";
import { symEigen } from "../../src/kernel/eigen.js";
import { rademacher } from "../../src/stats/rng.js";
import { tTwoSided } from "../../src/stats/dist.js";
import type { AnalysisFrame } from "../../src/types.js";

/** A small synthetic frame: P participants x 2 visits, half treated, deterministic values. */
function synth(P: number, nFeat: number, seed = 1, effect = 0): AnalysisFrame {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-300)) * Math.cos(2 * Math.PI * rnd());
  const participant: string[] = [];
  const visit: string[] = [];
  const arm: string[] = [];
  const nCells: number[] = [];
  for (let p = 0; p < P; p++)
    for (const v of ["Pre", "Post"]) {
      participant.push(`P${String(p).padStart(3, "0")}`);
      visit.push(v);
      arm.push(p % 2 === 0 ? "Treated" : "Control");
      nCells.push(10 + Math.floor(rnd() * 30));
    }
  const n = participant.length;
  const features: string[] = [];
  const values: Float64Array[] = [];
  for (let f = 0; f < nFeat; f++) {
    features.push(`F${f}`);
    const u = Array.from({ length: P }, gauss);
    values.push(
      Float64Array.from({ length: n }, (_, i) => {
        const p = Math.floor(i / 2);
        const did = visit[i] === "Post" && arm[i] === "Treated" ? effect : 0;
        return 2 * u[p] + 0.3 * (visit[i] === "Post" ? 1 : 0) + did + gauss();
      }),
    );
  }
  return {
    unit: "participant_visit",
    participant,
    visit,
    arm,
    nCells: Float64Array.from(nCells),
    covariates: [],
    features,
    values,
  };
}

const OPTS = { visits: ["Pre", "Post"] as [string, string], treated: "Treated" };

describe("fitFixedTable behaviour", () => {
  it("exports its column lists", () => {
    expect(FIXED_COLUMNS).toEqual([
      "feature", "beta_DiD", "se_DiD", "p_DiD", "beta_time", "p_time", "n_units", "resid_sd", "cov_type_used", "FDR_DiD",
    ]);
    expect(fixedColumns({ useBootstrap: true, stratified: true })).toEqual([
      "celltype", "feature", "beta_DiD", "se_DiD", "p_DiD", "beta_time", "p_time", "n_units", "resid_sd",
      "cov_type_used", "p_DiD_boot", "se_DiD_boot", "ci_lo_boot", "ci_hi_boot", "FDR_DiD", "FDR_DiD_stratified",
    ]);
  });

  it("standardising is idempotent on the (already standardised) reference frame", () => {
    const frame = frameFromRef("basic");
    const a = fitFixedTable(frame, OPTS).rows;
    const b = fitFixedTable(frame, { ...OPTS, standardize: false }).rows;
    const byF = new Map(b.map((r) => [r.feature, r] as [string, FixedRow]));
    for (const r of a) expect(relClose(byF.get(r.feature)!.beta_DiD, r.beta_DiD, 1e-6)).toBe(true);
  });

  it("missing values: the fit equals the fit on the complete rows", () => {
    const frame = synth(12, 1, 3, 0.8);
    const y = frame.values[0];
    const drop = [3, 10, 11];
    const withNaN = { ...frame, values: [Float64Array.from(y, (v, i) => (drop.includes(i) ? NaN : v))] };
    const keep = Array.from(y, (_, i) => i).filter((i) => !drop.includes(i));
    const sub: AnalysisFrame = {
      ...frame,
      participant: keep.map((i) => frame.participant[i]),
      visit: keep.map((i) => frame.visit[i]),
      arm: keep.map((i) => frame.arm[i]),
      nCells: Float64Array.from(keep, (i) => frame.nCells![i]),
      values: [Float64Array.from(keep, (i) => y[i])],
    };
    const a = fitFixedTable(withNaN, OPTS).rows[0];
    const b = fitFixedTable(sub, OPTS).rows[0];
    for (const s of ["beta_DiD", "se_DiD", "p_DiD", "beta_time", "p_time", "resid_sd"] as const)
      expect(relClose(a[s], b[s], 1e-12), `${s}: ${a[s]} vs ${b[s]}`).toBe(true);
    expect(a.n_units).toBe(12);
    expect(b.n_units).toBe(11);
  });

  it("NaN statistics for constant features and < 4 participants, sorted last; warning under 10 participants", () => {
    const frame = synth(6, 3, 5, 1);
    frame.values[1] = new Float64Array(frame.values[1].length).fill(2.5);
    // feature 2: only 3 participants observed
    frame.values[2] = Float64Array.from(frame.values[2], (v, i) => (Math.floor(i / 2) < 3 ? v : NaN));
    const { rows, warnings } = fitFixedTable(frame, OPTS);
    expect(rows.map((r) => r.feature)).toEqual(["F0", "F1", "F2"]);
    expect(rows[0].p_DiD).toBeGreaterThan(0);
    for (const r of rows.slice(1)) {
      expect(r.beta_DiD).toBeNaN();
      expect(r.FDR_DiD).toBeNaN();
      expect(r.n_units).toBe(6);
    }
    expect(warnings.some((w) => /participants/.test(w))).toBe(true);
  });

  it("collinear participant-level covariates: DiD unchanged; CR1 undefined -> nonrobust (t, n - rank df)", () => {
    // 4 participants x 2 visits, 2 participant-level covariates: exog has 8 = n columns, rank 6
    const frame = synth(4, 1, 7, 0.5);
    frame.nCells = undefined;
    const age = Float64Array.from(frame.participant, (p) => 30 + 3 * Number(p.slice(1)));
    const sex = frame.participant.map((p) => (Number(p.slice(1)) % 3 === 0 ? "F" : "M"));
    frame.covariates = [
      { name: "age", kind: "numeric", values: age },
      { name: "sex", kind: "categorical", values: sex, levels: ["F", "M"] },
    ];
    const withCov = fitFixedTable(frame, { ...OPTS, covariates: ["age", "sex"], standardize: false }).rows[0];
    const plain = fitFixedTable(frame, { ...OPTS, standardize: false }).rows[0];
    expect(relClose(withCov.beta_DiD, plain.beta_DiD, 1e-10)).toBe(true);
    expect(withCov.cov_type_used).toBe("nonrobust");
    // brute force: OLS of y on post, post:treat and participant dummies (n = 8, rank 6, df 2)
    const y = frame.values[0];
    const n = y.length;
    const X: number[][] = [];
    for (let i = 0; i < n; i++) {
      const post = frame.visit[i] === "Post" ? 1 : 0;
      const tr = frame.arm[i] === "Treated" ? 1 : 0;
      const g = Number(frame.participant[i].slice(1));
      X.push([post, post * tr, ...[0, 1, 2, 3].map((j) => (j === g ? 1 : 0))]);
    }
    const k = 6;
    const XtX = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => X.reduce((s, r) => s + r[a] * r[b], 0)));
    const Xty = Array.from({ length: k }, (_, a) => X.reduce((s, r, i) => s + r[a] * y[i], 0));
    // Gauss-Jordan inverse
    const M = XtX.map((r, i) => [...r, ...Array.from({ length: k }, (_, j) => (i === j ? 1 : 0))]);
    for (let c = 0; c < k; c++) {
      let piv = c;
      for (let r = c + 1; r < k; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
      [M[c], M[piv]] = [M[piv], M[c]];
      const d = M[c][c];
      for (let j = 0; j < 2 * k; j++) M[c][j] /= d;
      for (let r = 0; r < k; r++)
        if (r !== c) {
          const f = M[r][c];
          for (let j = 0; j < 2 * k; j++) M[r][j] -= f * M[c][j];
        }
    }
    const inv = M.map((r) => r.slice(k));
    const beta = inv.map((r) => r.reduce((s, v, j) => s + v * Xty[j], 0));
    const ssr = X.reduce((s, r, i) => s + (y[i] - r.reduce((t, v, j) => t + v * beta[j], 0)) ** 2, 0);
    const se = Math.sqrt((ssr / (n - k)) * inv[1][1]);
    expect(relClose(withCov.beta_DiD, beta[1], 1e-10)).toBe(true);
    expect(relClose(withCov.se_DiD, se, 1e-10)).toBe(true);
    expect(relClose(withCov.p_DiD, tTwoSided(beta[1] / se, n - k), 1e-10)).toBe(true);
    expect(relClose(withCov.resid_sd, Math.sqrt(ssr / (n - k)), 1e-10)).toBe(true);
  });

  it("by cell type: per-type tables, FDR_DiD_stratified over all rows, small types skipped", () => {
    const a = synth(10, 5, 11, 1);
    const b = synth(10, 5, 12, 0);
    const c = synth(3, 5, 13, 0);
    const cat = (...fs: AnalysisFrame[]): AnalysisFrame => ({
      unit: "participant_visit",
      participant: fs.flatMap((f) => f.participant),
      visit: fs.flatMap((f) => f.visit),
      arm: fs.flatMap((f) => f.arm),
      nCells: Float64Array.from(fs.flatMap((f) => Array.from(f.nCells!))),
      covariates: [],
      features: a.features,
      values: a.features.map((_, j) => Float64Array.from(fs.flatMap((f) => Array.from(f.values[j])))),
    });
    const frame = { ...cat(a, b, c), celltype: [...a.participant.map(() => "T"), ...b.participant.map(() => "B"), ...c.participant.map(() => "Z")] };
    const { rows, warnings } = fitFixedTable(frame, OPTS);
    expect(rows.length).toBe(10);
    expect(warnings.some((w) => w.includes("Z"))).toBe(true);
    const ta = fitFixedTable(a, OPTS).rows;
    const tRows = rows.filter((r) => r.celltype === "T");
    expect(tRows.map((r) => r.feature)).toEqual(ta.map((r) => r.feature));
    tRows.forEach((r, i) => {
      expect(relClose(r.p_DiD, ta[i].p_DiD, 1e-12)).toBe(true);
      expect(relClose(r.FDR_DiD, ta[i].FDR_DiD, 1e-12)).toBe(true);
    });
    const all = rows.map((r) => r.p_DiD);
    for (const r of rows) {
      const rank = all.filter((p) => p <= r.p_DiD).length;
      expect(r.FDR_DiD_stratified!).toBeLessThanOrEqual(Math.min(1, (r.p_DiD * all.length) / rank) + 1e-15);
      expect(r.FDR_DiD_stratified!).toBeGreaterThanOrEqual(r.FDR_DiD * 0 + r.p_DiD);
    }
  });

  it("20,000 features x 48 rows: every row fitted (speed is measured in bench/, not here)", () => {
    const frame = synth(24, 20000, 21, 0.2);
    const { rows } = fitFixedTable(frame, OPTS);
    expect(rows.length).toBe(20000);
    expect(rows.every((r) => Number.isFinite(r.p_DiD))).toBe(true);
  });
});

describe("wild cluster bootstrap-t", () => {
  const frame = synth(16, 2, 31, 0);
  frame.values[0] = Float64Array.from(frame.values[0], (v, i) =>
    frame.visit[i] === "Post" && frame.arm[i] === "Treated" ? v + 4 : v,
  );
  const opts = { ...OPTS, useBootstrap: true, nBoot: 999, seed: 42 };

  it("is deterministic for a seed, p in (0, 1], replaces p_DiD, and agrees with the cluster p", () => {
    const r1 = fitFixedTable(frame, opts).rows;
    const r2 = fitFixedTable(frame, opts).rows;
    expect(r1).toEqual(r2);
    const r3 = fitFixedTable(frame, { ...opts, seed: 7 }).rows;
    const plain = fitFixedTable(frame, OPTS).rows;
    const get = (rows: FixedRow[], f: string) => rows.find((r) => r.feature === f)!;
    for (const r of r1) {
      expect(r.p_DiD_boot!).toBeGreaterThan(0);
      expect(r.p_DiD_boot!).toBeLessThanOrEqual(1);
      expect(r.p_DiD).toBe(r.p_DiD_boot);
      expect(r.ci_lo_boot!).toBeLessThan(r.beta_DiD);
      expect(r.ci_hi_boot!).toBeGreaterThan(r.beta_DiD);
      expect(r.se_DiD_boot!).toBeGreaterThan(0);
    }
    const strong = get(r1, "F0");
    expect(get(plain, "F0").p_DiD).toBeLessThan(1e-3);
    expect(strong.p_DiD_boot!).toBeLessThan(0.01);
    const nul = get(r1, "F1");
    expect(Math.abs(nul.p_DiD_boot! - get(plain, "F1").p_DiD)).toBeLessThan(0.15);
    expect(get(r3, "F1").p_DiD_boot).not.toBe(nul.p_DiD_boot);
  });

  const nonrobustFrame = (): AnalysisFrame => {
    const f = synth(4, 1, 9, 0.5);
    f.covariates = [
      { name: "age", kind: "numeric", values: Float64Array.from(f.participant, (p) => 30 + 3 * Number(p.slice(1))) },
      { name: "sex", kind: "categorical", values: f.participant.map((p) => (p === "P000" ? "F" : "M")), levels: ["F", "M"] },
    ];
    return f;
  };
  const cases: [string, () => AnalysisFrame, string[], string][] = [
    ["cluster SEs", () => frame, [], "cluster"],
    ["ordinary SEs (4 participants, collinear covariates)", nonrobustFrame, ["age", "sex"], "nonrobust"],
  ];
  for (const [label, make, covariates, covType] of cases)
    it(`per-cluster algebra equals refitting y* = restricted fit + v * restricted residual: ${label}`, () => {
      const fr = make();
      const { base } = fixedBase(fr, { ...OPTS, covariates });
      const d = fixedDesign(base, base.usable);
      const y = fr.values[fr.values.length - 1];
      const fit = fitFixedOne(y, d);
      expect(fit.cov_type_used).toBe(covType);
      const B = 50;
      const v = rademacher(B, d.G, 3);
      const bs = wildClusterBootstrap(y, d, fit, v, B);
      // brute force: restricted model y ~ post + C(participant) by weighted within transformation
      const n = d.n;
      const dm = (x: ArrayLike<number>) => {
        const m = new Float64Array(d.G);
        for (let i = 0; i < n; i++) m[d.group[i]] += d.w[i] * x[i];
        for (let g = 0; g < d.G; g++) m[g] /= d.sw[g];
        return Float64Array.from({ length: n }, (_, i) => x[i] - m[d.group[i]]);
      };
      const yt = dm(y);
      const pt = dm(Float64Array.from(d.rows, (r) => (fr.visit[r] === "Post" ? 1 : 0)));
      let num_ = 0;
      let den = 0;
      for (let i = 0; i < n; i++) {
        num_ += d.w[i] * pt[i] * yt[i];
        den += d.w[i] * pt[i] * pt[i];
      }
      const br = num_ / den;
      let exceed = 0;
      const tObs = Math.abs(fit.beta_DiD / fit.se_DiD);
      const betas: number[] = [];
      for (let b = 0; b < B; b++) {
        const ys = Float64Array.from({ length: n }, (_, i) => pt[i] * br + v[b * d.G + d.group[i]] * (yt[i] - pt[i] * br));
        const f = fitFixedOne(ys, d);
        expect(f.cov_type_used).toBe(covType);
        betas.push(f.beta_DiD);
        if (Math.abs(f.beta_DiD / f.se_DiD) >= tObs - 1e-12) exceed++;
      }
      expect(bs.nValid).toBe(B);
      expect(bs.p).toBeCloseTo((1 + exceed) / (B + 1), 12);
      const mean = betas.reduce((a, b) => a + b, 0) / B;
      const sd = Math.sqrt(betas.reduce((a, b) => a + (b - mean) ** 2, 0) / (B - 1));
      expect(relClose(bs.se, sd, 1e-9)).toBe(true);
    });
});

describe("fixedColumns from rows", () => {
  it("derives bootstrap / stratified columns from the rows", () => {
    const f = synth(8, 2, 4, 0);
    expect(fixedColumns(fitFixedTable(f, OPTS).rows)).toEqual([...FIXED_COLUMNS]);
    const boot = fitFixedTable(f, { ...OPTS, useBootstrap: true, nBoot: 49 }).rows;
    expect(fixedColumns(boot)).toEqual(fixedColumns({ useBootstrap: true }));
    const strat = fitFixedTable({ ...f, celltype: f.participant.map(() => "T") }, OPTS).rows;
    expect(fixedColumns(strat)).toEqual(fixedColumns({ stratified: true }));
  });
});

describe("the error column", () => {
  it("is empty on fitted rows and says why on every NaN row (plain, bootstrap, by cell type)", () => {
    const frame = synth(6, 6, 5, 1);
    const n = frame.participant.length;
    frame.values[1] = new Float64Array(n).fill(2.5);
    frame.values[2] = Float64Array.from(frame.values[2], (v, i) => (Math.floor(i / 2) < 3 ? v : NaN));
    frame.values[3] = Float64Array.from(frame.values[3], (v, i) => (i === 0 ? Infinity : v));
    frame.values[4] = Float64Array.from(frame.participant, (p, i) => Number(p.slice(1)) + (frame.visit[i] === "Post" ? 2 : 0));
    frame.values[5] = Float64Array.from(frame.values[5], (v) => 7 + 1e-12 * v);
    const want: Record<string, string> = {
      F0: "",
      F1: "constant feature (zero variance): nothing to estimate",
      F2: "fewer than 4 participants with values at both visits",
      F3: "infinite values in the feature (Inf in the data)",
      F4: "perfect fit: the feature is an exact linear function of the design (zero residual variance)",
      F5: "sd below 1e-8: treated as constant",
    };
    const errors = (rows: FixedRow[]) => Object.fromEntries(rows.map((r) => [r.feature, r.error]));
    const plain = fitFixedTable(frame, OPTS).rows;
    expect(errors(plain)).toEqual(want);
    for (const r of plain) expect(Number.isNaN(r.beta_DiD)).toBe(r.error !== "");
    expect(Object.keys(plain.find((r) => r.feature === "F1")!)).toContain("error"); // an ordinary, enumerable field
    expect(errors(fitFixedTable(frame, { ...OPTS, useBootstrap: true, nBoot: 19 }).rows)).toEqual(want);
    const strat = fitFixedTable({ ...frame, celltype: frame.participant.map(() => "T") }, OPTS).rows;
    expect(errors(strat)).toEqual(want);
    expect(strat.every((r) => r.celltype === "T")).toBe(true);
  });

  it("on the raw scale names the magnitudes it cannot fit", () => {
    const frame = synth(6, 2, 5, 1);
    frame.values[1] = Float64Array.from(frame.values[1], (v) => v * 1e200);
    const rows = fitFixedTable(frame, { ...OPTS, standardize: false }).rows;
    expect(rows.find((r) => r.feature === "F0")!.error).toBe("");
    expect(rows.find((r) => r.feature === "F1")!.error).toMatch(/^magnitudes beyond 1e150/);
  });
});

describe("eigen and pseudo-inverse", () => {
  /** max |M1 - M2| of two k x k row-major matrices. */
  const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
  const mul = (a: Float64Array, b: Float64Array, k: number) => {
    const c = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let l = 0; l < k; l++) c[i * k + j] += a[i * k + l] * b[l * k + j];
    return c;
  };
  const gram = (X: number[][]) => {
    const k = X[0].length;
    const H = new Float64Array(k * k);
    for (const r of X) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) H[i * k + j] += r[i] * r[j];
    return H;
  };

  it("symEigen: the tridiagonal [2 1 0; 1 2 1; 0 1 2] has eigenvalues 2 - sqrt 2, 2, 2 + sqrt 2 with orthonormal vectors", () => {
    const S = Float64Array.of(2, 1, 0, 1, 2, 1, 0, 1, 2);
    const { values, vectors } = symEigen(S, 3);
    expect(Array.from(values).sort((a, b) => a - b)).toEqual([2 - Math.SQRT2, 2, 2 + Math.SQRT2].map((v) => expect.closeTo(v, 14)));
    // S v_e = lambda_e v_e (vectors[i * k + e] is component i of vector e), V'V = I
    for (let e = 0; e < 3; e++)
      for (let i = 0; i < 3; i++) {
        let sv = 0;
        for (let j = 0; j < 3; j++) sv += S[i * 3 + j] * vectors[j * 3 + e];
        expect(sv).toBeCloseTo(values[e] * vectors[i * 3 + e], 14);
      }
    const VtV = new Float64Array(9);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let i = 0; i < 3; i++) VtV[a * 3 + b] += vectors[i * 3 + a] * vectors[i * 3 + b];
    expect(maxDiff(VtV, [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBeLessThan(1e-14);
  });

  it("pinvSym of a full-rank matrix is its inverse; all coordinates estimable", () => {
    const H = gram([[1, 2, 0], [0, 1, 3], [2, 0, 1], [1, 1, 1]]);
    const { A, rank, identified } = pinvSym(H, 3, new Uint8Array(3));
    expect(rank).toBe(3);
    expect(Array.from(identified)).toEqual([1, 1, 1]);
    expect(maxDiff(mul(A, H, 3), [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBeLessThan(1e-12);
  });

  it("pinvSym of a rank-deficient matrix: the Moore-Penrose conditions; only coordinates outside the null space estimable", () => {
    // columns a, b, c, c: null vector (0, 0, 1, -1), rank 3
    const H = gram([[1, 2, 0, 0], [0, 1, 3, 3], [2, 0, 1, 1], [1, 1, 1, 1], [3, -1, 2, 2]]);
    const { A, rank, identified } = pinvSym(H, 4, new Uint8Array(4));
    expect(rank).toBe(3);
    expect(Array.from(identified)).toEqual([1, 1, 0, 0]);
    expect(maxDiff(mul(mul(H, A, 4), H, 4), H)).toBeLessThan(1e-10 * Math.max(...H));
    expect(maxDiff(mul(mul(A, H, 4), A, 4), A)).toBeLessThan(1e-10 * Math.max(...A.map(Math.abs)));
    for (let i = 0; i < 4; i++) for (let j = 0; j < i; j++) expect(A[i * 4 + j]).toBeCloseTo(A[j * 4 + i], 12);
    // a column flagged as absorbed counts as zero: the rest is the inverse of the other three
    const z = pinvSym(H, 4, Uint8Array.of(0, 0, 0, 1));
    expect(z.rank).toBe(3);
    expect(Array.from(z.identified)).toEqual([1, 1, 1, 0]);
    for (let j = 0; j < 4; j++) expect(z.A[3 * 4 + j]).toBe(0);
    const H3 = gram([[1, 2, 0], [0, 1, 3], [2, 0, 1], [1, 1, 1], [3, -1, 2]]);
    const A3 = Float64Array.from({ length: 9 }, (_, i) => z.A[Math.floor(i / 3) * 4 + (i % 3)]);
    expect(maxDiff(mul(A3, H3, 3), [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBeLessThan(1e-12);
  });
});
