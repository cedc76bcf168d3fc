// The mixed model's design: y ~ treat + post + treat:post (+ covariates) + (1 | participant)
// [or (1 + post | participant)], fitted by REML; with more than two visits y ~ treat * visit (+ covariates)
// + (1 | participant), visit a factor against the baseline; the rows it can use and a design restricted to some rows.
import { covariateColumns, didIndicators } from "../model.js";
import { groupIndex } from "../../frame/factor.js";
import { subsetFrame } from "../../frame/subset.js";
import type { AnalysisFrame, BatchDesign } from "../../types.js";
import { visitFactorDesign, type VisitContrasts } from "./visits.js";

export interface MixedOptions {
  visits: readonly string[]; // the baseline first; more than two: the visit factor (visits.ts)
  treated: string;
  standardize?: boolean; // default true
  randomSlope?: boolean; // (1 + post | participant)
  covariates?: string[]; // names of frame.covariates
  reml?: boolean; // default true
  ddf?: "satterthwaite" | "kenward-roger"; // df of the small-sample t; default satterthwaite
}

/** Index of the DiD coefficient (treat:post) in the fixed-effect columns built below. */
export const DID_INDEX = 3;

export interface MixedDesign {
  design: BatchDesign;
  names: string[]; // fixed-effect column names
  nUnits: number;
  /** More than two visits: each follow-up's DiD coefficient index (-1: not estimable) and why not, the null model's columns. */
  contrasts?: VisitContrasts;
}

/** X = [1, treat, post, treat*post, covariates...], Z = [1] or [1, post], groups = participants. */
export function mixedDesign(frame: AnalysisFrame, opts: MixedOptions): MixedDesign {
  if (opts.visits.length > 2) return visitFactorDesign(frame, opts);
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
