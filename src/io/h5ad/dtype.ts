// HDF5 datatypes in one place: their numpy names, the typed array that views each numeric one (the
// table h5wasm's own reader keeps), and the conversions of what h5wasm returns into this reader's
// arrays (64-bit integers as Float64Array, codes as Int32Array, labels as strings).
import type { NumArray } from "../source.js";

/** HDF5 datatype classes (H5T_class_t in H5Tpublic.h). */
export const H5T = { INTEGER: 0, FLOAT: 1, STRING: 3, COMPOUND: 6, ENUM: 8 } as const;

/** Names of the classes without a numpy name of their own. */
const OTHER_CLASSES: Readonly<Record<number, string>> = { 2: "time", 4: "bitfield", 5: "opaque", 7: "reference", 9: "variable-length sequence", 10: "array" };

/** The parts of h5wasm's datatype metadata that name a dtype. */
export interface TypeMeta {
  type: number;
  size: number;
  signed: boolean;
  enum_type?: { members?: Record<string, number> };
  compound_type?: { members: (TypeMeta & { name: string })[] };
}

export type ViewCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => NumArray | BigInt64Array | BigUint64Array;

/** The numbers this reader converts exactly, by numpy name: the typed array that views them (h5wasm reads little-endian). */
const NUMERIC: Readonly<Record<string, ViewCtor>> = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** True for an HDF5 enum of FALSE/TRUE (h5py's bool). */
export function isBoolEnum(meta: TypeMeta): boolean {
  const keys = Object.keys(meta.enum_type?.members ?? {}).map((k) => k.toUpperCase());
  return meta.type === H5T.ENUM && keys.length === 2 && keys.includes("TRUE") && keys.includes("FALSE");
}

/** A datatype's numpy name: int32, float16, complex128 (h5py's {r, i} compound), bool, string, compound {..}. */
export function dtypeName(meta: TypeMeta): string {
  switch (meta.type) {
    case H5T.INTEGER:
      return `${meta.signed ? "int" : "uint"}${meta.size * 8}`;
    case H5T.FLOAT:
      return `float${meta.size * 8}`;
    case H5T.STRING:
      return "string";
    case H5T.COMPOUND: {
      const m = meta.compound_type?.members ?? [];
      if (m.length === 2 && m[0].name === "r" && m[1].name === "i" && m.every((x) => x.type === H5T.FLOAT)) return `complex${meta.size * 8}`;
      return `compound {${m.map((x) => `${x.name}: ${dtypeName(x)}`).join(", ")}}`;
    }
    case H5T.ENUM:
      return isBoolEnum(meta) ? "bool" : "enum";
    default:
      return OTHER_CLASSES[meta.type] ?? `HDF5 class ${meta.type}`;
  }
}

/** The typed array viewing a numeric datatype's values, or null for anything this reader does not convert exactly. */
export function numericView(meta: TypeMeta): ViewCtor | null {
  if (meta.type !== H5T.INTEGER && meta.type !== H5T.FLOAT) return null;
  return NUMERIC[dtypeName(meta)] ?? null;
}

/** Numbers this reader converts exactly: integers of 1, 2, 4 or 8 bytes, floats of 4 or 8 bytes. */
export function isReadableNumber(meta: TypeMeta, integerOnly = false): boolean {
  return numericView(meta) !== null && (!integerOnly || meta.type === H5T.INTEGER);
}

function isBig(v: unknown): v is BigInt64Array | BigUint64Array {
  return v instanceof BigInt64Array || v instanceof BigUint64Array;
}

/** Any numeric value h5wasm returns (typed array, array of numbers / bigints / booleans, scalar) as Float64Array. */
export function toFloat64(v: unknown): Float64Array {
  if (v instanceof Float64Array) return v;
  if (isBig(v)) {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
    return out;
  }
  if (ArrayBuffer.isView(v)) return Float64Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return Float64Array.from(v.map((x) => (typeof x === "bigint" ? Number(x) : typeof x === "boolean" ? (x ? 1 : 0) : Number(x))));
  if (typeof v === "number" || typeof v === "bigint") return Float64Array.of(Number(v));
  throw new TypeError("not numeric");
}

/** Integers (codes, indices) as Int32Array; the caller has checked their range. */
export function toInt32(v: unknown): Int32Array {
  if (v instanceof Int32Array) return v;
  if (isBig(v)) {
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
    return out;
  }
  return Int32Array.from(v as ArrayLike<number>);
}

/** Numbers kept in their own typed array where JavaScript can compute with it (no copy); 64-bit integers as Float64Array. */
export function toNum(v: unknown): NumArray {
  if (isBig(v)) return toFloat64(v);
  if (ArrayBuffer.isView(v)) return v as unknown as NumArray;
  return toFloat64(v);
}

/** A copy of numbers viewed on a buffer about to be reused or freed (64-bit integers as Float64Array). */
export function copyNum(v: NumArray | BigInt64Array | BigUint64Array): NumArray {
  return isBig(v) ? toFloat64(v) : v.slice();
}

/** Labels: strings as they are, numbers as their text. */
export function toStrings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v === "string") return [v];
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => String(x));
  return [];
}
