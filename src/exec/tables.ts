// The library's mixed and compare scans with the mixed blocks on a given fitter: the one composition
// behind the worker-thread entry (parallel.ts) and the Web Worker one (browser.ts).
import { frameOf, mixedOptions, didTable, mergeTables, withFrameWarnings, type DataInput, type ScanOptions, type CompareTable } from "../api.js";
import { checkOptions } from "../options.js";
import { after, type Maybe } from "./driver.js";
import { fitFrameWith } from "./strata.js";
import type { BlockFitter, SyncFitter } from "./fitter.js";
import type { MixedTable } from "../models/mixed/rows.js";

/** didTableMixed with the blocks on `fitter`; the same rows whichever fitter. */
export function mixedTableOn(data: DataInput, opts: ScanOptions, fitter: SyncFitter): MixedTable;
export function mixedTableOn(data: DataInput, opts: ScanOptions, fitter: BlockFitter): Maybe<MixedTable>;
export function mixedTableOn(data: DataInput, opts: ScanOptions, fitter: BlockFitter): Maybe<MixedTable> {
  const frame = frameOf(data, opts);
  return after(fitFrameWith(frame, mixedOptions(opts), fitter, opts.onProgress), (t) => withFrameWarnings(frame, t));
}

/** compareFixedVsMixed with the mixed blocks on `fitter`. */
export function compareTableOn(data: DataInput, opts: ScanOptions, fitter: SyncFitter): CompareTable;
export function compareTableOn(data: DataInput, opts: ScanOptions, fitter: BlockFitter): Maybe<CompareTable>;
export function compareTableOn(data: DataInput, opts: ScanOptions, fitter: BlockFitter): Maybe<CompareTable> {
  const plain = checkOptions(opts);
  const frame = frameOf(data, plain);
  const fixed = didTable(frame, { ...plain, randomSlope: false });
  return after(mixedTableOn(frame, plain, fitter), (mixed) => mergeTables(fixed, mixed));
}
