// The scan worker: opens the file (a File is mounted with WORKERFS, not copied), describes it,
// runs fixed / mixed / compare scans and posts progress and results. The page cancels a scan
// by terminating this worker and starting a new one (which also ends its fit workers).
// With threads > 1 the mixed fits go to a pool of nested fit workers (WebFitPool: blocks to
// whichever is free, rows assembled here in block order); the pool is kept between runs.
import {
  initTrialmix,
  openDataFile,
  didTableMixedInWorkers,
  compareFixedVsMixedInWorkers,
  WebFitPool,
  checkOptions,
  runMode,
  type DataSource,
  type ScanOptions,
  type ScanRunner,
} from "../src/browser.js";
import { isOutOfMemory } from "../src/errors.js";
import type { ColumnInfo, FileInfo, FromWorker, Mode, ToWorker } from "./protocol.js";

const post = (m: FromWorker): void => (self as unknown as { postMessage(m: FromWorker): void }).postMessage(m);

let source: DataSource | null = null;
let ready: Promise<void> | null = null;
let pool: WebFitPool | null = null;

/** The pool for `threads` fit workers (none for one): the previous one when it has that size. */
function poolFor(threads: number): WebFitPool | null {
  if (threads <= 1) return null;
  if (pool?.threads !== threads) {
    pool?.close();
    pool = new WebFitPool(threads, { workerUrl: new URL("./trialmix-fit-worker.js", import.meta.url), wasmUrl: new URL("./trialmix.wasm", import.meta.url) });
  }
  return pool;
}
const MAX_LEVELS = 500;

function describe(src: DataSource, name: string, kind: "h5ad" | "table", openMs: number, mounted: boolean): FileInfo {
  const obs: ColumnInfo[] = [];
  for (const c of src.obsColumns) {
    let col;
    try {
      col = src.obsColumn(c);
    } catch (e) {
      // one odd column must not stop the file from opening: the scan reads only the columns it uses
      obs.push({ name: c, kind: "string", nMissing: 0, error: (e as Error).message.replace(/^[^:]*: \/obs\/[^:]*: /, "") });
      continue;
    }
    const info: ColumnInfo = { name: c, kind: col.kind, nMissing: col.nMissing };
    if (col.kind === "categorical") {
      info.categories = col.categories;
      info.ordered = col.ordered;
    }
    // a table's true/false column as its labels are written (TRUE, true, True): what the scan matches --treated against
    const text = col.kind === "bool" && src.labelColumn ? src.labelColumn(c) : col;
    if (col.kind === "categorical" || col.kind === "string" || text !== col) {
      const seen = new Set<string>();
      for (const v of text.values as (string | null)[]) {
        if (v !== null && !seen.has(v)) {
          seen.add(v);
          if (seen.size > MAX_LEVELS) break;
        }
      }
      if (seen.size <= MAX_LEVELS) info.levels = [...seen];
    }
    obs.push(info);
  }
  let matrix: FileInfo["matrix"] = null;
  if (kind === "h5ad") {
    try {
      const mi = src.matrixInfo();
      matrix = { encoding: mi.encoding, dtype: mi.dtype };
    } catch {
      matrix = null;
    }
  }
  return {
    name,
    kind,
    nObs: src.nObs,
    nVars: src.nVars,
    matrix,
    layers: src.layers,
    varHead: src.varNames.slice(0, 10),
    obs,
    openMs,
    mounted,
  };
}

async function open(file: File): Promise<void> {
  source?.close();
  source = null;
  const t0 = performance.now();
  const src = await openDataFile(file);
  source = src;
  const kind = /\.(csv|tsv|tab|txt)$/i.test(file.name) ? "table" : "h5ad";
  const mounted = kind === "h5ad" && typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync !== "undefined";
  post({ type: "opened", info: describe(src, file.name, kind, performance.now() - t0, mounted) });
}

/** Where the mixed fits run: `threads` Web Workers of the kept pool, or this worker for one. */
function runnerFor(threads: number, pool: WebFitPool | null): ScanRunner {
  const w = { threads, pool: pool ?? undefined };
  return { mixed: (data, opts) => didTableMixedInWorkers(data, opts, w), compare: (data, opts) => compareFixedVsMixedInWorkers(data, opts, w) };
}

async function run(id: number, mode: Mode, given: ScanOptions): Promise<void> {
  if (!source) throw new Error("no file is open");
  const opts = checkOptions(given);
  const threads = mode === "fixed" ? 1 : (opts.threads ?? 1);
  const progress = (phase: string, done: number, total: number) => post({ type: "progress", id, phase, done, total });
  progress("reading the matrix and aggregating", 0, 0);
  const fitting = threads > 1 ? `fitting on ${threads} workers` : "fitting";
  opts.onProgress = (done, total) => progress(fitting, done, total);
  const t0 = performance.now();
  const p = poolFor(threads);
  try {
    const t = await runMode(mode, source, opts, runnerFor(threads, p));
    post({ type: "result", id, mode, rows: t.rows, columns: t.columns, warnings: t.warnings, ms: performance.now() - t0, threads });
  } catch (e) {
    // a worker that failed may be left mid-block: start a fresh pool next time
    if (p && /fit worker/.test((e as Error)?.message ?? "")) {
      p.close();
      if (pool === p) pool = null;
    }
    throw e;
  }
}

// Messages are handled one at a time, in order: a run sent while the file is still opening waits for it.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<ToWorker>) => {
  queue = queue.then(() => handle(ev.data));
};

async function handle(msg: ToWorker): Promise<void> {
  const id = msg.type === "run" ? msg.id : null;
  try {
    ready ??= initTrialmix({ wasmUrl: new URL("./trialmix.wasm", import.meta.url) });
    await ready;
    if (msg.type === "open") await open(msg.file);
    else if (msg.type === "run") await run(msg.id, msg.mode, { ...msg.opts });
  } catch (e) {
    const err = e as Error;
    const known = err?.name === "H5adError" || err?.name === "TrialmixInputError" || err?.name === "TrialmixRunError";
    const message = known
      ? err.message
      : isOutOfMemory(err)
        ? `out of memory (${String(err.message).split("\n")[0]}): the file needs more memory than this tab may use; try fewer features or the command line`
        : `internal error: ${err?.message ?? String(e)}`;
    post({ type: "error", id, name: err?.name ?? "Error", message });
  }
}
