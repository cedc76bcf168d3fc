// Why a fit is not certified or has no statistics (the row's `error`; src/kernel.ts maps them to text).
export const REASON_NONE: i32 = 0;
/** The certificate failed after the fallback search: the returned theta is the best found, not certified. */
export const REASON_NOT_CERTIFIED: i32 = 1;
/** q = 1: the derivative is still negative at the largest theta double precision resolves for this response. */
export const REASON_BEYOND_RESOLVABLE: i32 = 2;
/** The residual after X and each group's own Z columns is roundoff: the criterion has no optimum. */
export const REASON_EXACT_FIT: i32 = 3;
/** y is (to roundoff) in the column space of X, or constant: no variance to estimate. */
export const REASON_EXACT_BY_X: i32 = 4;
/** q >= 2: the criterion falls without bound as the random-effect variances grow (no REML maximum). */
export const REASON_NO_MAXIMUM: i32 = 5;
/** The Satterthwaite df is unavailable: the deviance Hessian in (theta, sigma) is not positive definite. */
export const REASON_DF_UNAVAILABLE: i32 = 6;
/** The criterion could not be evaluated (X'V^-1X not positive definite at the optimum). */
export const REASON_EVAL_FAILED: i32 = 7;
