// AnnData (.h5ad) reader on h5wasm: lazy obs/var columns, X and layers read in bounded chunks.
//
// Supported encodings: dataframe (obs/var with `_index`, `column-order`), categorical
// (codes + categories, `ordered`), string-array, array (numeric / HDF5-enum booleans),
// nullable-integer, nullable-boolean, nullable-string-array, legacy anndata 0.7 (categories
// under `__categories`, plain datasets without encoding attributes, `h5sparse_format`
// sparse groups), X / layers as dense, csr_matrix or csc_matrix.
// h5wasm and the file helpers come from host-node.ts; the browser bundle swaps in
// host-browser.ts (same exports), so this module never names node:fs itself.
import { h5wasm, host } from "./host-node.js";
import { H5adError } from "../../errors.js";
import { HeapBlocks, heapReadable, readStrings } from "./blocks.js";
import { hexBytes } from "../text.js";

export { H5adError } from "../../errors.js";

type H5File = InstanceType<typeof h5wasm.File>;
type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

export type ObsKind = "categorical" | "string" | "float" | "int" | "bool";

/**
 * One obs (or table) column. `values`: strings (null = missing) for categorical/string,
 * Float64Array (NaN = missing; booleans as 0/1) for float/int/bool. Categorical columns also
 * carry `codes` (-1 = missing) into `categories`.
 */
export interface ObsColumn {
  name: string;
  kind: ObsKind;
  values: (string | null)[] | Float64Array;
  codes?: Int32Array;
  categories?: string[];
  ordered?: boolean;
  nMissing: number;
}

export type MatrixEncoding = "dense" | "csr_matrix" | "csc_matrix";

export interface MatrixInfo {
  encoding: MatrixEncoding;
  dtype: string; // float32, float64, int32, int64, uint8, ...
  shape: [number, number];
}

export type NumArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/**
 * A block of the matrix. `dense`: rows rowStart..rowEnd-1, all columns, row-major.
 * `csr`: the same rows as compressed rows (indptr rebased to 0, length rows + 1).
 * `csc`: columns colStart..colEnd-1 (all rows) as compressed columns; `cols` lists the
 * column numbers when only selected columns were read (indptr has cols.length + 1 entries).
 */
export type MatrixChunk =
  | { kind: "dense"; rowStart: number; rowEnd: number; nCols: number; data: NumArray }
  | { kind: "csr"; rowStart: number; rowEnd: number; indptr: Float64Array; indices: Int32Array; data: NumArray }
  | { kind: "csc"; cols: Int32Array; indptr: Float64Array; indices: Int32Array; data: NumArray };

/**
 * What the frame builder reads: an .h5ad file or a long table. Tables have no matrix
 * (nVars = 0) and expose their numeric columns as obs columns.
 */
export interface DataSource {
  readonly nObs: number;
  readonly nVars: number;
  readonly obsNames: string[];
  readonly varNames: string[];
  readonly obsColumns: string[];
  obsColumn(name: string): ObsColumn;
  readonly layers: string[];
  matrixInfo(layer?: string | null): MatrixInfo;
  /**
   * Iterate the matrix in blocks whose memory is bounded by the block. Dense and CSR are
   * read as row blocks of `rowsPerChunk` rows; CSC as column blocks (of at most `maxValues`
   * stored values, or a single column), restricted to `cols` when given. With `reuse`, a block's
   * arrays may be views of one buffer that the next block overwrites (no copy, no fresh memory per
   * block): take what is needed from a block before asking for the next.
   */
  rowChunks(layer: string | null | undefined, rowsPerChunk: number, opts?: ChunkOptions): Iterable<MatrixChunk>;
  close(): void;
}

export interface ChunkOptions {
  cols?: ArrayLike<number>;
  maxValues?: number;
  reuse?: boolean;
}

export interface ReadH5adOptions {
  /** Name used in error messages when reading bytes. */
  name?: string;
  /** A path handed over to the reader: removed (or unmounted, in a browser) by close(). */
  owned?: boolean;
}

// The wasm module is initialised when host-node.ts is imported (top-level await), so that
// readH5ad can be synchronous; in a browser, initTrialmix() awaits it first.

/** Run fn with HDF5's diagnostic stack printing (written to fd 2 by the wasm module) muted. */
function quiet<T>(fn: () => T, bytes = 0): T {
  const unmute = host.mute();
  try {
    return limited(fn, bytes);
  } finally {
    unmute();
  }
}

/** A read that made no progress inside the HDF5 library (a corrupt file can make it loop forever). */
export class H5adStuckError extends H5adError {}

// Every call into the HDF5 library runs under a time limit where the platform can interrupt
// synchronous WebAssembly (Node: node:vm's timeout): 5 s (TRIALMIX_H5_TIMEOUT_MS) plus 1 s per
// 16 MB requested. Without node:vm (browsers) calls run unguarded.
interface VmLike {
  createContext(o: object): object;
  Script: new (code: string) => { runInContext(ctx: object, o: { timeout: number }): unknown };
}
const nodeProcess = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined> } }).process;
const vm = nodeProcess?.getBuiltinModule?.("node:vm") as VmLike | undefined;
const H5_TIMEOUT_MS = Number(nodeProcess?.env?.TRIALMIX_H5_TIMEOUT_MS) || 5000;
const limiter = vm ? { ctx: vm.createContext({ f: null as null | (() => unknown) }) as { f: null | (() => unknown) }, script: new vm.Script("f()") } : null;
let limitDepth = 0;

