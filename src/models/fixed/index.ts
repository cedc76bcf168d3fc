// The fixed-effects DiD (the seed package's `did_table`, docs/FIXED.md):
//   y ~ post + post:treat + C(participant) [+ covariates]
// OLS at cell level, WLS with weights n_cells when aggregated; cluster-robust (CR1) SEs by
// participant with normal p-values, falling back to ordinary SEs (t, n - rank df).
//
// The participant dummies are absorbed by weighted within-participant demeaning
// (Frisch-Waugh-Lovell): the coefficients, residuals and the cluster sandwich of the remaining
// columns are exactly those of the dummy-variable fit, and the design part (demeaned columns,
// a generalised inverse of X~'WX~) is shared by all features with the same complete rows.
// Columns that the participant effects absorb (participant-level covariates) become ~0 after
// demeaning and are dropped by the rank-revealing (eigen-)pseudo-inverse, as statsmodels' pinv
// drops them; the rank counts for the residual df, the exog column count for CR1's (N-1)/(N-K)
// (statsmodels' cov_cluster uses exog.shape[1]).
//
// design.ts (columns, within transformation) -> fit.ts (one feature) -> bootstrap.ts (wild
// cluster bootstrap-t) -> table.ts (all features, strata) -> rows.ts (row type, NaN rows, FDR).
export { fixedBase, fixedDesign, type FixedBase, type FixedDesign } from "./design.js";
export { fitFixedOne, type FixedFit } from "./fit.js";
export { wildClusterBootstrap, type BootstrapResult } from "./bootstrap.js";
export { fitFixedTable, checkBootstrapOptions, type FixedOptions } from "./table.js";
export { fixedColumns, FIXED_COLUMNS, FIXED_BOOT_COLUMNS, type FixedRow } from "./rows.js";
