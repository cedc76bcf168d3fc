import { describe, it, expect, afterAll } from "vitest";
import { readH5ad, H5ad } from "../../src/io/h5ad/reader.js";
import { makeDesign } from "../../src/frame/design.js";
import { buildFrame } from "../../src/frame/build.js";
import { standardize } from "../../src/stats/standardize.js";

import { tableFromText, readTable } from "../../src/io/table.js";
import { TrialmixInputError } from "../../src/errors.js";
import type { AnalysisFrame } from "../../src/types.js";
import { FIXTURES, readRef, num, type RefRow } from "../helpers/refs.js";

const opened: H5ad[] = [];
async function open(name: string): Promise<H5ad> {
  const ad = readH5ad(FIXTURES + name);
  opened.push(ad);
  return ad;
}
afterAll(() => opened.forEach((a) => a.close()));

function allFeatures(ad: H5ad): string[] {
  return ["sig_demo", ...ad.varNames];
}

/** Compare a frame (raw values) with a reference frame CSV (standardised values). */
function expectFrameMatches(frame: AnalysisFrame, ref: RefRow[], covs: string[] = [], only?: string[]): void {
  const n = ref.length;
  expect(frame.participant.length).toBe(n);
  expect(frame.participant).toEqual(ref.map((r) => r.participant_id));
  expect(frame.visit).toEqual(ref.map((r) => r.visit));
  expect(frame.arm).toEqual(ref.map((r) => r.arm));
  if ("n_cells" in ref[0]) {
    expect(Array.from(frame.nCells!)).toEqual(ref.map((r) => num(r, "n_cells")));
  } else expect(frame.unit).toBe("cell");
  for (const c of covs) {
    const cov = frame.covariates.find((x) => x.name === c)!;
    expect(cov).toBeDefined();
    if (cov.kind === "numeric") {
      for (let i = 0; i < n; i++) expect(Math.abs(cov.values[i] - num(ref[i], c))).toBeLessThan(1e-9);
    } else {
      expect(cov.values).toEqual(ref.map((r) => r[c]));
      expect(cov.levels).toEqual([...new Set(ref.map((r) => r[c]))].sort());
    }
  }
  const refFeatures = only ?? Object.keys(ref[0]).filter((k) => !["participant_id", "visit", "arm", "n_cells", ...covs].includes(k));
  expect(frame.features).toEqual(refFeatures);
  let worst = 0;
  let nanCols = 0;
  for (let j = 0; j < frame.features.length; j++) {
    const f = frame.features[j];
    const z = standardize(frame.values[j], 1e-12);
    const want = ref.map((r) => num(r, f));
    if (z === null) {
      nanCols++;
      expect(want.every((w) => Number.isNaN(w)), `feature ${f} standardisation failed but ref has values`).toBe(true);
      continue;
    }
    for (let i = 0; i < n; i++) {
      const d = Math.abs(z[i] - want[i]);
      if (!(d <= FRAME_TOL)) throw new Error(`feature ${f} row ${i}: got ${z[i]}, want ${want[i]}`);
      worst = Math.max(worst, d);
    }
  }
  expect(worst).toBeLessThan(FRAME_TOL);
  void nanCols;
}

// The pipeline is double precision end to end (float32 only where pandas rounds): far tighter than the 1e-6 asked.
const FRAME_TOL = 1e-10;
const design = makeDesign();
const messyDesign = makeDesign({ crossover: "crossover" });

describe("analysis frame vs reference frames", () => {
  it("basic (CSR, Pre/Post)", async () => {
    const ad = await open("basic.h5ad");
    const f = buildFrame(ad, design, { visits: ["Pre", "Post"], features: allFeatures(ad) });
    expectFrameMatches(f, readRef("ref/basic.frame.csv"));
  });
  it("messy (CSC, crossovers excluded, unpaired dropped, covariates age,sex)", async () => {
    const ad = await open("messy.h5ad");
    const f = buildFrame(ad, messyDesign, { visits: ["Pre", "Post"], features: allFeatures(ad), covariates: ["age", "sex"] });
    const ref = readRef("ref/messy.frame.csv");
    expectFrameMatches(f, ref, ["age", "sex"]);
    expect(new Set(f.participant).size).toBe(24);
  });
  it("messy_median", async () => {
    const ad = await open("messy.h5ad");
    const f = buildFrame(ad, messyDesign, { visits: ["Pre", "Post"], features: allFeatures(ad), agg: "median" });
    expectFrameMatches(f, readRef("ref/messy_median.frame.csv"));
  });
  it("cells_slope (cell mode)", async () => {
    const ad = await open("cells.h5ad");
    const f = buildFrame(ad, design, { visits: ["Pre", "Post"], features: allFeatures(ad), aggregate: "cell" });
    expect(f.nCells).toBeUndefined();
    expectFrameMatches(f, readRef("ref/cells_slope.frame.csv"));
  });
});

