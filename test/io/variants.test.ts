// anndata writers and versions (test/fixtures/variants/writers, made by make-writer-variants.py):
// each file's analysis frame equals the one of its "plain" file (manifest.json), and adata.raw,
// repeated var names, inspect's raw / var columns and the raw-count guard behave as documented.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { frameOf, didTable, inspectInput } from "../../src/api.js";
import { readH5ad, inspectH5ad, formatInspect, H5adError } from "../../src/io/h5ad/reader.js";
import { makeUnique } from "../../src/io/h5ad/columns.js";
import { CountsWatch, countsWarning } from "../../src/frame/values.js";
import type { AnalysisFrame } from "../../src/types.js";
import type { ScanOptions } from "../../src/api.js";
import { FIXTURES } from "../helpers/refs.js";

const W = FIXTURES + "variants/writers/";
interface Entry {
  plain: string | null;
  what: string;
  opts: ScanOptions;
  relabel?: Record<string, string>;
  missing_visit_rows?: number[];
  unique_var_names?: string[];
}
const MANIFEST = JSON.parse(readFileSync(W + "manifest.json", "utf8")) as Record<string, Entry>;

/** Differences between two frames, rows matched by (participant, visit, arm) after `map` (relabelling). */
function frameDiff(a: AnalysisFrame, b: AnalysisFrame, map: (s: string) => string = (s) => s): string[] {
  const key = (f: AnalysisFrame, i: number, m: (s: string) => string) => [m(f.participant[i]), m(f.visit[i]), m(f.arm[i])].join("\u0000");
  const rowsB = new Map(b.participant.map((_, i) => [key(b, i, (s) => s), i]));
  const out: string[] = [];
  if (a.participant.length !== b.participant.length) out.push(`${a.participant.length} rows vs ${b.participant.length}`);
  const order = a.participant.map((_, i) => rowsB.get(key(a, i, map)));
  if (order.some((j) => j === undefined)) return [...out, "row labels differ"];
  if (a.features.map(map).join() !== b.features.join()) out.push(`features ${a.features.join()} vs ${b.features.join()}`);
  else a.values.forEach((v, j) => order.some((k, i) => !Object.is(v[i], b.values[j][k!])) && out.push(`values of ${a.features[j]}`));
  if (a.nCells && order.some((k, i) => a.nCells![i] !== b.nCells![k!])) out.push("nCells");
  if (JSON.stringify(a.covariates) !== JSON.stringify(b.covariates)) out.push("covariates");
  return out;
}

const relabeller = (r: Record<string, string>) => (s: string) => Object.entries(r).reduce((x, [from, to]) => x.replace(from, to), s);

describe("anndata writers and versions: the frame equals the plain file's", () => {
  const plainFrame = frameOf(W + "plain.h5ad", { visits: ["Pre", "Post"] });

  it("the plain file is basic.h5ad cut down (6 genes, 384 cells, 24 participants)", () => {
    expect(plainFrame.features).toEqual(["G00000", "G00001", "G00002", "G00003", "G00004", "G00005"]);
    expect(plainFrame.participant.length).toBe(48);
    expect(plainFrame.nCells!.reduce((s, n) => s + n, 0)).toBe(384);
    expect(plainFrame.values[1].some((x) => x !== 0)).toBe(true);
  });

  for (const [name, m] of Object.entries(MANIFEST)) {
    if (!m.plain || name.includes(".plain.") || name.startsWith("plain")) continue;
    it(`${name}: ${m.what.slice(0, 90)}`, () => {
      const f = frameOf(W + name, m.opts);
      const g = m.relabel ? plainFrame : frameOf(W + m.plain!, { ...m.opts, layer: undefined }); // (raw.h5ad: raw/X against plain's X)
      expect(frameDiff(f, g, m.relabel ? relabeller(m.relabel) : undefined)).toEqual([]);
      // every file is the plain file's data: a sanity check that the comparison compares something
      expect(f.values.length).toBeGreaterThan(1);
      expect(f.participant.length).toBeGreaterThan(40);
    });
  }
});

