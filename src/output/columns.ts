// The seed's output column names (the tables of each mode are assembled in schema.ts) and the
// numbers of the statistics, kept in one place.

/** `trialmix mixed`: the seed's columns in order, then the extensions (docs/API.md "Output columns"). */
export const MIXED_SEED_COLUMNS = [
  "feature",
  "beta_DiD",
  "se_DiD",
  "p_DiD",
  "FDR_DiD",
  "ci_lower",
  "ci_upper",
  "var_participant",
  "var_residual",
  "icc",
  "n_units",
  "converged",
] as const;
export const MIXED_EXTRA_COLUMNS = ["df_DiD", "p_DiD_satterthwaite", "logLik", "singular", "error"] as const;

/** `trialmix fixed`: the seed package's did_table (docs/FIXED.md), without / with the wild bootstrap; the table adds `error` (schema.ts). */
export const FIXED_COLUMNS = [
  "feature",
  "beta_DiD",
  "se_DiD",
  "p_DiD",
  "beta_time",
  "p_time",
  "n_units",
  "resid_sd",
  "cov_type_used",
  "FDR_DiD",
] as const;
export const FIXED_BOOT_COLUMNS = [
  ...FIXED_COLUMNS.slice(0, -1),
  "p_DiD_boot",
  "se_DiD_boot",
  "ci_lo_boot",
  "ci_hi_boot",
  "FDR_DiD",
] as const;

/** `trialmix compare` (the seed's compare_fixed_vs_mixed); the table adds `error` (schema.ts). */
export const COMPARE_COLUMNS = [
  "feature",
  "beta_fixed",
  "se_fixed",
  "p_fixed",
  "beta_mixed",
  "se_mixed",
  "p_mixed",
  "icc",
  "beta_diff",
  "agreement",
] as const;

/** Standardisation thresholds: the seed's mixed path uses 1e-12, its fixed path 1e-8 (docs/FIXED.md). */
export const MIXED_MIN_SD = 1e-12;
export const FIXED_MIN_SD = 1e-8;

/** 95% Wald interval multiplier, scipy's norm.ppf(0.975) as statsmodels' conf_int uses. */
export const Z_975 = 1.959963984540054;

/** Significance level of the fixed-vs-mixed agreement column (the seed's alpha). */
export const AGREEMENT_ALPHA = 0.05;

/** Features per kernel call: bounds the Y buffer (block x rows doubles) and paces the progress bar. */
export const FEATURE_BLOCK = 2048;
/** Smallest block worth sending to a worker thread (smaller scans stay on the calling thread). */
export const MIN_PARALLEL_BLOCK = 256;

/** Largest --n-boot: the p-value's resolution is 1 / (B + 1); 100,000 draws resolve 1e-5, and the draws take B x participants bytes. */
export const MAX_N_BOOT = 100_000;
/** Worker threads at most this many per core (more only add memory: each holds a kernel and a V8 isolate). */
export const THREADS_PER_CORE = 4;
