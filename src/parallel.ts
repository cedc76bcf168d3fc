// Scans on worker threads (the package's `trialmix/parallel`; Node only: kept out of api.ts, which is also
// bundled for browsers). The blocks go to a FitPool through the one scan driver (exec/driver.ts).
import { prepareScan, blockSize } from "./exec/scan.js";
import { runScan, type Progress } from "./exec/driver.js";
import { fitFrameWith } from "./exec/strata.js";
import { localFitter } from "./exec/fitter.js";
import { FitPool, coreCount, checkThreads } from "./exec/node-pool.js";
import { mixedTableOn, compareTableOn } from "./exec/tables.js";
import { MIN_PARALLEL_BLOCK } from "./output/columns.js";
import type { MixedOptions, MixedTable } from "./models/mixed/index.js";
import type { DataInput, ScanOptions, CompareTable } from "./api.js";
import type { AnalysisFrame } from "./types.js";

/** Worker threads when none are asked for: every core. */
export function defaultThreads(): number {
  return coreCount();
}

/**
 * fitMixedTable with the kernel blocks fitted by a pool of worker threads (`pool`, or one of that many
 * threads started and closed here); one scan per cell type when the frame has a cell-type column. The rows are identical to the one-thread run, in the same order.
 */
export async function fitMixedTableParallel(frame: AnalysisFrame, opts: MixedOptions, pool: FitPool | number, onProgress?: Progress): Promise<MixedTable> {
  if (typeof pool !== "number") return fitFrameWith(frame, opts, pool, onProgress);
  checkThreads(pool);
  if (frame.celltype) {
    // one scan per cell type, all on one pool
    const strata = pool > 1 ? new FitPool(pool) : null;
    try {
      return await fitFrameWith(frame, opts, strata ?? localFitter, onProgress);
    } finally {
      await strata?.close();
    }
  }
  const scan = prepareScan(frame, opts, blockSize(frame.features.length, pool, MIN_PARALLEL_BLOCK));
  if (pool <= 1 || scan.blocks.length <= 1) return runScan(scan, localFitter, onProgress);
  const own = new FitPool(Math.min(pool, scan.blocks.length));
  try {
    return await runScan(scan, own, onProgress);
  } finally {
    await own.close();
  }
}

/** The fitter for a scan's options: a pool (none for one thread), started before the file is read, so it boots meanwhile. */
function poolFor(opts: ScanOptions): FitPool | null {
  const threads = opts.threads ?? defaultThreads();
  checkThreads(threads);
  return threads > 1 ? new FitPool(threads) : null;
}

/** didTableMixed on `opts.threads` worker threads (default: all cores); the same rows as didTableMixed. */
export async function didTableMixedParallel(data: DataInput, opts: ScanOptions): Promise<MixedTable> {
  const pool = poolFor(opts);
  try {
    return await mixedTableOn(data, opts, pool ?? localFitter);
  } finally {
    await pool?.close();
  }
}

/** compareFixedVsMixed with the mixed scan on worker threads. */
export async function compareFixedVsMixedParallel(data: DataInput, opts: ScanOptions): Promise<CompareTable> {
  const pool = poolFor(opts);
  try {
    return await compareTableOn(data, opts, pool ?? localFitter);
  } finally {
    await pool?.close();
  }
}
