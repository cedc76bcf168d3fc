import { describe, it, expect } from "vitest";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readH5ad, inspectH5ad, formatInspect, H5adError, type MatrixChunk } from "../../src/io/h5ad/reader.js";
import { TrialmixInputError } from "../../src/errors.js";
import { FIXTURES } from "../helpers/refs.js";

const V = FIXTURES + "variants/";

/** Densify a whole (small) matrix from its chunks, to compare layouts. */
function densify(chunks: Iterable<MatrixChunk>, nr: number, nc: number): Float64Array {
  const out = new Float64Array(nr * nc);
  for (const ch of chunks) {
    if (ch.kind === "dense") {
      for (let r = ch.rowStart; r < ch.rowEnd; r++)
        for (let j = 0; j < nc; j++) out[r * nc + j] = ch.data[(r - ch.rowStart) * ch.nCols + j];
    } else if (ch.kind === "csr") {
      for (let r = 0; r < ch.rowEnd - ch.rowStart; r++)
        for (let k = ch.indptr[r]; k < ch.indptr[r + 1]; k++) out[(ch.rowStart + r) * nc + ch.indices[k]] = ch.data[k];
    } else {
      for (let t = 0; t < ch.cols.length; t++)
        for (let k = ch.indptr[t]; k < ch.indptr[t + 1]; k++) out[ch.indices[k] * nc + ch.cols[t]] = ch.data[k];
    }
  }
  return out;
}

