// Kenward-Roger in the kernel against pbkrtest 0.5.2 (vcovAdj, Lb_ddf, KRmodcomp) on the issue-15 frames
// (test/fixtures/kr: frames and references, made by the scripts in test/fixtures/trial3).
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fitBatch } from "../../src/kernel/batch.js";
import type { AnalysisFrame, BatchDesign } from "../../src/types.js";
import { fitMixedTable } from "../../src/exec/driver.js";

const dir = new URL("../fixtures/kr/", import.meta.url).pathname;

/** A small CSV reader (the fixtures are plain: no quoted commas). */
function readCsv(name: string): Record<string, string>[] {
  const lines = readFileSync(dir + name, "utf8").trim().split("\n");
  const head = lines[0].split(",").map((s) => s.replace(/"/g, ""));
  return lines.slice(1).map((l) => {
    const v = l.split(",").map((s) => s.replace(/"/g, ""));
    return Object.fromEntries(head.map((h, i) => [h, v[i]]));
  });
}

interface Frame { design: BatchDesign; features: string[]; Y: Float64Array; did: number[]; followups: string[] }

/** y ~ arm * visit (+ age + sex) + (1 | participant), R's treatment coding: 1, arm, visit dummies, arm:visit
 * dummies (the DiD contrasts, in `did`), age, sexM. */
function frame(name: string, covariates: boolean): Frame {
  const rows = readCsv(`${name}.frame.csv`);
  const visits = [...new Set(rows.map((r) => r.visit))].sort();
  const followups = visits.slice(1);
  const ids = [...new Set(rows.map((r) => r.participant_id))];
  const nf = followups.length;
  const p = 2 + 2 * nf + (covariates ? 2 : 0);
  const n = rows.length;
  const X = new Float64Array(n * p);
  rows.forEach((r, i) => {
    const arm = r.arm === "Treated" ? 1 : 0;
    const x = [1, arm, ...followups.map((v) => (r.visit === v ? 1 : 0)), ...followups.map((v) => (r.visit === v ? arm : 0))];
    if (covariates) x.push(Number(r.age), r.sex === "M" ? 1 : 0);
    X.set(x, i * p);
  });
  const features = Object.keys(rows[0]).filter((k) => k === "sig_demo" || /^G\d+$/.test(k));
  const Y = new Float64Array(features.length * n);
  features.forEach((f, k) => rows.forEach((r, i) => (Y[k * n + i] = Number(r[f]))));
  const groups = Int32Array.from(rows, (r) => ids.indexOf(r.participant_id));
  const design: BatchDesign = { n, p, q: 1, X, Z: new Float64Array(n).fill(1), groups, G: ids.length };
  return { design, features, Y, did: followups.map((_, j) => 2 + nf + j), followups };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe.each([
  ["all2", false],
  ["all2_cov", true],
  ["all3", false],
  ["all3_cov", true],
  ["ct-NK_min5", false], // 12 of 41 boundary fits
])("Kenward-Roger on %s against pbkrtest", (name, cov) => {
  const fr = frame(name, cov);
  const { p } = fr.design;
  const nf = fr.did.length;
  // the joint arm-by-visit test: L selects the interaction columns
  const L = new Float64Array(nf * p);
  fr.did.forEach((c, r) => (L[r * p + c] = 1));
  const fit = fitBatch(fr.design, fr.Y, { ddf: "kenward-roger", contrasts: { rows: nf, L } });
  const refs = readCsv(`${name}.contrasts.csv`);
  const feats = readCsv(`${name}.features.csv`);

  it("per contrast: adjusted se to 1e-6, df to 1e-4 (boundary fits included)", () => {
    let boundary = 0;
    for (const r of refs) {
      const k = fr.features.indexOf(r.feature);
      const j = fr.did[fr.followups.indexOf(r.contrast)];
      expect(k).toBeGreaterThanOrEqual(0);
      if (r.boundary === "TRUE") boundary++;
      expect(rel(fit.dfKr[k * p + j], Number(r.df_kr_pbkrtest))).toBeLessThan(1e-4);
      expect(rel(fit.seKr[k * p + j], Number(r.se_kr_pbkrtest))).toBeLessThan(1e-6);
      expect(Math.abs(fit.beta[k * p + j] - Number(r.estimate))).toBeLessThan(1e-6 * Number(r.se));
    }
    expect(refs.length).toBe(fr.features.length * nf);
    if (name === "ct-NK_min5") expect(boundary).toBeGreaterThan(10);
  });

  it("joint test: scaled F to 1e-6 and ddf to 1e-4 (KRmodcomp)", () => {
    for (const r of feats) {
      const k = fr.features.indexOf(r.feature);
      expect(rel(fit.fKr[k], Number(r.F_kr_pbkrtest))).toBeLessThan(1e-6);
      expect(rel(fit.ddfKr[k], Number(r.ddf_kr_pbkrtest))).toBeLessThan(1e-4);
    }
  });
});

describe("Kenward-Roger is opt-in", () => {
  const fr = frame("all2", false);
  it("without ddf the outputs are NaN and every other output is unchanged", () => {
    const a = fitBatch(fr.design, fr.Y);
    const b = fitBatch(fr.design, fr.Y, { ddf: "kenward-roger" });
    expect(Array.from(a.dfKr).every(Number.isNaN)).toBe(true);
    expect(Array.from(b.dfKr).some(Number.isNaN)).toBe(false);
    expect(Array.from(b.fKr).every(Number.isNaN)).toBe(true); // no contrasts given
    expect(Array.from(b.df)).toEqual(Array.from(a.df));
    expect(Array.from(b.se)).toEqual(Array.from(a.se));
    expect(Array.from(b.beta)).toEqual(Array.from(a.beta));
  });
  it("ML fits have no Kenward-Roger statistics", () => {
    const c = fitBatch(fr.design, fr.Y, { ddf: "kenward-roger", reml: false });
    expect(Array.from(c.dfKr).every(Number.isNaN)).toBe(true);
  });
  it("bad contrasts are refused with one line", () => {
    expect(() => fitBatch(fr.design, fr.Y, { ddf: "kenward-roger", contrasts: { rows: 1, L: new Float64Array(3) } })).toThrow(/expected rows\*p = 4/);
  });
});

describe.each([
  ["all2", false],
  ["all2_cov", true],
])("the mixed scan with ddf kenward-roger on %s (today's DiD design)", (name, cov) => {
  const rows = readCsv(`${name}.frame.csv`);
  const features = Object.keys(rows[0]).filter((k) => k === "sig_demo" || /^G\d+$/.test(k));
  const frame: AnalysisFrame = {
    unit: "participant_visit",
    participant: rows.map((r) => r.participant_id),
    visit: rows.map((r) => r.visit),
    arm: rows.map((r) => r.arm),
    covariates: cov
      ? [
          { name: "age", kind: "numeric", values: Float64Array.from(rows, (r) => Number(r.age)) },
          { name: "sex", kind: "categorical", values: rows.map((r) => r.sex), levels: ["F", "M"] },
        ]
      : [],
    features,
    values: features.map((f) => Float64Array.from(rows, (r) => Number(r[f]))),
  };
  const opts = { visits: ["D0", "D14"] as [string, string], treated: "Treated", standardize: false, covariates: cov ? ["age", "sex"] : [] };
  const refs = readCsv(`${name}.contrasts.csv`);
  it("df_DiD and p_DiD_satterthwaite are pbkrtest's (df to 1e-4, p to 1e-6); the default stays Satterthwaite", () => {
    const kr = fitMixedTable(frame, { ...opts, ddf: "kenward-roger" });
    const sat = fitMixedTable(frame, opts);
    for (const r of refs) {
      const a = kr.rows.find((x) => x.feature === r.feature)!;
      const b = sat.rows.find((x) => x.feature === r.feature)!;
      expect(rel(a.df_DiD, Number(r.df_kr_pbkrtest))).toBeLessThan(1e-4);
      expect(rel(a.p_DiD_satterthwaite, Number(r.p_kr_pbkrtest))).toBeLessThan(1e-6);
      // lmerTest's Satterthwaite (numerical Hessian, ~1e-7) and, at the boundary, its OLS df
      expect(rel(b.df_DiD, Number(r.df_satterthwaite))).toBeLessThan(1e-5);
      expect(a.se_DiD).toBe(b.se_DiD);
      expect(a.p_DiD).toBe(b.p_DiD);
    }
    // at boundary fits the two differ (pbkrtest keeps the within-participant df; lmerTest the OLS df)
    const bnd = refs.filter((r) => r.boundary === "TRUE");
    expect(bnd.length).toBeGreaterThan(2);
    for (const r of bnd) expect(kr.rows.find((x) => x.feature === r.feature)!.df_DiD).toBeLessThan(Number(r.df_satterthwaite) - 10);
  });
});

describe("Kenward-Roger with a random slope (q = 2) against pbkrtest (ref_slope.R)", () => {
  const fr = frame("all3", false);
  const { n, p } = fr.design;
  const rows = readCsv("all3.frame.csv");
  const Z = new Float64Array(2 * n);
  rows.forEach((r, i) => { Z[2 * i] = 1; Z[2 * i + 1] = ["D0", "D14", "D28"].indexOf(r.visit); });
  const design = { ...fr.design, q: 2, Z };
  const refs = readCsv("slope.csv");
  const Y = new Float64Array(refs.length * n);
  refs.forEach((r, k) => Y.set(fr.Y.subarray(fr.features.indexOf(r.feature) * n, (fr.features.indexOf(r.feature) + 1) * n), k * n));
  const L = new Float64Array(2 * p);
  L[4] = 1; L[p + 5] = 1;
  const fit = fitBatch(design, Y, { ddf: "kenward-roger", contrasts: { rows: 2, L } });
  it("se to 1e-5, df and F to 1e-4 at lme4's optimum (theta to ~1e-6; one fit with a zero slope variance)", () => {
    refs.forEach((r, k) => {
      expect(fit.logLik[k] * -2).toBeCloseTo(Number(r.reml), 6);
      for (const [c, j] of [["D14", 4], ["D28", 5]] as const) {
        expect(rel(fit.seKr[k * p + j], Number(r[`se_kr_${c}`]))).toBeLessThan(1e-5);
        expect(rel(fit.dfKr[k * p + j], Number(r[`df_kr_${c}`]))).toBeLessThan(1e-4);
      }
      expect(rel(fit.fKr[k], Number(r.F_kr))).toBeLessThan(1e-4);
      expect(rel(fit.ddfKr[k], Number(r.ddf_kr))).toBeLessThan(1e-4);
    });
  });
});

describe("the library and the command line pass ddf through", () => {
  it("didTableMixed(path, { ddf: 'kenward-roger' }) on the all2 frame as a long table gives pbkrtest's df", async () => {
    const { didTableMixed } = await import("../../src/api.js");
    const refs = readCsv("all2.contrasts.csv");
    const features = refs.map((r) => r.feature);
    const kr = didTableMixed(dir + "all2.frame.csv", { visits: ["D0", "D14"], features, ddf: "kenward-roger" });
    const sat = didTableMixed(dir + "all2.frame.csv", { visits: ["D0", "D14"], features });
    for (const r of refs) {
      const a = kr.rows.find((x) => x.feature === r.feature)!;
      expect(rel(a.df_DiD, Number(r.df_kr_pbkrtest))).toBeLessThan(1e-4);
      expect(rel(sat.rows.find((x) => x.feature === r.feature)!.df_DiD, Number(r.df_satterthwaite))).toBeLessThan(1e-5);
    }
  });
});
