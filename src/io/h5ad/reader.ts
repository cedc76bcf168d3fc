// AnnData (.h5ad) reader on h5wasm: lazy obs/var columns, X and layers read in bounded chunks.
// This module opens and closes the file and answers the DataSource methods; the work is done by
//   access.ts   guarded lookups and reads (links, declared sizes, errors naming the path)
//   columns.ts  obs/var dataframes and their column encodings
//   matrix.ts   where X and the layers are and how they are stored
//   chunks.ts   X streamed in row (CSR, dense) or column (CSC) blocks
//   dtype.ts    HDF5 datatypes and their conversions; timeouts.ts the time-limited HDF5 call
//   inspect.ts  what `trialmix inspect` prints
// h5wasm and the file helpers come from host-node.ts; the browser bundle swaps in
// host-browser.ts (same exports), so no module here names node:fs itself.
import { h5wasm, host } from "./host-node.js";
import { H5adError } from "../../errors.js";
import type { ChunkOptions, DataSource, MatrixChunk, MatrixInfo, ObsColumn } from "../source.js";
import { FileAccess, type H5File } from "./access.js";
import { checkFrames, frameColumns, frameIndex, frameLength, makeUnique, readColumn, type Frame } from "./columns.js";
import { hasRaw, isRawLayer, layersOf, matrixInfo, matrixPath } from "./matrix.js";
import { matrixChunks } from "./chunks.js";
import { inspectSource, type InspectResult, type RawSummary } from "./inspect.js";
import { H5adStuckError, quiet } from "./timeouts.js";

export { H5adError } from "../../errors.js";
export type { ObsKind, ObsColumn, MatrixEncoding, MatrixInfo, NumArray, MatrixChunk, DataSource, ChunkOptions } from "../source.js";
export { formatInspect, type InspectResult } from "./inspect.js";

export interface ReadH5adOptions {
  /** Name used in error messages when reading bytes. */
  name?: string;
  /** A path handed over to the reader: removed (or unmounted, in a browser) by close(). */
  owned?: boolean;
}

/** A lazily read .h5ad file (AnnData-like). */
export class H5ad implements DataSource {
  readonly file: H5File;
  readonly name: string;
  private io: FileAccess;
  private tmpPath: string | null;
  private revoke: () => void;
  private cache = new Map<string, ObsColumn>();
  private _obsNames?: string[];
  private _varNames?: string[];
  private _obsColumns?: string[];
  private _nObs?: number;
  private _nVars?: number;
  /** What reading noticed and changed (repeated var names made unique); the frame's warnings carry them. */
  readonly warnings: string[] = [];

  constructor(file: H5File, name: string, tmpPath: string | null, revoke: () => void = () => {}) {
    this.file = file;
    this.name = name;
    this.io = new FileAccess(file, name);
    this.tmpPath = tmpPath;
    this.revoke = revoke;
  }

  /** True when an object exists at `path` inside the file. */
  has(path: string): boolean {
    return this.io.has(path);
  }

  get obsNames(): string[] {
    return (this._obsNames ??= frameIndex(this.io, "obs"));
  }
  get varNames(): string[] {
    return (this._varNames ??= uniqueVarNames(this.io, "var", this.warnings));
  }
  get nObs(): number {
    return (this._nObs ??= frameLength(this.io, "obs"));
  }
  get nVars(): number {
    return (this._nVars ??= frameLength(this.io, "var"));
  }
  get obsColumns(): string[] {
    return (this._obsColumns ??= frameColumns(this.io, "obs"));
  }
  get layers(): string[] {
    return layersOf(this.io);
  }

  /** The var dataframe's columns (the index excluded). */
  get varColumns(): string[] {
    return frameColumns(this.io, "var");
  }

  /** adata.raw's shape, storage and var columns, or null when the file has none. */
  rawSummary(): RawSummary | null {
    if (!hasRaw(this.io)) return null;
    const mi = matrixInfo(this.io, "raw/X");
    return { shape: mi.shape, encoding: mi.encoding, dtype: mi.dtype, var_columns: frameColumns(this.io, "raw/var") };
  }

  obsColumn(name: string): ObsColumn {
    let c = this.cache.get(name);
    if (!c) {
      if (!this.obsColumns.includes(name)) this.io.fail(`/obs/${name}`, `no such obs column (available: ${this.obsColumns.join(", ")})`);
      c = readColumn(this.io, "obs", name);
      if (c.values.length !== this.nObs) this.io.fail(`/obs/${name}`, `expected ${this.nObs} values (n_obs), found ${c.values.length}`);
      this.cache.set(name, c);
    }
    return c;
  }

  matrixInfo(layer?: string | null): MatrixInfo {
    return matrixInfo(this.io, matrixPath(this.io, layer));
  }

  *rowChunks(layer: string | null | undefined, rowsPerChunk: number, opts: ChunkOptions = {}): Generator<MatrixChunk> {
    const path = matrixPath(this.io, layer);
    yield* matrixChunks(this.io, path, matrixInfo(this.io, path), rowsPerChunk, opts);
  }