describe("categorical codes -1", () => {
  it("are missing labels: inspect counts them, the cells without a visit are dropped", () => {
    const m = MANIFEST["missing_codes.h5ad"];
    const info = inspectH5ad(W + "missing_codes.h5ad");
    expect(info.obs.visit.n_missing).toBe(m.missing_visit_rows!.length);
    expect(info.obs.celltype.n_missing).toBe(12);
    const f = frameOf(W + "missing_codes.h5ad", m.opts);
    expect(f.nCells!.reduce((s, n) => s + n, 0)).toBe(384 - m.missing_visit_rows!.length);
  });
});

describe("repeated names", () => {
  it("makeUnique follows anndata's make_index_unique (first kept; -1, -2 per name, skipping names taken)", () => {
    expect(makeUnique(["a", "a", "b"]).names).toEqual(["a", "a-1", "b"]);
    expect(makeUnique(["G1", "G2", "G1", "G1-1", "G1"]).names).toEqual(["G1", "G2", "G1-2", "G1-1", "G1-3"]);
    const same = ["x", "y"];
    expect(makeUnique(same)).toEqual({ names: same, renamed: [] });
  });

  it("var names: made unique as anndata's var_names_make_unique() gives them, with one warning", () => {
    const ad = readH5ad(W + "dup_names.h5ad");
    try {
      expect(ad.varNames).toEqual(MANIFEST["dup_names.h5ad"].unique_var_names);
      expect(ad.varNames).toEqual(["G00000", "G00001", "G00002", "G00001-2", "G00001-1", "G00001-3"]);
      expect(ad.obsNames.slice(0, 2)).toEqual(["c0", "c1"]); // obs names are read as they are (not used)
      expect(ad.obsNames[100]).toBe("c0");
    } finally {
      ad.close();
    }
    const f = frameOf(W + "dup_names.h5ad", { visits: ["Pre", "Post"] });
    expect(f.warnings).toEqual([
      "1 var name(s) occur more than once (G00001): the 2 repeat(s) were renamed as anndata's var_names_make_unique() does ('G00001' -> 'G00001-2', ...)",
    ]);
    // a repeat is chosen by its new name; the first occurrence keeps the plain name
    const g = frameOf(W + "dup_names.h5ad", { visits: ["Pre", "Post"], features: ["G00001-3", "G00001"] });
    const plain = frameOf(W + "plain.h5ad", { visits: ["Pre", "Post"], features: ["G00005", "G00001"] });
    expect(Array.from(g.values[0])).toEqual(Array.from(plain.values[0]));
    expect(Array.from(g.values[1])).toEqual(Array.from(plain.values[1]));
  });
});

describe("adata.raw as the matrix (--layer raw)", () => {
  it("reads raw/X with raw/var's genes: the frame of the full gene set, not X's", () => {
    const raw = frameOf(W + "raw.h5ad", { visits: ["Pre", "Post"], layer: "raw" });
    const x = frameOf(W + "raw.h5ad", { visits: ["Pre", "Post"] });
    expect(raw.features).toEqual(["G00000", "G00001", "G00002", "G00003", "G00004", "G00005"]);
    expect(x.features).toEqual(["G00000", "G00001", "G00002"]);
    const plain = frameOf(W + "plain.h5ad", { visits: ["Pre", "Post"], features: raw.features });
    expect(frameDiff(raw, plain)).toEqual([]);
    // X is log1p of raw: its per-participant means differ from raw's
    expect(x.values[0][0]).not.toBe(raw.values[0][0]);
    expect(raw.warnings).toBeUndefined();
  });

  it("names a gene of raw that X does not have", () => {
    const f = frameOf(W + "raw.h5ad", { visits: ["Pre", "Post"], layer: "raw", features: ["G00005", "sig_demo"] });
    expect(f.features).toEqual(["G00005", "sig_demo"]);
    expect(() => frameOf(W + "raw.h5ad", { visits: ["Pre", "Post"], features: ["G00005"] })).toThrow(/not found/);
  });

  it("a file without adata.raw: one line naming the file and the layers there are", () => {
    const run = () => frameOf(W + "counts_int.h5ad", { visits: ["Pre", "Post"], layer: "raw" });
    expect(run).toThrow(H5adError);
    expect(run).toThrow(/counts_int\.h5ad: \/raw\/X: no adata\.raw in this file, so --layer raw has nothing to read \(layers: counts; or omit --layer for X\)$/);
  });

  it("inspect shows raw (shape, storage, var columns) and the var columns, in text and JSON", () => {
    const info = inspectH5ad(W + "raw.h5ad");
    expect(info.raw).toEqual({ shape: [384, 6], encoding: "csr_matrix", dtype: "float32", var_columns: ["true_did", "sd_participant", "highly_variable"] });
    expect(info.var_columns).toEqual(["true_did", "sd_participant"]);
    const text = formatInspect(info).split("\n");
    expect(text[1]).toBe("X: csr_matrix, float32");
    expect(text[2]).toBe("raw: 384 cells x 6 features, csr_matrix, float32 (--layer raw); raw var columns: true_did, sd_participant, highly_variable");
    expect(text).toContain("var columns (2): true_did, sd_participant");
    const json = JSON.parse(inspectInput(W + "raw.h5ad", true));
    expect(json.raw.shape).toEqual([384, 6]);
    // a file without raw: null in JSON, no line in the text
    const none = inspectH5ad(W + "plain.h5ad");
    expect(none.raw).toBeNull();
    expect(formatInspect(none)).not.toMatch(/^raw:/m);
    const legacy = inspectH5ad(W + "legacy070.h5ad");
    expect(legacy.var_columns).toEqual(["true_did", "sd_participant"]);
  });
});

