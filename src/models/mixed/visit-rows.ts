// The rows of one feature of a scan over more than two visits: one per follow-up (its DiD against the
// baseline), each carrying the feature's joint arm-by-visit F (Satterthwaite ddf) and LRT (docs/API.md).
import { FIT_STATUS, type BatchDesign, type BatchFit } from "../../types.js";
import { fUpper, chiSqUpper } from "../../stats/dist.js";
import { nanRow, rowFromFit, failureText, type MixedRow } from "./rows.js";
import { contrastLabel, type VisitContrasts } from "./visits.js";
import { varparDerivs, jointF } from "./joint.js";

/** A feature's fits: REML (the contrasts, the F), ML with and without the interaction (the LRT). */
export interface VisitFits {
  reml: BatchFit;
  mlFull: BatchFit | null;
  mlNull: BatchFit | null;
  k: number; // the feature's index in each batch
  design: BatchDesign; // the design the REML fit saw (the feature's complete rows when it has missing values)
  y: Float64Array; // the response it fitted
}

const JOINT_NAN = { F_joint: NaN, ddf_joint: NaN, p_joint: NaN, lrt_stat: NaN, lrt_df: NaN, p_lrt: NaN };
type Joint = typeof JOINT_NAN;

/** One NaN row per follow-up, each saying why. */
export function nanVisitRows(feature: string, nUnits: number, c: VisitContrasts, baseline: string, error: string): MixedRow[] {
  return c.labels.map((v, j) => ({ ...nanRow(feature, nUnits, c.reason[j] || error, false), contrast: contrastLabel(v, baseline), ...JOINT_NAN }));
}

/** The joint F over the estimable interactions at the REML theta, and the LRT of the two ML fits. */
function jointTests(f: VisitFits, c: VisitContrasts, kr: boolean): { joint: Joint; errors: string[] } {
  const { reml, k } = f;
  const idx = c.index.filter((i) => i >= 0);
  const joint = { ...JOINT_NAN };
  const errors: string[] = [];
  if (kr) {
    // Kenward-Roger's joint F (pbkrtest's KRmodcomp, scaled F and its ddf), from the kernel batch
    const F = reml.fKr[k], ddf = reml.ddfKr[k];
    if (Number.isFinite(F) && Number.isFinite(ddf) && idx.length > 0) Object.assign(joint, { F_joint: F, ddf_joint: ddf, p_joint: fUpper(F, idx.length, ddf) });
    else errors.push("joint F unavailable: Kenward-Roger's adjusted covariance could not be formed");
  } else {
    const v = idx.length > 0 ? varparDerivs(f.design, f.y, Math.abs(reml.theta[k * reml.theta.length / reml.m])) : null;
    if (v) {
      const t = jointF(v, idx);
      Object.assign(joint, { F_joint: t.F, ddf_joint: t.ddf, p_joint: fUpper(t.F, t.numDf, t.ddf) });
    } else errors.push("joint F unavailable: the deviance Hessian in (theta, sigma) is not positive definite");
  }
  const { mlFull: a, mlNull: b } = f;
  if (a && b && a.status[k] === FIT_STATUS.ok && b.status[k] === FIT_STATUS.ok && idx.length > 0) {
    const stat = 2 * (a.logLik[k] - b.logLik[k]);
    Object.assign(joint, { lrt_stat: stat, lrt_df: idx.length, p_lrt: chiSqUpper(Math.max(stat, 0), idx.length) });
  } else errors.push(`LRT unavailable: ${a && a.status[k] !== FIT_STATUS.ok ? failureText(a, k) : b && b.status[k] !== FIT_STATUS.ok ? failureText(b, k) : "ML fit failed"}`);
  return { joint, errors };
}

/** A feature's rows: one per follow-up in order, the joint tests repeated on each. */
export function visitRows(f: VisitFits, feature: string, nUnits: number, c: VisitContrasts, baseline: string, note: string, kr = false): MixedRow[] {
  if (f.reml.status[f.k] !== FIT_STATUS.ok) return nanVisitRows(feature, nUnits, c, baseline, failureText(f.reml, f.k));
  const { joint, errors } = jointTests(f, c, kr);
  return c.labels.map((v, j) => {
    const contrast = contrastLabel(v, baseline);
    const row = rowFromFit(f.reml, f.k, feature, nUnits, false, note, Math.max(c.index[j], 0), kr);
    if (c.index[j] < 0) Object.assign(row, { beta_DiD: NaN, se_DiD: NaN, p_DiD: NaN, ci_lower: NaN, ci_upper: NaN, df_DiD: NaN, p_DiD_satterthwaite: NaN });
    const error = [c.reason[j], row.error, ...errors].filter((s) => s !== "").join("; ");
    const { error: _e, ...rest } = row;
    return { ...rest, contrast, ...joint, error };
  });
}
