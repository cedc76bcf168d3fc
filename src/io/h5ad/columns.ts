// obs / var dataframe columns: the index, the column order, and the column encodings
// (categorical, string-array, array of numbers or HDF5-enum booleans, nullable-integer,
// nullable-boolean, nullable-string-array, and anndata 0.7's codes with `__categories`).
import { h5wasm } from "./host-node.js";
import type { ObsColumn } from "../source.js";
import { FileAccess, type H5Dataset, type H5Group } from "./access.js";
import { attrsOf, strAttr, truthyAttr } from "./attrs.js";
import { dtypeName, H5T, isBoolEnum, toFloat64, toInt32, toStrings } from "./dtype.js";

/** A dataframe of the file: obs, var, or adata.raw's var. */
export type Frame = "obs" | "var" | "raw/var";

/** The dataframe's index dataset name (the `_index` attribute; `_index` by default). */
function indexName(f: FileAccess, frame: Frame): string {
  return strAttr(attrsOf(f.group(frame, "an AnnData dataframe"))["_index"]) ?? "_index";
}

/** Fail early on files that are HDF5 but not AnnData (no obs / var groups) or of a future anndata layout. */
export function checkFrames(f: FileAccess): void {
  for (const frame of ["obs", "var"]) f.group(frame, `an AnnData ${frame} dataframe`);
  for (const frame of ["obs", "var"]) {
    const a = attrsOf(f.group(frame, "an AnnData dataframe"));
    f.checkVersion(`/${frame}`, strAttr(a["encoding-type"]), a);
  }
}

/** The dataframe's row names. */
export function frameIndex(f: FileAccess, frame: Frame): string[] {
  const ds = f.dataset(`${frame}/${indexName(f, frame)}`, `the ${frame} index (string-array named by _index)`);
  return toStrings(f.read(ds));
}

/**
 * Names made unique as anndata's `make_index_unique` (var_names_make_unique) does: the first
 * occurrence keeps its name, each later one gets `-1`, `-2`, ... (counted per name, skipping names
 * the index already has). `renamed`: each renamed repeat, in index order.
 */
export function makeUnique(names: readonly string[], join = "-"): { names: string[]; renamed: { from: string; to: string }[] } {
  const seen = new Set<string>();
  const dups: number[] = [];
  for (let i = 0; i < names.length; i++) {
    if (seen.has(names[i])) dups.push(i);
    else seen.add(names[i]);
  }
  if (dups.length === 0) return { names: names as string[], renamed: [] };
  const out = names.slice();
  const taken = seen; // anndata checks candidates against every name of the index and those it has made
  const counter = new Map<string, number>();
  const renamed: { from: string; to: string }[] = [];
  for (const i of dups) {
    const v = names[i];
    for (;;) {
      const k = (counter.get(v) ?? 0) + 1;
      counter.set(v, k);
      const candidate = `${v}${join}${k}`;
      if (!taken.has(candidate)) {
        taken.add(candidate);
        out[i] = candidate;
        renamed.push({ from: v, to: candidate });
        break;
      }
    }
  }
  return { names: out, renamed };
}

/** The dataframe's number of rows, from its index's header (nothing read). */
export function frameLength(f: FileAccess, frame: Frame): number {
  return f.dataset(`${frame}/${indexName(f, frame)}`, `the ${frame} index`).shape?.[0] ?? 0;
}

/** The dataframe's columns: `column-order`, else its members but the index and legacy `__categories`. */
export function frameColumns(f: FileAccess, frame: Frame): string[] {
  const g = f.group(frame, "an AnnData dataframe");
  const a = attrsOf(g);
  const idx = strAttr(a["_index"]) ?? "_index";
  const order = a["column-order"];
  if (typeof order === "string") return [order];
  if (Array.isArray(order)) return order.filter((x) => typeof x === "string") as string[];
  return f.keysOf(g, `/${frame}`).filter((k) => k !== idx && k !== "__categories");
}

/** One dataframe column, decoded by its encoding. */
export function readColumn(f: FileAccess, frame: Frame, name: string): ObsColumn {
  const path = `${frame}/${name}`;
  const e = f.entity(path);
  if (!e) f.fail(`/${path}`, "missing column listed in column-order");
  const a = attrsOf(e as H5Group);
  const enc = strAttr(a["encoding-type"]);
  f.checkVersion(`/${path}`, enc, a);
  if (e instanceof h5wasm.Group) return groupColumn(f, path, name, enc, truthyAttr(a["ordered"]));
  if (enc !== undefined && enc !== "array" && enc !== "string-array")
    f.fail(`/${path}`, `unknown column encoding '${enc}' (expected array, string-array or categorical)`);
  return datasetColumn(f, frame, name, e as H5Dataset, truthyAttr(a["ordered"]));
}

