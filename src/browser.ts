// The browser library entry (bundled by scripts/build-web.mjs to dist-web/trialmix.js, ESM).
// The same public API as the Node entry, plus initTrialmix() (loads the kernel wasm and h5wasm)
// and openH5adFile() / openDataFile() for File objects. The bundle swaps h5wasm-node.ts for
// h5wasm-browser.ts, so nothing here needs node:fs. Run long scans in a Worker: there a File
// is mounted with WORKERFS and read by slices instead of being copied into memory.
import { initKernel } from "./kernel.js";
import { readH5ad, type H5ad } from "./io/h5ad/reader.js";
import { tableFromText, tableFromBytes, separatorFor, MAX_TABLE_BYTES, type TableSource } from "./io/table.js";
import { TrialmixInputError } from "./errors.js";
import { h5wasmReady, canMountFiles, mountFile, host } from "./io/h5ad/host-browser.js";
import { prepareScan, blockResponses, finishBlock, finishScan, fitMixedTable, type MixedOptions, type MixedTable, type Progress } from "./models/mixed.js";
import { frameOf, mixedOptions, didTable, didTableMixed, compareFixedVsMixed, mergeTables, compareOptions, withFrameWarnings, type DataInput, type ScanOptions, type CompareTable } from "./api.js";
import { FEATURE_BLOCK, THREADS_PER_CORE } from "./output/columns.js";
import type { AnalysisFrame, BatchDesign, BatchFit, KernelOptions } from "./types.js";

export * from "./index.js";
export { H5ad } from "./io/h5ad/reader.js";
export { TableSource } from "./io/table.js";

export interface InitOptions {
  /** Where the kernel is: default `trialmix.wasm` next to this module (dist-web/trialmix.wasm). */
  wasmUrl?: string | URL;
  /** The kernel's bytes (or a fetch Response), instead of fetching wasmUrl. */
  wasm?: ArrayBuffer | Uint8Array | Response;
}

let initPromise: Promise<void> | null = null;

