import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dtypeName, isBoolEnum, isReadableNumber, numericView, toFloat64, toInt32, toNum, copyNum, toStrings, type TypeMeta } from "../../src/io/h5ad/dtype.js";

const meta = (type: number, size: number, signed = true, extra: Partial<TypeMeta> = {}): TypeMeta => ({ type, size, signed, ...extra });

describe("the dtype table", () => {
  it("views each numeric dtype with the typed array h5wasm itself returns for it", async () => {
    const h5wasm = (await import("h5wasm/node")).default;
    await h5wasm.ready;
    const dir = mkdtempSync(join(tmpdir(), "trialmix-dtype-"));
    try {
      const f = new h5wasm.File(join(dir, "t.h5"), "w");
      const cases: [string, string, ArrayLike<number | bigint>][] = [
        ["int8", "<b", [-1, 2]],
        ["uint8", "<B", [1, 255]],
        ["int16", "<h", [-300, 2]],
        ["uint16", "<H", [1, 65535]],
        ["int32", "<i", [-70000, 2]],
        ["uint32", "<I", [1, 4e9]],
        ["int64", "<q", new BigInt64Array([-1n, 2n ** 40n])],
        ["uint64", "<Q", new BigUint64Array([1n, 2n ** 40n])],
        ["float32", "<f", [1.5, -2]],
        ["float64", "<d", [1.5, 1e300]],
      ];
      for (const [name, dtype, data] of cases) f.create_dataset({ name, data: data as never, dtype });
      for (const [name] of cases) {
        const ds = f.get(name) as InstanceType<typeof h5wasm.Dataset>;
        expect(dtypeName(ds.metadata), name).toBe(name);
        expect(numericView(ds.metadata), name).toBe((ds.value as object).constructor);
        expect(isReadableNumber(ds.metadata)).toBe(true);
        expect(isReadableNumber(ds.metadata, true)).toBe(name.includes("int"));
      }
      f.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names what it does not convert, and converts none of it", () => {
    expect(dtypeName(meta(1, 2))).toBe("float16");
    expect(dtypeName(meta(0, 16, false))).toBe("uint128");
    expect(dtypeName(meta(3, 8))).toBe("string");
    const r = { name: "r", ...meta(1, 8) };
    const i = { name: "i", ...meta(1, 8) };
    expect(dtypeName(meta(6, 16, true, { compound_type: { members: [r, i] } }))).toBe("complex128");
    expect(dtypeName(meta(6, 12, true, { compound_type: { members: [{ name: "a", ...meta(0, 4) }, r] } }))).toBe("compound {a: int32, r: float64}");
    expect(dtypeName(meta(8, 1, true, { enum_type: { members: { FALSE: 0, TRUE: 1 } } }))).toBe("bool");
    expect(dtypeName(meta(8, 1, true, { enum_type: { members: { A: 0, B: 1, C: 2 } } }))).toBe("enum");
    const classes = [[2, "time"], [4, "bitfield"], [5, "opaque"], [7, "reference"], [9, "variable-length sequence"], [10, "array"], [11, "HDF5 class 11"]] as const;
    for (const [c, name] of classes) expect(dtypeName(meta(c, 8))).toBe(name);
    for (const m of [meta(1, 2), meta(0, 16), meta(3, 8), meta(8, 1, true, { enum_type: { members: { FALSE: 0, TRUE: 1 } } }), meta(5, 8)]) {
      expect(numericView(m)).toBeNull();
      expect(isReadableNumber(m)).toBe(false);
    }
  });

  it("recognises h5py's boolean enum in either case", () => {
    expect(isBoolEnum(meta(8, 1, true, { enum_type: { members: { false: 0, true: 1 } } }))).toBe(true);
    expect(isBoolEnum(meta(8, 1, true, { enum_type: { members: { FALSE: 0, MAYBE: 1 } } }))).toBe(false);
    expect(isBoolEnum(meta(0, 1, true, { enum_type: { members: { FALSE: 0, TRUE: 1 } } }))).toBe(false);
  });
});

describe("conversions", () => {
  it("toFloat64: typed arrays, 64-bit integers, arrays of numbers / bigints / booleans, scalars", () => {
    const f = new Float64Array([1, 2]);
    expect(toFloat64(f)).toBe(f); // no copy
    expect(Array.from(toFloat64(new BigInt64Array([-3n, 2n ** 53n])))).toEqual([-3, 2 ** 53]);
    expect(Array.from(toFloat64(new Int16Array([-7, 9])))).toEqual([-7, 9]);
    expect(Array.from(toFloat64([1n, true, false, 2.5]))).toEqual([1, 1, 0, 2.5]);
    expect(Array.from(toFloat64(4n))).toEqual([4]);
    expect(() => toFloat64("x")).toThrow(TypeError);
  });
  it("toInt32, toNum, copyNum, toStrings", () => {
    const i = new Int32Array([1, -1]);
    expect(toInt32(i)).toBe(i);
    expect(Array.from(toInt32(new BigUint64Array([5n, 7n])))).toEqual([5, 7]);
    expect(Array.from(toInt32(new Int8Array([-2, 3])))).toEqual([-2, 3]);
    const u = new Uint16Array([1, 2]);
    expect(toNum(u)).toBe(u); // kept as it is
    expect(toNum(new BigInt64Array([9n]))).toEqual(new Float64Array([9]));
    const c = copyNum(u);
    expect(c).not.toBe(u);
    expect(c).toEqual(u);
    expect(copyNum(new BigUint64Array([3n]))).toEqual(new Float64Array([3]));
    expect(toStrings(["a", "b"])).toEqual(["a", "b"]);
    expect(toStrings("one")).toEqual(["one"]);
    expect(toStrings(new Int32Array([4, 5]))).toEqual(["4", "5"]);
    expect(toStrings(null)).toEqual([]);
  });
});
