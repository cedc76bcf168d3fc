// The mixed-model DiD (the seed's did_mixed / did_table_mixed): design, batch fits, the result rows.
// y ~ treat + post + treat:post (+ covariates) + (1 | participant)  [or (1 + post | participant)], REML.
import { fitBatch, reasonText, responseBuffer } from "../kernel.js";
import { covariateColumns, didIndicators } from "./model.js";
import { normalTwoSided, tTwoSided } from "../stats/dist.js";
import { applyFdr } from "../stats/fdr.js";
import { zScoreInto, unusableReason, zParams } from "../stats/standardize.js";
import { groupIndex } from "../frame/factor.js";
import { subsetFrame } from "../frame/subset.js";
import { FEATURE_BLOCK, MIXED_MIN_SD, Z_975 } from "../output/columns.js";
import { FIT_STATUS } from "../types.js";
import type { AnalysisFrame, BatchDesign, BatchFit, FeatureValues } from "../types.js";

export interface MixedOptions {
  visits: [string, string];
  treated: string;
  standardize?: boolean; // default true
  randomSlope?: boolean; // (1 + post | participant)
  covariates?: string[]; // names of frame.covariates
  reml?: boolean; // default true
}

export interface MixedRow {
  feature: string;
  beta_DiD: number;
  se_DiD: number;
  p_DiD: number;
  FDR_DiD: number;
  ci_lower: number;
  ci_upper: number;
  var_participant: number;
  var_residual: number;
  icc: number;
  n_units: number;
  converged: boolean;
  var_slope?: number;
  df_DiD: number;
  p_DiD_satterthwaite: number;
  logLik: number;
  singular: boolean;
  error: string;
}

export interface MixedTable {
  rows: MixedRow[];
  warnings: string[];
  failed: number; // rows without statistics
}

/** Index of the DiD coefficient (treat:post) in the fixed-effect columns built below. */
export const DID_INDEX = 3;

export const SLOPE_ON_PSEUDOBULK =
  "random slope not identifiable with one row per participant-visit (2 observations per participant for 2 random effects plus the residual); use --aggregate cell";

export interface MixedDesign {
  design: BatchDesign;
  names: string[]; // fixed-effect column names
  nUnits: number;
}

/** X = [1, treat, post, treat*post, covariates...], Z = [1] or [1, post], groups = participants. */
export function mixedDesign(frame: AnalysisFrame, opts: MixedOptions): MixedDesign {
  const n = frame.participant.length;
  const { treat, post } = didIndicators(frame, opts.visits, opts.treated);
  const covs = covariateColumns(frame.covariates.filter((c) => (opts.covariates ?? []).includes(c.name)));
  const names = ["Intercept", "arm_bin", "post_num", "arm_bin:post_num", ...covs.names];
  const p = names.length;
  const q = opts.randomSlope ? 2 : 1;
  const X = new Float64Array(n * p);
  const Z = new Float64Array(n * q);
  for (let i = 0; i < n; i++) {
    const r = i * p;
    X[r] = 1;
    X[r + 1] = treat[i];
    X[r + 2] = post[i];
    X[r + 3] = treat[i] * post[i];
    for (let k = 0; k < covs.columns.length; k++) X[r + 4 + k] = covs.columns[k][i];
    Z[i * q] = 1;
    if (q === 2) Z[i * q + 1] = post[i];
  }
  const { index, count } = groupIndex(frame.participant);
  return { design: { n, p, q, X, Z, groups: index, G: count }, names, nUnits: count };
}

/**
 * The frame without rows whose numeric covariates (among `names`) are missing or infinite:
 * complete cases, as patsy's formula handling and the fixed-effects model do.
 */
export function completeCovariateRows(frame: AnalysisFrame, names: string[]): { frame: AnalysisFrame; dropped: number } {
  const covs = frame.covariates.filter((c) => c.kind === "numeric" && names.includes(c.name));
  const n = frame.participant.length;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (covs.every((c) => Number.isFinite((c.values as Float64Array)[i]))) keep.push(i);
  if (keep.length === n) return { frame, dropped: 0 };
  return { frame: subsetFrame(frame, keep), dropped: n - keep.length };
}

/** The design restricted to rows where keep[i]; groups re-indexed so none is empty. */
export function subsetDesign(d: BatchDesign, keep: ArrayLike<boolean>): BatchDesign {
  const rows: number[] = [];
  for (let i = 0; i < d.n; i++) if (keep[i]) rows.push(i);
  const n = rows.length;
  const X = new Float64Array(n * d.p);
  const Z = new Float64Array(n * d.q);
  const labels: string[] = [];
  rows.forEach((r, i) => {
    X.set(d.X.subarray(r * d.p, (r + 1) * d.p), i * d.p);
    Z.set(d.Z.subarray(r * d.q, (r + 1) * d.q), i * d.q);
    labels.push(String(d.groups[r]));
  });
  const { index, count } = groupIndex(labels);
  return { n, p: d.p, q: d.q, X, Z, groups: index, G: count };
}

