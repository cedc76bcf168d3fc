// Per-cell-type mixed and compare scans on trial3.h5ad (fixtures/trial3): each cell type's rows equal
// today's unstratified scan on that cell type's cells alone; --min-cells and --celltypes; a cell type
// with too few participants is a warning, not a crash; FDR within and across cell types.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { readH5ad } from "../../src/io/h5ad/reader.js";
import type { DataSource, ObsColumn } from "../../src/io/source.js";
import { didTableMixed, compareFixedVsMixed, frameOf, didTable } from "../../src/api.js";
import { didTableMixedParallel } from "../../src/parallel.js";
import { applyFdr } from "../../src/stats/fdr.js";
import { parseDelimited } from "../../src/io/csv.js";
import type { MixedRow } from "../../src/models/mixed/rows.js";
import { FIXTURES } from "../helpers/refs.js";
import { runMode } from "../../src/modes.js";
import { columnNames } from "../../src/output/schema.js";

const FILE = FIXTURES + "trial3/trial3.h5ad";
const VISITS: [string, string] = ["D0", "D14"];
const TYPES = ["B", "Mono", "NK", "T"]; // pDC: no treated participant at both D0 and D14
const FEATURES = ["sig_demo", ...Array.from({ length: 40 }, (_, j) => `G000${String(j).padStart(2, "0")}`)]; // an obs feature and every gene

