// The kernel's binary interface, compiled by both asc (assembly/, imported by relative path) and tsc: the
// one definition of the batch header's slots and of the status and reason codes. Only const enums here
// (i32 in AssemblyScript, numbers in TypeScript), so the file means the same to both compilers.

/**
 * Slots of the batch header, one i32 each (wasm32 pointers are 32-bit): the dimensions, the options, the
 * inputs and one output array per result column (0 = not wanted, for the optional ones). The host writes
 * it (src/kernel/batch.ts, from its output table) and passes its address to fitBatch.
 */
export const enum Field {
  // dimensions and options (KR = 1: Kenward-Roger wanted; L_ROWS: rows of L, 0 = no joint test)
  N, P, Q, G, M, REML, DIAG, KR, L_ROWS,
  // inputs: X (n x p) and Z (n x q) row-major f64, groups (n i32 in 0..G-1), Y (m x n feature-major f64),
  // L (L_ROWS x p row-major f64: the Kenward-Roger joint test's contrasts, 0 when none)
  X, Z, GROUPS, Y, L,
  // outputs (feature-major)
  BETA, SE, DF, COV_RE, SCALE, LOG_LIK, THETA, CONVERGED, SINGULAR, ITERATIONS, STATUS, REASON, GRADIENT,
  // Kenward-Roger (assembly/batch/kenward-roger.ts; NaN unless KR): adjusted se and df per coefficient, the
  // joint test's scaled F and denominator df per feature
  SE_KR, DF_KR, F_KR, DDF_KR,
  // optional outputs (fitLmm's)
  VCOV, RANEF, COND_VAR, OBJECTIVE,
  /** The header's length in slots. */
  COUNT,
}

/** A feature's status. */
export const enum Status {
  OK = 0,
  /** y has NaN/Inf: refit on the complete rows. */
  NONFINITE = 1,
  /** X is rank deficient (X'X not positive definite): every feature of the batch. */
  RANKDEF = 2,
  /** No statistics: the reason says why. */
  FAILED = 3,
}

/** Why a fit is not certified or has no statistics (the row's `error`; src/kernel/reasons.ts words them). */
export const enum Reason {
  NONE = 0,
  /** The certificate failed after the fallback search: the returned theta is the best found, not certified. */
  NOT_CERTIFIED = 1,
  /** q = 1: the derivative is still negative at the largest theta double precision resolves for this response. */
  BEYOND_RESOLVABLE = 2,
  /** The residual after X and each group's own Z columns is roundoff: the criterion has no optimum. */
  EXACT_FIT = 3,
  /** y is (to roundoff) in the column space of X, or constant: no variance to estimate. */
  EXACT_BY_X = 4,
  /** q >= 2: the criterion falls without bound as the random-effect variances grow (no REML maximum). */
  NO_MAXIMUM = 5,
  /** The Satterthwaite df is unavailable: the deviance Hessian in (theta, sigma) is not positive definite. */
  DF_UNAVAILABLE = 6,
  /** The criterion could not be evaluated (X'V^-1X not positive definite at the optimum). */
  EVAL_FAILED = 7,
  /** Kenward-Roger statistics unavailable: X'V^-1X (or L Phi L') is not positive definite at the estimate. */
  KR_UNAVAILABLE = 8,
}
