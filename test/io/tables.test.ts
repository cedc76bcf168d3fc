// Long tables as R and spreadsheets write them (test/fixtures/tables/, made by make_tables.R from
// basic's pseudobulk frame): each one gives the frame of the plain write.csv table, its labels as the
// file wrote them; what cannot be read names the separator to try. Issue 14, items 6 and 7.
import { describe, it, expect, afterAll } from "vitest";
import { readFileSync } from "node:fs";
import { readTable, tableFromText } from "../../src/io/table.js";
import { detectSeparator, separatorHint } from "../../src/io/csv.js";
import { readH5ad } from "../../src/io/h5ad/reader.js";
import type { DataSource, ObsColumn } from "../../src/io/source.js";
import { buildFrame } from "../../src/frame/build.js";
import { makeDesign } from "../../src/frame/design.js";
import { frameOf, didTableMixed, didTable } from "../../src/api.js";
import type { AnalysisFrame } from "../../src/types.js";
import { FIXTURES, readRef, num } from "../helpers/refs.js";

const T = FIXTURES + "tables/";
const V: [string, string] = ["Pre", "Post"];
const FEATURES = ["sig_demo", "G00000", "G00001", "G00002", "G00003", "G00004", "G00005"];
const plain = frameOf(T + "plain.csv", { visits: V });

/**
 * The same frame: rows (participant-visits; rows are ordered by label, so other labels may order them
 * otherwise), labels (after `relabel`), features and values bit for bit.
 */
function expectSameFrame(f: AnalysisFrame, ref: AnalysisFrame, relabel: { visit?: Record<string, string>; arm?: Record<string, string> } = {}): void {
  const visit = f.visit.map((v) => relabel.visit?.[v] ?? v);
  const key = (p: string, v: string) => `${p}/${v}`;
  const at = new Map(ref.participant.map((p, i) => [key(p, ref.visit[i]), i]));
  const order = f.participant.map((p, i) => at.get(key(p, visit[i])) ?? -1);
  expect(order.length).toBe(ref.participant.length);
  expect(new Set(order).size).toBe(order.length);
  expect(order).not.toContain(-1);
  expect(f.arm.map((a) => relabel.arm?.[a] ?? a)).toEqual(order.map((i) => ref.arm[i]));
  expect(f.features).toEqual(ref.features);
  f.values.forEach((v, j) => expect(Array.from(v), f.features[j]).toEqual(order.map((i) => ref.values[j][i])));
}

describe("the plain table", () => {
  it("is basic's pseudobulk frame (R's 15 significant digits)", () => {
    const ref = readRef("ref/basic.frame.csv");
    expect(plain.features).toEqual(FEATURES);
    expect(plain.participant.length).toBe(48);
    const byKey = new Map(ref.map((r) => [`${r.participant_id}/${r.visit}`, r]));
    plain.participant.forEach((p, i) => {
      const r = byKey.get(`${p}/${plain.visit[i]}`)!;
      expect(plain.arm[i]).toBe(r.arm);
      FEATURES.forEach((g, j) => expect(Math.abs(plain.values[j][i] - num(r, g))).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(num(r, g)))));
    });
  });
});

