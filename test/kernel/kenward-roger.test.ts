// Kenward-Roger in the kernel against pbkrtest 0.5.2 (vcovAdj, Lb_ddf, KRmodcomp) on the issue-15 frames
// (test/fixtures/kr: frames, references and the scripts that made them, ref_lmm3.R).
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fitBatch } from "../../src/kernel/batch.js";
import type { BatchDesign } from "../../src/types.js";

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