describe("raw-count guard", () => {
  const V = { visits: ["Pre", "Post"] as [string, string] };
  const COUNTS_X =
    "X holds only non-negative integers and looks like raw counts (the scan fits them as they are); for normalised values (e.g. scanpy's normalize_total + log1p) choose their matrix with --layer NAME (this file: counts)";

  it("warns once for integer X (int32) and for an integer-valued float layer; the scan still runs", () => {
    const f = frameOf(W + "counts_int.h5ad", V);
    expect(f.warnings).toEqual([COUNTS_X]);
    const g = frameOf(W + "counts_int.h5ad", { ...V, layer: "counts" });
    expect(g.warnings).toEqual([
      "layer 'counts' holds only non-negative integers and looks like raw counts (the scan fits them as they are); for normalised values (e.g. scanpy's normalize_total + log1p) choose their matrix with --layer NAME (this file: X)",
    ]);
    const t = didTable(W + "counts_int.h5ad", V);
    expect(t.warnings).toContain(COUNTS_X);
    expect(t.rows.filter((r) => Number.isFinite(r.beta_DiD)).length).toBeGreaterThan(3);
  });

  it("is silent for normalised values, for obs features only and for layouts of normalised data", () => {
    for (const name of ["plain.h5ad", "dense_f64.h5ad", "csc_f64.h5ad", "raw.h5ad"]) expect(frameOf(W + name, V).warnings, name).toBeUndefined();
    expect(frameOf(W + "counts_int.h5ad", { ...V, features: ["sig_demo"] }).warnings).toBeUndefined();
    expect(frameOf(FIXTURES + "basic.h5ad", V).warnings).toBeUndefined();
    expect(frameOf(FIXTURES + "messy.h5ad", V).warnings?.join()).not.toMatch(/raw counts/);
  });

  it("CountsWatch: non-negative integers with some positive; any fraction, negative, NaN or infinity ends it", () => {
    const seen = (...blocks: number[][]) => {
      const w = new CountsWatch();
      for (const b of blocks) w.see(Float64Array.from(b));
      return w.looksLikeCounts();
    };
    expect(seen([0, 1, 2], [7, 0])).toBe(true);
    expect(seen([0, 0], [0])).toBe(false); // zeros say nothing
    expect(seen([1, 2], [2.5])).toBe(false);
    expect(seen([1, -1])).toBe(false);
    expect(seen([1, NaN])).toBe(false);
    expect(seen([1, Infinity])).toBe(false);
    const w = new CountsWatch();
    w.see(new Int32Array([3, 0, 5]));
    expect(w.looksLikeCounts()).toBe(true);
  });

  it("names the other matrices of the file, or says there are none", () => {
    expect(countsWarning(undefined, [])).toMatch(/^X holds .*\(this file has no other\)$/);
    expect(countsWarning("raw", ["counts"])).toMatch(/^adata\.raw \(raw\/X\) holds .*\(this file: X, counts\)$/);
  });
});