describe("readH5ad", () => {
  it("reads shape, names, obs columns in file order, layers and matrix info", async () => {
    const ad = readH5ad(FIXTURES + "messy.h5ad");
    try {
      expect(ad.nObs).toBe(2526);
      expect(ad.nVars).toBe(150);
      expect(ad.obsNames.slice(0, 2)).toEqual(["c0", "c1"]);
      expect(ad.varNames[149]).toBe("G00149");
      expect(ad.obsColumns).toEqual(["participant_id", "visit", "arm", "celltype", "crossover", "age", "sex", "sig_demo"]);
      expect(ad.layers).toEqual(["counts"]);
      expect(ad.matrixInfo()).toEqual({ encoding: "csc_matrix", dtype: "float32", shape: [2526, 150] });
      expect(ad.matrixInfo("counts")).toEqual({ encoding: "csr_matrix", dtype: "float32", shape: [2526, 150] });
      const vis = ad.obsColumn("visit");
      expect(vis.kind).toBe("categorical");
      expect(vis.categories).toEqual(["FU", "Post", "Pre"]);
      expect(vis.ordered).toBe(false);
      const cross = ad.obsColumn("crossover");
      expect(cross.kind).toBe("bool");
      expect(Array.from(cross.values as Float64Array).filter((x) => x === 1).length).toBeGreaterThan(0);
      expect(ad.obsColumn("age").kind).toBe("float");
      expect(() => ad.obsColumn("bmi")).toThrow(H5adError);
    } finally {
      ad.close();
    }
  });

  it("opens bytes as well as paths", async () => {
    const bytes = readFileSync(V + "encodings.h5ad");
    const ad = readH5ad(new Uint8Array(bytes), { name: "encodings.h5ad" });
    expect(ad.nObs).toBe(12);
    expect(ad.varNames).toEqual(["g1", "g2", "g3"]);
    ad.close();
    const ad2 = readH5ad(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    expect(ad2.nVars).toBe(3);
    ad2.close();
  });

  it("dense, CSR, CSC (any chunking) and legacy 0.7 hold the same matrix", async () => {
    const mats: Float64Array[] = [];
    for (const v of ["basic_dense", "basic_csr", "basic_csc", "basic_legacy07"]) {
      const ad = readH5ad(V + v + ".h5ad");
      const [nr, nc] = ad.matrixInfo().shape;
      const a = densify(ad.rowChunks(null, 100), nr, nc);
      const b = densify(ad.rowChunks(null, 1, { maxValues: 50 }), nr, nc);
      expect(Array.from(b)).toEqual(Array.from(a));
      mats.push(a);
      ad.close();
    }
    for (const m of mats.slice(1)) expect(Array.from(m)).toEqual(Array.from(mats[0]));
  });

  it("reuse: blocks read in place on h5wasm's heap hold the same values, in one reused buffer", async () => {
    for (const v of ["basic_dense", "basic_csr", "basic_csc", "basic_legacy07"]) {
      const ad = readH5ad(V + v + ".h5ad");
      const [nr, nc] = ad.matrixInfo().shape;
      const want = densify(ad.rowChunks(null, 7, { maxValues: 300 }), nr, nc);
      const places = new Set<string>();
      const seen = (function* () {
        for (const ch of ad.rowChunks(null, 7, { maxValues: 300, reuse: true })) {
          if (ch.data.length > 0) places.add(`${ch.data.byteOffset}`);
          yield ch;
        }
      })();
      expect(Array.from(densify(seen, nr, nc))).toEqual(Array.from(want));
      expect(places.size).toBe(1); // every block in the same place: no copy, no fresh memory per block
      ad.close();
    }
  });

  it("reuse: 64-bit indices and float64 data are read in place too", async () => {
    const h5wasm = (await import("h5wasm/node")).default;
    await h5wasm.ready;
    const dir = mkdtempSync(join(tmpdir(), "trialmix-h5-"));
    const path = join(dir, "i64.h5ad");
    const f = new h5wasm.File(path, "w");
    const enc = (o: { create_attribute(n: string, v: string): void }, t: string, ver = "0.2.0") => {
      o.create_attribute("encoding-type", t);
      o.create_attribute("encoding-version", ver);
    };
    enc(f, "anndata", "0.1.0");
    for (const [g, names] of [["obs", ["a", "b", "c"]], ["var", ["g0", "g1", "g2", "g3"]]] as const) {
      const grp = f.create_group(g);
      enc(grp, "dataframe");
      grp.create_attribute("_index", "_index");
      grp.create_attribute("column-order", []);
      grp.create_dataset({ name: "_index", data: [...names] });
    }
    const X = f.create_group("X");
    enc(X, "csr_matrix", "0.1.0");
    X.create_attribute("shape", new BigInt64Array([3n, 4n]));
    X.create_dataset({ name: "data", data: new Float64Array([1.5, -2.25, 3, 1e300]) });
    X.create_dataset({ name: "indices", data: new BigInt64Array([0n, 3n, 1n, 2n]) });
    X.create_dataset({ name: "indptr", data: new BigInt64Array([0n, 2n, 2n, 4n]) });
    f.close();
    const ad = readH5ad(path);
    const a = densify(ad.rowChunks(null, 2, { reuse: true }), 3, 4);
    expect(Array.from(a)).toEqual([1.5, 0, 0, -2.25, 0, 0, 0, 0, 0, 3, 1e300, 0]);
    ad.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("CSC chunks respect the value budget and the column selection", async () => {
    const ad = readH5ad(V + "basic_csc.h5ad");
    const chunks = [...ad.rowChunks(null, 10, { cols: [3, 4, 5, 20], maxValues: 2000 })];
    const seen = chunks.flatMap((c) => (c.kind === "csc" ? Array.from(c.cols) : []));
    expect(seen).toEqual([3, 4, 5, 20]);
    for (const c of chunks) if (c.kind === "csc" && c.cols.length > 1) expect(c.data.length).toBeLessThanOrEqual(2000);
    ad.close();
  });

  it("decodes every obs encoding", async () => {
    const ad = readH5ad(V + "encodings.h5ad");
    const dose = ad.obsColumn("dose");
    expect(dose).toMatchObject({ kind: "categorical", ordered: true, categories: ["low", "mid", "high"], nMissing: 2 });
    expect(dose.values.slice(0, 3)).toEqual(["low", "high", null]);
    expect(ad.obsColumn("label")).toMatchObject({ kind: "string", nMissing: 0 });
    expect(ad.obsColumn("count").kind).toBe("int");
    const score = ad.obsColumn("score");
    expect(score).toMatchObject({ kind: "float", nMissing: 1 });
    expect(ad.obsColumn("flag")).toMatchObject({ kind: "bool", nMissing: 0 });
    expect(Array.from(ad.obsColumn("flag").values as Float64Array).slice(0, 4)).toEqual([1, 0, 0, 1]);
    const nInt = ad.obsColumn("n_int");
    expect(nInt).toMatchObject({ kind: "int", nMissing: 2 });
    expect(Array.from(nInt.values as Float64Array).slice(0, 4)).toEqual([0, 10, NaN, 30]);
    const nBool = ad.obsColumn("n_bool");
    expect(nBool).toMatchObject({ kind: "bool", nMissing: 1 });
    expect(Array.from(nBool.values as Float64Array).slice(4, 7)).toEqual([0, NaN, 0]);
    const nStr = ad.obsColumn("n_str");
    expect(nStr).toMatchObject({ kind: "string", nMissing: 2 });
    expect(nStr.values.slice(0, 3)).toEqual([null, "s1", "s2"]);
    expect(ad.matrixInfo()).toEqual({ encoding: "dense", dtype: "int32", shape: [12, 3] });
    ad.close();
  });

  it("legacy 0.7 categoricals come from __categories", async () => {
    const ad = readH5ad(V + "basic_legacy07.h5ad");
    const p = ad.obsColumn("participant_id");
    expect(p.kind).toBe("categorical");
    expect(p.categories!.slice(0, 2)).toEqual(["P000", "P001"]);
    expect(ad.obsColumns).not.toContain("__categories");
    expect(ad.matrixInfo().encoding).toBe("csr_matrix");
    ad.close();
  });
});

describe("H5adError", () => {
  it("non-HDF5 file", async () => {
    expect(() => readH5ad(FIXTURES + "sleepstudy.csv")).toThrow(H5adError);
    expect(() => readH5ad(FIXTURES + "sleepstudy.csv")).toThrow(/sleepstudy\.csv: not an HDF5 file/);
    expect(() => readH5ad(new Uint8Array([1, 2, 3]))).toThrow(/not an HDF5 file/);
  });
  it("missing file", async () => {
    expect(() => readH5ad("/nonexistent/x.h5ad")).toThrow(/x\.h5ad: cannot open: no such file/);
  });
  it("truncated file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trialmix-test-"));
    try {
      const p = join(dir, "trunc.h5ad");
      writeFileSync(p, readFileSync(FIXTURES + "basic.h5ad").subarray(0, 200_000));
      expect(() => readH5ad(p)).toThrow(/truncated or corrupt/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("unknown encodings name the path inside the file", async () => {
    const ad = readH5ad(V + "bad_encoding.h5ad");
    expect(() => ad.obsColumn("weird")).toThrow(/\/obs\/weird: unknown column encoding 'awkward-array'/);
    expect(() => ad.matrixInfo()).toThrow(/\/X: unknown matrix encoding 'coo_matrix'/);
    expect(() => ad.matrixInfo("counts")).toThrow(/\/layers\/counts: no such layer/);
    ad.close();
  });
  it("HDF5 without obs/var is not an AnnData file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trialmix-test-"));
    try {
      const h5wasm = (await import("h5wasm/node")).default;
      await h5wasm.ready;
      const p = join(dir, "plain.h5");
      const f = new h5wasm.File(p, "w");
      f.create_dataset({ name: "x", data: new Float64Array([1, 2]) });
      f.close();
      let err: unknown = null;
      try {
        readH5ad(p);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(H5adError);
      expect(err).toBeInstanceOf(TrialmixInputError);
      expect((err as Error).message).toMatch(/\/obs: missing group/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("inspect", () => {
  it("--json shape", async () => {
    const r = inspectH5ad(FIXTURES + "basic.h5ad");
    expect(Object.keys(r)).toEqual(["n_obs", "n_vars", "X", "raw", "layers", "var_names_head", "var_columns", "obs"]);
    expect(r.raw).toBeNull();
    expect(r.var_columns).toEqual(["true_did", "sd_participant"]);
    expect(r.n_obs).toBe(1513);
    expect(r.n_vars).toBe(150);
    expect(r.X).toEqual({ encoding: "csr_matrix", dtype: "float32" });
    expect(r.layers).toEqual(["counts"]);
    expect(r.var_names_head).toEqual(Array.from({ length: 10 }, (_, i) => `G0000${i}`));
    expect(Object.keys(r.obs)).toEqual(["participant_id", "visit", "arm", "celltype", "crossover", "age", "sex", "sig_demo"]);
    expect(r.obs.arm).toEqual({ type: "categorical", ordered: false, categories: ["Control", "Treated"], n_missing: 0 });
    expect(r.obs.age).toEqual({ type: "float", n_missing: 0 });
    expect(r.obs.crossover).toEqual({ type: "bool", n_missing: 0 });
    const text = formatInspect(r);
    expect(text).toMatch(/1513 cells/);
    expect(text).toMatch(/arm\s+categorical \[Control, Treated\]/);
  });
  it("reports missing values and ordered categoricals", async () => {
    const r = inspectH5ad(V + "encodings.h5ad");
    expect(r.obs.dose).toEqual({ type: "categorical", ordered: true, categories: ["low", "mid", "high"], n_missing: 2 });
    expect(r.obs.n_int).toEqual({ type: "int", n_missing: 2 });
    expect(formatInspect(r)).toMatch(/dose\s+categorical \(ordered\) \[low, mid, high\], 2 missing/);
  });
});
