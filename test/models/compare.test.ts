import { describe, expect, it } from "vitest";
import { mergeFixedMixed } from "../../src/models/compare.js";

describe("mergeFixedMixed: the error column", () => {
  it("is empty when both sides have statistics, and names each side's reason otherwise", () => {
    const fixed = [
      { feature: "a", beta_DiD: 1, se_DiD: 0.1, p_DiD: 0.01, error: "" },
      { feature: "b", beta_DiD: NaN, se_DiD: NaN, p_DiD: NaN, error: "constant feature (zero variance): nothing to estimate" },
      { feature: "c", beta_DiD: NaN, se_DiD: NaN, p_DiD: NaN, error: "sd below 1e-8: treated as constant" },
    ];
    const mixed = [
      { feature: "a", beta_DiD: 1.1, se_DiD: 0.1, p_DiD: 0.001, icc: 0.5, error: "" },
      { feature: "b", beta_DiD: NaN, se_DiD: NaN, p_DiD: NaN, icc: NaN, error: "constant feature (zero variance): nothing to estimate" },
      { feature: "c", beta_DiD: 0.4, se_DiD: 0.2, p_DiD: 0.05, icc: 0.3, error: "" },
      { feature: "d", beta_DiD: 0.4, se_DiD: NaN, p_DiD: NaN, icc: 0.3, error: "" },
    ];
    const rows = mergeFixedMixed(fixed, mixed);
    expect(rows.map((r) => [r.feature, r.error])).toEqual([
      ["a", ""],
      ["b", "fixed: constant feature (zero variance): nothing to estimate; mixed: constant feature (zero variance): nothing to estimate"],
      ["c", "fixed: sd below 1e-8: treated as constant"],
      ["d", "fixed: not in the fixed table; mixed: no statistics"],
    ]);
    expect(rows[0].agreement).toBe(true);
    expect(rows[2].beta_mixed).toBe(0.4);
  });
});
