// The mixed-model DiD table on the reference frames, didMixed on a real trial, and the merge.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fitMixedTable, didMixed, SLOPE_ON_PSEUDOBULK } from "../../src/models/mixed/index.js";
import { mergeFixedMixed } from "../../src/models/compare.js";
import { parseDelimited, parseNumber } from "../../src/io/csv.js";
import { frameFromRef } from "../helpers/frames.js";
import { checkAgainstRefs } from "../helpers/check.js";
import { readRef, num, relClose, FIXTURES } from "../helpers/refs.js";

const VISITS: [string, string] = ["Pre", "Post"];

describe("fitMixedTable reproduces lme4 and beats or ties statsmodels", () => {
  const cases = [
    { ref: "basic", covariates: [] as string[], slope: false },
    { ref: "messy", covariates: ["age", "sex"], slope: false },
    { ref: "messy_median", covariates: [] as string[], slope: false },
    { ref: "cells_slope", covariates: [] as string[], slope: true },
  ] as const;
  for (const c of cases) {
    it(c.ref, () => {
      const frame = frameFromRef(c.ref, [...c.covariates]);
      const t = fitMixedTable(frame, {
        visits: VISITS,
        treated: "Treated",
        covariates: [...c.covariates],
        randomSlope: c.slope,
      });
      const counts = checkAgainstRefs(c.ref, t.rows, c.slope);
      expect(counts.interior).toBeGreaterThan(c.slope ? 10 : 60);
      expect(t.failed).toBe(counts.nan);
      // FDR: Benjamini-Hochberg over the finite p-values, as statsmodels' multipletests.
      const sm = new Map(readRef(`ref/${c.ref}.statsmodels.csv`).map((r) => [r.feature, r]));
      for (const r of t.rows) {
        const s = sm.get(r.feature)!;
        if (!Number.isFinite(r.p_DiD)) expect(Number.isNaN(r.FDR_DiD)).toBe(true);
        expect(r.n_units).toBe(num(s, "n_units"));
      }
      if (!c.slope) {
        // statsmodels reaches the same interior optimum on random intercepts: Wald p and CI agree.
        const lme = new Map(readRef(`ref/${c.ref}.lme4.csv`).map((r) => [r.feature, r]));
        for (const r of t.rows) {
          const l = lme.get(r.feature);
          if (!l || l.singular === "TRUE" || r.singular) continue;
          expect(relClose(r.p_DiD, num(l, "p_wald_z"), 1e-4), `${r.feature} p`).toBe(true);
          expect(relClose(r.p_DiD_satterthwaite, num(l, "p_satterthwaite"), 1e-3), `${r.feature} p_sat`).toBe(true);
        }
      }
    });
  }

  it("flags the random slope on pseudobulk in every row and once in the warnings", () => {
    const frame = frameFromRef("basic");
    frame.features = frame.features.slice(0, 3);
    frame.values = frame.values.slice(0, 3);
    const t = fitMixedTable(frame, { visits: VISITS, treated: "Treated", randomSlope: true });
    expect(t.warnings).toEqual([SLOPE_ON_PSEUDOBULK]);
    for (const r of t.rows) {
      // the note leads; where the df is NaN (the slope model is not identifiable here) the row also says why
      expect(r.error.startsWith(SLOPE_ON_PSEUDOBULK)).toBe(true);
      if (Number.isNaN(r.df_DiD)) expect(r.error).toMatch(/Satterthwaite df unavailable/);
      expect(r.var_slope).toBeDefined();
    }
  });

  it("a feature with missing values is fitted on its complete rows; a constant one is a NaN row", () => {
    const frame = frameFromRef("basic");
    frame.features = ["a", "b", "c"];
    const base = frame.values[1];
    const withNaN = Float64Array.from(base);
    withNaN[0] = NaN;
    frame.values = [Float64Array.from(base), withNaN, new Float64Array(base.length).fill(3)];
    const t = fitMixedTable(frame, { visits: VISITS, treated: "Treated" });
    expect(Number.isFinite(t.rows[0].beta_DiD)).toBe(true);
    expect(Number.isFinite(t.rows[1].beta_DiD)).toBe(true);
    expect(t.rows[1].beta_DiD).not.toBe(t.rows[0].beta_DiD);
    expect(Number.isNaN(t.rows[2].beta_DiD)).toBe(true);
    expect(t.rows[2].error).toMatch(/standardisation failed/);
    expect(t.failed).toBe(1);
  });
});

