import { describe, it, expect } from "vitest";
import { fromCodes, maskNumbers, maskStrings, countNaN } from "../../src/io/h5ad/columns.js";
import { versionProblem, strAttr, truthyAttr } from "../../src/io/h5ad/attrs.js";
import { compressionBound } from "../../src/io/h5ad/access.js";

const thrower = (why: string): never => {
  throw new Error(why);
};

describe("column decoding", () => {
  it("categorical codes: -1 is missing, a code past the categories is an error", () => {
    const c = fromCodes("dose", new Int32Array([0, 2, -1, 1]), ["low", "mid", "high"], true, thrower);
    expect(c).toMatchObject({ name: "dose", kind: "categorical", values: ["low", "high", null, "mid"], categories: ["low", "mid", "high"], ordered: true, nMissing: 1 });
    expect(() => fromCodes("x", new Int32Array([0, 3]), ["a", "b", "c"], false, thrower)).toThrow("categorical code 3 out of range (3 categories)");
  });
  it("nullable values: masked entries become NaN / null and are counted", () => {
    const v = new Float64Array([1, 2, 3, 4]);
    expect(maskNumbers(v, [0, 1, 0, 1])).toBe(2);
    expect(Array.from(v)).toEqual([1, NaN, 3, NaN]);
    expect(maskStrings(["a", "b", "c"], new Float64Array([1, 0, 0]))).toEqual({ values: [null, "b", "c"], nMissing: 1 });
    expect(countNaN(new Float64Array([NaN, 0, NaN, -Infinity]))).toBe(2);
  });
});

describe("attributes", () => {
  it("strings and booleans as anndata and h5py store them", () => {
    expect(strAttr("csr_matrix")).toBe("csr_matrix");
    expect(strAttr(["csr_matrix"])).toBe("csr_matrix");
    expect(strAttr(["a", "b"])).toBeUndefined();
    expect(strAttr(3)).toBeUndefined();
    for (const t of [true, 1, "True", "true", [1], [true]]) expect(truthyAttr(t)).toBe(true);
    for (const f of [false, 0, "False", [], [0], undefined]) expect(truthyAttr(f)).toBe(false);
  });
  it("encoding versions: older and equal pass, newer and malformed are named", () => {
    expect(versionProblem("csr_matrix", "0.1.0")).toBeNull();
    expect(versionProblem("dataframe", "0.1.9")).toBeNull();
    expect(versionProblem("csr_matrix", "0.1")).toBeNull();
    expect(versionProblem("csr_matrix", "9.0.0")).toMatch(/^csr_matrix encoding-version 9\.0\.0 is newer than this reader supports \(up to 0\.1\.0\)/);
    expect(versionProblem("categorical", "0.2.0.1")).toMatch(/is newer/);
    expect(versionProblem("array", "0.x")).toBe("malformed encoding-version '0.x' for array");
    expect(versionProblem("awkward-array", "9.0.0")).toBeNull(); // unknown encodings: the caller reports them
    expect(versionProblem("constructor", "9.0.0")).toBeNull();
    expect(versionProblem(undefined, "9.0.0")).toBeNull();
    expect(versionProblem("array", undefined)).toBeNull();
  });
  it("compression bound of a dataset's filters (HDF5 filter ids)", () => {
    expect(compressionBound([])).toBe(1);
    expect(compressionBound([{ id: 2 }, { id: 3 }])).toBe(1); // shuffle, fletcher32
    expect(compressionBound([{ id: 2 }, { id: 1 }])).toBe(1100); // deflate
    expect(compressionBound([{ id: 4 }])).toBe(1100); // szip
    expect(compressionBound([{ id: 32015 }])).toBe(Infinity); // zstd
  });
});
