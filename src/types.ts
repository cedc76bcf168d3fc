// Shared data types between the modules. No logic here.
import type { KernelFit } from "./kernel/outputs.js";
import type { KernelOptionValues } from "./options.js";

/** A covariate column of the analysis frame: numeric as is, text as categorical. */
export type Covariate =
  | { name: string; kind: "numeric"; values: Float64Array }
  | { name: string; kind: "categorical"; values: string[]; levels: string[] }; // levels sorted; levels[0] is the reference

/**
 * The analysis table one DiD scan sees: one row per participant-visit (aggregated) or per cell.
 * Built by src/frame/build.ts (subset, extract, aggregate, pair); feature values are raw (not standardised).
 */
export interface AnalysisFrame {
  unit: "participant_visit" | "cell";
  participant: string[]; // n row labels
  visit: string[];
  arm: string[];
  celltype?: string[]; // present when the scan is stratified by cell type
  nCells?: Float64Array; // cells averaged into each row (participant_visit only)
  warnings?: string[]; // what building the frame dropped (e.g. participants without both visits)
  featureErrors?: string[]; // per feature (aligned with `features`): why it cannot be fitted before any fit ("" = it can), e.g. an empty column
  featureNote?: string; // features taken by default from a table: which, and what was left out (the summary line)
  covariates: Covariate[];
  features: string[];
  values: FeatureValues[]; // one column of length n per feature, in `features` order
}

/** The shared design of a batch of fits: y = X b + Z u + e, u ~ N(0, G) per group. */
export interface BatchDesign {
  n: number; // rows
  p: number; // fixed-effect columns
  q: number; // random-effect columns per group
  X: Float64Array; // n x p, row-major
  Z: Float64Array; // n x q, row-major
  groups: Int32Array; // n group indices in 0..G-1
  G: number; // number of groups
}

/** reml (default true) and covariance (default "unstructured"): declared with their defaults in src/options.ts. */
export type KernelOptions = KernelOptionValues & {
  /** "kenward-roger": the fit's seKr/dfKr (and fKr/ddfKr for `contrasts`) are computed; NaN otherwise. */
  ddf?: "satterthwaite" | "kenward-roger";
  /** The Kenward-Roger joint test's contrasts: `rows` x p, row-major (needs ddf "kenward-roger"). */
  contrasts?: { rows: number; L: Float64Array };
};

/** How a fit got where it is (after MixedModels.jl's OptSummary), with the tolerances it used. */
export interface OptSummary {
  optimizer: string;
  evaluations: number;
  finalObjective: number; // -2 logLik (REML criterion or deviance)
  theta: number[]; // relative covariance factor, lme4's parameterisation
  gradient: number[]; // d finalObjective / d theta at theta (the certificate checks it; 0 at a zero variance)
  certified: boolean; // = converged: first-order optimality checked at return (README, "How it is checked")
  returnCode: string; // "CERTIFIED", or why not (the row's error)
  tolerances: Record<string, number>; // the kernel's (assembly/tolerances.ts), by name
}

export { FIT_STATUS } from "./kernel/reasons.js";

/** Results of fitting m responses that share one BatchDesign (all arrays feature-major). */
/** A batch fit: m, p, q and every output array of the kernel (feature-major), typed from the kernel's output
 * table (src/kernel/outputs.ts), so a new kernel output needs no edit here. */
export type BatchFit = KernelFit;

/** A feature's column: float64, or float32 when the matrix is float32 and every row is one cell (its values as stored). */
export type FeatureValues = Float64Array | Float32Array;
