// q >= 2: Newton on the analytic gradient of the criterion in theta.
import { ld, st, allocF64 } from "../mem";
import { gradient, nth, pwrss } from "../criterion/reml";
import { symEigen } from "../linalg/eigen";
import { F_NOISE, CERT_GRAD_RTOL, NEWTON_STEP_RTOL, NEWTON_DEC_TOL, THETA_MAX_Q2, FD_STEP_REL, FD_STEP_FLOOR, BFGS_CURV_RTOL,
  EIG_FLOOR_RTOL, EIG_FLOOR_ABS, NEG_CURV_RTOL, NEG_CURV_PUSH, STEP_REL_FLOOR, NEWTON_GRAD_SHRINK, NEWTON_FINAL_STEPS,
  LS_STEP_CAP, LS_ARMIJO, LS_MAX_HALVINGS, NEWTON_STALL_DEC_TOL } from "../tolerances";
import { gradientScale, relGradient, coordScale, xScale } from "./certificate";
import { copyVec, gnorm, thetaScale } from "./theta";

let xs: usize = 0; // a point of the finite differences
let gr: usize = 0; // the gradient at the current point
let gh: usize = 0; // the gradient at x + h e_i
let H: usize = 0; // the Hessian (nth x nth)
let Hd: usize = 0; // its eigenvalues (diagonal), after eigenHessian
let Ev: usize = 0; // its eigenvectors (columns)
let dir: usize = 0; // the step
let xt: usize = 0; // a trial point
let gt: usize = 0; // the gradient there
let sv: usize = 0; let yv: usize = 0; let Hs: usize = 0; // BFGS

export function setupNewton(): void {
  xs = allocF64(nth); gr = allocF64(nth); gh = allocF64(nth);
  H = allocF64(nth * nth); Hd = allocF64(nth * nth); Ev = allocF64(nth * nth);
  dir = allocF64(nth); xt = allocF64(nth); gt = allocF64(nth);
  sv = allocF64(nth); yv = allocF64(nth); Hs = allocF64(nth);
}

/** Newton's outcome: converged, and the gradient's size at its return relative to its scale (max |g_i| /
 * gradientScale()). */
export let newtonOk = false;
export let newtonGrel: f64 = Infinity;
/** q >= 2: a penalised residual below this is roundoff; thetaCap: whether theta is capped (THETA_MAX_Q2),
 * i.e. whether the residual after X and the groups' Z could not show that an optimum exists (no residual
 * degrees of freedom there). Set by the batch from the response. */
let pwrssFloor: f64 = 0;
let thetaCap = true;
export function setDivergence(floor: f64, cap: bool): void { pwrssFloor = floor; thetaCap = cap; }
/** The criterion fell without bound (theta beyond THETA_MAX_Q2, or a pwrss at roundoff). */
export let diverged = false;
export function clearDiverged(): void { diverged = false; }

// the iteration's state: the criterion and gradient scale at x, whether H is refreshed by finite differences
// (else carried by BFGS updates), theta's scale at the iteration's start
let fx: f64 = 0, gsc: f64 = 0, xn: f64 = 1;
let needFD = true;

/** H = the Hessian at x by forward differences of the analytic gradient (gr holds the gradient at x),
 * symmetrised; a fixed (masked) coordinate gets a unit row and column. */
function hessianFD(x: usize, mask: i32): void {
  for (let i = 0; i < nth; i++) st(xs, i, ld(x, i));
  for (let i = 0; i < nth; i++) {
    if ((mask >> i) & 1) {
      for (let j = 0; j < nth; j++) st(H, j * nth + i, i == j ? 1.0 : 0.0);
      continue;
    }
    const xi = ld(x, i);
    const hi = FD_STEP_REL * Math.max(Math.abs(xi), FD_STEP_FLOOR);
    st(xs, i, xi + hi);
    const xh = ld(xs, i) - xi; // the step actually taken
    gradient(xs, gh);
    st(xs, i, xi);
    for (let j = 0; j < nth; j++) st(H, j * nth + i, (ld(gh, j) - ld(gr, j)) / xh);
  }
  for (let i = 0; i < nth; i++) {
    if ((mask >> i) & 1) continue;
    for (let j = 0; j < i; j++) {
      if ((mask >> j) & 1) { st(H, i * nth + j, 0); st(H, j * nth + i, 0); continue; }
      const v = 0.5 * (ld(H, i * nth + j) + ld(H, j * nth + i));
      st(H, i * nth + j, v); st(H, j * nth + i, v);
    }
  }
}

