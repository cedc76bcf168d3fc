// Scans on worker threads (Node only: kept out of api.ts, which is also bundled for browsers).
import { prepareScan, blockResponses, finishBlock, finishScan, fitMixedTable, type MixedOptions, type MixedTable, type Progress } from "./models/mixed.js";
import { FitPool, coreCount, checkThreads, type BlockSource } from "./exec/pool.js";
import { FEATURE_BLOCK, MIN_PARALLEL_BLOCK } from "./output/columns.js";
import { frameOf, mixedOptions, didTable, mergeTables, compareOptions, withFrameWarnings, type DataInput, type ScanOptions, type CompareTable } from "./api.js";
import type { AnalysisFrame } from "./types.js";

/** Worker threads when none are asked for: every core. */
export function defaultThreads(): number {
  return coreCount();
}

/**
 * fitMixedTable with the kernel blocks fitted by a pool of worker threads. Every feature's fit is
 * independent of the others (no warm starts), so the rows are identical to the one-thread run.
 */
export async function fitMixedTableParallel(frame: AnalysisFrame, opts: MixedOptions, pool: FitPool | number, onProgress?: Progress): Promise<MixedTable> {
  const threads = typeof pool === "number" ? pool : pool.threads;
  checkThreads(threads);
  // a few blocks per worker, so that the workers finish together
  const scan = prepareScan(frame, opts, Math.max(MIN_PARALLEL_BLOCK, Math.min(FEATURE_BLOCK, Math.ceil(frame.features.length / (4 * threads)))));
  if (scan.blocks.length <= 1 || (typeof pool === "number" && pool <= 1)) return fitMixedTable(frame, opts, onProgress);
  const own = typeof pool === "number" ? new FitPool(Math.min(pool, scan.blocks.length)) : null;
  try {
    // each block's responses in a buffer made when a worker is free and transferred to it; the buffers
    // come back with the fits and are reused (fresh memory is dear: see BENCHMARKS.md section 4)
    const spare: ArrayBuffer[] = [];
    const most = Math.max(...scan.blocks.map((b) => b.features.length)) * scan.md.design.n;
    const copies: BlockSource = {
      count: scan.blocks.length,
      get: (i) => blockResponses(scan, scan.blocks[i].features, new Float64Array(spare.pop() ?? new ArrayBuffer(most * 8))),
      recycle: (Y) => void spare.push(Y.buffer as ArrayBuffer),
    };
    let done = frame.features.length - scan.blocks.reduce((s, b) => s + b.features.length, 0);
    const results = await (own ?? (pool as FitPool)).fit(scan.md.design, copies, { reml: opts.reml ?? true }, (i) => {
      done += scan.blocks[i].features.length;
      onProgress?.(done, frame.features.length);
    });
    scan.blocks.forEach((b, i) => finishBlock(scan, b.features, results[i]));
    return finishScan(scan);
  } finally {
    await own?.close();
  }
}

/** A pool for a scan's options (none for one thread); started before the file is read, so it boots meanwhile. */
function poolFor(opts: ScanOptions): FitPool | null {
  const threads = opts.threads ?? defaultThreads();
  checkThreads(threads);
  return threads > 1 ? new FitPool(threads) : null;
}

async function mixedWith(pool: FitPool | null, frame: AnalysisFrame, opts: ScanOptions): Promise<MixedTable> {
  return withFrameWarnings(frame, await fitMixedTableParallel(frame, mixedOptions(opts), pool ?? 1, opts.onProgress));
}

/** didTableMixed on `opts.threads` worker threads (default: all cores); the same rows as didTableMixed. */
export async function didTableMixedParallel(data: DataInput, opts: ScanOptions): Promise<MixedTable> {
  const pool = poolFor(opts);
  try {
    return await mixedWith(pool, frameOf(data, opts), opts);
  } finally {
    await pool?.close();
  }
}

/** compareFixedVsMixed with the mixed scan on worker threads. */
export async function compareFixedVsMixedParallel(data: DataInput, opts: ScanOptions): Promise<CompareTable> {
  const pool = poolFor(opts);
  try {
    const plain = compareOptions(opts);
    const frame = frameOf(data, plain);
    const fixed = didTable(frame, { ...plain, randomSlope: false });
    return mergeTables(fixed, await mixedWith(pool, frame, plain));
  } finally {
    await pool?.close();
  }
}
