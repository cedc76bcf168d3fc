// Compressed .h5ad files (issue 14): every fixture in test/fixtures/compressed/ (gzip, gzip+shuffle,
// lzf in anndata 0.8 / 0.7.0 / 0.7.8 layouts, zstd, blosc lz4 / zlib, bitshuffle+LZ4, LZ4, BZIP2) gives
// exactly the analysis frame of its uncompressed twin; a filter the reader cannot decode (blosc's
// snappy codec) is one line naming the dataset and the filter, exit status 2 from the command.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { frameOf } from "../../src/api.js";
import { readH5ad, H5adError } from "../../src/io/h5ad/reader.js";
import { h5heap } from "../../src/io/h5ad/host-node.js";
import { decoderSet, filterProblem } from "../../src/io/h5ad/filters.js";
import { PLUGIN_FILES, lzfDecode, lzfStats } from "../../src/io/h5ad/plugins.js";
import { inflateZlib } from "../../src/io/h5ad/inflate.js";
import type { AnalysisFrame } from "../../src/types.js";
import { FIXTURES } from "../helpers/refs.js";

const C = FIXTURES + "compressed/";
const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const manifest = JSON.parse(readFileSync(C + "manifest.json", "utf8")) as Record<string, { plain: string; what: string; filters?: number[] }>;
const opts = { visits: ["Pre", "Post"] };

/** The filter ids on a dataset of a fixture, as HDF5 reports them. */
function filterIds(file: string, path: string): number[] {
  const ad = readH5ad(C + file);
  try {
    const ds = ad.file.get(path) as unknown as { filters: { id: number }[] };
    return ds.filters.map((f) => f.id);
  } finally {
    ad.close();
  }
}

/** Every label, feature, cell count and value equal (Object.is: NaN equals NaN, -0 is not 0). */
function expectSameFrame(a: AnalysisFrame, b: AnalysisFrame): void {
  expect(a.participant).toEqual(b.participant);
  expect(a.visit).toEqual(b.visit);
  expect(a.arm).toEqual(b.arm);
  expect(a.features).toEqual(b.features);
  expect(Array.from(a.nCells ?? [])).toEqual(Array.from(b.nCells ?? []));
  a.values.forEach((v, j) => {
    const w = b.values[j];
    for (let i = 0; i < v.length; i++) if (!Object.is(v[i], w[i])) expect(`${a.features[j]} row ${i}: ${v[i]}`).toBe(`${w[i]}`);
  });
}

describe("compressed .h5ad files", () => {
  let plain: AnalysisFrame;
  beforeAll(() => {
    plain = frameOf(C + "plain.h5ad", opts);
  });

  it("the plain twin's frame is basic.h5ad's, restricted to its first 20 genes", () => {
    expect(plain.participant.length).toBe(48);
    expect(plain.features).toEqual(Array.from({ length: 20 }, (_, i) => `G${String(i).padStart(5, "0")}`));
    const basic = frameOf(FIXTURES + "basic.h5ad", { ...opts, features: plain.features });
    expectSameFrame(plain, basic);
  });

  const cases = Object.entries(manifest).filter(([name]) => name !== "plain.h5ad" && !name.startsWith("neg_"));
  it("covers the filters of the issue", () => {
    const ids = new Set(cases.flatMap(([, m]) => m.filters ?? []));
    for (const id of [1, 2, 307, 32000, 32001, 32004, 32008, 32015]) expect(ids.has(id), `filter ${id}`).toBe(true);
    for (const f of ["legacy070_lzf.h5ad", "legacy078_lzf.h5ad", "f_blosc_zlib.h5ad"]) expect(manifest[f]).toBeDefined();
  });

  it.each(cases)("%s: stored with its filter, the same frame as plain.h5ad", (name, m) => {
    expect(m.plain).toBe("plain.h5ad");
    expect(filterIds(name, "X/data")).toEqual(m.filters); // really compressed: the test cannot pass on a plain copy
    expectSameFrame(frameOf(C + name, opts), plain);
  });

  it("lzf: h5py's variable-length strings (the anndata 0.7 archive case) decode, through the JavaScript lzf filter", () => {
    expect(filterIds("legacy070_lzf.h5ad", "obs/__categories/arm")).toEqual([32000]);
    const before = lzfStats.chunks;
    const ad = readH5ad(C + "legacy070_lzf.h5ad");
    try {
      expect(ad.obsColumn("arm").categories).toEqual(["Control", "Treated"]);
      expect(ad.obsNames.slice(0, 2)).toEqual(["c0", "c1"]);
    } finally {
      ad.close();
    }
    expect(lzfStats.chunks).toBeGreaterThan(before);
  });

  it("a filter the reader lacks (blosc's snappy codec) is one line naming the dataset and the filter", () => {
    let msg = "";
    try {
      frameOf(C + "neg_blosc_snappy.h5ad", opts);
    } catch (e) {
      expect(e).toBeInstanceOf(H5adError);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^.*neg_blosc_snappy\.h5ad: \/(obs|X)\/[\w/]+: compressed with filter 32001 \(blosc\) using its snappy codec, which this reader cannot decode/);
    expect(msg).not.toMatch(/truncated|corrupt/);
    expect(msg.split("\n").length).toBe(1);
  });

  it("the command: exit 2 and the one line for the snappy file; the zstd file runs", () => {
    if (!existsSync(CLI)) throw new Error("dist/cli.js missing: run `npm run build` (npm test does)");
    const bad = spawnSync(process.execPath, [CLI, "mixed", C + "neg_blosc_snappy.h5ad", "--visits", "Pre,Post"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    const lines = bad.stderr.trim().split("\n");
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^trialmix: .*neg_blosc_snappy\.h5ad: \/\S+: compressed with filter 32001 \(blosc\) using its snappy codec, which this reader cannot decode/);
    expect(bad.stdout).toBe("");
    const good = spawnSync(process.execPath, [CLI, "mixed", C + "f_zstd.h5ad", "--visits", "Pre,Post", "--quiet"], { encoding: "utf8" });
    const ref = spawnSync(process.execPath, [CLI, "mixed", C + "plain.h5ad", "--visits", "Pre,Post", "--quiet"], { encoding: "utf8" });
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout.split("\n").length).toBe(22); // header, 20 features, final newline
    expect(good.stdout).toBe(ref.stdout);
  });
});

