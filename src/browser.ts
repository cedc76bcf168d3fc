// The browser library entry (bundled by scripts/build-web.mjs to dist-web/trialmix.js, ESM).
// The same public API as the Node entry, plus initTrialmix() (loads the kernel wasm and h5wasm)
// and openH5adFile() / openDataFile() for File objects. The bundle swaps h5wasm-node.ts for
// h5wasm-browser.ts, so nothing here needs node:fs. Run long scans in a Worker: there a File
// is mounted with WORKERFS and read by slices instead of being copied into memory.
import { initKernel } from "./kernel/index.js";
import { readH5ad, type H5ad } from "./io/h5ad/reader.js";
import { tableFromText, tableFromBytes, separatorFor, MAX_TABLE_BYTES, type TableSource } from "./io/table.js";
import { TrialmixInputError } from "./errors.js";
import { h5wasmReady, canMountFiles, mountFile, host } from "./io/h5ad/host-browser.js";
import { fitMixedTableWith, type Maybe, type Progress } from "./exec/driver.js";
import { localFitter, type BlockFitter } from "./exec/fitter.js";
import { WebFitPool, defaultWebThreads, checkWebThreads, type WorkerPoolOptions } from "./exec/web-pool.js";
import { mixedTableOn, compareTableOn } from "./exec/tables.js";
import type { MixedOptions, MixedTable } from "./models/mixed/index.js";
import type { DataInput, ScanOptions, CompareTable } from "./api.js";
import type { AnalysisFrame } from "./types.js";

export * from "./index.js";
export { H5ad } from "./io/h5ad/reader.js";
export { TableSource } from "./io/table.js";
export { WebFitPool, defaultWebThreads, maxWebThreads, type WorkerPoolOptions } from "./exec/web-pool.js";
export type { BlockResult } from "./exec/fitter.js";

export interface InitOptions {
  /** Where the kernel is: default `trialmix.wasm` next to this module (dist-web/trialmix.wasm). */
  wasmUrl?: string | URL;
  /** The kernel's bytes (or a fetch Response), instead of fetching wasmUrl. */
  wasm?: ArrayBuffer | Uint8Array | Response;
  /** Where the HDF5 filter plugins are (lzf, zstd, blosc, bitshuffle, lz4, bzip2): default `h5plugins/` next to this module (dist-web/h5plugins/); null: none (gzip still reads). */
  pluginsUrl?: string | URL | null;
}

let initPromise: Promise<void> | null = null;

/** Load the WebAssembly kernel and h5wasm. Call (and await) once before anything else; repeated calls share the first load. */
export function initTrialmix(opts: InitOptions = {}): Promise<void> {
  initPromise ??= (async () => {
    const src = opts.wasm ?? (opts.wasmUrl instanceof URL ? opts.wasmUrl : new URL(opts.wasmUrl ?? "./trialmix.wasm", import.meta.url));
    await Promise.all([initKernel(src), h5wasmReady(opts.pluginsUrl)]);
  })().catch((e) => {
    initPromise = null;
    throw e;
  });
  return initPromise;
}

function isFileLike(x: unknown): x is File {
  return typeof File !== "undefined" && x instanceof File;
}

/**
 * Open an .h5ad from a File (or Blob) or from bytes. In a Worker a File is mounted with
 * WORKERFS (no full copy); elsewhere its bytes are written to h5wasm's in-memory FS.
 * Throws H5adError (one-line message) for a file that is not AnnData. close() frees it.
 */
export async function openH5adFile(file: File | Blob | Uint8Array | ArrayBuffer, opts: { name?: string } = {}): Promise<H5ad> {
  await initTrialmix();
  if (file instanceof Uint8Array || file instanceof ArrayBuffer) return readH5ad(file, { name: opts.name ?? "<bytes>" });
  const name = opts.name ?? (isFileLike(file) ? file.name : "<blob>");
  if (isFileLike(file) && canMountFiles()) {
    const path = mountFile(file);
    try {
      return readH5ad(path, { name, owned: true });
    } catch (e) {
      host.remove(path);
      throw e;
    }
  }
  return readH5ad(new Uint8Array(await file.arrayBuffer()), { name });
}

