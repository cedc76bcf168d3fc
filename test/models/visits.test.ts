// More than two visits (y ~ arm * visit + (1 | participant)) on trial3.h5ad against lme4 / lmerTest
// (test/fixtures/trial3: the generator, the frames' rules and ref_lmm3.R): per-contrast estimates, se,
// Satterthwaite df and p; the joint type III F with its Satterthwaite ddf; the LRT of the ML fits.
import { describe, it, expect } from "vitest";
import { didTableMixed } from "../../src/api.js";
import { columnNames } from "../../src/output/schema.js";
import { fUpper, chiSqUpper } from "../../src/stats/dist.js";
import { fStatDdf, varparDerivs, contrastDf } from "../../src/models/mixed/joint.js";
import { mixedDesign } from "../../src/models/mixed/design.js";
import { fitBatch } from "../../src/kernel/index.js";
import { zParams, zScoreInto } from "../../src/stats/standardize.js";
import { didTable } from "../../src/api.js";
import { readRef, num, FIXTURES } from "../helpers/refs.js";
import type { MixedRow } from "../../src/models/mixed/rows.js";

const H5AD = FIXTURES + "trial3/trial3.h5ad";
const FEATURES = ["sig_demo", ...Array.from({ length: 40 }, (_, i) => `G${String(i).padStart(5, "0")}`)];
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** The largest relative deviation of each compared quantity, by kind of fit. */
function compare(frame: string, rows: MixedRow[], baseline: string) {
  const dev: Record<string, number> = {};
  const note = (k: string, a: number, b: number, floor = 0): void => {
    expect(Number.isFinite(a), `${frame} ${k}`).toBe(true);
    dev[k] = Math.max(dev[k] ?? 0, Math.abs(a - b) / Math.max(Math.abs(b), floor));
  };
  const byKey = new Map(rows.map((r) => [`${r.feature}|${r.contrast}`, r]));
  const refC = readRef(`trial3/refs/${frame}.contrasts.csv`);
  for (const c of refC) {
    const r = byKey.get(`${c.feature}|${c.contrast} vs ${baseline}`)!;
    expect(r, `${c.feature} ${c.contrast}`).toBeDefined();
    if (c.boundary === "TRUE") {
      // theta = 0: the REML fit is OLS (the refs' lm() columns), lmerTest's df n - p
      note("boundary estimate", r.beta_DiD, num(c, "estimate_ols"));
      note("boundary se", r.se_DiD, num(c, "se_ols"));
      note("boundary df", r.df_DiD, num(c, "df_satterthwaite"));
      continue;
    }
    // relative to the estimate, or to its se when it is nearer 0 (0.0017 +- 0.28 is known to ~1e-9 absolute)
    note("estimate", r.beta_DiD, num(c, "estimate"), num(c, "se"));
    note("se", r.se_DiD, num(c, "se"));
    note("df", r.df_DiD, num(c, "df_satterthwaite"));
    note("p wald z", r.p_DiD, num(c, "p_wald_z"));
    note("p satterthwaite", r.p_DiD_satterthwaite, num(c, "p_satterthwaite"));
  }
  const byFeature = new Map(rows.map((r) => [r.feature, r]));
  for (const f of readRef(`trial3/refs/${frame}.features.csv`)) {
    const r = byFeature.get(f.feature)!;
    const b = f.boundary === "TRUE" ? "boundary " : "";
    note(`${b}F`, r.F_joint!, num(f, "F_satterthwaite"));
    note(`${b}ddf`, r.ddf_joint!, num(f, "ddf_satterthwaite"));
    note(`${b}p F`, r.p_joint!, num(f, "p_F_satterthwaite"));
    note("LRT", r.lrt_stat!, num(f, "lrt_stat"));
    note("p LRT", r.p_lrt!, num(f, "lrt_p"));
    expect(r.lrt_df).toBe(num(f, "lrt_df"));
    // the p-values are the exact tails of the statistics reported
    expect(r.p_joint).toBe(fUpper(r.F_joint!, 2, r.ddf_joint!));
    expect(r.p_lrt).toBe(chiSqUpper(r.lrt_stat!, 2));
  }
  return dev;
}