function limited<T>(fn: () => T, bytes: number): T {
  if (!limiter || limitDepth > 0) return fn();
  const ms = Math.round(H5_TIMEOUT_MS + (bytes / 16e6) * 1000);
  limitDepth++;
  limiter.ctx.f = fn;
  try {
    return limiter.script.runInContext(limiter.ctx, { timeout: ms }) as T;
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT")
      throw new H5adStuckError(`the HDF5 library made no progress for ${(ms / 1000).toFixed(1)} s (a corrupt file?)`);
    throw e;
  } finally {
    limiter.ctx.f = null;
    limitDepth--;
  }
}

const HDF5_SIG = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** The HDF5 signature at offset 0, 512, 1024, ... (a user block may precede it), looked for up to 16 MB. */
function hasHdf5Signature(path: string): boolean {
  return host.withFile(path, (size, readAt) => {
    const buf = new Uint8Array(8);
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      readAt(buf, off);
      if (HDF5_SIG.every((b, i) => buf[i] === b)) return true;
      if (off > 1 << 24) break;
    }
    return false;
  });
}

/** At most this many bytes in one read of one dataset (guards against headers declaring huge shapes). */
const MAX_READ_BYTES = 2 ** 30;

/** The newest encoding-version of each anndata encoding this reader understands. */
const KNOWN_VERSIONS: Record<string, string> = {
  anndata: "0.1.0",
  dataframe: "0.2.0",
  categorical: "0.2.0",
  array: "0.2.0",
  "string-array": "0.2.0",
  csr_matrix: "0.1.0",
  csc_matrix: "0.1.0",
  "nullable-integer": "0.1.0",
  "nullable-boolean": "0.1.0",
  "nullable-string-array": "0.1.0",
};

function attrsOf(e: { attrs: Record<string, { json_value: unknown }>; path?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  return quiet(() => {
    let attrs: Record<string, { json_value: unknown }>;
    try {
      attrs = e.attrs;
    } catch (err) {
      throw new H5adError(`${e.path ?? ""}: cannot list attributes (${(err as Error).message}); the file is corrupt`);
    }
    for (const [k, a] of Object.entries(attrs)) {
      try {
        out[k] = limited(() => a.json_value, 0);
      } catch (err) {
        if (err instanceof H5adStuckError) throw err;
        out[k] = undefined; // references and other non-JSON attributes
      }
    }
    return out;
  });
}

function strAttr(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === "string") return v[0];
  return undefined;
}

function truthyAttr(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0 && truthyAttr(v[0]);
  return v === true || v === 1 || v === "True" || v === "true";
}

/** The parts of h5wasm's datatype metadata that name a dtype. */
interface TypeMeta {
  type: number;
  size: number;
  signed: boolean;
  enum_type?: { members?: Record<string, number> };
  compound_type?: { members: (TypeMeta & { name: string })[] };
}

/** True for an HDF5 enum of FALSE/TRUE (h5py's bool). */
function isBoolEnum(meta: TypeMeta): boolean {
  const keys = Object.keys(meta.enum_type?.members ?? {}).map((k) => k.toUpperCase());
  return meta.type === 8 && keys.length === 2 && keys.includes("TRUE") && keys.includes("FALSE");
}

/** A datatype's numpy name: int32, float16, complex128 (h5py's {r, i} compound), bool, string, compound {..}. */
export function dtypeName(meta: TypeMeta): string {
  // H5T classes: 0 integer, 1 float, 2 time, 3 string, 4 bitfield, 5 opaque, 6 compound, 7 reference, 8 enum, 9 vlen, 10 array
  switch (meta.type) {
    case 0:
      return `${meta.signed ? "int" : "uint"}${meta.size * 8}`;
    case 1:
      return `float${meta.size * 8}`;
    case 3:
      return "string";
    case 6: {
      const m = meta.compound_type?.members ?? [];
      if (m.length === 2 && m[0].name === "r" && m[1].name === "i" && m.every((x) => x.type === 1)) return `complex${meta.size * 8}`;
      return `compound {${m.map((x) => `${x.name}: ${dtypeName(x)}`).join(", ")}}`;
    }
    case 8:
      return isBoolEnum(meta) ? "bool" : "enum";
    default:
      return ["time", "", "", "bitfield", "opaque", "", "reference", "", "variable-length sequence", "array"][meta.type - 2] || `HDF5 class ${meta.type}`;
  }
}

/** Numbers this reader converts exactly: integers of 1, 2, 4 or 8 bytes, floats of 4 or 8 bytes. */
function isReadableNumber(meta: TypeMeta, integerOnly = false): boolean {
  if (meta.type === 0) return [1, 2, 4, 8].includes(meta.size);
  return !integerOnly && meta.type === 1 && (meta.size === 4 || meta.size === 8);
}

function toFloat64(v: unknown): Float64Array {
  if (v instanceof Float64Array) return v;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
    return out;
  }
  if (ArrayBuffer.isView(v)) return Float64Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return Float64Array.from(v.map((x) => (typeof x === "bigint" ? Number(x) : typeof x === "boolean" ? (x ? 1 : 0) : Number(x))));
  if (typeof v === "number" || typeof v === "bigint") return Float64Array.of(Number(v));
  throw new TypeError("not numeric");
}

function toInt32(v: unknown): Int32Array {
  if (v instanceof Int32Array) return v;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
    return out;
  }
  return Int32Array.from(v as ArrayLike<number>);
}

function toNum(v: unknown): NumArray {
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return toFloat64(v);
  if (ArrayBuffer.isView(v)) return v as unknown as NumArray;
  return toFloat64(v);
}

function toStrings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v === "string") return [v];
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => String(x));
  return [];
}