describe("filter check (filters.ts)", () => {
  const all = decoderSet(true);
  it("names the filter by id, whatever name the writer stored", () => {
    expect(filterProblem([{ id: 1, name: "deflate" }, { id: 32015, name: "Zstandard compression: http://www.zstd.net" }], all)).toBeNull();
    expect(filterProblem([{ id: 32013, name: "H5Z-ZFP" }], all)).toMatch(/^compressed with filter 32013 \(zfp\), which this reader cannot decode \(it reads gzip, szip, bzip2, lzf, blosc, lz4, bitshuffle, zstd\)$/);
    expect(filterProblem([{ id: 40123, name: "my filter" }], all)).toMatch(/^compressed with filter 40123 \(my filter\)/);
    expect(filterProblem([{ id: 40123, name: "" }], all)).toMatch(/^compressed with filter 40123 \(unregistered id\)/);
  });
  it("blosc: by codec (cd_values[6]); without plugins every plugin filter is named, with the reason", () => {
    const blosc = (codec: number) => [{ id: 32001, name: "blosc", cd_values: [2, 2, 4, 40000, 5, 1, codec] }];
    for (const c of [0, 1, 2, 4, 5]) expect(filterProblem(blosc(c), all)).toBeNull();
    expect(filterProblem(blosc(3), all)).toMatch(/filter 32001 \(blosc\) using its snappy codec/);
    expect(filterProblem(blosc(9), all)).toMatch(/using its codec 9 codec/);
    const none = { ...decoderSet(false), note: "the filter plugins could not be loaded (x: HTTP 404)" };
    expect(filterProblem([{ id: 32000 }], none)).toBe("compressed with filter 32000 (lzf), which this reader cannot decode (it reads gzip, szip); the filter plugins could not be loaded (x: HTTP 404)");
    expect(filterProblem([{ id: 2 }, { id: 1 }], none)).toBeNull();
  });
  it("HDF5 searches only the shipped plugin directory (not h5wasm's build-machine paths), which the package ships", () => {
    const paths = (h5heap() as unknown as { get_plugin_search_paths(): string[] }).get_plugin_search_paths();
    expect(paths).toEqual([fileURLToPath(new URL("../../h5plugins", import.meta.url))]);
    const shipped = readdirSync(paths[0]);
    for (const f of [...PLUGIN_FILES, "COPYING", "LICENSE", "README.md"]) expect(shipped).toContain(f);
    expect((JSON.parse(readFileSync(ROOT + "package.json", "utf8")) as { files: string[] }).files).toContain("h5plugins");
  });
});

describe("decoders in JavaScript", () => {
  it("inflateZlib equals node:zlib on stored, fixed and dynamic blocks", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let t = 0; t < 24; t++) {
      const n = Math.floor(rnd() * 150_000);
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = t % 3 === 0 ? rnd() * 256 : t % 3 === 1 ? i % 13 : rnd() < 0.8 ? 0 : rnd() * 256;
      for (const level of [0, 1, 9]) {
        const c = zlib.deflateSync(b, { level, strategy: t % 4 === 0 ? zlib.constants.Z_FIXED : zlib.constants.Z_DEFAULT_STRATEGY });
        expect(Buffer.from(inflateZlib(new Uint8Array(c))).equals(Buffer.from(b)), `case ${t} level ${level}`).toBe(true);
      }
    }
  });
  it("inflateZlib refuses bad input (header, truncation, checksum)", () => {
    const c = new Uint8Array(zlib.deflateSync(Buffer.from("trialmix ".repeat(100))));
    expect(() => inflateZlib(c.subarray(0, c.length - 6))).toThrow(/inflate/);
    const bad = c.slice();
    bad[bad.length - 1] ^= 1;
    expect(() => inflateZlib(bad)).toThrow(/Adler-32/);
    expect(() => inflateZlib(new Uint8Array([1, 2, 3, 4, 5, 6, 7]))).toThrow(/not a zlib stream/);
  });
  it("lzfDecode: literals and back references (overlapping too); malformed input throws", () => {
    // "abc" literal, then a back reference of length 7 at distance 3 (overlapping): abcabcabca
    expect(Buffer.from(lzfDecode(new Uint8Array([2, 97, 98, 99, 5 << 5, 2]))).toString()).toBe("abcabcabca");
    expect(() => lzfDecode(new Uint8Array([5, 97]))).toThrow(/lzf/);
    expect(() => lzfDecode(new Uint8Array([0, 97, 5 << 5, 9]))).toThrow(/lzf/);
  });
});