/** The file with one more obs column, `not_CT`, flagging every cell of another type (used as --crossover: the subset of one cell type). */
function onlyType(src: DataSource, ct: string): DataSource {
  const types = src.obsColumn("celltype").values as (string | null)[];
  const flag: ObsColumn = { name: "not_CT", kind: "float", values: Float64Array.from(types, (t) => (t === ct ? 0 : 1)), nMissing: 0 };
  return new Proxy(src, {
    get(target, key) {
      if (key === "obsColumns") return [...target.obsColumns, "not_CT"];
      if (key === "obsColumn") return (name: string) => (name === "not_CT" ? flag : target.obsColumn(name));
      const v = Reflect.get(target, key, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** Every number of two rows equal (NaN = NaN), text equal; `skip` keys ignored. */
function expectSameRow(a: MixedRow, b: MixedRow, skip: string[] = []): void {
  for (const k of Object.keys(b)) {
    if (skip.includes(k)) continue;
    const x = (a as unknown as Record<string, unknown>)[k];
    const y = (b as unknown as Record<string, unknown>)[k];
    if (typeof y === "number" && typeof x === "number") {
      if (Number.isNaN(y)) expect(Number.isNaN(x), `${b.feature} ${k}`).toBe(true);
      else expect(Math.abs(x - y), `${b.feature} ${k}: ${x} vs ${y}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(y)));
    } else expect(x, `${b.feature} ${k}`).toEqual(y);
  }
}

describe("per-cell-type mixed scans (--celltype)", () => {
  const src = readH5ad(FILE);
  const strat = didTableMixed(src, { visits: VISITS, celltype: "celltype", covariates: ["age", "sex"], features: FEATURES });

  it("each cell type's rows equal the unstratified scan on that cell type's cells", () => {
    expect([...new Set(strat.rows.map((r) => r.celltype))]).toEqual(TYPES);
    for (const ct of TYPES) {
      const sub = didTableMixed(onlyType(src, ct), { visits: VISITS, crossover: "not_CT", covariates: ["age", "sex"], features: FEATURES });
      const mine = strat.rows.filter((r) => r.celltype === ct);
      expect(mine.map((r) => r.feature)).toEqual(sub.rows.map((r) => r.feature));
      expect(mine.length).toBe(41);
      mine.forEach((r, i) => expectSameRow(r, sub.rows[i]));
      expect(mine.filter((r) => Number.isFinite(r.beta_DiD)).length).toBeGreaterThan(38);
    }
  });

  it("FDR_DiD within each cell type, FDR_DiD_global over every row", () => {
    for (const ct of TYPES) {
      const mine = strat.rows.filter((r) => r.celltype === ct);
      const fdr = applyFdr(mine.map((r) => r.p_DiD));
      mine.forEach((r, i) => expect(r.FDR_DiD).toBe(fdr[i]));
    }
    const g = applyFdr(strat.rows.map((r) => r.p_DiD));
    strat.rows.forEach((r, i) => expect(r.FDR_DiD_global).toBe(g[i]));
    // the global FDR is never below the within-type one here (4 cell types' worth of tests)
    expect(strat.rows.filter((r) => r.FDR_DiD_global! < r.FDR_DiD - 1e-15).length).toBeLessThan(strat.rows.length / 4);
  });

  it("a cell type with too few participants left is one warning, not rows or a crash", () => {
    const w = strat.warnings.filter((x) => x.startsWith("cell type pDC:"));
    expect(w).toEqual(["cell type pDC: only 2 participant(s) left (0 treated, 2 control); needs at least 3 in both arms: skipped"]);
  });

  it("worker threads give the same rows", async () => {
    const par = await didTableMixedParallel(src, { visits: VISITS, celltype: "celltype", covariates: ["age", "sex"], features: FEATURES, threads: 2 });
    expect(par.rows.length).toBe(strat.rows.length);
    par.rows.forEach((r, i) => expectSameRow(r, strat.rows[i]));
  });

  it("--celltypes restricts the strata (the same rows as in the full table)", () => {
    const t = didTableMixed(src, { visits: VISITS, celltype: "celltype", celltypes: ["NK", "B"], covariates: ["age", "sex"], features: FEATURES });
    expect([...new Set(t.rows.map((r) => r.celltype))]).toEqual(["B", "NK"]);
    const full = new Map(strat.rows.map((r) => [`${r.celltype}/${r.feature}`, r]));
    for (const r of t.rows) expectSameRow(r, full.get(`${r.celltype}/${r.feature}`)!, ["FDR_DiD_global"]);
    expect(() => didTableMixed(src, { visits: VISITS, celltype: "celltype", celltypes: ["NK", "Tcell"] })).toThrow(/cell type\(s\) not found in column 'celltype': Tcell/);
    expect(() => didTableMixed(src, { visits: VISITS, celltypes: ["NK"] })).toThrow(/needs a cell-type column/);
  });

  it("--min-cells drops the participant-visits the reference frames drop (prep manifest, ct-NK_min5), then pairs", () => {
    // manifest.csv: the frames of the issue-15 references; ct-NK_min5 lists the NK participant-visits under 5 cells (all visits)
    const { header, rows } = parseDelimited(readFileSync(FIXTURES + "trial3/manifest.csv", "utf8"));
    const row = rows.find((r) => r[header.indexOf("frame")] === "ct-NK_min5")!;
    const dropped = row[header.indexOf("dropped_min_cells")].split(";").filter((s) => /@D(0|14)\(/.test(s));
    expect(dropped.length).toBe(21);
    const t = didTableMixed(src, { visits: VISITS, celltype: "celltype", celltypes: ["NK"], minCells: 5 });
    const w = t.warnings.find((x) => x.startsWith("cell type NK: 21 participant-visit(s) with fewer than 5 cells dropped (--min-cells): "))!;
    expect(w).toContain(dropped.slice(0, 8).join(", "));
    // the frame: no NK participant-visit under 5 cells, and the unstratified n_cells agree with the reference's
    const f1 = frameOf(src, { visits: VISITS, celltype: "celltype", celltypes: ["NK"] });
    const f5 = frameOf(src, { visits: VISITS, celltype: "celltype", celltypes: ["NK"], minCells: 5 });
    const small = new Set(dropped.map((s) => s.replace(/\(.*/, "")));
    f1.participant.forEach((p, i) => expect(f1.nCells![i] < 5, `${p}@${f1.visit[i]}`).toBe(small.has(`${p}@${f1.visit[i]}`)));
    expect(Math.min(...f5.nCells!)).toBeGreaterThanOrEqual(5);
    // pairing after the drop: every participant left has both visits
    const per = new Map<string, number>();
    f5.participant.forEach((p) => per.set(p, (per.get(p) ?? 0) + 1));
    expect([...per.values()].every((n) => n === 2)).toBe(true);
    expect(t.rows[0].n_units).toBe(per.size);
  });

  it("the default --min-cells (1) leaves the unstratified scan as it was; --min-cells on all cells matches the reference frame's drops", () => {
    const a = didTableMixed(src, { visits: VISITS });
    const b = didTableMixed(src, { visits: VISITS, minCells: 1 });
    a.rows.forEach((r, i) => expectSameRow(r, b.rows[i]));
    const t = didTableMixed(src, { visits: VISITS, minCells: 50 });
    // all3_min50 drops P001@D14(47), P021@D0(48), P023@D0(46), P025@D0(45), P027@D0(49) at D0/D14
    expect(t.warnings[0]).toBe("5 participant-visit(s) with fewer than 50 cells dropped (--min-cells): P001@D14(47), P021@D0(48), P023@D0(46), P025@D0(45), P027@D0(49)");
  });

  it("no cell type left to scan is an input error naming why", () => {
    expect(() => didTableMixed(src, { visits: VISITS, celltype: "celltype", celltypes: ["pDC"] })).toThrow(/no participant of arm 'Treated' has cells at both D0 and D14/);
    expect(() => didTableMixed(src, { visits: VISITS, celltype: "celltype", celltypes: ["pDC"], minCells: 5 })).toThrow(/no participant has cells at both visits D0 and D14/);
  });
});

describe("per-cell-type rows against lme4/lmerTest on the cell type's two-visit frame (fixtures/trial3/refs2, refs2.sh)", () => {
  const src = readH5ad(FILE);
  const cases = [
    { ref: "ct-T_2v_cov", celltype: "T", minCells: 1, covariates: ["age", "sex"] },
    { ref: "ct-NK_2v_min5", celltype: "NK", minCells: 5, covariates: [] as string[] },
  ];
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
  for (const c of cases)
    it(`${c.ref}: beta and se to 1e-6 (boundary fits: OLS to 1e-9), Satterthwaite df and p to 1e-4`, () => {
      const t = didTableMixed(src, { visits: VISITS, celltype: "celltype", minCells: c.minCells, covariates: c.covariates, features: FEATURES });
      const mine = new Map(t.rows.filter((r) => r.celltype === c.celltype).map((r) => [r.feature, r]));
      const { header, rows } = parseDelimited(readFileSync(FIXTURES + `trial3/refs2/${c.ref}.contrasts.csv`, "utf8"));
      const man = parseDelimited(readFileSync(FIXTURES + "trial3/refs2/manifest.csv", "utf8"));
      const nP = Number(man.rows.find((r) => r[0] === c.ref)![man.header.indexOf("n_participants")]);
      const get = (r: string[], k: string) => Number(r[header.indexOf(k)]);
      let boundary = 0;
      expect(rows.length).toBe(41);
      for (const r of rows) {
        const f = r[header.indexOf("feature")];
        const m = mine.get(f)!;
        expect(m.n_units, f).toBe(nP);
        if (r[header.indexOf("boundary")] === "TRUE") {
          boundary++;
          expect(rel(m.beta_DiD, get(r, "estimate_ols")), `${f} beta`).toBeLessThan(1e-9);
          expect(rel(m.se_DiD, get(r, "se_ols")), `${f} se`).toBeLessThan(1e-9);
          expect(m.singular, f).toBe(true);
        } else {
          expect(rel(m.beta_DiD, get(r, "estimate")), `${f} beta`).toBeLessThan(1e-6);
          expect(rel(m.se_DiD, get(r, "se")), `${f} se`).toBeLessThan(1e-6);
        }
        expect(rel(m.df_DiD, get(r, "df_satterthwaite")), `${f} df`).toBeLessThan(1e-4);
        expect(rel(m.p_DiD_satterthwaite, get(r, "p_satterthwaite")), `${f} p`).toBeLessThan(1e-4);
        expect(rel(m.p_DiD, get(r, "p_wald_z")), `${f} p_wald`).toBeLessThan(1e-5);
      }
      expect(boundary).toBeGreaterThan(0); // both kinds of fit are checked
      expect(boundary).toBeLessThan(rows.length);
    });
});

describe("per-cell-type compare (--celltype)", () => {
  const src = readH5ad(FILE);
  it("each cell type's rows merge that cell type's fixed and mixed rows", () => {
    const t = compareFixedVsMixed(src, { visits: VISITS, celltype: "celltype" });
    const fixed = didTable(src, { visits: VISITS, celltype: "celltype" });
    const mixed = didTableMixed(src, { visits: VISITS, celltype: "celltype" });
    expect([...new Set(t.rows.map((r) => r.celltype))]).toEqual(TYPES);
    expect(t.rows.length).toBe(4 * 40);
    for (const r of t.rows) {
      const f = fixed.rows.find((x) => x.celltype === r.celltype && x.feature === r.feature)!;
      const m = mixed.rows.find((x) => x.celltype === r.celltype && x.feature === r.feature)!;
      expect(r.beta_fixed).toBe(f.beta_DiD);
      expect(r.beta_mixed).toBe(m.beta_DiD);
      expect(r.icc).toBe(m.icc);
    }
    expect(t.warnings.some((w) => w.startsWith("cell type pDC:"))).toBe(true);
  });
});

describe("the per-cell-type tables' columns (runMode, as the command line and the page write them)", () => {
  const runner = { mixed: didTableMixed, compare: compareFixedVsMixed };
  it("mixed: celltype first, FDR_DiD_global before error; compare: celltype first; unstratified as before", async () => {
    const m = await runMode("mixed", FILE, { visits: VISITS, celltype: "celltype" }, runner);
    expect(m.columns).toEqual(["celltype", ...columnNames("mixed").slice(0, -1), "FDR_DiD_global", "error"]);
    expect(m.rows[0].celltype).toBe("B");
    const c = await runMode("compare", FILE, { visits: VISITS, celltype: "celltype" }, runner);
    expect(c.columns).toEqual(["celltype", ...columnNames("compare")]);
    const plain = await runMode("mixed", FILE, { visits: VISITS }, runner);
    expect(plain.columns).toEqual(columnNames("mixed"));
    expect(plain.columns[0]).toBe("feature");
  });
});