describe("separators and decimal marks", () => {
  it("finds comma, semicolon and tab from the header", () => {
    for (const [file, sep] of [["plain.csv", ","], ["csv2.csv", ";"], ["semicolon_dot.csv", ";"], ["plain.tsv", "\t"], ["csv2_rownames.csv", ";"], ["rownames.csv", ","]])
      expect(detectSeparator(readFileSync(T + file, "utf8")), file).toBe(sep);
    expect(detectSeparator("a\n1\n", "\t")).toBe("\t"); // one column: the extension's
    expect(detectSeparator("\ufeff\n\na;b,c;d\n")).toBe(";");
  });

  it("write.csv2 (';' and decimal commas) gives the plain frame, values bit for bit", () => {
    for (const file of ["csv2.csv", "semicolon_dot.csv", "plain.tsv"]) {
      expect(readTable(T + file).sep, file).toBe(file.endsWith(".tsv") ? "\t" : ";");
      expectSameFrame(frameOf(T + file, { visits: V }), plain);
    }
    expect(readTable(T + "csv2.csv").decimalComma).toBe(true);
    expect(readTable(T + "semicolon_dot.csv").decimalComma).toBe(true); // ',' may be a decimal mark; '.' still is
    expectSameFrame(frameOf(T + "csv2.csv", { visits: V, sep: ";", decimal: "," }), plain);
  });

  it("--decimal . keeps decimal commas as text; --decimal , reads quoted 0,5 in a comma file", () => {
    const t = readTable(T + "csv2.csv", { decimal: "." });
    expect(t.obsColumn("G00000").kind).toBe("string");
    expect(() => frameOf(T + "csv2.csv", { visits: V, decimal: "." })).toThrow(
      "no features to analyse (by default the table's numeric columns: none; column 'sig_demo' holds '-0,0957148655083242': decimal commas? try --decimal ,)",
    );
    const c = tableFromText('a,b\n"0,5",1\n"-1,25",2\n', { decimal: "," });
    expect(Array.from(c.obsColumn("a").values as Float64Array)).toEqual([0.5, -1.25]);
    expect(tableFromText('a,b\n"0,5",1\n', ",").obsColumn("a").kind).toBe("string"); // decimal auto: '.' in a comma file
    expect(tableFromText("a;b\n1.234,5;1\n").obsColumn("a").kind).toBe("string"); // no thousands separators
  });

  it("a table that does not parse with the separator given names the one to try", () => {
    expect(() => readTable(T + "csv2.csv", { sep: "," })).toThrow("csv2.csv: line 2 has 8 fields, the header has 1: is the file semicolon-separated? try --sep ';'");
    expect(() => readTable(T + "plain.csv", { sep: ";" })).toThrow(/plain\.csv: the header is one column \('participant_id,"visit",.*'\): is the file comma-separated\? try --sep ','/);
    expect(() => readTable(T + "plain.tsv", { sep: "," })).toThrow(/is the file tab-separated\? try --sep tab/);
    expect(() => frameOf(T + "csv2.csv", { visits: V, sep: "tab" })).toThrow(/try --sep ';'/);
    // a ragged row that no other separator explains: the count alone, as before
    expect(() => tableFromText("a,b,c\n1,2,3\n1,2\n")).toThrow(/^line 3 has 2 fields, the header has 3$|: line 3 has 2 fields, the header has 3$/);
    expect(separatorHint("a,b,c", ",", "1,2")).toBe("");
  });

  it("bad --sep / --decimal values are one line naming the option", () => {
    expect(() => frameOf(T + "plain.csv", { visits: V, sep: "|" as never })).toThrow("sep (--sep) expects one of auto, ',', ';', tab, got '|'");
    expect(() => frameOf(T + "plain.csv", { visits: V, decimal: "dot" as never })).toThrow("decimal (--decimal) expects one of auto, '.', ',', got 'dot'");
  });
});

