import { describe, expect, it } from "vitest";
import { factor, groupIndex } from "../../src/frame/factor.js";
import type { ObsColumn } from "../../src/io/h5ad/reader.js";

const col = (c: Partial<ObsColumn>): ObsColumn => ({ name: "c", kind: "string", values: [], nMissing: 0, ...c });

describe("groupIndex", () => {
  it("numbers labels in first-seen order", () => {
    const { index, count } = groupIndex(["b", "a", "b", "c", "a"]);
    expect(Array.from(index)).toEqual([0, 1, 0, 2, 1]);
    expect(count).toBe(3);
  });
});

describe("factor", () => {
  it("strings: first-seen codes, -1 for missing, -2 for an absent label", () => {
    const f = factor(col({ values: ["Pre", null, "Post", "Pre"], nMissing: 1 }));
    expect(Array.from(f.codes)).toEqual([0, -1, 1, 0]);
    expect(f.labels).toEqual(["Pre", "Post"]);
    expect(f.code("Post")).toBe(1);
    expect(f.code("Week 4")).toBe(-2);
  });
  it("a sound categorical column keeps its codes and categories", () => {
    const codes = Int32Array.from([1, -1, 0]);
    const f = factor(col({ kind: "categorical", codes, categories: ["Control", "Treated"], values: ["Treated", null, "Control"], nMissing: 1 }));
    expect(f.codes).toBe(codes);
    expect(f.labels).toEqual(["Control", "Treated"]);
  });
  it("a categorical column with duplicate categories or codes out of range is indexed from its labels", () => {
    const dup = factor(col({ kind: "categorical", codes: Int32Array.from([0, 1]), categories: ["a", "a"], values: ["a", "a"] }));
    expect(Array.from(dup.codes)).toEqual([0, 0]);
    expect(dup.labels).toEqual(["a"]);
    const oob = factor(col({ kind: "categorical", codes: Int32Array.from([0, 5]), categories: ["x"], values: ["x", "y"] }));
    expect(oob.labels).toEqual(["x", "y"]);
  });
  it("numbers as pandas' astype(str): ints plain, floats with .0, booleans True/False, NaN missing", () => {
    expect(factor(col({ kind: "int", values: Float64Array.from([2, 1, 2]) })).labels).toEqual(["2", "1"]);
    expect(factor(col({ kind: "float", values: Float64Array.from([1, NaN, 1.5]) })).labels).toEqual(["1.0", "1.5"]);
    expect(factor(col({ kind: "bool", values: Float64Array.from([1, 0]) })).labels).toEqual(["True", "False"]);
  });
});
