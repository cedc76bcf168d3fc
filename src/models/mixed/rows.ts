// The result row of one feature: from the k-th fit of a kernel batch, or a NaN row saying why there is none.
import { reasonText } from "../../kernel/index.js";
import { normalTwoSided, tTwoSided } from "../../stats/dist.js";
import { Z_975 } from "../../output/columns.js";
import { FIT_STATUS } from "../../types.js";
import type { BatchFit } from "../../types.js";
import { DID_INDEX } from "./design.js";

export interface MixedRow {
  celltype?: string; // per-cell-type scans (--celltype): the row's cell type, first
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
  FDR_DiD_global?: number; // per-cell-type scans: Benjamini-Hochberg over every cell type's rows
  /** More than two visits (docs/API.md): the follow-up this row's DiD is, and the feature's joint tests. */
  contrast?: string;
  F_joint?: number;
  ddf_joint?: number;
  p_joint?: number;
  lrt_stat?: number;
  lrt_df?: number;
  p_lrt?: number;
  error: string;
}

export interface MixedTable {
  rows: MixedRow[];
  warnings: string[];
  failed: number; // rows without statistics
  featureNote?: string; // the frame's: features taken by default from a table
}

export const SLOPE_ON_PSEUDOBULK =
  "random slope not identifiable with one row per participant-visit (2 observations per participant for 2 random effects plus the residual); use --aggregate cell";

/** A row without statistics; `error` says why. */
export function nanRow(feature: string, nUnits: number, error: string, randomSlope: boolean): MixedRow {
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

/** Why the k-th fit of a batch has no statistics (its status is not ok). */
export function failureText(fit: BatchFit, k: number): string {
  const status = fit.status[k];
  if (status === FIT_STATUS.rankDeficient) return "fixed-effects design is rank deficient for this feature";
  if (status === FIT_STATUS.nonFinite) return "non-finite values in the response";
  return reasonText(fit.reason[k]) || "the REML criterion could not be evaluated";
}

/**
 * One feature's row from the k-th fit of a batch; `note` leads its error column (e.g. SLOPE_ON_PSEUDOBULK);
 * `did` is the DiD coefficient's index (a follow-up's arm:visit with more than two visits).
 * kr: df_DiD and p_DiD_satterthwaite are Kenward-Roger's (its df, and t from its adjusted se), as lmerTest's
 * summary(m, ddf = "Kenward-Roger"); se_DiD, p_DiD and the interval stay the unadjusted Wald ones.
 */
export function rowFromFit(fit: BatchFit, k: number, feature: string, nUnits: number, randomSlope: boolean, note: string, did = DID_INDEX, kr = false): MixedRow {
  if (fit.status[k] !== FIT_STATUS.ok) return nanRow(feature, nUnits, failureText(fit, k), randomSlope);
  const { p, q } = fit;
  const beta = fit.beta[k * p + did];
  const se = fit.se[k * p + did];
  const df = kr ? fit.dfKr[k * p + did] : fit.df[k * p + did];
  const tSmall = kr ? beta / fit.seKr[k * p + did] : beta / se;
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
    p_DiD_satterthwaite: Number.isFinite(df) ? tTwoSided(tSmall, df) : NaN,
    logLik: fit.logLik[k],
    singular: fit.singular[k] === 1,
    error: [note, reasonText(fit.reason[k])].filter((s) => s !== "").join("; "), // why not converged, or why no df
  };
  if (randomSlope) row.var_slope = fit.covRe[k * q * q + q * q - 1];
  return row;
}