/** A column stored as a group: categorical (codes + categories) or nullable (values + mask). */
function groupColumn(f: FileAccess, path: string, name: string, enc: string | undefined, ordered: boolean): ObsColumn {
  if (enc === "categorical") {
    const cods = f.dataset(`${path}/codes`, "categorical codes");
    f.requireNumbers(cods, "categorical codes", true);
    const codes = toInt32(f.read(cods));
    const categories = toStrings(f.read(f.dataset(`${path}/categories`, "categorical categories")));
    return fromCodes(name, codes, categories, ordered, (why) => f.fail(`/${path}`, why));
  }
  if (enc === "nullable-integer" || enc === "nullable-boolean" || enc === "nullable-string-array") return nullableColumn(f, path, name, enc);
  f.fail(`/${path}`, `unknown column encoding '${enc ?? "(none)"}' (expected categorical, nullable-integer, nullable-boolean or nullable-string-array)`);
}

/** anndata's nullable arrays: `values` with a `mask` (true = missing). */
function nullableColumn(f: FileAccess, path: string, name: string, enc: "nullable-integer" | "nullable-boolean" | "nullable-string-array"): ObsColumn {
  const vds = f.dataset(`${path}/values`, `${enc} values`);
  const mds = f.dataset(`${path}/mask`, `${enc} mask`);
  if (!isBoolEnum(mds.metadata)) f.requireNumbers(mds, `${enc} mask`, true);
  if (enc === "nullable-integer" || (enc === "nullable-boolean" && !isBoolEnum(vds.metadata))) f.requireNumbers(vds, `${enc} values`);
  const nv = vds.shape?.[0] ?? 0;
  const nm = mds.shape?.[0] ?? 0;
  if (nm !== nv) f.fail(`/${path}/mask`, `has ${nm} entries but ${path}/values has ${nv}: a mask must mark every value`);
  const mask = toFloat64(f.read(mds));
  if (enc === "nullable-string-array") return { name, kind: "string", ...maskStrings(toStrings(f.read(vds)), mask) };
  const values = toFloat64(f.read(vds));
  const nMissing = maskNumbers(values, mask);
  return { name, kind: enc === "nullable-integer" ? "int" : "bool", values, nMissing };
}

/** A column stored as one dataset: legacy 0.7 categorical codes, strings, booleans (HDF5 enum) or numbers. */
function datasetColumn(f: FileAccess, frame: Frame, name: string, ds: H5Dataset, ordered: boolean): ObsColumn {
  const path = `${frame}/${name}`;
  const meta = ds.metadata;
  // legacy anndata 0.7: codes dataset + categories under __categories/<name>
  const legacyCats = f.entity(`${frame}/__categories/${name}`);
  if (legacyCats instanceof h5wasm.Dataset && meta.type === H5T.INTEGER) {
    f.requireNumbers(ds, "categorical codes", true);
    const codes = toInt32(f.read(ds));
    const categories = toStrings(f.read(legacyCats as H5Dataset));
    return fromCodes(name, codes, categories, ordered, (why) => f.fail(`/${path}`, why));
  }
  if (meta.type === H5T.STRING) return { name, kind: "string", values: toStrings(f.read(ds)), nMissing: 0 };
  if (meta.type === H5T.ENUM) {
    if (!isBoolEnum(meta)) f.fail(`/${path}`, `unsupported enum type (expected an HDF5 boolean enum FALSE/TRUE)`);
    return { name, kind: "bool", values: toFloat64(f.read(ds)), nMissing: 0 };
  }
  if (meta.type === H5T.INTEGER || meta.type === H5T.FLOAT) {
    if (ds.shape && ds.shape.length !== 1) f.fail(`/${path}`, `expected a 1-d column, found shape [${ds.shape.join(", ")}]`);
    f.requireNumbers(ds, "a numeric column");
    const values = toFloat64(f.read(ds));
    return { name, kind: meta.type === H5T.INTEGER ? "int" : "float", values, nMissing: countNaN(values) };
  }
  f.fail(`/${path}`, `has dtype ${dtypeName(meta)}; expected numbers, strings or booleans`);
}

/** A categorical column from its codes (-1 = missing) into `categories`; a code past them goes to `fail`. */
export function fromCodes(name: string, codes: Int32Array, categories: string[], ordered: boolean, fail: (why: string) => never): ObsColumn {
  let nMissing = 0;
  const values = new Array<string | null>(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const k = codes[i];
    if (k < 0) {
      values[i] = null;
      nMissing++;
    } else if (k >= categories.length) fail(`categorical code ${k} out of range (${categories.length} categories)`);
    else values[i] = categories[k];
  }
  return { name, kind: "categorical", values, codes, categories, ordered, nMissing };
}

/** Set masked values (mask nonzero) to NaN, in place; returns how many. */
export function maskNumbers(values: Float64Array, mask: ArrayLike<number>): number {
  let nMissing = 0;
  for (let i = 0; i < values.length; i++)
    if (mask[i]) {
      values[i] = NaN;
      nMissing++;
    }
  return nMissing;
}

/** Strings with masked entries (mask nonzero) as null. */
export function maskStrings(raw: string[], mask: ArrayLike<number>): { values: (string | null)[]; nMissing: number } {
  let nMissing = 0;
  const values = raw.map((s, i) => (mask[i] ? (nMissing++, null) : s));
  return { values, nMissing };
}

/** The NaNs of a numeric column (its missing values). */
export function countNaN(values: Float64Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) n++;
  return n;
}