const V = FIXTURES + "variants/";
const first40 = ["sig_demo", ...Array.from({ length: 40 }, (_, i) => `G${String(i).padStart(5, "0")}`)];

describe("the same data in other layouts gives the same frame", () => {
  const basicRef = readRef("ref/basic.frame.csv");
  for (const v of ["basic_dense", "basic_csr", "basic_csc", "basic_legacy07"]) {
    it(`${v}: equals ref/basic.frame.csv (sig_demo + 40 genes)`, async () => {
      const ad = readH5ad(V + v + ".h5ad");
      opened.push(ad);
      const f = buildFrame(ad, design, { visits: ["Pre", "Post"], features: first40 });
      expectFrameMatches(f, basicRef, [], first40);
      // chunk boundaries do not matter
      const g = buildFrame(ad, design, { visits: ["Pre", "Post"], features: first40, rowsPerChunk: 7 });
      for (let j = 0; j < first40.length; j++) expect(Array.from(g.values[j])).toEqual(Array.from(f.values[j]));
    });
  }
  it("median and cell mode agree across dense / CSR / CSC / legacy", async () => {
    const frames: AnalysisFrame[][] = [];
    for (const v of ["basic_dense", "basic_csr", "basic_csc", "basic_legacy07"]) {
      const ad = readH5ad(V + v + ".h5ad");
      opened.push(ad);
      const feats = first40.slice().reverse(); // genes before the obs feature, shuffled order
      frames.push([
        buildFrame(ad, design, { visits: ["Pre", "Post"], features: feats, agg: "median" }),
        buildFrame(ad, design, { visits: ["Pre", "Post"], features: feats, agg: "pct_pos" }),
        buildFrame(ad, design, { visits: ["Post", "Pre"], features: feats, aggregate: "cell" }),
      ]);
    }
    for (const fr of frames.slice(1))
      for (let k = 0; k < 3; k++) {
        expect(fr[k].participant).toEqual(frames[0][k].participant);
        for (let j = 0; j < first40.length; j++) expect(Array.from(fr[k].values[j])).toEqual(Array.from(frames[0][k].values[j]));
      }
    const pct = frames[0][1];
    for (const col of pct.values.slice(0, 40)) for (const x of col) expect(x >= 0 && x <= 100).toBe(true);
  });
  it("a layer is read instead of X (counts)", async () => {
    const ad = readH5ad(V + "basic_csr.h5ad");
    opened.push(ad);
    const f = buildFrame(ad, design, { visits: ["Pre", "Post"], features: ["G00000", "G00001"], layer: "counts" });
    for (const col of f.values) for (const x of col) expect(Number.isFinite(x) && x >= 0).toBe(true);
    const fx = buildFrame(ad, design, { visits: ["Pre", "Post"], features: ["G00000", "G00001"] });
    expect(Array.from(f.values[0])).not.toEqual(Array.from(fx.values[0]));
    expect(() => buildFrame(ad, design, { visits: ["Pre", "Post"], features: ["G00000"], layer: "spliced" })).toThrow(/no such layer.*counts/);
  });
});

// X = (arange(36).reshape(12, 3) % 7) in encodings.h5ad; see scripts/make-variants.py
const encX = (i: number, j: number): number => (i * 3 + j) % 7;
// cells' participants A A A B B B C C C D D D; visits Pre Post Post Pre Pre Post Pre Post Post Pre Post Post

