// Every tolerance of the fit, in one place (lme4's lmerControl), exported to the host as wasm globals
// (src/kernel/control.ts reads them all for OptSummary), so what a fit reports is what it used.

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

// ---- ranks and factorisations ----
/** X is rank deficient when a pivot of the Cholesky of X'X falls below this x its original diagonal; the
 * within-group cross-products A_w keep the eigenvalues above this x max(largest, X'X's largest diagonal). */
export const RANK_RTOL: f64 = 1e-10;
/** Z_g'Z_g keeps the eigen-directions above this x its largest eigenvalue (the rest: no random effect there). */
export const ZTZ_RANK_RTOL: f64 = 1e-12;
/** X'V^-1X: a Cholesky pivot below this x its original diagonal means the criterion cannot be evaluated. */
export const XVX_CHOL_RTOL: f64 = 1e-12;
/** The penalised residual is floored at this (positive, so its log is finite) when roundoff makes it <= 0. */
export const PWRSS_MIN: f64 = 1e-300;
/** Cyclic Jacobi: at most this many sweeps; done when the off-diagonal's squares are below
 * JACOBI_OFF_RTOL x the diagonal's. */
export const JACOBI_SWEEPS: i32 = 60;
export const JACOBI_OFF_RTOL: f64 = 1e-32;

// ---- the fit's outcome ----
/** A fit is singular (lme4's isSingular) when a diagonal element of Lambda is below this; the boundary test
 * (q >= 2) also tries 0 for a diagonal below it, kept on a tie within F_NOISE. */
export const SINGULAR_THETA: f64 = 1e-4;

// ---- starts ----
/** The moments' start theta^2 counts as not positive below this (then the search starts low). */
export const START_T_MIN: f64 = 1e-8;
/** q = 1: the start where the moments' theta^2 is not positive. */
export const Q1_START_LOW: f64 = 1e-4;

// ---- q = 1 search ----
/** q = 1: Newton in log(theta) takes at most this many steps. */
export const Q1_MAX_ITER: i32 = 200;
/** q = 1: the dense scan runs in log(theta) from this to min(the bound, Q1_SCAN_HIGH). */
export const Q1_SCAN_LOW: f64 = 1e-6;
export const Q1_SCAN_HIGH: f64 = 1e300;
/** q = 1: the search's bound where the residual cannot give one (no residual df after the groups' Z). */
export const Q1_THETA_UNBOUNDED: f64 = 1e100;

// ---- q >= 2 Newton ----
/** q >= 2: Newton takes at most this many iterations from a start. */
export const NEWTON_MAX_ITER: i32 = 100;
/** Forward-difference Hessian: step FD_STEP_REL x max(|theta_i|, FD_STEP_FLOOR). */
export const FD_STEP_REL: f64 = 1e-6;
export const FD_STEP_FLOOR: f64 = 0.1;
/** BFGS update only with curvature s'y above this x |s| |y|. */
export const BFGS_CURV_RTOL: f64 = 1e-10;
/** The eigen-modified step: |lambda| floored at EIG_FLOOR_RTOL x the largest (+ EIG_FLOOR_ABS); an
 * eigenvalue below -NEG_CURV_RTOL x the largest is negative curvature, pushed along by at least
 * NEG_CURV_PUSH x max(1, |theta|). */
export const EIG_FLOOR_RTOL: f64 = 1e-9;
export const EIG_FLOOR_ABS: f64 = 1e-300;
export const NEG_CURV_RTOL: f64 = 1e-6;
export const NEG_CURV_PUSH: f64 = 0.1;
/** NEWTON_STEP_RTOL's step is relative to max(|theta_i|, STEP_REL_FLOOR x max(1, |theta|)). */
export const STEP_REL_FLOOR: f64 = 1e-3;
/** The final steps stop when one no longer shrinks the relative gradient to below this fraction. */
export const NEWTON_GRAD_SHRINK: f64 = 0.1;
/** Line search: steps capped at LS_STEP_CAP x max(1, |theta|) (sup norm), Armijo's sufficient decrease
 * LS_ARMIJO, at most LS_MAX_HALVINGS halvings. */
export const LS_STEP_CAP: f64 = 4;
export const LS_ARMIJO: f64 = 1e-4;
export const LS_MAX_HALVINGS: i32 = 40;
/** When no step is accepted, Newton counts as converged where its decrement is below this x (1 + |f|). */
export const NEWTON_STALL_DEC_TOL: f64 = 1e-9;
/** A diagonal of a column other than the last below this x |theta| is a ridge: the other starts are tried. */
export const RIDGE_RTOL: f64 = 1e-2;
/** The boundary test tries 0 for a diagonal below SINGULAR_THETA or this x |theta|. */
export const SNAP_RTOL: f64 = 0.1;
/** Newton, once converged: at most this many last full (then chord) steps to resolve theta. */
export const NEWTON_FINAL_STEPS: i32 = 4;

// ---- Kenward-Roger (assembly/batch/kenward-roger.ts): pbkrtest's own thresholds, kept so its df are reproduced ----
/** pbkrtest: V0 = 1 + c1 B is taken as 0 below this. */
export const KR_V0_ZERO: f64 = 1e-10;
/** pbkrtest's .divZero: x / y is 1 when both are below this. */
export const KR_DIV_ZERO: f64 = 1e-14;
/** pbkrtest: the F scaling is 1 when the denominator df is within this of 2. */
export const KR_DF_NEAR_2: f64 = 1e-2;