function nanRow(feature: string, nUnits: number, error: string, randomSlope: boolean): MixedRow {
  const row: MixedRow = {
    feature,
    beta_DiD: NaN,
    se_DiD: NaN,
    p_DiD: NaN,
    FDR_DiD: NaN,
    ci_lower: NaN,
    ci_upper: NaN,
    var_participant: NaN,
    var_residual: NaN,
    icc: NaN,
    n_units: nUnits,
    converged: false,
    df_DiD: NaN,
    p_DiD_satterthwaite: NaN,
    logLik: NaN,
    singular: false,
    error,
  };
  if (randomSlope) row.var_slope = NaN;
  return row;
}

/** One feature's row from the k-th fit of a batch. */
function rowFromFit(fit: BatchFit, k: number, feature: string, nUnits: number, randomSlope: boolean, note: string): MixedRow {
  const { p, q } = fit;
  const status = fit.status[k];
  if (status !== FIT_STATUS.ok) {
    const why =
      status === FIT_STATUS.rankDeficient
        ? "fixed-effects design is rank deficient for this feature"
        : status === FIT_STATUS.nonFinite
          ? "non-finite values in the response"
          : reasonText(fit.reason[k]) || "the REML criterion could not be evaluated";
    return nanRow(feature, nUnits, why, randomSlope);
  }
  const beta = fit.beta[k * p + DID_INDEX];
  const se = fit.se[k * p + DID_INDEX];
  const df = fit.df[k * p + DID_INDEX];
  const varInt = fit.covRe[k * q * q];
  const varRes = fit.scale[k];
  const z = beta / se;
  const row: MixedRow = {
    feature,
    beta_DiD: beta,
    se_DiD: se,
    p_DiD: normalTwoSided(z),
    FDR_DiD: NaN,
    ci_lower: beta - Z_975 * se,
    ci_upper: beta + Z_975 * se,
    var_participant: varInt,
    var_residual: varRes,
    icc: varInt + varRes > 0 ? varInt / (varInt + varRes) : NaN, // intercept variance only, as the seed
    n_units: nUnits,
    converged: fit.converged[k] === 1,
    df_DiD: df,
    p_DiD_satterthwaite: Number.isFinite(df) ? tTwoSided(z, df) : NaN,
    logLik: fit.logLik[k],
    singular: fit.singular[k] === 1,
    error: [note, reasonText(fit.reason[k])].filter((s) => s !== "").join("; "), // why not converged, or why no df
  };
  if (randomSlope) row.var_slope = fit.covRe[k * q * q + q * q - 1];
  return row;
}

/** Fit a feature with missing values on its complete rows (its own design). */
function fitComplete(md: MixedDesign, y: Float64Array, opts: MixedOptions): { fit: BatchFit | null; error: string } {
  const keep = Array.from(y, (v) => Number.isFinite(v));
  const d = subsetDesign(md.design, keep);
  if (d.G < 2) return { fit: null, error: `only ${d.G} participant(s) with finite values; need at least 2` };
  const yy = y.filter((v) => Number.isFinite(v));
  try {
    return { fit: fitBatch(d, yy, { reml: opts.reml ?? true }), error: "" };
  } catch (e) {
    return { fit: null, error: (e as Error).message };
  }
}

export type Progress = (done: number, total: number) => void;

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

export function prepareScan(frame: AnalysisFrame, opts: MixedOptions, blockSize = FEATURE_BLOCK): PreparedScan {
  const slope = opts.randomSlope ?? false;
  const doStd = opts.standardize ?? true;
  const cc = completeCovariateRows(frame, opts.covariates ?? []);
  frame = cc.frame;
  const md = mixedDesign(frame, opts);
  const { n } = md.design;
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
    if (cur.length === blockSize || (f === m - 1 && cur.length > 0)) {
      blocks.push({ features: cur });
      cur = [];
    }
  }
  return { frame, opts, md, rows, blocks, z: zs, note, warnings };
}

/**
 * The responses of a block (feature-major, standardised unless told not to), written into `into`
 * when given (one buffer reused block after block) or a new buffer (one that can go to a worker).
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

/** The rows of one fitted block (features with missing values are refitted on their complete rows). */
export function finishBlock(scan: PreparedScan, features: number[], result: { fit: BatchFit } | { error: string }): void {
  const { frame, md, rows, note, opts } = scan;
  const slope = opts.randomSlope ?? false;
  if ("error" in result) {
    // A design that cannot be fitted at all (e.g. one arm only): every row says why, none crashes.
    for (const f of features) rows[f] = nanRow(frame.features[f], md.nUnits, result.error, slope);
    return;
  }
  const fit = result.fit;
  features.forEach((f, k) => {
    if (fit.status[k] === FIT_STATUS.nonFinite) {
      const one = fitComplete(md, blockResponses(scan, [f]), opts);
      rows[f] = one.fit ? rowFromFit(one.fit, 0, frame.features[f], md.nUnits, slope, note) : nanRow(frame.features[f], md.nUnits, one.error, slope);
    } else rows[f] = rowFromFit(fit, k, frame.features[f], md.nUnits, slope, note);
  });
}

