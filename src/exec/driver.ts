// The one scan driver: the blocks of a prepared scan through a fitter (this thread, worker threads or
// Web Workers), each block's rows made as its fit comes back, progress after each block. Every feature's
// fit is independent of the others (no warm starts), so every fitter gives the same table.
import { localFitter, type BlockFitter, type SyncFitter, type BlockResult } from "./fitter.js";
import { prepareScan, blockSize, blockResponses, finishBlock, finishScan, kernelOptions, type PreparedScan } from "./scan.js";
import type { MixedOptions } from "../models/mixed/design.js";
import type { MixedTable } from "../models/mixed/rows.js";
import type { AnalysisFrame } from "../types.js";

export type Progress = (done: number, total: number) => void;

/** A value now or later: scans on a SyncFitter stay synchronous. */
export type Maybe<T> = T | Promise<T>;

function isPromise<T>(x: Maybe<T>): x is Promise<T> {
  return typeof (x as Promise<T>)?.then === "function";
}

/** `f` of a value now, or of it later (not named `then`: a module exporting `then` is a thenable to import()). */
export function after<T, U>(x: Maybe<T>, f: (v: T) => U): Maybe<U> {
  return isPromise(x) ? x.then(f) : f(x);
}

/**
 * Fit every block of `scan` with `fitter`, `fitter.threads` blocks in flight: a block's responses are made
 * when a thread is free (so only those in flight are in memory) and their buffer, handed back by a
 * worker, is reused for the next block (fresh memory is dear: BENCHMARKS.md section 4).
 */
export function runScan(scan: PreparedScan, fitter: SyncFitter, onProgress?: Progress): MixedTable;
export function runScan(scan: PreparedScan, fitter: BlockFitter, onProgress?: Progress): Maybe<MixedTable>;
export function runScan(scan: PreparedScan, fitter: BlockFitter, onProgress?: Progress): Maybe<MixedTable> {
  const { design } = scan.md;
  const opts = kernelOptions(scan.opts, scan.md);
  const total = scan.frame.features.length;
  let done = total - scan.blocks.reduce((s, b) => s + b.features.length, 0);
  const most = scan.blocks.reduce((s, b) => Math.max(s, b.features.length), 0) * design.n;
  const spare: ArrayBuffer[] = [];
  const responses = (features: number[]): Float64Array =>
    blockResponses(scan, features, fitter.responseBuffer?.(design, features.length) ?? new Float64Array(spare.pop() ?? new ArrayBuffer(most * 8)));
  const finish = (features: number[], result: BlockResult): void => {
    finishBlock(scan, features, result);
    done += features.length;
    onProgress?.(done, total);
  };
  let next = 0;
  // one lane per thread: fit a block, then the next; synchronous while the fitter answers at once
  const lane = (): Promise<void> | undefined => {
    while (next < scan.blocks.length) {
      const { features } = scan.blocks[next++];
      const result = fitter.fit(design, responses(features), opts);
      if (!isPromise(result)) {
        finish(features, result);
        continue;
      }
      return result.then((r) => {
        if (r.Y) spare.push(r.Y.buffer as ArrayBuffer);
        const rest = lane(); // the worker's next block goes out before this block's rows are made
        finish(features, r);
        return rest;
      });
    }
    return undefined;
  };
  const lanes: Promise<void>[] = [];
  for (let t = 0; t < Math.max(1, fitter.threads); t++) {
    const l = lane();
    if (l) lanes.push(l);
  }
  return lanes.length === 0 ? finishScan(scan) : Promise.all(lanes).then(() => finishScan(scan));
}

/**
 * did_table_mixed on a built frame with the blocks on `fitter` (sized for its threads); a scan of one
 * block stays on this thread (no worker round trip).
 */
export function fitMixedTableWith(frame: AnalysisFrame, opts: MixedOptions, fitter: SyncFitter, onProgress?: Progress): MixedTable;
export function fitMixedTableWith(frame: AnalysisFrame, opts: MixedOptions, fitter: BlockFitter, onProgress?: Progress): Maybe<MixedTable>;
export function fitMixedTableWith(frame: AnalysisFrame, opts: MixedOptions, fitter: BlockFitter, onProgress?: Progress): Maybe<MixedTable> {
  const scan = prepareScan(frame, opts, blockSize(frame.features.length, fitter.threads, fitter.minBlock));
  return runScan(scan, scan.blocks.length <= 1 ? localFitter : fitter, onProgress);
}

/** did_table_mixed on a built frame, on this thread: every feature through the batch kernel, FDR over finite p. */
export function fitMixedTable(frame: AnalysisFrame, opts: MixedOptions, onProgress?: Progress): MixedTable {
  return fitMixedTableWith(frame, opts, localFitter, onProgress);
}