/**
 * Open a long CSV/TSV table from a File or text (the separator found from the header, or opts.sep; tab for .tsv/.tab/.txt names when none splits it). A File's
 * bytes are decoded as UTF-8 strictly (invalid bytes: an error naming the line and column), and it
 * may hold at most 512 MiB, as in Node.
 */
export async function openTableFile(file: File | Blob | string, opts: { name?: string; sep?: string; decimal?: string } = {}): Promise<TableSource> {
  const name = opts.name ?? (isFileLike(file) ? file.name : "<table>");
  const format = { sep: opts.sep, decimal: opts.decimal }; // the separator found from the header unless given
  if (typeof file === "string") return tableFromText(file, format, name, separatorFor(name));
  if (file.size > MAX_TABLE_BYTES)
    throw new TrialmixInputError(`${name}: ${(file.size / 2 ** 20).toFixed(0)} MiB; a table is read whole and may hold at most ${MAX_TABLE_BYTES / 2 ** 20} MiB`);
  return tableFromBytes(new Uint8Array(await file.arrayBuffer()), format, name, separatorFor(name));
}

/** Open any supported input by its name: .csv/.tsv/.tab/.txt as a long table, anything else as .h5ad. */
export async function openDataFile(file: File, opts: { name?: string } = {}): Promise<H5ad | TableSource> {
  const name = opts.name ?? file.name;
  return /\.(csv|tsv|tab|txt)$/i.test(name) ? openTableFile(file, { name }) : openH5adFile(file, { name });
}

// ---------------------------------------------------------------- scans on Web Workers
// The browser's counterpart of parallel.ts: the kernel blocks of a mixed scan are fitted by a pool of
// module workers (WebFitPool: dist-web/trialmix-fit-worker.js, each with its own kernel instance) through
// the one scan driver; the calling thread builds the frame, makes each block's responses (transferred, not
// copied) and the rows, so the table is identical to the one-thread run.

export interface InWorkersOptions extends WorkerPoolOptions {
  /** Fit workers (default: opts.threads, else defaultWebThreads()); 1 fits on the calling thread. */
  threads?: number;
  /** A pool to reuse across scans (not closed here); otherwise one is started and closed. */
  pool?: WebFitPool;
}

/** fitMixedTable with the kernel blocks fitted by `pool`; the same rows, in the same order. */
export async function fitMixedTableInWorkers(frame: AnalysisFrame, opts: MixedOptions, pool: WebFitPool, onProgress?: Progress): Promise<MixedTable> {
  return fitMixedTableWith(frame, opts, pool, onProgress);
}

/** `body` on the scan's fitter: the pool given, a new one of `threads` workers (closed after), or this thread. */
async function withFitter<T>(opts: ScanOptions, w: InWorkersOptions, body: (fitter: BlockFitter) => Maybe<T>): Promise<T> {
  const threads = w.pool?.threads ?? w.threads ?? opts.threads ?? defaultWebThreads();
  checkWebThreads(threads);
  if (threads <= 1) return body(localFitter);
  const pool = w.pool ?? new WebFitPool(threads, w);
  try {
    return await body(pool);
  } finally {
    if (!w.pool) await pool.close();
  }
}

/** didTableMixed with the fits on `threads` Web Workers (default: opts.threads, else defaultWebThreads()). */
export function didTableMixedInWorkers(data: DataInput, opts: ScanOptions, w: InWorkersOptions = {}): Promise<MixedTable> {
  return withFitter(opts, w, (fitter) => mixedTableOn(data, opts, fitter));
}

/** compareFixedVsMixed with the mixed half on Web Workers. */
export function compareFixedVsMixedInWorkers(data: DataInput, opts: ScanOptions, w: InWorkersOptions = {}): Promise<CompareTable> {
  return withFitter(opts, w, (fitter) => compareTableOn(data, opts, fitter));
}