describe("didMixed", () => {
  it("matches lme4 on a real two-arm pre/post trial (MASS::anorexia, FT vs Cont)", () => {
    const { header, rows } = parseDelimited(readFileSync(FIXTURES + "real/anorexia.csv", "utf8"));
    const table = rows
      .map((r) => Object.fromEntries(header.map((h, i) => [h, h === "weight" ? parseNumber(r[i]) : r[i]])))
      .filter((r) => r.arm === "FT" || r.arm === "Cont");
    const res = didMixed(table, { outcome: "weight", treated: "FT", visits: ["Pre", "Post"] });
    const ref = readRef("real/anorexia.lme4.csv")[0];
    expect(relClose(res.beta_DiD, num(ref, "beta_DiD"), 1e-6)).toBe(true);
    expect(relClose(res.se_DiD, num(ref, "se_DiD"), 1e-5)).toBe(true);
    expect(relClose(res.var_participant, num(ref, "var_participant"), 1e-5)).toBe(true);
    expect(relClose(res.var_residual, num(ref, "var_residual"), 1e-5)).toBe(true);
    expect(relClose(res.df_DiD, num(ref, "df_satterthwaite"), 1e-4)).toBe(true);
    expect(relClose(res.p_DiD_satterthwaite, num(ref, "p_satterthwaite"), 1e-4)).toBe(true);
    expect(relClose(res.logLik, -num(ref, "reml_criterion") / 2, 1e-8)).toBe(true);
    expect(res.converged).toBe(true);
    expect(res.error).toBe("");
  });

  it("returns the seed's NaN result when the visit column does not have two levels", () => {
    const table = [
      { participant_id: "a", visit: "Pre", arm: "Treated", y: 1 },
      { participant_id: "a", visit: "Post", arm: "Treated", y: 2 },
      { participant_id: "b", visit: "FU", arm: "Control", y: 3 },
    ];
    const res = didMixed(table, { outcome: "y" });
    expect(res.error).toBe("Requires exactly 2 time points");
    expect(Number.isNaN(res.beta_DiD)).toBe(true);
    expect(res.converged).toBe(false);
  });
});

describe("mergeFixedMixed", () => {
  it("outer-merges on feature in sorted order and scores agreement as the seed", () => {
    const fixed = [
      { feature: "b", beta_DiD: 1, se_DiD: 0.1, p_DiD: 0.01 },
      { feature: "a", beta_DiD: -1, se_DiD: 0.5, p_DiD: 0.2 },
      { feature: "c", beta_DiD: 1, se_DiD: 0.5, p_DiD: 0.01 },
    ];
    const mixed = [
      { feature: "a", beta_DiD: -0.9, se_DiD: 0.4, p_DiD: 0.3, icc: 0.2 },
      { feature: "b", beta_DiD: 1.1, se_DiD: 0.1, p_DiD: 0.001, icc: 0.5 },
      { feature: "d", beta_DiD: 1, se_DiD: 0.1, p_DiD: 0.001, icc: 0.5 },
    ];
    const rows = mergeFixedMixed(fixed, mixed);
    expect(rows.map((r) => r.feature)).toEqual(["a", "b", "c", "d"]);
    expect(rows.map((r) => r.agreement)).toEqual([true, true, false, false]);
    expect(rows[1].beta_diff).toBeCloseTo(-0.1, 12);
    expect(Number.isNaN(rows[2].beta_mixed)).toBe(true);
  });
});
