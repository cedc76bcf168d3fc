// The stages of a mixed-model scan: prepare (design, the features to fit, in blocks) -> each block's
// responses -> the rows of its fit -> FDR over the table. driver.ts runs them over a fitter.
import { fitBatch } from "../kernel/index.js";
import { applyFdr } from "../stats/fdr.js";
import { zScoreInto, unusableReason, zParams } from "../stats/standardize.js";
import { FEATURE_BLOCK, MIXED_MIN_SD } from "../output/columns.js";
import { FIT_STATUS } from "../types.js";
import type { AnalysisFrame, BatchDesign, BatchFit, KernelOptions } from "../types.js";
import { DID_INDEX, mixedDesign, completeCovariateRows, subsetDesign, type MixedDesign, type MixedOptions } from "../models/mixed/design.js";
import { nanRow, rowFromFit, SLOPE_ON_PSEUDOBULK, type MixedRow, type MixedTable } from "../models/mixed/rows.js";
import { DEFAULTS } from "../options.js";
import { TrialmixInputError } from "../errors.js";
import { keepColumns } from "../models/mixed/visits.js";
import { nanVisitRows, visitRows } from "../models/mixed/visit-rows.js";

/** A scan split into kernel-sized blocks of features to fit, and the rows known before fitting. */
export interface PreparedScan {
  frame: AnalysisFrame;
  opts: MixedOptions;
  md: MixedDesign;
  rows: (MixedRow | MixedRow[] | null)[]; // more than two visits: a feature's rows, one per follow-up
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
  if (slope && opts.visits.length > 2)
    throw new TrialmixInputError(`--random-slope takes two visits; with ${opts.visits.length} (${opts.visits.join(",")}) the model is y ~ arm * visit + (1 | participant)`);
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
  const rows: PreparedScan["rows"] = new Array(m).fill(null);
  const zs: PreparedScan["z"] = new Array(m).fill(null);
  const blocks: PreparedScan["blocks"] = [];
  let cur: number[] = [];
  for (let f = 0; f < m; f++) {
    const before = frame.featureErrors?.[f]; // known before any fit (an empty column)
    const z = doStd && !before ? zParams(frame.values[f], MIXED_MIN_SD) : null;
    if (z !== null) zs[f] = z;
    if (before) rows[f] = nanRow(frame.features[f], md.nUnits, before, slope);
    else if (doStd ? z !== null : unusableReason(frame.values[f], 0, true) === "") {
      cur.push(f);
    } else {
      rows[f] = failedRows(frame.features[f], md, opts, (doStd ? "standardisation failed: " : "") + (unusableReason(frame.values[f], MIXED_MIN_SD, !doStd) || "sd not finite"), slope);
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

/** A feature's rows without statistics: one row, or one per follow-up with more than two visits. */
function failedRows(feature: string, md: MixedDesign, opts: MixedOptions, error: string, slope: boolean): MixedRow | MixedRow[] {
  return md.contrasts ? nanVisitRows(feature, md.nUnits, md.contrasts, opts.visits[0], error) : nanRow(feature, md.nUnits, error, slope);
}

/** Whether the rows' small-sample df are Kenward-Roger's (--ddf kenward-roger). */
function usesKr(opts: MixedOptions): boolean {
  return (opts.ddf ?? DEFAULTS.ddf) === "kenward-roger";
}

/** What the kernel needs of the scan's options: REML and the small-sample df; with Kenward-Roger over more
 * than two visits, the joint test's contrasts (one row per estimable arm x visit column). */
export function kernelOptions(opts: MixedOptions, md?: MixedDesign): KernelOptions {
  const k: KernelOptions = { reml: opts.reml ?? DEFAULTS.reml, ddf: opts.ddf ?? DEFAULTS.ddf };
  const idx = md?.contrasts?.index.filter((i) => i >= 0) ?? [];
  if (usesKr(opts) && idx.length > 0) {
    const p = md!.design.p;
    const L = new Float64Array(idx.length * p);
    idx.forEach((col, r) => (L[r * p + col] = 1));
    k.contrasts = { rows: idx.length, L };
  }
  return k;
}

/** Fit a feature with missing values on its complete rows (its own design, on this thread). */
function fitComplete(md: MixedDesign, y: Float64Array, opts: MixedOptions): { fit: BatchFit | null; error: string; design?: BatchDesign; y?: Float64Array } {
  const keep = Array.from(y, (v) => Number.isFinite(v));
  const d = subsetDesign(md.design, keep);
  if (d.G < 2) return { fit: null, error: `only ${d.G} participant(s) with finite values; need at least 2` };
  const yy = y.filter((v) => Number.isFinite(v));
  try {
    return { fit: fitBatch(d, yy, kernelOptions(opts, md)), error: "", design: d, y: yy };
  } catch (e) {
    return { fit: null, error: (e as Error).message };
  }
}

/** fitBatch, or null when the design cannot be fitted (the rows say so). */
function tryFit(d: BatchDesign, Y: Float64Array, reml: boolean): BatchFit | null {
  try {
    return fitBatch(d, Y, { reml });
  } catch {
    return null;
  }
}

/**
 * The rows of a block over more than two visits: the REML fits came back from the fitter; the ML fits
 * of the LRT (with and without the interaction) run here, on this thread.
 */
function finishVisitBlock(scan: PreparedScan, features: number[], fit: BatchFit): void {
  const { frame, md, rows, note, opts } = scan;
  const c = md.contrasts!;
  const kr = usesKr(opts);
  const Y = blockResponses(scan, features);
  const n = md.design.n;
  const nullDesign = keepColumns(md.design, c.nullColumns);
  const mlFull = tryFit(md.design, Y, false), mlNull = tryFit(nullDesign, Y, false);
  features.forEach((f, k) => {
    const name = frame.features[f];
    if (fit.status[k] !== FIT_STATUS.nonFinite) {
      rows[f] = visitRows({ reml: fit, mlFull, mlNull, k, design: md.design, y: Y.subarray(k * n, (k + 1) * n) }, name, md.nUnits, c, opts.visits[0], note, kr);
      return;
    }
    const one = fitComplete(md, Y.slice(k * n, (k + 1) * n), opts);
    if (!one.fit) {
      rows[f] = failedRows(name, md, opts, one.error, false);
      return;
    }
    const d = one.design!, y = one.y!;
    const full = tryFit(d, y, false), nul = tryFit(keepColumns(d, c.nullColumns), y, false);
    rows[f] = visitRows({ reml: one.fit, mlFull: full, mlNull: nul, k: 0, design: d, y }, name, md.nUnits, c, opts.visits[0], note, kr);
  });
}

/** The rows of one fitted block (features with missing values are refitted on their complete rows). */
export function finishBlock(scan: PreparedScan, features: number[], result: { fit: BatchFit } | { error: string }): void {
  const { frame, md, rows, note, opts } = scan;
  const slope = opts.randomSlope ?? DEFAULTS.randomSlope;
  const kr = usesKr(opts);
  if ("error" in result) {
    // a design that cannot be fitted at all (e.g. one arm only): every row says why, none crashes
    for (const f of features) rows[f] = failedRows(frame.features[f], md, opts, result.error, slope);
    return;
  }
  const fit = result.fit;
  if (md.contrasts) return finishVisitBlock(scan, features, fit);
  features.forEach((f, k) => {
    if (fit.status[k] === FIT_STATUS.nonFinite) {
      const one = fitComplete(md, blockResponses(scan, [f]), opts);
      rows[f] = one.fit ? rowFromFit(one.fit, 0, frame.features[f], md.nUnits, slope, note, DID_INDEX, kr) : nanRow(frame.features[f], md.nUnits, one.error, slope);
    } else rows[f] = rowFromFit(fit, k, frame.features[f], md.nUnits, slope, note, DID_INDEX, kr);
  });
}

/**
 * The table: every row, Benjamini-Hochberg FDR over the finite p-values (more than two visits: the
 * rows in feature order, a feature's follow-ups in visit order, the FDR within each contrast).
 */
export function finishScan(scan: PreparedScan): MixedTable {
  const rows = (scan.rows as (MixedRow | MixedRow[])[]).flat();
  const groups = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const g = groups.get(r.contrast ?? "");
    if (g) g.push(i);
    else groups.set(r.contrast ?? "", [i]);
  });
  for (const idx of groups.values()) {
    const fdr = applyFdr(idx.map((i) => rows[i].p_DiD));
    idx.forEach((i, j) => (rows[i].FDR_DiD = fdr[j]));
  }
  const failed = rows.filter((r) => !Number.isFinite(r.beta_DiD)).length; // more than two visits: contrast rows
  return { rows, warnings: scan.warnings, failed };
}
