// The checks that end a feature (or the batch) before or after the search, with the status and reason it
// ends with (stopStatus, stopReason, stopIters; the feature's one failure path writes them).
import { ld, st, allocF64 } from "../mem";
import { chol } from "../linalg/chol";
import { Status, Reason } from "../../src/kernel/abi";
import * as R from "../criterion/reml";
import * as Y from "../criterion/response";
import { setThetaBound, setDivergence, setMoments, diverged } from "../optim/index";
import { THETA_BOUND_FACTOR, RANK_RTOL, Q1_THETA_UNBOUNDED } from "../tolerances";

export let stopStatus: i32 = Status.OK;
export let stopReason: i32 = Reason.NONE;
export let stopIters: i32 = 0;
/** The feature ends here: with this status and reason after this many evaluations. Returns false. */
function stop(status: i32, reason: i32, iters: i32): bool {
  stopStatus = status; stopReason = reason; stopIters = iters;
  return false;
}

/** Is X of full column rank (X'X's Cholesky pivots above RANK_RTOL of their diagonals)? */
export function fullRank(): bool {
  const p = R.p;
  const chk = allocF64(p * p);
  for (let i = 0; i < p * p; i++) st(chk, i, ld(R.XtX, i));
  return chol(chk, p, RANK_RTOL);
}

/** Is y (to roundoff) in the column space of X? (pwrss at theta = 0 is the least-squares residual.) */
function exactByX(theta: usize): bool {
  for (let i = 0; i < R.nth; i++) st(theta, i, 0);
  R.evaluate(theta);
  return !R.evalOk || !(R.pwrss > Y.rssFloor);
}

/** The response's statistics and the tests that end a feature before the search; false when it ended. */
export function prepareFeature(y: usize, theta: usize): bool {
  const rd = Y.readResponse(y);
  if (rd == Y.READ_NONFINITE) return stop(Status.NONFINITE, Reason.NONE, 0);
  if (rd == Y.READ_CONSTANT) return stop(Status.FAILED, Reason.EXACT_BY_X, 0);
  Y.crossProducts();
  // Residual of y after X and every group's own Z columns: when it is roundoff although that fit leaves
  // residual degrees of freedom, the likelihood has no maximum (it grows without bound as the random-effect
  // variances do), so such a feature is reported at once instead of chasing theta to infinity. (With no
  // residual df, e.g. a random slope on one row per participant-visit, the residual says nothing.)
  if (!Y.residualAfterGroups()) return stop(Status.FAILED, exactByX(theta) ? Reason.EXACT_BY_X : Reason.EXACT_FIT, 0);
  if (R.q == 1) {
    // the optimum's t = theta^2 lies below dfr y'y / (z_min rss) (the criterion's asymptote in t)
    const dfr = <f64>(R.useReml ? R.n - R.p : R.n);
    const bound = Y.exactCheck ? Math.sqrt(THETA_BOUND_FACTOR * dfr * R.yty / (Y.zMin * Math.max(Y.rss, Y.rssFloor))) : Q1_THETA_UNBOUNDED;
    setThetaBound(bound);
    setMoments(Y.rss, <f64>Y.dfWithin, <f64>Y.dfBetween, Y.zBar);
    return true;
  }
  // q >= 2, y in the column space of X (no residual at theta = 0, so none at any theta): nothing to optimise
  setDivergence(Y.rssFloor, !Y.exactCheck);
  setMoments(Y.rss, <f64>Y.dfWithin, <f64>Y.dfBetween, Y.zBar);
  R.nEval = 0;
  if (exactByX(theta)) return stop(Status.FAILED, Reason.EXACT_BY_X, R.nEval);
  return true;
}

/** After the search (theta, criterion crit, the optimiser's reason): does the feature have statistics? */
export function searchSucceeded(theta: usize, crit: f64, reason: i32, iters: i32): bool {
  if (R.q > 1 && diverged) return stop(Status.FAILED, Reason.NO_MAXIMUM, iters);
  if (!isFinite(ld(theta, 0)) || !R.evalOk || !isFinite(crit)) return stop(Status.FAILED, reason != Reason.NONE ? reason : Reason.EVAL_FAILED, iters);
  if (!(R.pwrss > Y.rssFloor)) return stop(Status.FAILED, Reason.EXACT_FIT, iters); // (y fitted exactly by X and Z)
  return true;
}