describe("encodings fixture", () => {
  it("means, crossover truthiness on text, covariates, pairing", async () => {
    const ad = readH5ad(V + "encodings.h5ad");
    opened.push(ad);
    const d = makeDesign({ crossover: "crossover_txt" });
    const f = buildFrame(ad, d, { visits: ["Pre", "Post"], features: ["g2", "score", "g1"], covariates: ["n_int", "flag"] });
    // crossover cells 2 ("YES") and 8 (" true ") dropped; rows sorted participant then visit (Post < Pre)
    expect(f.participant).toEqual(["A", "A", "B", "B", "C", "C", "D", "D"]);
    expect(f.visit).toEqual(["Post", "Pre", "Post", "Pre", "Post", "Pre", "Post", "Pre"]);
    const cells = [[1], [0], [5], [3, 4], [7], [6], [10, 11], [9]];
    expect(Array.from(f.nCells!)).toEqual(cells.map((c) => c.length));
    const score = [0.5, 1, 1.5, 2, NaN, 3, 3.5, 4, 4.5, 5, 5.5, 6];
    const nInt = [0, 10, NaN, 30, 40, 50, 60, NaN, 80, 90, 100, 110];
    const mean = (xs: number[]): number => {
      const ok = xs.filter((x) => !Number.isNaN(x));
      return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
    };
    cells.forEach((cs, r) => {
      expect(f.values[0][r]).toBeCloseTo(mean(cs.map((i) => encX(i, 1))), 12);
      expect(f.values[2][r]).toBeCloseTo(mean(cs.map((i) => encX(i, 0))), 12);
      const sc = mean(cs.map((i) => score[i]));
      if (Number.isNaN(sc)) expect(f.values[1][r]).toBeNaN();
      else expect(f.values[1][r]).toBeCloseTo(sc, 12);
      const cov = f.covariates[0];
      if (cov.kind !== "numeric") throw new Error("n_int should be numeric");
      const ni = mean(cs.map((i) => nInt[i]));
      if (Number.isNaN(ni)) expect(cov.values[r]).toBeNaN();
      else expect(cov.values[r]).toBeCloseTo(ni, 12);
    });
    // B/Pre has score NaN (cell 4) and 2 (cell 3): mean skips NaN
    expect(f.values[1][3]).toBe(2);
    // with crossovers included, cells 2 and 8 come back
    const g = buildFrame(ad, d, { visits: ["Pre", "Post"], features: ["g1"], includeCrossovers: true });
    expect(Array.from(g.nCells!)).toEqual([2, 1, 1, 2, 2, 1, 2, 1]);
    // median with an even count averages the middle two
    const m = buildFrame(ad, d, { visits: ["Pre", "Post"], features: ["g1"], agg: "median", includeCrossovers: true });
    expect(m.values[0][0]).toBe((encX(1, 0) + encX(2, 0)) / 2);
    // pct_pos
    const p = buildFrame(ad, d, { visits: ["Pre", "Post"], features: ["g1"], agg: "pct_pos", includeCrossovers: true });
    expect(p.values[0][0]).toBe((100 * [1, 2].filter((i) => encX(i, 0) > 0).length) / 2);
  });
  it("text covariates: categorical with sorted levels; non-constant is an error", async () => {
    const ad = readH5ad(V + "encodings.h5ad");
    opened.push(ad);
    const f = buildFrame(ad, design, { visits: ["Pre", "Post"], features: ["g1"], covariates: ["arm"] });
    const c = f.covariates[0];
    expect(c.kind).toBe("categorical");
    if (c.kind === "categorical") expect(c.levels).toEqual(["Control", "Treated"]);
    expect(() => buildFrame(ad, design, { visits: ["Pre", "Post"], features: ["g1"], covariates: ["label"] })).toThrow(
      /covariate 'label' is not constant within participant/,
    );
  });
  it("cell mode keeps file order and pairs participants", async () => {
    const ad = readH5ad(V + "encodings.h5ad");
    opened.push(ad);
    const f = buildFrame(ad, design, { visits: ["Pre", "Post"], features: ["g3"], aggregate: "cell" });
    expect(f.unit).toBe("cell");
    expect(f.participant.length).toBe(12);
    expect(Array.from(f.values[0])).toEqual(Array.from({ length: 12 }, (_, i) => encX(i, 2)));
  });
  it("stratified by cell type adds a celltype column", async () => {
    const ad = await open("basic.h5ad");
    const f = buildFrame(ad, makeDesign({ celltype: "celltype" }), { visits: ["Pre", "Post"], features: ["G00001"], byCelltype: true });
    expect(new Set(f.celltype)).toEqual(new Set(["B", "Mono", "T"]));
    const total = Array.from(f.nCells!).reduce((a, b) => a + b, 0);
    const plain = buildFrame(ad, design, { visits: ["Pre", "Post"], features: ["G00001"] });
    expect(total).toBeLessThanOrEqual(Array.from(plain.nCells!).reduce((a, b) => a + b, 0));
  });
});