describe("row names and labels", () => {
  it("write.csv's blank-named first column is row names, not a feature", () => {
    for (const file of ["rownames.csv", "csv2_rownames.csv"]) {
      const t = readTable(T + file);
      expect(t.rowNames).toBe(true);
      expect(t.obsColumns).toEqual(["participant_id", "visit", "arm", ...FEATURES]);
      expect(t.obsNames.slice(0, 3)).toEqual(["1", "2", "3"]);
      expect(t.obsNames[47]).toBe("48");
      expectSameFrame(frameOf(T + file, { visits: V }), plain);
    }
    expect(readTable(T + "plain.csv").rowNames).toBe(false);
  });

  it("R's logical arm stays TRUE/FALSE: --treated TRUE --control FALSE", () => {
    expect(readTable(T + "arm_logical.csv").obsColumn("arm").kind).toBe("bool"); // a bool column as a value...
    const f = frameOf(T + "arm_logical.csv", { visits: V, treated: "TRUE", control: "FALSE" });
    expect(new Set(f.arm)).toEqual(new Set(["TRUE", "FALSE"])); // ...and its text as labels
    expectSameFrame(f, plain, { arm: { TRUE: "Treated", FALSE: "Control" } });
    expect(() => frameOf(T + "arm_logical.csv", { visits: V, treated: "True", control: "False" })).toThrow("treated label 'True' not found in arm column 'arm'; observed labels: FALSE, TRUE");
  });

  it("visits written 0.0 / 21.0 stay 0.0 / 21.0: --visits 0.0,21.0", () => {
    const f = frameOf(T + "visit_decimal.csv", { visits: ["0.0", "21.0"] });
    expectSameFrame(f, plain, { visit: { "0.0": "Pre", "21.0": "Post" } });
    expect(() => frameOf(T + "visit_decimal.csv", { visits: ["0", "21"] })).toThrow("visit '0' not found in visit column 'visit'; observed visits: 0.0, 21.0");
  });

  it("write.csv2 with a logical arm and text visits: both as written", () => {
    const f = frameOf(T + "csv2_logical_decimal.csv", { visits: ["0.0", "21.0"], treated: "TRUE", control: "FALSE" });
    expectSameFrame(f, plain, { visit: { "0.0": "Pre", "21.0": "Post" }, arm: { TRUE: "Treated", FALSE: "Control" } });
  });

  it("labels keep the text of numeric-looking participants (01 stays 01), missing tokens stay missing", () => {
    const rows = ["participant_id,visit,arm,g"];
    ["01", "02", "03", "04", "05", "06"].forEach((p, k) => {
      for (const v of ["1.0", "2.0"]) rows.push(`${p},${v},${k < 3 ? 1 : 0},${k + (v === "2.0" ? k * 0.5 + 1 : 0)}`);
    });
    rows.push("NA,1.0,1,5");
    const f = buildFrame(tableFromText(rows.join("\n")), makeDesign({ treated: "1", control: "0" }), { visits: ["1.0", "2.0"] });
    expect([...new Set(f.participant)].sort()).toEqual(["01", "02", "03", "04", "05", "06"]);
    expect(new Set(f.visit)).toEqual(new Set(["1.0", "2.0"]));
  });
});

describe("features of a table", () => {
  it("an all-empty requested column is a NaN row with its reason (mixed and fixed), the others fitted as from the plain table", () => {
    const ref = didTableMixed(T + "plain.csv", { visits: V, features: ["G00000"] }).rows[0];
    const refFixed = didTable(T + "plain.csv", { visits: V, features: ["G00000"] }).rows[0];
    for (const file of ["empty_feature.csv", "na_feature.csv"]) {
      const m = didTableMixed(T + file, { visits: V, features: ["G00000", "G_empty"] });
      const e = m.rows.find((r) => r.feature === "G_empty")!;
      expect(e.error).toBe("column 'G_empty' is empty: every cell is blank or NA");
      expect(e.beta_DiD).toBeNaN();
      expect(e.n_units).toBe(24);
      expect(m.rows.find((r) => r.feature === "G00000")!.beta_DiD).toBe(ref.beta_DiD);
      const fx = didTable(T + file, { visits: V, features: ["G00000", "G_empty"] });
      expect(fx.rows.find((r) => r.feature === "G_empty")!.error).toBe("column 'G_empty' is empty: every cell is blank or NA");
      expect(fx.rows.find((r) => r.feature === "G00000")!.beta_DiD).toBe(refFixed.beta_DiD);
    }
  });

  it("an all-text requested column is a NaN row; a column of numbers with a text cell, or a design column, is an input error", () => {
    const lines = ["participant_id,visit,arm,g,nd,mix"];
    for (let k = 0; k < 8; k++) for (const v of V) lines.push(`P${k},${v},${k < 4 ? "Treated" : "Control"},${k + (v === "Post" ? 1 + (k % 3) : 0)},n.d.,${k === 2 ? "x" : k}`);
    const t = tableFromText(lines.join("\n"));
    const m = didTableMixed(t, { visits: V, features: ["g", "nd"] });
    expect(m.rows[1].error).toBe("column 'nd' holds no numbers (text such as 'n.d.')");
    expect(Number.isFinite(m.rows[0].beta_DiD)).toBe(true);
    expect(() => frameOf(t, { visits: V, features: ["mix"] })).toThrow("feature 'mix' is an obs column of type string, not numeric: 'x' is not a number");
    expect(() => frameOf(t, { visits: V, features: ["g", "arm"] })).toThrow("feature 'arm' is the arm column, not a feature");
    expect(() => frameOf(t, { visits: V, features: ["g"], covariates: ["g"] })).toThrow("feature 'g' is a covariate (--covariates), not a feature");
  });

  it("by default: bookkeeping columns (one value per visit or per participant) and empty ones are left out, and the note names them", () => {
    const f = frameOf(T + "bookkeeping.csv", { visits: V });
    expectSameFrame(f, plain);
    expect(f.featureNote).toBe(
      "by default the table's numeric columns: sig_demo, G00000, G00001, G00002, G00003 and 2 more; left out: day, period (one value per visit), age (one value per participant)",
    );
    expect(plain.featureNote).toBe("by default the table's numeric columns: sig_demo, G00000, G00001, G00002, G00003 and 2 more");
    const e = frameOf(T + "empty_feature.csv", { visits: V });
    expectSameFrame(e, plain);
    expect(e.featureNote).toMatch(/; left out: G_empty \(empty\)$/);
    // a left-out column can still be asked for, and a covariate is never a default feature
    expect(frameOf(T + "bookkeeping.csv", { visits: V, features: ["age", "G00000"] }).features).toEqual(["age", "G00000"]);
    const withCov = frameOf(T + "bookkeeping.csv", { visits: V, covariates: ["age"] });
    expect(withCov.features).toEqual(FEATURES);
    expect(withCov.featureNote).not.toMatch(/age/);
    // the note reaches the tables (the command line's summary line)
    expect(didTable(T + "bookkeeping.csv", { visits: V, features: undefined }).featureNote).toBe(f.featureNote);
    expect(frameOf(T + "plain.csv", { visits: V, features: FEATURES }).featureNote).toBeUndefined();
  });
});