/** BFGS update of H for the step x -> xt (gradients gr -> gt); false (H unchanged) without positive curvature. */
function bfgsUpdate(x: usize, mask: i32): bool {
  let sy = 0.0, ss = 0.0, yy = 0.0, sHs = 0.0;
  for (let i = 0; i < nth; i++) {
    if ((mask >> i) & 1) { st(sv, i, 0); st(yv, i, 0); continue; }
    st(sv, i, ld(xt, i) - ld(x, i)); st(yv, i, ld(gt, i) - ld(gr, i));
  }
  for (let i = 0; i < nth; i++) {
    let a = 0.0;
    for (let j = 0; j < nth; j++) a += ld(H, i * nth + j) * ld(sv, j);
    st(Hs, i, a);
    sy += ld(sv, i) * ld(yv, i); ss += ld(sv, i) * ld(sv, i); yy += ld(yv, i) * ld(yv, i); sHs += ld(sv, i) * a;
  }
  if (!(sy > BFGS_CURV_RTOL * Math.sqrt(ss * yy) && sHs > 0)) return false;
  for (let i = 0; i < nth; i++) for (let j = 0; j < nth; j++)
    st(H, i * nth + j, ld(H, i * nth + j) + ld(yv, i) * ld(yv, j) / sy - ld(Hs, i) * ld(Hs, j) / sHs);
  return true;
}

/** The eigen-decomposition of H into Hd (diagonal) and Ev, a fixed coordinate's unit diagonal set to the
 * free ones' largest (so that it does not set the floor of the eigenvalues). */
function eigenHessian(mask: i32): void {
  let hdm = 0.0;
  for (let i = 0; i < nth; i++) if (!((mask >> i) & 1)) hdm = Math.max(hdm, Math.abs(ld(H, i * nth + i)));
  for (let i = 0; i < nth; i++) if ((mask >> i) & 1) st(H, i * nth + i, hdm > 0 ? hdm : 1.0);
  for (let i = 0; i < nth * nth; i++) st(Hd, i, ld(H, i));
  symEigen(Hd, Ev, nth);
}

/** dir = the eigen-modified Newton step from gr: |lambda| (floored at EIG_FLOOR_RTOL of the largest) on every
 * eigen-direction, and a push along directions of negative curvature (dirNegCurv; F is even in the diagonal
 * of Lambda's last column: theta there = 0 is an invariant plane, a saddle when its curvature is negative,
 * and the gradient alone never leaves it). Returns the decrement -g'dir. */
let dirNegCurv = false;
function newtonDirection(mask: i32): f64 {
  let lmax = 0.0;
  for (let k = 0; k < nth; k++) lmax = Math.max(lmax, Math.abs(ld(Hd, k * nth + k)));
  const lfloor = EIG_FLOOR_RTOL * lmax + EIG_FLOOR_ABS;
  dirNegCurv = false;
  for (let i = 0; i < nth; i++) st(dir, i, 0);
  for (let k = 0; k < nth; k++) {
    const l = ld(Hd, k * nth + k);
    let c = 0.0;
    for (let i = 0; i < nth; i++) c += ld(Ev, i * nth + k) * ld(gr, i);
    let sk = -c / Math.max(Math.abs(l), lfloor);
    if (l < -NEG_CURV_RTOL * lmax) {
      dirNegCurv = true;
      const push = NEG_CURV_PUSH * xn;
      if (Math.abs(sk) < push) sk = c > 0 ? -push : push;
    }
    for (let i = 0; i < nth; i++) st(dir, i, ld(dir, i) + sk * ld(Ev, i * nth + k));
  }
  let dec = 0.0;
  for (let i = 0; i < nth; i++) { if ((mask >> i) & 1) st(dir, i, 0); dec -= ld(gr, i) * ld(dir, i); }
  return dec;
}

/** Move to the trial point xt (criterion ft, gradient gt; gradient() was last called there). */
function moveTo(x: usize, ft: f64): void {
  for (let i = 0; i < nth; i++) { st(x, i, ld(xt, i)); st(gr, i, ld(gt, i)); }
  fx = ft;
  gsc = gradientScale();
  copyVec(xScale, coordScale);
}

/** Converged: last full steps, each kept unless it is worse (f is flat to roundoff there: a step that leaves
 * f equal to roundoff but makes the gradient smaller is taken too, so that theta is resolved in flat
 * directions independently of roundoff in f), then chord steps (the same Hessian, one gradient). True when
 * done: certified and the step itself small (theta resolved: the next would be its square; in a flat
 * direction a certified gradient alone still allows the df to be off in the 5th digit), or a step no longer
 * shrinks the relative gradient tenfold (roundoff, or a boundary at theta = 0, where the gradient and its
 * scale vanish together: the boundary test's case). False: a flat valley, where the decrement is small
 * before the gradient is; Newton goes on with fresh Hessians. */