/** Load the WebAssembly kernel and h5wasm. Call (and await) once before anything else; repeated calls share the first load. */
export function initTrialmix(opts: InitOptions = {}): Promise<void> {
  initPromise ??= (async () => {
    const src = opts.wasm ?? (opts.wasmUrl instanceof URL ? opts.wasmUrl : new URL(opts.wasmUrl ?? "./trialmix.wasm", import.meta.url));
    await Promise.all([initKernel(src), h5wasmReady()]);
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
 * Open a long CSV/TSV table from a File or text (tab-separated for .tsv/.tab/.txt names). A File's
 * bytes are decoded as UTF-8 strictly (invalid bytes: an error naming the line and column), and it
 * may hold at most 512 MiB, as in Node.
 */
export async function openTableFile(file: File | Blob | string, opts: { name?: string; sep?: string } = {}): Promise<TableSource> {
  const name = opts.name ?? (isFileLike(file) ? file.name : "<table>");
  const sep = opts.sep ?? separatorFor(name);
  if (typeof file === "string") return tableFromText(file, sep, name);
  if (file.size > MAX_TABLE_BYTES)
    throw new TrialmixInputError(`${name}: ${(file.size / 2 ** 20).toFixed(0)} MiB; a table is read whole and may hold at most ${MAX_TABLE_BYTES / 2 ** 20} MiB`);
  return tableFromBytes(new Uint8Array(await file.arrayBuffer()), sep, name);
}

/** Open any supported input by its name: .csv/.tsv/.tab/.txt as a long table, anything else as .h5ad. */
export async function openDataFile(file: File, opts: { name?: string } = {}): Promise<H5ad | TableSource> {
  const name = opts.name ?? file.name;
  return /\.(csv|tsv|tab|txt)$/i.test(name) ? openTableFile(file, { name }) : openH5adFile(file, { name });
}

// ---------------------------------------------------------------- scans on Web Workers
// The browser's counterpart of parallel.ts: the kernel blocks of a mixed scan are fitted by a pool
// of module workers (dist-web/trialmix-fit-worker.js, each with its own kernel instance); the
// calling thread builds the frame, makes each block's responses (transferred, not copied) and
// assembles the rows in block order, so the table is identical to the one-thread run.

/** Fit workers when none are asked for: navigator.hardwareConcurrency, at most 8. */
export function defaultWebThreads(): number {
  const n = typeof navigator !== "undefined" ? navigator.hardwareConcurrency : 1;
  return Math.max(1, Math.min(8, n || 1));
}

/** The most fit workers a pool may start: THREADS_PER_CORE per core, as in Node (each holds a kernel). */
export function maxWebThreads(): number {
  const n = typeof navigator !== "undefined" ? navigator.hardwareConcurrency : 1;
  return THREADS_PER_CORE * Math.max(1, n || 1);
}

function checkWebThreads(threads: number): void {
  const max = maxWebThreads();
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= max))
    throw new TrialmixInputError(`threads must be a whole number from 1 to ${max} (${THREADS_PER_CORE} per core), got ${threads}`);
}

export interface WorkerPoolOptions {
  /** The fit worker script: default `trialmix-fit-worker.js` next to this module. */
  workerUrl?: string | URL;
  /** The kernel, fetched by each fit worker: default `trialmix.wasm` next to this module. */
  wasmUrl?: string | URL;
}

export interface InWorkersOptions extends WorkerPoolOptions {
  /** Fit workers (default: opts.threads, else defaultWebThreads()); 1 fits on the calling thread. */
  threads?: number;
  /** A pool to reuse across scans (not closed here); otherwise one is started and closed. */
  pool?: WebFitPool;
}

export type BlockResult = { fit: BatchFit } | { error: string };

/** The smallest block of features sent to a fit worker. */
const WEB_MIN_BLOCK = 32;

/** Module workers that each hold a kernel instance. Start it early: it boots while the frame is built. */
export class WebFitPool {
  private readonly workers: Worker[];
  private readonly url: string;

  constructor(
    readonly threads: number,
    opts: WorkerPoolOptions = {},
  ) {
    checkWebThreads(threads);
    this.url = String(opts.workerUrl ?? new URL("./trialmix-fit-worker.js", import.meta.url));
    const wasmUrl = String(opts.wasmUrl ?? new URL("./trialmix.wasm", import.meta.url));
    this.workers = Array.from({ length: Math.max(1, threads) }, (_, i) => {
      const w = new Worker(this.url, { type: "module", name: `trialmix-fit-${i + 1}` });
      w.postMessage({ type: "init", wasmUrl });
      return w;
    });
  }

  /**
   * Fit every block (m_b x n responses, feature-major, its buffer transferred) sharing `design`:
   * blocks go to whichever worker is free. `onBlock` is called in completion order; the result is
   * in block order. Rejects if a worker fails (then close the pool). One fit at a time per pool.
   */
  fit(design: BatchDesign, blocks: { count: number; get(index: number): Float64Array }, opts: KernelOptions, onBlock?: (index: number) => void): Promise<BlockResult[]> {
    const results: BlockResult[] = new Array(blocks.count);
    let next = 0;
    let failed = false;
    const run = (w: Worker) =>
      new Promise<void>((resolve, reject) => {
        const done = (): void => {
          w.onmessage = w.onerror = w.onmessageerror = null;
        };
        const stop = (e: Error) => {
          failed = true;
          done();
          reject(e);
        };
        const send = () => {
          if (failed || next >= blocks.count) {
            done();
            return resolve();
          }
          const block = next++;
          const Y = blocks.get(block);
          w.postMessage({ type: "fit", block, design, Y, opts }, [Y.buffer as ArrayBuffer]);
        };
        w.onmessage = (ev: MessageEvent<{ block: number; fit?: BatchFit; error?: string; fatal?: string }>) => {
          const r = ev.data;
          if (r.fatal !== undefined) return stop(new Error(`trialmix: fit worker: ${r.fatal}`));
          results[r.block] = r.fit ? { fit: r.fit } : { error: r.error ?? "fit worker failed" };
          onBlock?.(r.block);
          send();
        };
        w.onerror = (ev: ErrorEvent) => {
          ev.preventDefault();
          stop(new Error(`trialmix: fit worker failed: ${ev.message || `could not load ${this.url}`}`));
        };
        w.onmessageerror = () => stop(new Error("trialmix: fit worker: a message could not be read"));
        send();
      });
    return Promise.all(this.workers.map(run)).then(() => results);
  }

  /** Terminate the workers (a scan in progress stops). */
  close(): void {
    for (const w of this.workers) w.terminate();
  }
}

/** fitMixedTable with the kernel blocks fitted by `pool`; the same rows, in the same order. */
export async function fitMixedTableInWorkers(frame: AnalysisFrame, opts: MixedOptions, pool: WebFitPool, onProgress?: Progress): Promise<MixedTable> {
  // a few blocks per worker, so that the workers finish together; smaller blocks than parallel.ts's
  // MIN_PARALLEL_BLOCK (a page's scans are smaller, and a message costs little here)
  const size = Math.max(WEB_MIN_BLOCK, Math.min(FEATURE_BLOCK, Math.ceil(frame.features.length / (4 * pool.threads))));
  const scan = prepareScan(frame, opts, size);
  if (scan.blocks.length <= 1) return fitMixedTable(frame, opts, onProgress);
  const blocks = { count: scan.blocks.length, get: (i: number) => blockResponses(scan, scan.blocks[i].features) };
  let done = frame.features.length - scan.blocks.reduce((s, b) => s + b.features.length, 0);
  const results = await pool.fit(scan.md.design, blocks, { reml: opts.reml ?? true }, (i) => {
    done += scan.blocks[i].features.length;
    onProgress?.(done, frame.features.length);
  });
  scan.blocks.forEach((b, i) => finishBlock(scan, b.features, results[i]));
  return finishScan(scan);
}

async function withPool<T>(opts: ScanOptions, w: InWorkersOptions, one: () => T, body: (pool: WebFitPool) => Promise<T>): Promise<T> {
  const threads = w.pool?.threads ?? w.threads ?? opts.threads ?? defaultWebThreads();
  checkWebThreads(threads);
  if (threads <= 1) return one();
  const pool = w.pool ?? new WebFitPool(threads, w);
  try {
    return await body(pool);
  } finally {
    if (!w.pool) pool.close();
  }
}

/** didTableMixed with the fits on `threads` Web Workers (default: opts.threads, else defaultWebThreads()). */
export function didTableMixedInWorkers(data: DataInput, opts: ScanOptions, w: InWorkersOptions = {}): Promise<MixedTable> {
  return withPool(opts, w, () => didTableMixed(data, opts), async (pool) => {
    const frame = frameOf(data, opts);
    return withFrameWarnings(frame, await fitMixedTableInWorkers(frame, mixedOptions(opts), pool, opts.onProgress));
  });
}

/** compareFixedVsMixed with the mixed half on Web Workers. */
export function compareFixedVsMixedInWorkers(data: DataInput, opts: ScanOptions, w: InWorkersOptions = {}): Promise<CompareTable> {
  return withPool(opts, w, () => compareFixedVsMixed(data, opts), async (pool) => {
    const plain = compareOptions(opts);
    const frame = frameOf(data, plain);
    const fixed = didTable(frame, { ...plain, randomSlope: false });
    const mixed = await fitMixedTableInWorkers(frame, mixedOptions(plain), pool, opts.onProgress);
    return mergeTables(fixed, withFrameWarnings(frame, mixed));
  });
}