describe("third arms (item 7)", () => {
  it("a table: the other arm's rows are dropped with a warning naming participants and rows", () => {
    const f = frameOf(T + "third_arm.csv", { visits: V });
    expectSameFrame(f, plain);
    expect(f.warnings).toEqual(["arm 'Low dose' in column 'arm' is neither the treated ('Treated') nor the control ('Control') arm: its 4 participant(s) (8 rows) were dropped"]);
    expect(didTableMixed(T + "third_arm.csv", { visits: V }).warnings).toContain(f.warnings![0]);
  });

  const opened: DataSource[] = [];
  afterAll(() => opened.forEach((s) => s.close()));

  it("an .h5ad file: the same, counted in cells", () => {
    const ad = readH5ad(FIXTURES + "basic.h5ad");
    opened.push(ad);
    const arm = ad.obsColumn("arm");
    const part = ad.obsColumn("participant_id");
    const pLabels = (part.values as (string | null)[]).slice();
    const low = new Set(["P000", "P001", "P002"]); // treated participants moved to a third arm
    const cats = [...arm.categories!, "Low dose"];
    const codes = Int32Array.from(arm.codes!, (c, i) => (low.has(pLabels[i]!) ? cats.length - 1 : c));
    const values = Array.from(codes, (c) => cats[c]);
    const armCol: ObsColumn = { ...arm, codes, categories: cats, values };
    const relabelled: DataSource = Object.assign(Object.create(Object.getPrototypeOf(ad)), ad, { obsColumn: (n: string) => (n === "arm" ? armCol : ad.obsColumn(n)) });
    const design = makeDesign({});
    const f = buildFrame(relabelled, design, { visits: V, features: ["G00000", "G00001"] });
    const nCells = Array.from(codes).filter((c, i) => c === cats.length - 1 && ["Pre", "Post"].includes(String(ad.obsColumn("visit").values[i]))).length;
    expect(nCells).toBeGreaterThan(0);
    expect(f.warnings).toEqual([`arm 'Low dose' in column 'arm' is neither the treated ('Treated') nor the control ('Control') arm: its 3 participant(s) (${nCells} cells) were dropped`]);
    // the frame is basic's without those participants
    const full = buildFrame(ad, design, { visits: V, features: ["G00000", "G00001"] });
    const keep = full.participant.map((p, i) => (low.has(p) ? -1 : i)).filter((i) => i >= 0);
    expect(f.participant).toEqual(keep.map((i) => full.participant[i]));
    expect(Array.from(f.values[1])).toEqual(keep.map((i) => full.values[1][i]));
  });
});
