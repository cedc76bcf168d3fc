// src/output/schema.ts and src/modes.ts: one row schema per mode (error last in every mode), the
// NaN row, and the registry the command line and the page run modes through.
import { describe, it, expect } from "vitest";
import { fileURLToPath } from "node:url";
import { columnNames, columns, columnsNamed, errorOf, nanRow, withErrors, type Mode } from "../../src/output/schema.js";
import { MODES, runMode, type ScanRunner } from "../../src/modes.js";
import { compareFixedVsMixed, didTable, didTableMixed } from "../../src/api.js";

const H = fileURLToPath(new URL("../fixtures/hostile/", import.meta.url));
const BASIC = fileURLToPath(new URL("../fixtures/basic.h5ad", import.meta.url));
const V: [string, string] = ["Pre", "Post"];
const local: ScanRunner = { mixed: didTableMixed, compare: compareFixedVsMixed };

/** Same value, NaN equal to NaN. */
const same = (a: unknown, b: unknown): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe("columns per mode", () => {
  it("every mode's table ends in error; the optional columns sit where docs/API.md says", () => {
    for (const mode of ["mixed", "fixed", "compare"] as Mode[]) expect(columnNames(mode).at(-1), mode).toBe("error");
    expect(columnNames("mixed", { randomSlope: true })).toEqual([
      "feature", "beta_DiD", "se_DiD", "p_DiD", "FDR_DiD", "ci_lower", "ci_upper", "var_participant", "var_residual", "icc",
      "n_units", "converged", "var_slope", "df_DiD", "p_DiD_satterthwaite", "logLik", "singular", "error",
    ]);
    expect(columnNames("fixed", { bootstrap: true, stratified: true })).toEqual([
      "celltype", "feature", "beta_DiD", "se_DiD", "p_DiD", "beta_time", "p_time", "n_units", "resid_sd", "cov_type_used",
      "p_DiD_boot", "se_DiD_boot", "ci_lo_boot", "ci_hi_boot", "FDR_DiD", "FDR_DiD_stratified", "error",
    ]);
    expect(columnNames("compare")).toEqual([
      "feature", "beta_fixed", "se_fixed", "p_fixed", "beta_mixed", "se_mixed", "p_mixed", "icc", "beta_diff", "agreement", "error",
    ]);
    expect(columns("compare").filter((c) => c.kind === "bool").map((c) => c.key)).toEqual(["agreement"]);
    expect(columnsNamed(["p_DiD", "n_units", "unknown"]).map((c) => c.kind)).toEqual(["p", "count", "text"]);
  });
});

describe("the NaN row and the error column", () => {
  it("mixed: a feature the scan cannot fit is the schema's NaN row", () => {
    const t = didTableMixed(H + "values.h5ad", { visits: V });
    const failed = t.rows.filter((r) => !Number.isFinite(r.beta_DiD));
    expect(failed.length).toBe(5);
    for (const r of failed) {
      const want = nanRow("mixed", {}, { feature: r.feature, nUnits: r.n_units, error: r.error });
      for (const c of columnNames("mixed")) expect(same((r as unknown as Record<string, unknown>)[c], want[c]), `${r.feature} ${c}`).toBe(true);
    }
  });

  it("fixed: NaN rows say why in error, fitted rows have an empty error", () => {
    const rows = withErrors(didTable(H + "values.h5ad", { visits: V }).rows);
    const constant = rows.find((r) => r.feature === "constant")!;
    expect(constant.error).toMatch(/constant/);
    const want = nanRow("fixed", {}, { feature: "constant", nUnits: constant.n_units, error: constant.error });
    for (const c of columnNames("fixed")) expect(same((constant as unknown as Record<string, unknown>)[c], want[c]), c).toBe(true);
    expect(rows.find((r) => r.feature === "ok1")!.error).toBe("");
    expect(errorOf({ error: "x", reason: "y" })).toBe("x");
    const plain = [{ error: "" }];
    expect(withErrors(plain)).toBe(plain); // rows that carry error are not copied
  });
});

describe("the mode registry", () => {
  it("runs each mode; its columns are the schema's for the table's shape", async () => {
    const opts = { visits: V, features: ["sig_demo", "G00000", "G00001"] };
    const mixed = await runMode("mixed", BASIC, { ...opts, randomSlope: true }, local);
    expect(mixed.columns).toEqual(columnNames("mixed", { randomSlope: true }));
    expect(mixed.rows.map((r) => r.feature).sort()).toEqual([...opts.features].sort());
    const boot = await runMode("fixed", BASIC, { ...opts, useBootstrap: true, nBoot: 19 }, local);
    expect(boot.columns).toEqual(columnNames("fixed", { bootstrap: true }));
    for (const r of boot.rows) expect(typeof r.error).toBe("string");
    const cmp = await runMode("compare", BASIC, opts, local);
    expect(cmp.columns).toEqual(columnNames("compare"));
    expect(Object.keys(MODES).sort()).toEqual(["compare", "fixed", "mixed"]);
  });
});