describe("long tables enter the same path", () => {
  it("a per-cell CSV gives the frame of the .h5ad", async () => {
    const ad = readH5ad(V + "basic_dense.h5ad");
    opened.push(ad);
    const genes = first40.slice(1, 6);
    const cols = ["participant_id", "visit", "arm", "sex", "age", "crossover", "sig_demo"];
    const obs = cols.map((c) => ad.obsColumn(c));
    const gi = genes.map((g) => ad.varNames.indexOf(g));
    const lines = [[...cols, ...genes].join(",")];
    const chunks = [...ad.rowChunks(null, 100000)];
    const ch = chunks[0];
    if (ch.kind !== "dense") throw new Error("expected dense");
    for (let i = 0; i < ad.nObs; i++) {
      const o = obs.map((c) => (c.kind === "bool" ? (c.values[i] ? "True" : "False") : String(c.values[i])));
      lines.push([...o, ...gi.map((j) => String(ch.data[i * ch.nCols + j]))].join(","));
    }
    const t = tableFromText(lines.join("\n"), ",", "cells.csv");
    expect(t.obsColumn("crossover").kind).toBe("bool");
    const ft = buildFrame(t, design, { visits: ["Pre", "Post"], covariates: ["sex", "age"] });
    expect(ft.features).toEqual(["sig_demo", ...genes]); // numeric columns that are neither design columns nor covariates
    const fh = buildFrame(ad, design, { visits: ["Pre", "Post"], features: ["sig_demo", ...genes], covariates: ["sex", "age"], float32Means: false });
    expect(ft.participant).toEqual(fh.participant);
    expect(Array.from(ft.nCells!)).toEqual(Array.from(fh.nCells!));
    for (let j = 0; j < genes.length + 1; j++)
      for (let r = 0; r < ft.participant.length; r++) expect(Math.abs(ft.values[j][r] - fh.values[j][r])).toBeLessThan(1e-12);
  });
  it("reads TSV files and rejects a non-boolean crossover column", () => {
    const t = tableFromText("participant_id\tvisit\tarm\tx\ty\tcross\nP1\tPre\tTreated\t1\t2\tmaybe\nP1\tPost\tTreated\t2\t3\tno\nP2\tPre\tControl\t1\t2\tno\nP2\tPost\tControl\t1\t2\tno\n", "\t");
    expect(t.obsColumns).toEqual(["participant_id", "visit", "arm", "x", "y", "cross"]);
    expect(() => buildFrame(t, makeDesign({ crossover: "cross" }), { visits: ["Pre", "Post"] })).toThrow(TrialmixInputError);
    expect(() => buildFrame(t, makeDesign({ crossover: "cross" }), { visits: ["Pre", "Post"] })).toThrow(/not boolean-like: value 'maybe'/);
    expect(() => readTable("/nonexistent/file.csv")).toThrow(TrialmixInputError);
  });
});

describe("input errors", () => {
  it("missing column lists the available columns", async () => {
    const ad = await open("basic.h5ad");
    const call = () => buildFrame(ad, makeDesign({ participant: "subject" }), { visits: ["Pre", "Post"] });
    expect(call).toThrow(TrialmixInputError);
    expect(call).toThrow(/participant column 'subject' not found; available columns: participant_id, visit, arm/);
  });
  it("bad treated label lists the observed labels", async () => {
    const ad = await open("basic.h5ad");
    const call = () => buildFrame(ad, makeDesign({ treated: "Drug" }), { visits: ["Pre", "Post"] });
    expect(call).toThrow(TrialmixInputError);
    expect(call).toThrow(/treated label 'Drug' not found in arm column 'arm'; observed labels: Control, Treated/);
  });
  it("unknown visit lists the observed visits", async () => {
    const ad = await open("messy.h5ad");
    expect(() => buildFrame(ad, design, { visits: ["Pre", "Week4"] })).toThrow(/visit 'Week4' not found.*observed visits: FU, Post, Pre/);
  });
  it("unknown features are named (at most 5)", async () => {
    const ad = await open("basic.h5ad");
    const feats = ["G00000", "NOPE1", "NOPE2", "NOPE3", "NOPE4", "NOPE5", "NOPE6"];
    const call = () => buildFrame(ad, design, { visits: ["Pre", "Post"], features: feats });
    expect(call).toThrow(TrialmixInputError);
    expect(call).toThrow(/6 feature\(s\) not found in obs columns or var names: NOPE1, NOPE2, NOPE3, NOPE4, NOPE5, \.\.\./);
  });
  it("unknown covariate and non-numeric obs feature", async () => {
    const ad = await open("basic.h5ad");
    expect(() => buildFrame(ad, design, { visits: ["Pre", "Post"], covariates: ["bmi"] })).toThrow(/covariate column 'bmi' not found/);
    expect(() => buildFrame(ad, design, { visits: ["Pre", "Post"], features: ["celltype"] })).toThrow(/not numeric/);
  });
});

describe("standardize", () => {
  it("z-scores with ddof 1, skipping NaN; null on constant or too few values", () => {
    const z = standardize(Float64Array.of(1, 2, NaN, 3), 1e-12)!;
    expect(z[0]).toBeCloseTo(-1, 14);
    expect(z[1]).toBeCloseTo(0, 14);
    expect(z[2]).toBeNaN();
    expect(z[3]).toBeCloseTo(1, 14);
    expect(standardize(Float64Array.of(5, 5, 5), 1e-12)).toBeNull();
    expect(standardize(Float64Array.of(5, NaN), 1e-12)).toBeNull();
  });
});
