// The numbers of the statistics and of the scans, kept in one place; and the seed's column lists,
// taken from the row schema (schema.ts).
import { columnNames } from "./schema.js";

/** The seed package's did_table columns (docs/FIXED.md), without / with the wild bootstrap: the fixed table less `error`. */
export const FIXED_COLUMNS = columnNames("fixed").filter((k) => k !== "error");
export const FIXED_BOOT_COLUMNS = columnNames("fixed", { bootstrap: true }).filter((k) => k !== "error");

/** The seed's compare_fixed_vs_mixed columns: the compare table less `error`. */
export const COMPARE_COLUMNS = columnNames("compare").filter((k) => k !== "error");

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