export function finishScan(scan: PreparedScan): MixedTable {
  const rows = scan.rows as MixedRow[];
  const fdr = applyFdr(rows.map((r) => r.p_DiD));
  rows.forEach((r, i) => (r.FDR_DiD = fdr[i]));
  const failed = rows.filter((r) => !Number.isFinite(r.beta_DiD)).length;
  return { rows, warnings: scan.warnings, failed };
}

function fitBlock(design: BatchDesign, Y: Float64Array, opts: MixedOptions): { fit: BatchFit } | { error: string } {
  try {
    return { fit: fitBatch(design, Y, { reml: opts.reml ?? true }) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** did_table_mixed on a built frame: every feature through the batch kernel, FDR over finite p. */
export function fitMixedTable(frame: AnalysisFrame, opts: MixedOptions, onProgress?: Progress): MixedTable {
  const scan = prepareScan(frame, opts);
  let done = frame.features.length - scan.blocks.reduce((s, b) => s + b.features.length, 0);
  for (const b of scan.blocks) {
    // standardised straight into the kernel's memory: no copy of the block on the way in
    const Y = responseBuffer(scan.md.design, b.features.length);
    finishBlock(scan, b.features, fitBlock(scan.md.design, blockResponses(scan, b.features, Y), opts));
    done += b.features.length;
    onProgress?.(done, frame.features.length);
  }
  return finishScan(scan);
}

/** The seed's did_mixed result keys plus the extensions: a table row without the table's columns. */
export type DidMixedResult = Omit<MixedRow, "feature" | "n_units" | "FDR_DiD">;

export interface DidMixedOptions {
  outcome: string;
  participant?: string; // default participant_id
  visit?: string; // default visit
  arm?: string; // default arm
  treated?: string; // default Treated
  randomSlope?: boolean;
  covariates?: string[];
  visits?: [string, string]; // pre, post; default: the two visit levels sorted
}

export type LongTable = Record<string, unknown>[] | Record<string, ArrayLike<unknown>>;

/** Column `name` of a long table given as records or as columns; undefined when absent. */
export function tableColumn(table: LongTable, name: string): unknown[] | undefined {
  if (Array.isArray(table)) {
    if (table.length > 0 && !(name in table[0])) return undefined;
    return table.map((r) => r[name]);
  }
  const col = table[name];
  return col === undefined ? undefined : Array.from(col);
}

/** did_mixed: one feature of a long table (no standardisation, as the seed). */
export function didMixed(table: LongTable, opts: DidMixedOptions): DidMixedResult {
  const pcol = opts.participant ?? "participant_id";
  const vcol = opts.visit ?? "visit";
  const acol = opts.arm ?? "arm";
  const get = (name: string): unknown[] => {
    const c = tableColumn(table, name);
    if (c === undefined) throw new Error(`column '${name}' not found in the table`);
    return c;
  };
  const visit = get(vcol).map(String);
  const levels = [...new Set(visit)].sort();
  const slope = opts.randomSlope ?? false;
  if (levels.length !== 2) {
    const { feature: _f, n_units: _n, FDR_DiD: _q, ...rest } = nanRow("", 0, "Requires exactly 2 time points", slope);
    return rest;
  }
  const participant = get(pcol).map(String);
  const covariates = (opts.covariates ?? [])
    .filter((c) => tableColumn(table, c) !== undefined) // the seed skips covariates it does not find
    .map((name) => {
      const raw = get(name);
      if (raw.every((v) => typeof v === "number")) return { name, kind: "numeric" as const, values: Float64Array.from(raw as number[]) };
      const values = raw.map(String);
      return { name, kind: "categorical" as const, values, levels: [...new Set(values)].sort() };
    });
  const frame: AnalysisFrame = {
    unit: isOneRowPerVisit(participant, visit) ? "participant_visit" : "cell",
    participant,
    visit,
    arm: get(acol).map(String),
    covariates,
    features: [opts.outcome],
    values: [Float64Array.from(get(opts.outcome), (v) => (v === null || v === undefined ? NaN : Number(v)))],
  };
  const visits = opts.visits ?? (levels as [string, string]);
  const table1 = fitMixedTable(frame, {
    visits,
    treated: opts.treated ?? "Treated",
    standardize: false,
    randomSlope: slope,
    covariates: covariates.map((c) => c.name),
  });
  const { feature: _f, n_units: _n, FDR_DiD: _q, ...rest } = table1.rows[0];
  return rest;
}

function isOneRowPerVisit(participant: string[], visit: string[]): boolean {
  const seen = new Set<string>();
  for (let i = 0; i < participant.length; i++) {
    const key = participant[i] + "\u0000" + visit[i];
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}
