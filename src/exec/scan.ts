// The stages of a mixed-model scan: prepare (design, the features to fit, in blocks) -> each block's
// responses -> the rows of its fit -> FDR over the table. driver.ts runs them over a fitter.
import { fitBatch } from "../kernel/index.js";
import { applyFdr } from "../stats/fdr.js";
import { zScoreInto, unusableReason, zParams } from "../stats/standardize.js";
import { FEATURE_BLOCK, MIXED_MIN_SD } from "../output/columns.js";
import { FIT_STATUS } from "../types.js";
import type { AnalysisFrame, BatchFit, KernelOptions } from "../types.js";
import { mixedDesign, completeCovariateRows, subsetDesign, type MixedDesign, type MixedOptions } from "../models/mixed/design.js";
import { nanRow, rowFromFit, SLOPE_ON_PSEUDOBULK, type MixedRow, type MixedTable } from "../models/mixed/rows.js";
import { DEFAULTS } from "../options.js";

/** A scan split into kernel-sized blocks of features to fit, and the rows known before fitting. */
export interface PreparedScan {
  frame: AnalysisFrame;
  opts: MixedOptions;
  md: MixedDesign;
  rows: (MixedRow | null)[];
  blocks: { features: number[] }[]; // responses filled by blockResponses when the block is fitted
  z: ({ mean: number; sd: number; scale: number } | null)[]; // each feature's z-score parameters (standardised scans)
  note: string; // said in every row's error (random slope on pseudobulk)
  warnings: string[];
}

/**
 * Features per block for `threads` fitting at once: FEATURE_BLOCK on one thread; else a few blocks per
 * thread, so that they finish together, but none smaller than `minBlock` (each block is a message).
 */
export function blockSize(features: number, threads: number, minBlock = 1): number {
  if (threads <= 1) return FEATURE_BLOCK;
  return Math.max(minBlock, Math.min(FEATURE_BLOCK, Math.ceil(features / (4 * threads))));
}

export function prepareScan(frame: AnalysisFrame, opts: MixedOptions, size = FEATURE_BLOCK): PreparedScan {
  const slope = opts.randomSlope ?? DEFAULTS.randomSlope;
  const doStd = opts.standardize ?? DEFAULTS.standardize;
  const cc = completeCovariateRows(frame, opts.covariates ?? []);
  frame = cc.frame;
  const md = mixedDesign(frame, opts);
  const warnings: string[] = [];
  if (cc.dropped > 0) warnings.push(`${cc.dropped} rows with missing covariates dropped`);
  let note = "";
  if (slope && frame.unit === "participant_visit") {
    note = SLOPE_ON_PSEUDOBULK;
    warnings.push(note);
  }
  const m = frame.features.length;
  const rows: (MixedRow | null)[] = new Array(m).fill(null);
  const zs: PreparedScan["z"] = new Array(m).fill(null);
  const blocks: PreparedScan["blocks"] = [];
  let cur: number[] = [];
  for (let f = 0; f < m; f++) {
    const z = doStd ? zParams(frame.values[f], MIXED_MIN_SD) : null;
    if (z !== null) zs[f] = z;
    if (doStd ? z !== null : unusableReason(frame.values[f], 0, true) === "") {
      cur.push(f);
    } else {
      rows[f] = nanRow(frame.features[f], md.nUnits, (doStd ? "standardisation failed: " : "") + (unusableReason(frame.values[f], MIXED_MIN_SD, !doStd) || "sd not finite"), slope);
    }
    if (cur.length === size || (f === m - 1 && cur.length > 0)) {
      blocks.push({ features: cur });
      cur = [];
    }
  }
  return { frame, opts, md, rows, blocks, z: zs, note, warnings };
}

/**
 * The responses of a block (feature-major, standardised unless told not to), written into `into`
 * when given (the kernel's memory, or a buffer reused block after block) or a new buffer.
 */
export function blockResponses(scan: PreparedScan, features: number[], into?: Float64Array): Float64Array {
  const n = scan.md.design.n;
  const Y = into ? into.subarray(0, features.length * n) : new Float64Array(features.length * n);
  features.forEach((f, k) => {
    const z = scan.z[f]; // set by prepareScan exactly when the scan standardises
    if (z) zScoreInto(scan.frame.values[f], z, Y, k * n);
    else Y.set(scan.frame.values[f], k * n);
  });
  return Y;
}

/** What the kernel needs of the scan's options: REML and the small-sample df. */
export function kernelOptions(opts: MixedOptions): KernelOptions {
  return { reml: opts.reml ?? DEFAULTS.reml, ddf: opts.ddf ?? DEFAULTS.ddf };
}

/** Fit a feature with missing values on its complete rows (its own design, on this thread). */
function fitComplete(md: MixedDesign, y: Float64Array, opts: MixedOptions): { fit: BatchFit | null; error: string } {
  const keep = Array.from(y, (v) => Number.isFinite(v));
  const d = subsetDesign(md.design, keep);
  if (d.G < 2) return { fit: null, error: `only ${d.G} participant(s) with finite values; need at least 2` };
  const yy = y.filter((v) => Number.isFinite(v));
  try {
    return { fit: fitBatch(d, yy, kernelOptions(opts)), error: "" };
  } catch (e) {
    return { fit: null, error: (e as Error).message };
  }
}

/** The rows of one fitted block (features with missing values are refitted on their complete rows). */
export function finishBlock(scan: PreparedScan, features: number[], result: { fit: BatchFit } | { error: string }): void {
  const { frame, md, rows, note, opts } = scan;
  const slope = opts.randomSlope ?? DEFAULTS.randomSlope;
  const kr = (opts.ddf ?? DEFAULTS.ddf) === "kenward-roger";
  if ("error" in result) {
    // a design that cannot be fitted at all (e.g. one arm only): every row says why, none crashes
    for (const f of features) rows[f] = nanRow(frame.features[f], md.nUnits, result.error, slope);
    return;
  }
  const fit = result.fit;
  features.forEach((f, k) => {
    if (fit.status[k] === FIT_STATUS.nonFinite) {
      const one = fitComplete(md, blockResponses(scan, [f]), opts);
      rows[f] = one.fit ? rowFromFit(one.fit, 0, frame.features[f], md.nUnits, slope, note, kr) : nanRow(frame.features[f], md.nUnits, one.error, slope);
    } else rows[f] = rowFromFit(fit, k, frame.features[f], md.nUnits, slope, note, kr);
  });
}

/** The table: every row, Benjamini-Hochberg FDR over the finite p-values. */
export function finishScan(scan: PreparedScan): MixedTable {
  const rows = scan.rows as MixedRow[];
  const fdr = applyFdr(rows.map((r) => r.p_DiD));
  rows.forEach((r, i) => (r.FDR_DiD = fdr[i]));
  const failed = rows.filter((r) => !Number.isFinite(r.beta_DiD)).length;
  return { rows, warnings: scan.warnings, failed };
}
