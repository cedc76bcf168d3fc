// Where X and the layers are and how they are stored (dense, csr_matrix, csc_matrix, legacy
// `h5sparse_format` groups), checked against the header before any value is read.
import { h5wasm } from "./host-node.js";
import type { MatrixInfo } from "../source.js";
import { FileAccess, type H5Dataset, type H5Group } from "./access.js";
import { attrsOf, strAttr } from "./attrs.js";
import { dtypeName, toFloat64 } from "./dtype.js";

/** The names under /layers (none when there is no such group). */
export function layersOf(f: FileAccess): string[] {
  const e = f.entity("layers");
  if (!(e instanceof h5wasm.Group)) return [];
  return f.keysOf(e as H5Group, "/layers");
}

/** The name that chooses adata.raw as the matrix (`--layer raw`). */
export const RAW = "raw";

/** True when the file has adata.raw: a /raw group holding X. */
export function hasRaw(f: FileAccess): boolean {
  return f.entity("raw") instanceof h5wasm.Group && f.has("raw/X");
}

/** True when `layer` names adata.raw: "raw" in a file with /raw (else a layer named raw, as before). */
export function isRawLayer(f: FileAccess, layer?: string | null): boolean {
  return layer === RAW && (hasRaw(f) || !layersOf(f).includes(RAW));
}

/**
 * The path of X (no layer, "" or "X"), of adata.raw's X ("raw": /raw/X; a layer named raw only in a
 * file without adata.raw) or of a layer that exists.
 */
export function matrixPath(f: FileAccess, layer?: string | null): string {
  if (layer === undefined || layer === null || layer === "" || layer === "X") return "X";
  if (isRawLayer(f, layer)) {
    if (!hasRaw(f)) f.fail("/raw/X", `no adata.raw in this file, so --layer raw has nothing to read (layers: ${layersOf(f).join(", ") || "none"}; or omit --layer for X)`);
    return "raw/X";
  }
  const layers = layersOf(f);
  if (!layers.includes(layer)) f.fail(`/layers/${layer}`, `no such layer (available: ${layers.join(", ") || "none"})`);
  return `layers/${layer}`;
}

/** The matrix at `path`: its encoding, dtype and shape, with its datasets checked against the header. */
export function matrixInfo(f: FileAccess, path: string): MatrixInfo {
  const e = f.entity(path);
  if (!e) f.fail(`/${path}`, "missing matrix (expected a dense dataset or a csr_matrix/csc_matrix group)");
  const a = attrsOf(e as H5Group);
  if (e instanceof h5wasm.Dataset) return denseInfo(f, path, e as H5Dataset, a);
  return sparseInfo(f, path, a);
}

function denseInfo(f: FileAccess, path: string, ds: H5Dataset, a: Record<string, unknown>): MatrixInfo {
  const shape = ds.shape ?? [];
  if (shape.length !== 2) f.fail(`/${path}`, `expected a 2-d dense matrix, found shape [${shape.join(", ")}]`);
  const enc = strAttr(a["encoding-type"]);
  if (enc !== undefined && enc !== "array") f.fail(`/${path}`, `unknown matrix encoding '${enc}' (expected array)`);
  f.checkVersion(`/${path}`, enc, a);
  f.requireNumbers(ds, "a numeric matrix");
  f.checkStored(ds);
  return { encoding: "dense", dtype: dtypeName(ds.metadata), shape: [shape[0], shape[1]] };
}

/** A csr_matrix / csc_matrix group: shape attribute, data / indices / indptr consistent with it and stored in the file. */
function sparseInfo(f: FileAccess, path: string, a: Record<string, unknown>): MatrixInfo {
  let enc = strAttr(a["encoding-type"]);
  const legacy = strAttr(a["h5sparse_format"]);
  if (enc === undefined && legacy) enc = `${legacy}_matrix`;
  if (enc !== "csr_matrix" && enc !== "csc_matrix")
    f.fail(`/${path}`, `unknown matrix encoding '${enc ?? "(none)"}' (expected dense, csr_matrix or csc_matrix)`);
  f.checkVersion(`/${path}`, enc, a);
  const shp = toFloat64(a["shape"] ?? a["h5sparse_shape"] ?? []);
  if (shp.length !== 2) f.fail(`/${path}`, "sparse matrix without a 2-element shape attribute");
  if (!shp.every((x) => Number.isSafeInteger(x) && x >= 0)) f.fail(`/${path}`, `shape attribute [${Array.from(shp).join(", ")}] is not two counts`);
  const data = f.dataset(`${path}/data`, `${enc} data`);
  const indices = f.dataset(`${path}/indices`, `${enc} indices`);
  const indptr = f.dataset(`${path}/indptr`, `${enc} indptr`);
  f.requireNumbers(data, `${enc} data`);
  f.requireNumbers(indices, `${enc} indices`, true);
  f.requireNumbers(indptr, `${enc} indptr`, true);
  const expectPtr = (enc === "csr_matrix" ? shp[0] : shp[1]) + 1;
  if ((indptr.shape?.[0] ?? 0) !== expectPtr) f.fail(`/${path}/indptr`, `expected ${expectPtr} entries, found ${indptr.shape?.[0]}`);
  // the stored values as declared: as many indices as data, no more than the matrix has cells, and stored in the file
  const nnz = data.shape?.length === 1 ? data.shape[0] : NaN;
  if (!(nnz >= 0) || indices.shape?.length !== 1) f.fail(`/${path}`, "data and indices must be 1-d");
  if (indices.shape[0] !== nnz) f.fail(`/${path}`, `indptr/indices/data lengths disagree (data has ${nnz} values, indices ${indices.shape[0]})`);
  if (nnz > shp[0] * shp[1]) f.fail(`/${path}/data`, `declares ${nnz} stored values, more than the ${shp[0]} x ${shp[1]} matrix has cells: the header is corrupt`);
  for (const ds of [data, indices, indptr]) f.checkStored(ds);
  return { encoding: enc, dtype: dtypeName(data.metadata), shape: [shp[0], shp[1]] };
}