function finalSteps(x: usize, mask: i32): bool {
  for (let c = 0; c < NEWTON_FINAL_STEPS; c++) {
    for (let i = 0; i < nth; i++) st(xt, i, ld(x, i) + ld(dir, i));
    const ft = gradient(xt, gt);
    const gprev = gnorm(gr, mask), grelPrev = relGradient(gr, mask, xScale, gsc);
    const take = ft <= fx || (ft <= fx + F_NOISE * Math.abs(fx) && gnorm(gt, mask) < gprev);
    if (take) moveTo(x, ft);
    newtonGrel = relGradient(gr, mask, xScale, gsc);
    let stepRel = 0.0;
    for (let i = 0; i < nth; i++) stepRel = Math.max(stepRel, Math.abs(ld(dir, i)) / Math.max(Math.abs(ld(x, i)), STEP_REL_FLOOR * xn));
    if (!take || (newtonGrel <= CERT_GRAD_RTOL && stepRel <= NEWTON_STEP_RTOL) || newtonGrel > NEWTON_GRAD_SHRINK * grelPrev) return true;
    newtonDirection(mask);
  }
  return false;
}

/** Backtracking along dir (steps capped at LS_STEP_CAP max(1, |x|) in the sup norm): Armijo's decrease, or
 * any decrease after the first halving, or, in a valley flat to roundoff in f (a correlation near +-1), a
 * step that leaves f within its roundoff and makes the gradient smaller (the certificate measures the
 * gradient). H is then BFGS-updated after a full, positive-curvature step, else refreshed next time. */
function lineSearch(x: usize, mask: i32, dec: f64, negCurv: bool): bool {
  let dn = 0.0;
  for (let i = 0; i < nth; i++) dn = Math.max(dn, Math.abs(ld(dir, i)));
  let alpha = dn > LS_STEP_CAP * xn ? LS_STEP_CAP * xn / dn : 1.0;
  const fnoise = F_NOISE * (1 + Math.abs(fx)), g0 = gnorm(gr, mask);
  for (let ls = 0; ls < LS_MAX_HALVINGS; ls++) {
    for (let i = 0; i < nth; i++) st(xt, i, ld(x, i) + alpha * ld(dir, i));
    const ft = gradient(xt, gt);
    if (ft < fx - LS_ARMIJO * alpha * dec || (ls > 0 && ft < fx) || (ft <= fx + fnoise && gnorm(gt, mask) < g0)) {
      needFD = !(ls == 0 && !negCurv && bfgsUpdate(x, mask));
      moveTo(x, ft);
      return true;
    }
    alpha *= 0.5;
  }
  return false;
}

/** After a step: has the criterion shown it falls without bound (theta past its cap, or pwrss at roundoff)? */
function divergedAt(x: usize): bool {
  let big = 0.0;
  for (let i = 0; i < nth; i++) big = Math.max(big, Math.abs(ld(x, i)));
  return (thetaCap && big > THETA_MAX_Q2) || pwrss <= pwrssFloor;
}

/** Newton on the analytic gradient, Hessian by forward differences of the gradient (nth extra gradients per
 * iteration) or BFGS updates, eigen-modified, Armijo backtracking. Works over all of R^nth (the criterion is
 * invariant to column sign flips of Lambda: every optimum, also one with a diagonal at its bound 0, is a
 * stationary point there); the bounds are applied by canonicalise / the boundary test. mask bit i set =
 * coordinate i fixed. Converged (newtonOk) when the Newton decrement is below NEWTON_DEC_TOL (1 + |f|) on a
 * fresh Hessian, after the final steps. At most maxIter iterations of nth + 41 gradient evaluations each:
 * the work is bounded by the problem. Returns the criterion at x. */
export function newton(x: usize, mask: i32, maxIter: i32): f64 {
  fx = gradient(x, gr);
  newtonOk = false;
  newtonGrel = Infinity;
  if (!isFinite(fx)) return fx;
  gsc = gradientScale(); // at x
  copyVec(xScale, coordScale);
  needFD = true;
  for (let it = 0; it < maxIter; it++) {
    for (let i = 0; i < nth; i++) if ((mask >> i) & 1) st(gr, i, 0);
    const fresh = needFD;
    if (needFD) hessianFD(x, mask);
    eigenHessian(mask);
    xn = thetaScale(x);
    const dec = newtonDirection(mask);
    const negCurv = dirNegCurv;
    if (!negCurv && dec < NEWTON_DEC_TOL * (1 + Math.abs(fx))) {
      // converged on a BFGS Hessian: confirm with a finite-difference one (curvature signs, decrement)
      needFD = true;
      if (fresh && finalSteps(x, mask)) { newtonOk = true; return fx; }
      continue;
    }
    const accepted = lineSearch(x, mask, dec, negCurv);
    if (accepted && divergedAt(x)) { diverged = true; newtonOk = false; return fx; }
    newtonGrel = relGradient(gr, mask, xScale, gsc);
    if (!accepted) { newtonOk = !negCurv && dec < NEWTON_STALL_DEC_TOL * (1 + Math.abs(fx)); return fx; }
  }
  return fx;
}