  /** The source whose var are the chosen matrix's columns: this file, or for "raw" adata.raw (raw/X with raw/var). */
  matrixSource(layer: string | null | undefined): DataSource | undefined {
    if (!isRawLayer(this.io, layer)) return undefined;
    matrixPath(this.io, layer); // a file without adata.raw: the one line that says so, before raw/var is looked for
    return new RawView(this, this.io);
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

  /** Fail early on files that are HDF5 but not AnnData (or of a future anndata layout). */
  checkAnnData(): void {
    checkFrames(this.io);
  }
}

/**
 * A var index with repeated names made unique as anndata's var_names_make_unique() does (a gene is
 * chosen by its name, so each must name one column), with one warning saying so.
 */
function uniqueVarNames(f: FileAccess, frame: Frame, warnings: string[]): string[] {
  const { names, renamed } = makeUnique(frameIndex(f, frame));
  if (renamed.length) {
    const repeated = [...new Set(renamed.map((r) => r.from))];
    warnings.push(
      `${repeated.length} ${frame === "var" ? "" : "raw "}var name(s) occur more than once (${repeated.slice(0, 3).join(", ")}${repeated.length > 3 ? ", ..." : ""}): ` +
        `the ${renamed.length} repeat(s) were renamed as anndata's var_names_make_unique() does ('${renamed[0].from}' -> '${renamed[0].to}', ...)`,
    );
  }
  return names;
}

/**
 * adata.raw as a source (`--layer raw`): the file's obs, raw/var's names (raw keeps the genes X may
 * have dropped) and raw/X as the matrix. Closing it closes the file.
 */
class RawView implements DataSource {
  private _varNames?: string[];
  private _nVars?: number;
  readonly warnings: string[];
  constructor(
    private ad: H5ad,
    private io: FileAccess,
  ) {
    this.warnings = ad.warnings;
  }
  get nObs(): number {
    return this.ad.nObs;
  }
  get obsNames(): string[] {
    return this.ad.obsNames;
  }
  get obsColumns(): string[] {
    return this.ad.obsColumns;
  }
  obsColumn(name: string): ObsColumn {
    return this.ad.obsColumn(name);
  }
  get layers(): string[] {
    return this.ad.layers;
  }
  get varNames(): string[] {
    return (this._varNames ??= uniqueVarNames(this.io, "raw/var", this.warnings));
  }
  get nVars(): number {
    return (this._nVars ??= frameLength(this.io, "raw/var"));
  }
  matrixInfo(layer?: string | null): MatrixInfo {
    return this.ad.matrixInfo(layer);
  }
  rowChunks(layer: string | null | undefined, rowsPerChunk: number, opts: ChunkOptions = {}): Iterable<MatrixChunk> {
    return this.ad.rowChunks(layer, rowsPerChunk, opts);
  }
  close(): void {
    this.ad.close();
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

/** The path to open: the given path (checked to be a regular file) or bytes written to a temporary file. */
function placeInput(pathOrBytes: string | Uint8Array | ArrayBuffer, opts: ReadH5adOptions): { path: string; tmp: string | null; name: string } {
  if (typeof pathOrBytes === "string") {
    const name = opts.name ?? pathOrBytes;
    const why = host.check(pathOrBytes);
    if (why !== null) throw new H5adError(`${name}: cannot open: ${why}${why.startsWith("it is") ? "; expected a regular file" : ""}`);
    return { path: pathOrBytes, tmp: opts.owned ? pathOrBytes : null, name };
  }
  const bytes = pathOrBytes instanceof Uint8Array ? pathOrBytes : new Uint8Array(pathOrBytes);
  const tmp = host.writeTemp(bytes);
  return { path: tmp, tmp, name: opts.name ?? "<bytes>" };
}

/**
 * Open an .h5ad file (a path is read by random access, never whole) or bytes (written to a
 * temporary file that close() removes). Synchronous. Throws H5adError.
 */
export function readH5ad(pathOrBytes: string | Uint8Array | ArrayBuffer, opts: ReadH5adOptions = {}): H5ad {
  const { path, tmp, name } = placeInput(pathOrBytes, opts);
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
    ad.checkAnnData();
  } catch (err) {
    ad.close();
    if (err instanceof H5adStuckError && !err.message.startsWith(name)) throw new H5adStuckError(`${name}: ${err.message}`);
    throw err;
  }
  return ad;
}

/** Summarise an .h5ad file (path, bytes or an open H5ad) for `trialmix inspect`. */
export function inspectH5ad(file: string | Uint8Array | ArrayBuffer | H5ad): InspectResult {
  const ad = file instanceof H5ad ? file : readH5ad(file);
  try {
    return inspectSource(ad);
  } finally {
    if (!(file instanceof H5ad)) ad.close();
  }
}
