// The stress suite (issue 11): ~2,000 features of the kinds that break optimisers, each against its exact
// REML optimum (test/fixtures/stress/exact.csv: the criterion in 50-digit arithmetic, exact_ref.py), with
// lme4's and statsmodels' fits of the same features beside it. The data are regenerated here by the
// committed generator (integer arithmetic: the same doubles everywhere; frames.txt ties them to the
// references by checksum).
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fitBatch, reasonText } from "../../src/kernel/index.js";
import type { BatchFit } from "../../src/types.js";
import { readRef, num, FIXTURES, type RefRow } from "../helpers/refs.js";
// @ts-expect-error: a plain ES module without types
import { stressDesigns, checksum } from "../fixtures/stress/generate.mjs";

interface Design { name: string; design: { n: number; p: number; q: number; G: number }; features: string[]; Y: Float64Array }

const DID = 3;
/** A fit short of the exact optimum by more than this (relative in logLik) is a failure. */
const SHORT = 1e-7;
/** A converged (certified) fit is at the optimum to this (relative in logLik). */
const CERTIFIED_SHORT = 1e-9;
/** Estimates and df at interior optima, relative (beta_DiD: relative to max(|beta|, se)). */
const EST_RTOL = 1e-6;
/** An exact optimum whose variance ratios (theta's diagonal) are all at least this is interior: below it
 * the criterion differs from the boundary's by ~theta^2 (1e-26 at 1e-13, as some features have), which no
 * double-precision fit resolves; those are compared on logLik only. */
const INTERIOR_THETA = 1e-5;

const designs: Design[] = stressDesigns();
const key = (d: string, f: string) => `${d}\u0000${f}`;
const byKey = (rows: RefRow[]) => new Map(rows.map((r) => [key(r.design, r.feature), r]));
const exact = byKey(readRef("stress/exact.csv"));

/** (exact - other) / max(|exact|, 1): how far a log-likelihood is short of the optimum. */
function shortfall(llExact: number, ll: number): number {
  return (llExact - ll) / Math.max(Math.abs(llExact), 1);
}

interface Checked { bad: string[]; short: number[]; certifiedShort: number; n: number; ms: number; interior: number; above64: number }

function checkDesign(d: Design): Checked {
  const { n, p, q } = d.design;
  const nth = (q * (q + 1)) / 2;
  const t0 = performance.now();
  const fit: BatchFit = fitBatch(d.design as never, d.Y);
  const ms = performance.now() - t0;
  const bad: string[] = [];
  const short: number[] = [];
  let certifiedShort = 0, interior = 0, above64 = 0;
  d.features.forEach((f, k) => {
    const E = exact.get(key(d.name, f));
    if (!E) { bad.push(`${f}: no exact reference`); return; }
    const why = fit.status[k] === 0 ? reasonText(fit.reason[k]) : reasonText(fit.reason[k]) || `status ${fit.status[k]}`;
    // every NaN has a reason
    const vals = [fit.beta[k * p + DID], fit.se[k * p + DID], fit.df[k * p + DID], fit.logLik[k], fit.scale[k]];
    if (vals.some((v) => Number.isNaN(v)) && why === "") bad.push(`${f}: NaN without a reason`);
    if (E.status === "nooptimum" || E.status === "beyond" || E.status === "constant") {
      if (fit.status[k] === 0 && fit.converged[k]) bad.push(`${f}: exact has no optimum (${E.status}), ours converged at logLik ${fit.logLik[k]}`);
      return;
    }
    const llE = num(E, "loglik");
    if (fit.status[k] !== 0) { bad.push(`${f}: exact optimum logLik ${llE} (theta ${E.theta0}), ours failed: ${why}`); return; }
    const s = shortfall(llE, fit.logLik[k]);
    short.push(s);
    if (s > SHORT) bad.push(`${f}: logLik ${fit.logLik[k]} short of the exact ${llE} by ${s.toExponential(2)} (converged ${fit.converged[k]})`);
    if (fit.converged[k]) certifiedShort = Math.max(certifiedShort, s);
    if (fit.converged[k] && s > CERTIFIED_SHORT) bad.push(`${f}: converged but short by ${s.toExponential(2)}`);
    if (num(E, "theta0") > 64) above64++; // (every such optimum used to be returned at theta = 64)
    const diag = q === 1 ? [num(E, "theta0")] : [num(E, "theta0"), num(E, "theta2")];
    if (E.status !== "interior" || !diag.every((t) => Math.abs(t) >= INTERIOR_THETA)) return;
    interior++;
    const close = (name: string, ours: number, ref: number, floor = 0) => {
      if (!(Math.abs(ours - ref) <= EST_RTOL * Math.max(Math.abs(ref), floor))) bad.push(`${f}: ${name} ${ours} vs exact ${ref}`);
    };
    close("beta_DiD", fit.beta[k * p + DID], num(E, "beta_DiD"), num(E, "se_DiD"));
    close("se_DiD", fit.se[k * p + DID], num(E, "se_DiD"));
    close("df_DiD", fit.df[k * p + DID], num(E, "df_DiD"));
    close("var_residual", fit.scale[k], num(E, "var_residual"));
    close("var_participant", fit.covRe[k * q * q], num(E, "var_participant"));
    if (q === 2) close("var_slope", fit.covRe[k * 4 + 3], num(E, "var_slope"));
    for (let i = 0; i < nth; i++) if (!Number.isFinite(fit.gradient[k * nth + i])) bad.push(`${f}: gradient not reported`);
  });
  void n;
  return { bad, short, certifiedShort, n: d.features.length, ms, interior, above64 };
}

describe("stress suite: every fit at the exact REML optimum or saying why not", () => {
  const results: Checked[] = [];
  it("regenerates the data the references were made from (checksums of frames.txt)", () => {
    const txt = readFileSync(`${FIXTURES}stress/frames.txt`, "utf8");
    for (const d of designs) {
      const m = txt.match(new RegExp(`^${d.name}: .* features=(\\d+) checksum=(\\S+)$`, "m"));
      expect(m, d.name).not.toBeNull();
      expect(Number(m![1])).toBe(d.features.length);
      expect(checksum(d.Y)).toBe(Number(m![2]));
    }
    expect(designs.reduce((s, d) => s + d.features.length, 0)).toBeGreaterThan(1900);
  });

  for (const d of designs) {
    it(`${d.name} (G = ${d.design.G}, n = ${d.design.n}, q = ${d.design.q}, ${d.features.length} features)`, () => {
      const r = checkDesign(d);
      results.push(r);
      const worst = r.short.length ? Math.max(...r.short) : 0;
      console.log(`${d.name}: ${r.n} features (${r.interior} interior) in ${r.ms.toFixed(1)} ms; worst shortfall ${worst.toExponential(2)}, certified ${r.certifiedShort.toExponential(2)}; ${r.bad.length} problems\n` + r.bad.slice(0, 20).join("\n"));
      expect(r.bad).toEqual([]);
    });
  }

  it("covers the issue's cases: optima with theta far above 64, boundary fits, random slopes", () => {
    expect(results.length).toBe(designs.length);
    const above = results.reduce((s, r) => s + r.above64, 0);
    const interior = results.reduce((s, r) => s + r.interior, 0);
    const fitted = results.reduce((s, r) => s + r.short.length, 0);
    console.log(`${fitted} fits against an exact optimum (${interior} interior, ${above} with theta > 64), all within ${SHORT} relative`);
    expect(above).toBeGreaterThan(150);
    expect(interior).toBeGreaterThan(1000);
  });
});
