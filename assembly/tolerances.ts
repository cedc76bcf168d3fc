// Every tolerance of the fit, in one place (lme4's lmerControl), exported to the host as wasm globals
// (src/kernel.ts reads them for OptSummary), so what a fit reports is what it used.

/** Certificate: at return |d criterion / d theta_i| <= CERT_GRAD_RTOL x the largest sum of the absolute
 * parts (log-determinant and penalised-residual terms) whose balance makes the gradient 0. */
export const CERT_GRAD_RTOL: f64 = 1e-7;
/** q >= 2: each gradient element is measured against its own terms' scale, floored at this fraction of the
 * largest (an element at a zero variance, whose terms vanish with it). */
export const CERT_SCALE_FLOOR: f64 = 1e-6;
/** Certificate at a boundary (a variance at 0): the one-sided derivative of the criterion in that
 * variance, scaled as above, must be >= -CERT_GRAD_RTOL (it may not decrease into the interior). */
export const CERT_BOUNDARY_STEP: f64 = 1e-4;
/** q = 1: Newton in log(theta) stops when a step or the bracket is below this (relative in theta). */
export const Q1_LOG_XTOL: f64 = 1e-12;
/** q = 1: expansion of the bracket per step while the derivative keeps its sign (log theta). */
export const Q1_LOG_EXPAND: f64 = 2.772588722239781; // log(16)
/** q = 1: points of the dense profile scan in log(theta) (fallback when the certificate fails). */
export const Q1_SCAN_POINTS: i32 = 96;
/** q >= 2: the criterion's roundoff (relative) where a residual is small against the random effects: a step
 * or a candidate within it of the current one counts as level, and then the smaller gradient wins. */
export const F_NOISE: f64 = 1e-11;
/** Criterion differences below this (relative) are roundoff: a boundary point that ties an interior one wins. */
export const BOUNDARY_FTOL: f64 = 1e-14;
/** q >= 2: Newton stops when the Newton decrement is below this x (1 + |f|), the gradient is certified
 * and its last step moved no element of theta by more than NEWTON_STEP_RTOL (relative to max(|theta_i|,
 * 1e-3 |theta|)). */
export const NEWTON_DEC_TOL: f64 = 1e-13;
export const NEWTON_STEP_RTOL: f64 = 1e-8;
/** Residual (after X and each group's own Z columns) below this fraction of y'y: the response's
 * statistics are recomputed from the within-group residual (centred, deflated by the within fit)
 * instead of by differences of sums, which lose digits as the residual shrinks. */
export const REFINE_RSS: f64 = 1e-4;
/** A residual sum of squares below n (EXACT_FIT_ULPS eps max|y|)^2 is roundoff: y is an exact function
 * of X and the groups' own Z columns, the REML criterion has no optimum (or none double precision resolves). */
export const EXACT_FIT_ULPS: f64 = 1000;
/** q = 1: the optimum's t = theta^2 is below dfr y'y / (z_min rss) (its asymptote); the search's
 * bound, the largest theta resolvable for this response, is this factor above that. */
export const THETA_BOUND_FACTOR: f64 = 64;
/** q >= 2, where the residual after X and the groups' Z has no degrees of freedom (it cannot show that an
 * optimum exists): a theta element beyond this (a residual sd below 1e-6 of a random effect's) means the
 * criterion falls without bound; so does a pwrss at roundoff (EXACT_FIT_ULPS), for any design. */
export const THETA_MAX_Q2: f64 = 1e6;
/** Satterthwaite: pivots of the deviance Hessian below this (relative) make the df unavailable. */
export const DF_HESS_RTOL: f64 = 1e-13;