function fmtBytes(b: number): string {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`;
}

/** Stored values of one sparse block (data and indices, on h5wasm's heap): larger row or column ranges are split. */
const MAX_BLOCK_BYTES = 2 ** 29;

/** A lazily read .h5ad file (AnnData-like). */
export class H5ad implements DataSource {
  readonly file: H5File;
  readonly name: string;
  private tmpPath: string | null;
  private cache = new Map<string, ObsColumn>();
  private _obsNames?: string[];
  private _varNames?: string[];
  private _obsColumns?: string[];
  private _nObs?: number;
  private _nVars?: number;
  private linksChecked = new Set<string>();
  private revoke: () => void;
  /** The file's size: no dataset can hold more than it stores (compression aside). */
  readonly fileBytes: number;

  constructor(file: H5File, name: string, tmpPath: string | null, revoke: () => void = () => {}) {
    this.file = file;
    this.name = name;
    this.tmpPath = tmpPath;
    this.revoke = revoke;
    this.fileBytes = host.size(file.filename);
  }

  fail(path: string, expected: string): never {
    throw new H5adError(`${this.name}: ${path}: ${expected}`);
  }

  /** The object at `path`, or null when there is none. Links out of the file are refused first (checkLinks). */
  entity(path: string): unknown {
    let e: unknown;
    try {
      this.checkLinks(path);
      e = quiet(() => this.file.get(path));
    } catch (err) {
      if (err instanceof H5adError) throw err;
      return null;
    }
    // h5wasm reads a dataset's header lazily (shape, dtype): read it once here, where a
    // corrupt header can still be reported as this file's problem
    if (e instanceof h5wasm.Dataset) {
      let meta: H5Dataset["metadata"];
      try {
        meta = quiet(() => (e as H5Dataset).metadata);
      } catch (err) {
        this.fail(`/${path}`, `cannot read the dataset header (${(err as Error).message}); the file is corrupt`);
      }
      const outside = meta.virtual_sources?.find((v) => v.file_name !== ".");
      if (outside) this.fail(`/${path}`, `is a virtual dataset mapping data from '${outside.file_name}'; trialmix reads only the file it is given (data in other files is refused)`);
    }
    return e;
  }

  /**
   * Refuse a path that passes through an external link (to a missing file, a file that is not HDF5,
   * this file itself or a valid other file alike): trialmix reads only the file it is given. Soft
   * links are followed to their targets, which are checked the same way.
   */
  private checkLinks(path: string, hops = 0): void {
    const parts = path.split("/").filter((x) => x.length > 0);
    let p = "";
    for (let i = 0; i < parts.length; i++) {
      p += `/${parts[i]}`;
      if (this.linksChecked.has(p)) continue;
      const here = p;
      const ext = quiet(() => this.file.get_external_link(here)) as { filename?: string; obj_path?: string } | null;
      if (ext?.filename !== undefined)
        this.fail(p, `is an external link to '${ext.filename}' (object ${ext.obj_path}); trialmix reads only the file it is given: external links are refused (copy the data into this file, e.g. with h5py)`);
      const soft = quiet(() => this.file.get_link(here)) as string | null;
      if (typeof soft === "string") {
        if (hops >= 16) this.fail(p, "soft links form a loop");
        const target = soft.startsWith("/") ? soft : `${p.slice(0, p.lastIndexOf("/"))}/${soft}`;
        this.checkLinks(target, hops + 1);
        // h5wasm reports a dangling soft link as a group: say what it is
        if ((quiet(() => this.file.get_type(target)) as number) < 0) this.fail(p, `is a soft link to '${soft}', which does not exist`);
        this.checkLinks([target, ...parts.slice(i + 1)].join("/"), hops + 1);
        return;
      }
      this.linksChecked.add(p);
    }
  }

  /** True when an object exists at `path` (links checked as entity() does). */
  has(path: string): boolean {
    return this.entity(path) !== null;
  }

  /** The members of a group; a corrupt link table is this file's problem (H5adError). */
  keysOf(g: H5Group, path: string): string[] {
    try {
      return quiet(() => g.keys());
    } catch (err) {
      this.fail(path, `cannot list the group (${(err as Error).message}); the file is corrupt`);
    }
  }

  group(path: string, what: string): H5Group {
    const e = this.entity(path);
    if (!(e instanceof h5wasm.Group)) this.fail(`/${path}`, e ? `expected a group (${what})` : `missing group (expected ${what})`);
    return e as H5Group;
  }

  dataset(path: string, what: string): H5Dataset {
    const e = this.entity(path);
    if (!(e instanceof h5wasm.Dataset)) this.fail(`/${path}`, e ? `expected a dataset (${what})` : `missing dataset (expected ${what})`);
    return e as H5Dataset;
  }

  /**
   * Refuse a read whose declared size is implausible (a corrupt or hostile header declaring a
   * huge shape): the guard runs on the header's shape, before anything is allocated.
   */
  checkDeclared(ds: H5Dataset, elements?: number): void {
    const n = elements ?? (ds.shape ?? []).reduce((a, b) => a * b, 1);
    const bytes = n * Math.max(8, ds.metadata?.size ?? 8);
    if (!(bytes <= MAX_READ_BYTES))
      this.fail(ds.path, `declares shape [${(ds.shape ?? []).join(", ")}] (${(bytes / 2 ** 30).toFixed(1)} GiB in one read); refusing to allocate it: the header is corrupt or the file is too large for this reader`);
    this.checkStored(ds);
  }

  /**
   * Refuse a dataset that declares more values than the file can hold: its bytes against the file's
   * size times the most its filters can compress (1 without compression; deflate stays under 1032:1;
   * filters that can compress without bound are not checked). A chunked dataset declaring 2^33
   * values with nothing written is a few KB: HDF5 would return fill values, and we would allocate.
   */
  checkStored(ds: H5Dataset): void {
    const meta = ds.metadata;
    if (meta.type !== 0 && meta.type !== 1) return; // numbers: strings and compounds are bounded by checkDeclared
    const n = (ds.shape ?? []).reduce((a, b) => a * b, 1);
    let ratio = 1;
    for (const f of quiet(() => ds.filters) ?? []) {
      if (f.id === 2 || f.id === 3) continue; // shuffle, fletcher32: no compression
      ratio = f.id === 1 || f.id === 4 ? Math.max(ratio, 1100) : Infinity; // deflate, szip; others (lzf, lz4, bzip2, zstd, scale-offset, ...) unbounded
    }
    const bytes = n * meta.size;
    if (bytes > this.fileBytes * ratio)
      this.fail(ds.path, `declares ${n} values (${fmtBytes(bytes)}), more than the file (${fmtBytes(this.fileBytes)}) can hold: the values are not stored (the header is corrupt or hostile)`);
  }

  /** A dataset of numbers this reader converts exactly, or an error naming its dtype. */
  requireNumbers(ds: H5Dataset, what: string, integerOnly = false): void {
    if (!isReadableNumber(ds.metadata, integerOnly))
      this.fail(ds.path, `has dtype ${dtypeName(ds.metadata)}; expected ${integerOnly ? "integers" : "integer or float"} (${what})`);
  }

  /** An `encoding-version` newer than the reader knows (a future anndata layout): H5adError. */
  checkVersion(path: string, enc: string | undefined, attrs: Record<string, unknown>): void {
    const ver = strAttr(attrs["encoding-version"]);
    if (enc === undefined || ver === undefined) return;
    const known = KNOWN_VERSIONS[enc];
    if (known === undefined) return; // unknown encodings are reported by the caller
    const a = ver.split(".").map(Number);
    const b = known.split(".").map(Number);
    if (a.some((x) => !Number.isInteger(x))) this.fail(path, `malformed encoding-version '${ver}' for ${enc}`);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = (a[i] ?? 0) - (b[i] ?? 0);
      if (d < 0) return;
      if (d > 0) this.fail(path, `${enc} encoding-version ${ver} is newer than this reader supports (up to ${known}); re-save the file with an older anndata or update trialmix`);
    }
  }

  read(ds: H5Dataset, range?: [number, number]): unknown {
    if (!range) this.checkDeclared(ds);
    const shape = ds.shape ?? [];
    if (!range && ds.metadata.type === 3 && shape.length === 1) return this.readText(ds, shape[0]);
    try {
      const n = range ? range[1] - range[0] : (ds.shape ?? []).reduce((a, b) => a * b, 1);
      if (shape.length === 1 && heapReadable(ds)) {
        // numeric vectors through h5block, which checks HDF5's status (h5wasm's slice/value do not)
        const hb = new HeapBlocks();
        try {
          hb.read(0, ds, shape, range ? range[0] : 0, n, quiet);
          const v = hb.view(0);
          return v instanceof BigInt64Array || v instanceof BigUint64Array ? toFloat64(v) : v.slice(); // a copy: the buffer is freed below
        } finally {
          hb.free();
        }
      }
      return quiet(() => (range ? ds.slice([range]) : ds.value), n * Math.max(8, ds.metadata?.size ?? 8));
    } catch (err) {
      this.readFailed(ds, err);
    }
  }

  /** A 1-d string dataset, decoded as UTF-8 strictly: invalid bytes name the dataset and the value. */
  private readText(ds: H5Dataset, n: number): string[] {
    let r;
    try {
      r = readStrings(ds, n, quiet);
    } catch (err) {
      this.readFailed(ds, err);
    }
    if (r.bad)
      this.fail(ds.path, `value ${r.bad.index + 1} of ${n} is not valid UTF-8 (bytes ${hexBytes(r.bad.bytes, 0, 4)}); text in an .h5ad must be UTF-8 (re-encode the labels, e.g. in pandas with .str.decode("latin-1"))`);
    return r.values;
  }

  /** A failed read as this file's error: data stored in another file (refused) is named as such. */
  private readFailed(ds: H5Dataset, err: unknown): never {
    if (err instanceof H5adError) throw err;
    const refused = host.takeRefused();
    if (refused.length > 0)
      this.fail(ds.path, `its data are stored in another file ('${refused[0]}'); trialmix reads only the file it is given (external storage is refused)`);
    this.fail(ds.path, `cannot read (${(err as Error).message}); the file may be truncated or corrupt`);
  }

  private frameIndex(which: "obs" | "var"): string[] {
    const g = this.group(which, `an AnnData dataframe`);
    const a = attrsOf(g);
    const idx = strAttr(a["_index"]) ?? "_index";
    const ds = this.dataset(`${which}/${idx}`, `the ${which} index (string-array named by _index)`);
    return toStrings(this.read(ds));
  }

  get obsNames(): string[] {
    return (this._obsNames ??= this.frameIndex("obs"));
  }
  get varNames(): string[] {
    return (this._varNames ??= this.frameIndex("var"));
  }
  get nObs(): number {
    if (this._nObs === undefined) {
      const ds = this.dataset(`obs/${strAttr(attrsOf(this.group("obs", "an AnnData dataframe"))["_index"]) ?? "_index"}`, "the obs index");
      this._nObs = ds.shape?.[0] ?? 0;
    }
    return this._nObs;
  }
  get nVars(): number {
    if (this._nVars === undefined) {
      const ds = this.dataset(`var/${strAttr(attrsOf(this.group("var", "an AnnData dataframe"))["_index"]) ?? "_index"}`, "the var index");
      this._nVars = ds.shape?.[0] ?? 0;
    }
    return this._nVars;
  }

  get obsColumns(): string[] {
    if (!this._obsColumns) {
      const g = this.group("obs", "an AnnData dataframe");
      const a = attrsOf(g);
      const idx = strAttr(a["_index"]) ?? "_index";
      const order = a["column-order"];
      let cols: string[];
      if (typeof order === "string") cols = [order];
      else if (Array.isArray(order)) cols = order.filter((x) => typeof x === "string") as string[];
      else cols = this.keysOf(g, "/obs").filter((k) => k !== idx && k !== "__categories");
      this._obsColumns = cols;
    }
    return this._obsColumns;
  }

  obsColumn(name: string): ObsColumn {
    let c = this.cache.get(name);
    if (!c) {
      if (!this.obsColumns.includes(name)) this.fail(`/obs/${name}`, `no such obs column (available: ${this.obsColumns.join(", ")})`);
      c = this.readColumn("obs", name);
      if (c.values.length !== this.nObs) this.fail(`/obs/${name}`, `expected ${this.nObs} values (n_obs), found ${c.values.length}`);
      this.cache.set(name, c);
    }
    return c;
  }

  /** Read any dataframe column (obs or var). */
  readColumn(frame: "obs" | "var", name: string): ObsColumn {
    const path = `${frame}/${name}`;
    const e = this.entity(path);
    if (!e) this.fail(`/${path}`, "missing column listed in column-order");
    const a = attrsOf(e as H5Group);
    const enc = strAttr(a["encoding-type"]);
    this.checkVersion(`/${path}`, enc, a);
    if (e instanceof h5wasm.Group) {
      const g = e as H5Group;
      if (enc === "categorical") {
        const cods = this.dataset(`${path}/codes`, "categorical codes");
        this.requireNumbers(cods, "categorical codes", true);
        const codes = toInt32(this.read(cods));
        const cds = this.dataset(`${path}/categories`, "categorical categories");
        const categories = toStrings(this.read(cds));
        return this.categorical(name, codes, categories, truthyAttr(a["ordered"]), `/${path}`);
      }
      if (enc === "nullable-integer" || enc === "nullable-boolean" || enc === "nullable-string-array") {
        const vds = this.dataset(`${path}/values`, `${enc} values`);
        const mds = this.dataset(`${path}/mask`, `${enc} mask`);
        if (!isBoolEnum(mds.metadata)) this.requireNumbers(mds, `${enc} mask`, true);
        if (enc === "nullable-integer" || (enc === "nullable-boolean" && !isBoolEnum(vds.metadata))) this.requireNumbers(vds, `${enc} values`);
        const nv = vds.shape?.[0] ?? 0;
        const nm = mds.shape?.[0] ?? 0;
        if (nm !== nv) this.fail(`/${path}/mask`, `has ${nm} entries but ${path}/values has ${nv}: a mask must mark every value`);
        const mask = toFloat64(this.read(mds));
        if (enc === "nullable-string-array") {
          const raw = toStrings(this.read(vds));
          let nMissing = 0;
          const values = raw.map((s, i) => (mask[i] ? (nMissing++, null) : s));
          return { name, kind: "string", values, nMissing };
        }
        const vals = toFloat64(this.read(vds));
        let nMissing = 0;
        for (let i = 0; i < vals.length; i++)
          if (mask[i]) {
            vals[i] = NaN;
            nMissing++;
          }
        return { name, kind: enc === "nullable-integer" ? "int" : "bool", values: vals, nMissing };
      }
      void g;
      this.fail(`/${path}`, `unknown column encoding '${enc ?? "(none)"}' (expected categorical, nullable-integer, nullable-boolean or nullable-string-array)`);
    }
    const ds = e as H5Dataset;
    if (enc !== undefined && enc !== "array" && enc !== "string-array")
      this.fail(`/${path}`, `unknown column encoding '${enc}' (expected array, string-array or categorical)`);
    const meta = ds.metadata;
    // legacy anndata 0.7: codes dataset + categories under __categories/<name>
    const legacyCats = this.entity(`${frame}/__categories/${name}`);
    if (legacyCats instanceof h5wasm.Dataset && meta.type === 0) {
      this.requireNumbers(ds, "categorical codes", true);
      const codes = toInt32(this.read(ds));
      const categories = toStrings(this.read(legacyCats as H5Dataset));
      return this.categorical(name, codes, categories, truthyAttr(a["ordered"]), `/${path}`);
    }
    if (meta.type === 3) {
      const values = toStrings(this.read(ds));
      return { name, kind: "string", values, nMissing: 0 };
    }
    if (meta.type === 8) {
      if (!isBoolEnum(meta)) this.fail(`/${path}`, `unsupported enum type (expected an HDF5 boolean enum FALSE/TRUE)`);
      const values = toFloat64(this.read(ds));
      return { name, kind: "bool", values, nMissing: 0 };
    }
    if (meta.type === 0 || meta.type === 1) {
      if (ds.shape && ds.shape.length !== 1) this.fail(`/${path}`, `expected a 1-d column, found shape [${ds.shape.join(", ")}]`);
      this.requireNumbers(ds, "a numeric column");
      const values = toFloat64(this.read(ds));
      let nMissing = 0;
      for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) nMissing++;
      return { name, kind: meta.type === 0 ? "int" : "float", values, nMissing };
    }
    this.fail(`/${path}`, `has dtype ${dtypeName(meta)}; expected numbers, strings or booleans`);
  }

  private categorical(name: string, codes: Int32Array, categories: string[], ordered: boolean, path: string): ObsColumn {
    let nMissing = 0;
    const values = new Array<string | null>(codes.length);
    for (let i = 0; i < codes.length; i++) {
      const k = codes[i];
      if (k < 0) {
        values[i] = null;
        nMissing++;
      } else if (k >= categories.length) this.fail(path, `categorical code ${k} out of range (${categories.length} categories)`);
      else values[i] = categories[k];
    }
    return { name, kind: "categorical", values, codes, categories, ordered, nMissing };
  }

  get layers(): string[] {
    const e = this.entity("layers");
    if (!(e instanceof h5wasm.Group)) return [];
    return this.keysOf(e as H5Group, "/layers");
  }

  private matrixPath(layer?: string | null): string {
    if (layer === undefined || layer === null || layer === "" || layer === "X") return "X";
    if (!this.layers.includes(layer)) throw new H5adError(`${this.name}: /layers/${layer}: no such layer (available: ${this.layers.join(", ") || "none"})`);
    return `layers/${layer}`;
  }

  matrixInfo(layer?: string | null): MatrixInfo {
    const path = this.matrixPath(layer);
    const e = this.entity(path);
    if (!e) this.fail(`/${path}`, "missing matrix (expected a dense dataset or a csr_matrix/csc_matrix group)");
    const a = attrsOf(e as H5Group);
    if (e instanceof h5wasm.Dataset) {
      const ds = e as H5Dataset;
      const shape = ds.shape ?? [];
      if (shape.length !== 2) this.fail(`/${path}`, `expected a 2-d dense matrix, found shape [${shape.join(", ")}]`);
      const enc = strAttr(a["encoding-type"]);
      if (enc !== undefined && enc !== "array") this.fail(`/${path}`, `unknown matrix encoding '${enc}' (expected array)`);
      this.checkVersion(`/${path}`, enc, a);
      this.requireNumbers(ds, "a numeric matrix");
      this.checkStored(ds);
      return { encoding: "dense", dtype: dtypeName(ds.metadata), shape: [shape[0], shape[1]] };
    }
    let enc = strAttr(a["encoding-type"]);
    const legacy = strAttr(a["h5sparse_format"]);
    if (enc === undefined && legacy) enc = `${legacy}_matrix`;
    if (enc !== "csr_matrix" && enc !== "csc_matrix")
      this.fail(`/${path}`, `unknown matrix encoding '${enc ?? "(none)"}' (expected dense, csr_matrix or csc_matrix)`);
    this.checkVersion(`/${path}`, enc, a);
    const shp = toFloat64(a["shape"] ?? a["h5sparse_shape"] ?? []);
    if (shp.length !== 2) this.fail(`/${path}`, "sparse matrix without a 2-element shape attribute");
    if (!shp.every((x) => Number.isSafeInteger(x) && x >= 0)) this.fail(`/${path}`, `shape attribute [${Array.from(shp).join(", ")}] is not two counts`);
    const data = this.dataset(`${path}/data`, `${enc} data`);
    const indices = this.dataset(`${path}/indices`, `${enc} indices`);
    const indptr = this.dataset(`${path}/indptr`, `${enc} indptr`);
    this.requireNumbers(data, `${enc} data`);
    this.requireNumbers(indices, `${enc} indices`, true);
    this.requireNumbers(indptr, `${enc} indptr`, true);
    const expectPtr = (enc === "csr_matrix" ? shp[0] : shp[1]) + 1;
    if ((indptr.shape?.[0] ?? 0) !== expectPtr) this.fail(`/${path}/indptr`, `expected ${expectPtr} entries, found ${indptr.shape?.[0]}`);
    // the stored values as declared: as many indices as data, no more than the matrix has cells, and stored in the file
    const nnz = data.shape?.length === 1 ? data.shape[0] : NaN;
    if (!(nnz >= 0) || indices.shape?.length !== 1) this.fail(`/${path}`, "data and indices must be 1-d");
    if (indices.shape[0] !== nnz) this.fail(`/${path}`, `indptr/indices/data lengths disagree (data has ${nnz} values, indices ${indices.shape[0]})`);
    if (nnz > shp[0] * shp[1]) this.fail(`/${path}/data`, `declares ${nnz} stored values, more than the ${shp[0]} x ${shp[1]} matrix has cells: the header is corrupt`);
    for (const ds of [data, indices, indptr]) this.checkStored(ds);
    return { encoding: enc, dtype: dtypeName(data.metadata), shape: [shp[0], shp[1]] };
  }

  *rowChunks(layer: string | null | undefined, rowsPerChunk: number, opts: ChunkOptions = {}): Generator<MatrixChunk> {
    const info = this.matrixInfo(layer);
    const path = this.matrixPath(layer);
    const [nr, nc] = info.shape;
    const step = Math.max(1, Math.floor(rowsPerChunk));
    const heap = opts.reuse ? new HeapBlocks() : null;
    try {
      if (info.encoding === "dense") {
        const ds = this.dataset(path, "dense matrix");
        this.checkDeclared(ds, Math.min(step, nr) * nc);
        const inPlace = heap !== null && heapReadable(ds);
        for (let r0 = 0; r0 < nr; r0 += step) {
          const r1 = Math.min(nr, r0 + step);
          let data: NumArray;
          if (inPlace) {
            this.guard(ds, () => heap.read(0, ds, [nr, nc], r0, r1 - r0, quiet));
            data = toNum(heap.view(0));
          } else data = toNum(quiet(() => ds.slice([[r0, r1], []]), (r1 - r0) * nc * 8));
          yield { kind: "dense", rowStart: r0, rowEnd: r1, nCols: nc, data };
        }
        return;
      }
      yield* this.sparseChunks(path, info, step, opts, heap);
    } finally {
      heap?.free();
    }
  }

  /** A read's failure (a truncated or corrupt file) as this file's H5adError. */
  private guard(ds: H5Dataset, f: () => void): void {
    try {
      f();
    } catch (err) {
      this.readFailed(ds, err);
    }
  }

  private *sparseChunks(path: string, info: MatrixInfo, step: number, opts: ChunkOptions, heap: HeapBlocks | null): Generator<MatrixChunk> {
    const [nr, nc] = info.shape;
    const dds = this.dataset(`${path}/data`, "sparse data");
    const ids = this.dataset(`${path}/indices`, "sparse indices");
    const inPlace = heap !== null && heapReadable(dds) && heapReadable(ids);
    const ptr = toFloat64(this.read(this.dataset(`${path}/indptr`, "sparse indptr")));
    const nnzTotal = dds.shape?.[0] ?? 0;
    if (ptr[ptr.length - 1] > nnzTotal || (ids.shape?.[0] ?? 0) !== nnzTotal) this.fail(`/${path}`, `indptr/indices/data lengths disagree (data has ${nnzTotal} values)`);
    for (let i = 0; i < ptr.length; i++)
      if (!Number.isInteger(ptr[i]) || ptr[i] < (i > 0 ? ptr[i - 1] : 0))
        this.fail(`/${path}/indptr`, `entry ${i} (${ptr[i]}) ${i > 0 && ptr[i] < ptr[i - 1] ? `is below entry ${i - 1} (${ptr[i - 1]}): indptr must be non-decreasing` : "is not a valid offset"}`);
    const bound = info.encoding === "csr_matrix" ? nc : nr; // csr indices are columns, csc indices rows
    const perValue = dds.metadata.size + ids.metadata.size;
    const slice = (a: number, b: number): [NumArray, Int32Array] => {
      if (b <= a) return [new Float32Array(0), new Int32Array(0)];
      let d: NumArray;
      let raw: ArrayLike<number | bigint>;
      if (inPlace) {
        // both reads first: the second may grow the heap and detach a view of the first
        this.guard(dds, () => heap.read(0, dds, [nnzTotal], a, b - a, quiet));
        this.guard(ids, () => heap.read(1, ids, [nnzTotal], a, b - a, quiet));
        d = toNum(heap.view(0));
        raw = heap.view(1);
      } else {
        d = toNum(this.read(dds, [a, b]));
        raw = this.read(ids, [a, b]) as ArrayLike<number | bigint>;
      }
      // int32 indices (the usual): their range in one branch-free pass; others (which int32 could
      // wrap) and wrong ranges entry by entry, to name the offending entry
      let lo = 0;
      let hi = 0;
      const i32 = raw instanceof Int32Array ? raw : null;
      if (i32)
        for (let k = 0; k < i32.length; k++) {
          const x = i32[k];
          lo = x < lo ? x : lo;
          hi = x > hi ? x : hi;
        }
      if (!i32 || lo < 0 || hi >= bound)
        for (let k = 0; k < raw.length; k++) {
          const x = Number(raw[k]);
          if (!(x >= 0 && x < bound))
            this.fail(`/${path}/indices`, `entry ${a + k} is ${x}, outside 0..${bound - 1} (${info.encoding === "csr_matrix" ? "n_vars" : "n_obs"} = ${bound})`);
        }
      const ix = toInt32(raw);
      return [d, ix];
    };
    // the blocks first, so that the heap buffers are sized once for the largest
    const plan: { a: number; b: number; chunk: (data: NumArray, indices: Int32Array) => MatrixChunk }[] = [];
    if (info.encoding === "csr_matrix") {
      // row blocks of `step` rows, split where their stored values would exceed MAX_BLOCK_BYTES
      for (let r0 = 0, r1 = 0; r0 < nr; r0 = r1) {
        r1 = Math.min(nr, r0 + step);
        while (r1 > r0 + 1 && (ptr[r1] - ptr[r0]) * perValue > MAX_BLOCK_BYTES) r1 = r0 + Math.ceil((r1 - r0) / 2);
        if ((ptr[r1] - ptr[r0]) * perValue > MAX_BLOCK_BYTES)
          this.fail(`/${path}/indptr`, `row ${r0} declares ${ptr[r1] - ptr[r0]} stored values (${fmtBytes((ptr[r1] - ptr[r0]) * perValue)}), more than one read may hold (${fmtBytes(MAX_BLOCK_BYTES)})`);
        const a = ptr[r0];
        plan.push({
          a,
          b: ptr[r1],
          chunk: (data, indices) => {
            const indptr = new Float64Array(r1 - r0 + 1);
            for (let i = 0; i <= r1 - r0; i++) indptr[i] = ptr[r0 + i] - a;
            return { kind: "csr", rowStart: r0, rowEnd: r1, indptr, indices, data };
          },
        });
      }
    } else {
      // CSC: column blocks (contiguous runs of the wanted columns), each at most maxValues stored values
      const maxValues = Math.max(1, opts.maxValues ?? Math.max(1 << 20, step * 64));
      const want: number[] = opts.cols ? Array.from(opts.cols).sort((x, y) => x - y) : Array.from({ length: nc }, (_, i) => i);
      let i = 0;
      while (i < want.length) {
        let j = i + 1;
        while (j < want.length && want[j] === want[j - 1] + 1 && ptr[want[j] + 1] - ptr[want[i]] <= maxValues) j++;
        const c0 = want[i];
        const c1 = want[j - 1] + 1;
        if ((ptr[c1] - ptr[c0]) * perValue > Math.max(MAX_BLOCK_BYTES, maxValues * perValue))
          this.fail(`/${path}/indptr`, `column ${c0} declares ${ptr[c1] - ptr[c0]} stored values (${fmtBytes((ptr[c1] - ptr[c0]) * perValue)}), more than one read may hold`);
        const a = ptr[c0];
        plan.push({
          a,
          b: ptr[c1],
          chunk: (data, indices) => {
            const cols = new Int32Array(c1 - c0);
            const indptr = new Float64Array(c1 - c0 + 1);
            for (let k = 0; k < c1 - c0; k++) cols[k] = c0 + k;
            for (let k = 0; k <= c1 - c0; k++) indptr[k] = ptr[c0 + k] - a;
            return { kind: "csc", cols, indptr, indices, data };
          },
        });
        i = j;
      }
    }
    if (inPlace) {
      const most = plan.reduce((m, p) => Math.max(m, p.b - p.a), 0);
      this.guard(dds, () => heap.reserve(0, most * dds.metadata.size));
      this.guard(ids, () => heap.reserve(1, most * ids.metadata.size));
    }
    for (const p of plan) {
      const [data, indices] = slice(p.a, p.b);
      yield p.chunk(data, indices);
    }
  }

  close(): void {
    try {
      quiet(() => this.file.close()); // a corrupt file can make HDF5 abort while flushing on close
    } catch {
      /* already closed, or the library gave up on the file */
    }
    this.revoke();
    this.revoke = () => {};
    if (this.tmpPath) {
      host.remove(this.tmpPath);
      this.tmpPath = null;
    }
  }
}

/**
 * Open an .h5ad file (a path is read by random access, never whole) or bytes (written to a
 * temporary file that close() removes). Synchronous. Throws H5adError.
 */
export function readH5ad(pathOrBytes: string | Uint8Array | ArrayBuffer, opts: ReadH5adOptions = {}): H5ad {
  let path: string;
  let tmp: string | null = null;
  let name: string;
  if (typeof pathOrBytes === "string") {
    path = pathOrBytes;
    name = opts.name ?? pathOrBytes;
    const why = host.check(path);
    if (why !== null) throw new H5adError(`${name}: cannot open: ${why}${why.startsWith("it is") ? "; expected a regular file" : ""}`);
    if (opts.owned) tmp = path;
  } else {
    const bytes = pathOrBytes instanceof Uint8Array ? pathOrBytes : new Uint8Array(pathOrBytes);
    name = opts.name ?? "<bytes>";
    tmp = host.writeTemp(bytes);
    path = tmp;
  }
  const revoke = host.allow(path); // HDF5 may open this file and no other (external links, external storage)
  const cleanup = (): void => {
    revoke();
    if (tmp) host.remove(tmp);
  };
  if (!hasHdf5Signature(path)) {
    cleanup();
    throw new H5adError(`${name}: not an HDF5 file (no HDF5 signature at the start); expected an AnnData .h5ad file`);
  }
  let file: H5File;
  try {
    file = quiet(() => new h5wasm.File(path, "r"));
  } catch (err) {
    cleanup();
    throw new H5adError(`${name}: cannot open as HDF5 (${(err as Error).message}); the file may be truncated or corrupt`);
  }
  if (file.file_id < 0n) {
    cleanup();
    throw new H5adError(`${name}: HDF5 library cannot open the file; it is truncated or corrupt`);
  }
  const ad = new H5ad(file, name, tmp, revoke);
  try {
    // fail early on files that are HDF5 but not AnnData
    ad.group("obs", "an AnnData obs dataframe");
    ad.group("var", "an AnnData var dataframe");
    for (const fr of ["obs", "var"]) {
      const a = attrsOf(ad.group(fr, "an AnnData dataframe"));
      ad.checkVersion(`/${fr}`, strAttr(a["encoding-type"]), a);
    }
  } catch (err) {
    ad.close();
    if (err instanceof H5adStuckError && !err.message.startsWith(name)) throw new H5adStuckError(`${name}: ${err.message}`);
    throw err;
  }
  return ad;
}

/** The `trialmix inspect --json` object. */
export interface InspectResult {
  n_obs: number;
  n_vars: number;
  X: { encoding: MatrixEncoding; dtype: string } | null;
  layers: string[];
  var_names_head: string[];
  obs: Record<string, { type: ObsKind; ordered?: boolean; categories?: string[]; n_missing: number }>;
}

/** Summarise an .h5ad file (path, bytes or an open H5ad) for `trialmix inspect`. */
export function inspectH5ad(file: string | Uint8Array | ArrayBuffer | H5ad): InspectResult {
  const ad = file instanceof H5ad ? file : readH5ad(file);
  try {
    let X: InspectResult["X"] = null;
    if (ad.has("X")) {
      const mi = ad.matrixInfo();
      X = { encoding: mi.encoding, dtype: mi.dtype };
    }
    const obs: InspectResult["obs"] = {};
    for (const c of ad.obsColumns) {
      const col = ad.obsColumn(c);
      obs[c] =
        col.kind === "categorical"
          ? { type: col.kind, ordered: col.ordered ?? false, categories: col.categories ?? [], n_missing: col.nMissing }
          : { type: col.kind, n_missing: col.nMissing };
    }
    return {
      n_obs: ad.nObs,
      n_vars: ad.nVars,
      X,
      layers: ad.layers,
      var_names_head: ad.varNames.slice(0, 10),
      obs,
    };
  } finally {
    if (!(file instanceof H5ad)) ad.close();
  }
}

/** Human-readable version of inspectH5ad's result. */
export function formatInspect(r: InspectResult): string {
  const lines: string[] = [];
  lines.push(`AnnData: ${r.n_obs} cells (obs) x ${r.n_vars} features (var)`);
  lines.push(`X: ${r.X ? `${r.X.encoding}, ${r.X.dtype}` : "none"}`);
  lines.push(`layers: ${r.layers.length ? r.layers.join(", ") : "none"}`);
  lines.push(`var names: ${r.var_names_head.join(", ")}${r.n_vars > r.var_names_head.length ? ", ..." : ""}`);
  lines.push(`obs columns (${Object.keys(r.obs).length}):`);
  const names = Object.keys(r.obs);
  const w = Math.max(0, ...names.map((n) => n.length));
  for (const n of names) {
    const c = r.obs[n];
    let desc: string = c.type;
    if (c.type === "categorical") {
      const cats = c.categories ?? [];
      const shown = cats.slice(0, 8).join(", ") + (cats.length > 8 ? `, ... (${cats.length} levels)` : "");
      desc += `${c.ordered ? " (ordered)" : ""} [${shown}]`;
    }
    if (c.n_missing > 0) desc += `, ${c.n_missing} missing`;
    lines.push(`  ${n.padEnd(w)}  ${desc}`);
  }
  return lines.join("\n") + "\n";
}
