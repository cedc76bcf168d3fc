// Assertions of a mixed-model table against the shipped lme4 and statsmodels references.
import { expect } from "vitest";
import { readRef, num, relClose } from "./refs.js";

export interface MixedLike {
  feature: string;
  beta_DiD: number;
  se_DiD: number;
  var_participant: number;
  var_residual: number;
  df_DiD: number;
  logLik: number;
  singular: boolean | string;
  var_slope?: number;
}

export interface CheckCounts {
  interior: number;
  boundary: number;
  nan: number;
}

/** lme4 estimates to 1e-5 relative at interior optima; logLik never below the better reference fit. */
export function checkAgainstRefs(ref: string, rows: MixedLike[], slope = false): CheckCounts {
  const lme = new Map(readRef(`ref/${ref}.lme4.csv`).map((r) => [r.feature, r]));
  const sm = new Map(readRef(`ref/${ref}.statsmodels.csv`).map((r) => [r.feature, r]));
  const counts: CheckCounts = { interior: 0, boundary: 0, nan: 0 };
  expect(rows.length).toBe(sm.size);
  for (const row of rows) {
    const l = lme.get(row.feature);
    const s = sm.get(row.feature)!;
    expect(s, row.feature).toBeDefined();
    if (l === undefined) {
      // lme4 skipped it: the standardisation failed, and so must ours.
      expect(Number.isNaN(row.beta_DiD), row.feature).toBe(true);
      counts.nan++;
      continue;
    }
    // Every fitted row has its Satterthwaite df; a singular fit is at (or within roundoff of) zero.
    expect(Number.isFinite(row.df_DiD), `${row.feature} df ${row.df_DiD}`).toBe(true);
    if (!slope && row.singular === true) expect(row.var_participant, row.feature).toBeLessThan(1e-9 * row.var_residual);
    // The optimum: never below the better of lme4's and statsmodels' REML log-likelihood.
    const best = Math.max(-num(l, "reml_criterion") / 2, Number.isFinite(num(s, "llf")) ? num(s, "llf") : -Infinity);
    expect(row.logLik, `${row.feature} logLik ${row.logLik} vs best ${best}`).toBeGreaterThanOrEqual(best - 1e-8 * Math.abs(best));
    const lmeLogLik = -num(l, "reml_criterion") / 2;
    const singular = l.singular === "TRUE" || row.singular === true;
    // Estimates are only determined as far as the optimum is: compare tightly where lme4 reached ours.
    const sameOptimum = Math.abs(row.logLik - lmeLogLik) <= 1e-12 * Math.abs(lmeLogLik);
    if (!singular && sameOptimum) {
      // lme4 reached the same interior optimum: estimates agree tightly.
      for (const [ours, key] of [
        [row.beta_DiD, "beta_DiD"],
        [row.se_DiD, "se_DiD"],
        [row.var_participant, "var_participant"],
        [row.var_residual, "var_residual"],
        ...(slope ? [[row.var_slope ?? NaN, "var_slope"] as [number, string]] : []),
      ] as [number, string][]) {
        expect(relClose(ours, num(l, key), 1e-5), `${row.feature} ${key}: ${ours} vs lme4 ${num(l, key)}`).toBe(true);
      }
      expect(relClose(row.df_DiD, num(l, "df_satterthwaite"), 1e-4), `${row.feature} df ${row.df_DiD} vs ${num(l, "df_satterthwaite")}`).toBe(true);
      counts.interior++;
    } else {
      // Boundary (a variance at zero) or lme4 short of the optimum (ours is higher, asserted above):
      // the same fit to the accuracy lme4 reaches there.
      if (singular && !slope) expect(row.var_participant, row.feature).toBeLessThan(1e-6);
      if (row.logLik - lmeLogLik > 1e-7 * Math.abs(lmeLogLik)) {
        // a clearly better optimum than lme4's: the estimates move, but by a small part of a standard error
        expect(Math.abs(row.beta_DiD - num(l, "beta_DiD")), `${row.feature} beta`).toBeLessThan(0.05 * row.se_DiD);
        expect(relClose(row.se_DiD, num(l, "se_DiD"), 0.05), `${row.feature} se`).toBe(true);
      } else {
        expect(relClose(row.beta_DiD, num(l, "beta_DiD"), 1e-3, 1e-3), `${row.feature} beta`).toBe(true);
        expect(relClose(row.se_DiD, num(l, "se_DiD"), 1e-3), `${row.feature} se`).toBe(true);
      }
      counts.boundary++;
    }
  }
  return counts;
}
