// Scans on worker threads (Node only: kept out of api.ts, which is also bundled for browsers).
import { availableParallelism, cpus } from "node:os";
import { prepareScan, finishBlock, finishScan, fitMixedTable, type MixedOptions, type MixedTable, type Progress } from "./mixed.js";
import { fitBlocksParallel } from "./pool.js";
import { frameOf, mixedOptions, didTable, mergeTables, compareOptions, type DataInput, type ScanOptions, type CompareTable } from "./api.js";
import type { AnalysisFrame } from "./types.js";

/** Worker threads when none are asked for: every core. */
export function defaultThreads(): number {
  return availableParallelism?.() ?? cpus().length;
}

/**
 * fitMixedTable with the kernel blocks fitted on `threads` worker threads. Every feature's fit is
 * independent of the others (no warm starts), so the rows are identical to the one-thread run.
 */
export async function fitMixedTableParallel(frame: AnalysisFrame, opts: MixedOptions, threads: number, onProgress?: Progress): Promise<MixedTable> {
  const scan = prepareScan(frame, opts);
  if (threads <= 1 || scan.blocks.length <= 1) return fitMixedTable(frame, opts, onProgress);
  // the workers get copies (buffers are transferred); the originals stay for refits of missing values
  const copies = scan.blocks.map((b) => b.Y.slice());
  let done = frame.features.length - scan.blocks.reduce((s, b) => s + b.features.length, 0);
  const results = await fitBlocksParallel(scan.md.design, copies, { reml: opts.reml ?? true }, threads, (i) => {
    done += scan.blocks[i].features.length;
    onProgress?.(done, frame.features.length);
  });
  scan.blocks.forEach((b, i) => finishBlock(scan, b.features, b.Y, results[i]));
  return finishScan(scan);
}

/** didTableMixed on `opts.threads` worker threads (default: all cores). */
export async function didTableMixedParallel(data: DataInput, opts: ScanOptions): Promise<MixedTable> {
  const frame = frameOf(data, opts);
  const t = await fitMixedTableParallel(frame, mixedOptions(opts), opts.threads ?? defaultThreads(), opts.onProgress);
  if (frame.warnings) t.warnings.unshift(...frame.warnings);
  return t;
}

/** compareFixedVsMixed with the mixed scan on worker threads. */
export async function compareFixedVsMixedParallel(data: DataInput, opts: ScanOptions): Promise<CompareTable> {
  const frame = frameOf(data, opts);
  const plain = compareOptions(opts);
  const fixed = didTable(frame, { ...plain, randomSlope: false });
  return mergeTables(fixed, await didTableMixedParallel(frame, plain));
}