describe("three visits against lme4 / lmerTest (trial3)", () => {
  const cases = [
    { frame: "all3", covariates: [] as string[] },
    { frame: "all3_cov", covariates: ["age", "sex"] },
  ];
  for (const c of cases) {
    it(c.frame, () => {
      const t = didTableMixed(H5AD, { visits: ["D0", "D14", "D28"], features: FEATURES, covariates: c.covariates });
      expect(t.rows.length).toBe(2 * FEATURES.length);
      expect(t.rows.slice(0, 2).map((r) => r.contrast)).toEqual(["D14 vs D0", "D28 vs D0"]);
      expect(t.rows.every((r) => r.n_units === 26)).toBe(true);
      expect(t.warnings.join("\n")).toMatch(/2 participant\(s\) without cells at D0 and at least one of D14, D28 dropped: P001, P002/);
      const dev = compare(c.frame, t.rows, "D0");
      console.log(c.frame, JSON.stringify(dev, (_, v: number) => (typeof v === "number" ? Number(v.toExponential(2)) : v)));
      // interior optima (the criterion is flat: theta is determined to ~1e-7, README of the fixtures)
      for (const k of ["estimate", "se", "F", "LRT", "boundary estimate", "boundary se"]) expect(dev[k], k).toBeLessThan(1e-6);
      for (const k of ["df", "ddf", "boundary df", "boundary ddf"]) if (k in dev) expect(dev[k], k).toBeLessThan(1e-4);
      for (const k of ["p wald z", "p satterthwaite", "p F", "p LRT"]) expect(dev[k], k).toBeLessThan(1e-5);
      // FDR within each contrast
      for (const contrast of ["D14 vs D0", "D28 vs D0"]) {
        const rows = t.rows.filter((r) => r.contrast === contrast);
        const p = rows.map((r) => r.p_DiD).sort((a, b) => a - b);
        const min = rows.reduce((m, r) => (r.p_DiD === p[0] ? r : m));
        expect(min.FDR_DiD).toBeCloseTo(Math.min(...p.map((x, i) => (x * p.length) / (i + 1))), 14);
      }
    });
  }

  it("--ddf kenward-roger: each contrast's df and p, and the joint F with its ddf, as pbkrtest (all3_cov)", () => {
    const t = didTableMixed(H5AD, { visits: ["D0", "D14", "D28"], features: FEATURES, covariates: ["age", "sex"], ddf: "kenward-roger" });
    const byKey = new Map(t.rows.map((r) => [`${r.feature}|${r.contrast}`, r]));
    const dev = { df: 0, p: 0, F: 0, ddf: 0 };
    for (const c of readRef("trial3/refs/all3_cov.contrasts.csv")) {
      const r = byKey.get(`${c.feature}|${c.contrast} vs D0`)!;
      dev.df = Math.max(dev.df, rel(r.df_DiD, num(c, "df_kr_pbkrtest")));
      dev.p = Math.max(dev.p, Math.abs(r.p_DiD_satterthwaite - num(c, "p_kr_pbkrtest")) / Math.max(num(c, "p_kr_pbkrtest"), 1e-300));
    }
    const byFeature = new Map(t.rows.map((r) => [r.feature, r]));
    for (const f of readRef("trial3/refs/all3_cov.features.csv")) {
      const r = byFeature.get(f.feature)!;
      dev.F = Math.max(dev.F, rel(r.F_joint!, num(f, "F_kr_pbkrtest")));
      dev.ddf = Math.max(dev.ddf, rel(r.ddf_joint!, num(f, "ddf_kr_pbkrtest")));
      expect(r.p_joint).toBe(fUpper(r.F_joint!, 2, r.ddf_joint!));
    }
    console.log("all3_cov KR", JSON.stringify(dev));
    expect(dev.df).toBeLessThan(1e-4);
    expect(dev.ddf).toBeLessThan(1e-4);
    expect(dev.F).toBeLessThan(1e-6);
    expect(dev.p).toBeLessThan(1e-5);
  });

  it("two visits through the same path give today's table: no contrast column, the same rows", () => {
    const two = didTableMixed(H5AD, { visits: ["D0", "D14"], features: FEATURES });
    expect(two.rows.every((r) => r.contrast === undefined && r.F_joint === undefined)).toBe(true);
    expect(columnNames("mixed")).not.toContain("contrast");
    // and against the refs' two-visit frame (all2): the DiD coefficient is the one contrast
    const ref = new Map(readRef("trial3/refs/all2.contrasts.csv").map((c) => [c.feature, c]));
    let worst = 0;
    for (const r of two.rows) {
      const c = ref.get(r.feature)!;
      worst = Math.max(worst, rel(r.beta_DiD, num(c, c.boundary === "TRUE" ? "estimate_ols" : "estimate")));
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it("a follow-up where one arm has no rows: its contrast is NaN with the reason, the joint tests over the rest", () => {
    // drop the treated participants' D14 rows from the frame the scan sees
    const frame = didFrame();
    const t = didTableMixed(frame, { visits: ["D0", "D14", "D28"], features: ["G00002"] });
    const [d14, d28] = t.rows;
    expect(d14.error).toMatch(/not estimable: arm Treated has no rows at D14/);
    expect(Number.isNaN(d14.beta_DiD)).toBe(true);
    expect(Number.isFinite(d28.beta_DiD)).toBe(true);
    expect(d28.lrt_df).toBe(1);
    expect(d28.F_joint).toBeCloseTo((d28.beta_DiD / d28.se_DiD) ** 2, 10); // one numerator df: F = t^2
    expect(d28.ddf_joint).toBeCloseTo(d28.df_DiD, 8);
  });

  it("refuses --random-slope and fixed with more than two visits, in one line", () => {
    expect(() => didTableMixed(H5AD, { visits: ["D0", "D14", "D28"], features: ["G00000"], randomSlope: true })).toThrow(/--random-slope takes two visits/);
    expect(() => didTable(H5AD, { visits: ["D0", "D14", "D28"], features: ["G00000"] })).toThrow(/is for the mixed model \(trialmix mixed\); fixed and compare take two/);
  });

  it("the host's Satterthwaite df of a coefficient equals the kernel's (the joint F's building block)", () => {
    const frame = frameOf(H5AD, { visits: ["D0", "D14", "D28"], features: FEATURES.slice(0, 8) });
    const md = mixedDesign(frame, { visits: ["D0", "D14", "D28"], treated: "Treated" });
    const y = zScored(frame.values);
    const fit = fitBatch(md.design, y, { reml: true });
    const n = md.design.n, p = md.design.p;
    let worst = 0;
    for (let k = 0; k < 8; k++) {
      const v = varparDerivs(md.design, y.subarray(k * n, (k + 1) * n), fit.theta[k])!;
      for (const j of md.contrasts!.index) {
        const c = new Float64Array(p);
        c[j] = 1;
        worst = Math.max(worst, rel(contrastDf(v, c), fit.df[k * p + j]), rel(v.beta[j], fit.beta[k * p + j]));
      }
    }
    expect(worst).toBeLessThan(1e-8);
  });

  it("lmerTest's get_Fstat_ddf", () => {
    expect(fStatDdf([10])).toBe(10);
    expect(fStatDdf([10, 10])).toBe(10);
    expect(fStatDdf([10, 1.5])).toBe(2);
    const E = 10 / 8 + 20 / 18;
    expect(fStatDdf([10, 20])).toBeCloseTo((2 * E) / (E - 2), 14);
  });
});

/** trial3's three-visit frame without the treated arm's D14 rows. */
function didFrame() {
  const full = didTableMixedFrame();
  const keep = full.visit.map((v, i) => !(v === "D14" && full.arm[i] === "Treated"));
  const idx = keep.flatMap((k, i) => (k ? [i] : []));
  return {
    ...full,
    participant: idx.map((i) => full.participant[i]),
    visit: idx.map((i) => full.visit[i]),
    arm: idx.map((i) => full.arm[i]),
    values: full.values.map((v) => Float64Array.from(idx, (i) => v[i])),
    nCells: undefined,
    warnings: undefined,
  };
}

import { frameOf } from "../../src/api.js";

/** Each feature z-scored (as the scan does), feature-major. */
function zScored(values: Float64Array[]): Float64Array {
  const n = values[0].length;
  const Y = new Float64Array(values.length * n);
  values.forEach((v, k) => zScoreInto(v, zParams(v, 1e-12)!, Y, k * n));
  return Y;
}
function didTableMixedFrame() {
  return frameOf(H5AD, { visits: ["D0", "D14", "D28"], features: ["G00002"] });
}
