// Optimisers over theta, run entirely inside WASM. Every fit ends with a certificate (first-order
// optimality from the analytic gradient; at a zero variance the one-sided derivative): `lastConverged`
// is that check's outcome, `lastReason` says why a fit is not certified or has no optimum.
import { ld, st, allocF64 } from "./mem";
import { gradient, criterion, criterionFromState, slopeAtZero, nth, q, diagCov, derivsQ1, dF, dF2, dP, dP2, dFabs,
  pwrss, n, p, useReml, evalOk, gradL, gradP } from "./reml";
import { F_NOISE, CERT_GRAD_RTOL, CERT_SCALE_FLOOR, NEWTON_STEP_RTOL, CERT_BOUNDARY_STEP, Q1_LOG_XTOL, Q1_LOG_EXPAND, Q1_SCAN_POINTS, BOUNDARY_FTOL, NEWTON_DEC_TOL,
  THETA_MAX_Q2 } from "./tolerances";
import { REASON_NONE, REASON_NOT_CERTIFIED, REASON_BEYOND_RESOLVABLE, REASON_NO_MAXIMUM } from "./reasons";

let th1: usize = 0; // 1-vector for q = 1
let xs: usize = 0; // scratch points
let gr: usize = 0;
let H: usize = 0;
let Hd: usize = 0;
let dir: usize = 0;
let xt: usize = 0;
let saveBuf: usize = 0;
let xt2: usize = 0;
/** The certificate's outcome for the last fit. */
export let lastConverged: bool = false;
export let lastReason: i32 = 0;
/** The gradient (d criterion / d theta) at the returned theta, and the scale the certificate measured it by. */
export let lastGrad: usize = 0;
export let lastGradScale: f64 = 0;
/** q = 1: the largest theta resolvable for the current response (set by batch.ts from its residual). */
export let thetaBound: f64 = Infinity;
export function setThetaBound(b: f64): void { thetaBound = b; }
/** The start's moments (set by batch.ts): the within residual and its df, the between df, mean Z'Z. */
let mRss: f64 = Infinity, mDfW: f64 = 0, mDfB: f64 = 0, mZ: f64 = 1;
export function setMoments(rss: f64, dfw: f64, dfb: f64, zbar: f64): void { mRss = rss; mDfW = dfw; mDfB = dfb; mZ = zbar; }

/** The start's scale, theta^2 from the mean squares within and between (ANOVA; for q = 1 and a balanced
 * design the REML optimum itself): MSB = (pwrss(0) - rss) / df_b, MSW = rss / df_w, theta^2 = (MSB - MSW) /
 * (zbar MSW); `low` where that is not positive, 1 (lme4's start) where it is not available. For q >= 2 it
 * spares Newton in theta the long walk to a large scale (a residual 1e-6 of the random effects: theta ~ 1e6). */
function momentStart(P0: f64, low: f64): f64 {
  if (!(mRss > 0 && mRss < Infinity && mDfW > 0 && mDfB > 0)) return 1.0;
  const msw = mRss / mDfW, msb = (P0 - mRss) / mDfB;
  const t = (msb - msw) / (mZ * msw);
  return t > 1e-8 ? Math.sqrt(t) : low;
}
/** q >= 2: a penalised residual below this is roundoff; thetaCap: whether theta is capped (THETA_MAX_Q2),
 * i.e. whether the residual after X and the groups' Z could not show that an optimum exists (no residual
 * degrees of freedom there). Set by batch.ts from the response. */
let pwrssFloor: f64 = 0;
let thetaCap = true;
export function setDivergence(floor: f64, cap: bool): void { pwrssFloor = floor; thetaCap = cap; }
export let diverged = false;

export function setupOptim(): void {
  sv = allocF64(nth); yv = allocF64(nth); Hs = allocF64(nth);
  Ev = allocF64(nth * nth);
  gt = allocF64(nth);
  gh = allocF64(nth);
  th1 = allocF64(1);
  xs = allocF64(nth);
  gr = allocF64(nth);
  H = allocF64(nth * nth);
  Hd = allocF64(nth * nth);
  dir = allocF64(nth);
  xt = allocF64(nth);
  saveBuf = allocF64(nth);
  xt2 = allocF64(nth);
  lastGrad = allocF64(nth);
  coordScale = allocF64(nth); xScale = allocF64(nth);
}

function f1(t: f64): f64 {
  st(th1, 0, t);
  return criterion(th1);
}

// ---- q = 1: Newton on the derivative in log(theta) over the whole half-line ----

/** At theta = x > 0: the criterion's derivative in u = log(theta) (gU), its second derivative (hU), and
 * the scale of the terms that cancel in gU (sU: the certificate is |gU| <= CERT_GRAD_RTOL sU). */
let gU: f64 = 0, hU: f64 = 0, sU: f64 = 0, gTheta: f64 = 0;
function derivLogQ1(x: f64): void {
  st(th1, 0, x);
  derivsQ1(th1);
  const P = pwrss;
  const dfr = <f64>(useReml ? n - p : n);
  const g = dF + dfr * dP / P;
  const h = dF2 + dfr * (dP2 / P - (dP / P) * (dP / P));
  gTheta = g;
  gU = x * g;
  hU = x * x * h + x * g;
  sU = x * (dFabs + dfr * Math.abs(dP) / P);
}

let beyond = false;
/** Safeguarded Newton for the root of gU from x, the root bracketed in (lo, hi) (lo = 0: -infinity in
 * log theta; hi = Infinity: expanded 16-fold a step while the derivative stays negative, up to
 * thetaBound). Returns the last theta where gU was evaluated, or NaN (beyond = past the bound). */
function newtonLogQ1(x: f64, lo: f64, hi: f64): f64 {
  beyond = false;
  for (let it = 0; it < 200; it++) {
    derivLogQ1(x);
    if (!isFinite(gU) || !isFinite(hU)) return NaN;
    if (gU < 0) lo = x; else if (gU > 0) hi = x; else return x;
    if (lo > thetaBound) { beyond = true; return NaN; }
    let step = hU > 0 ? -gU / hU : NaN;
    if (step > Q1_LOG_EXPAND) step = Q1_LOG_EXPAND; // no leap past the bracket's growth
    let xn = x * Math.exp(step);
    if (!(xn > lo && xn < hi)) xn = lo == 0 ? hi * Math.exp(-Q1_LOG_EXPAND) : hi == Infinity ? lo * Math.exp(Q1_LOG_EXPAND) : Math.sqrt(lo * hi);
    if (Math.abs(xn - x) <= Q1_LOG_XTOL * x || (lo > 0 && hi < Infinity && hi - lo <= Q1_LOG_XTOL * hi)) return x;
    x = xn;
  }
  return NaN;
}

/** Certificate at an interior theta whose derivative derivLogQ1 just computed. */
function certifiedQ1(): bool {
  lastGradScale = sU;
  return Math.abs(gU) <= CERT_GRAD_RTOL * sU;
}

/** Fallback: the criterion on Q1_SCAN_POINTS thetas evenly spaced in log from 1e-6 to the bound, then
 * Newton in the bracket around the best. */
function scanQ1(): f64 {
  const hiT = Math.min(thetaBound, 1e300);
  const du = (Math.log(hiT) - Math.log(1e-6)) / <f64>(Q1_SCAN_POINTS - 1);
  let kb = 0, fb = Infinity;
  for (let k = 0; k < Q1_SCAN_POINTS; k++) {
    const fk = f1(1e-6 * Math.exp(du * <f64>k));
    if (fk < fb) { fb = fk; kb = k; }
  }
  const xb = 1e-6 * Math.exp(du * <f64>kb);
  return newtonLogQ1(xb, kb == 0 ? 0.0 : xb * Math.exp(-du), kb == Q1_SCAN_POINTS - 1 ? Infinity : xb * Math.exp(du));
}

/** q = 1: exact boundary test at theta = 0, Newton in log(theta) from the moments' start, the certificate,
 * the dense scan when it fails. Writes theta to out[0]; returns the criterion (NaN: no optimum resolvable). */
export function optimQ1(out: usize): f64 {
  lastConverged = false;
  lastReason = REASON_NONE;
  lastGradScale = 0;
  st(lastGrad, 0, 0);
  const slope = slopeAtZero(th1); // d criterion / d theta^2 at 0+; the state is theta = 0's
  const f0 = criterionFromState();
  const P0 = pwrss;
  if (!evalOk) { st(out, 0, 0); lastReason = REASON_NOT_CERTIFIED; return f0; }
  if (slope >= 0) { st(out, 0, 0); lastConverged = true; return f0; } // cannot decrease into the interior
  let x = newtonLogQ1(Math.min(momentStart(P0, 1e-4), thetaBound), 0.0, Infinity); // (the slope at 0 is negative: above 0)
  let ok = x > 0 && certifiedQ1();
  if (!ok && !beyond) { x = scanQ1(); ok = x > 0 && certifiedQ1(); }
  if (beyond) { st(out, 0, NaN); lastReason = REASON_BEYOND_RESOLVABLE; return NaN; }
  if (!(x > 0)) { st(out, 0, 0); lastReason = REASON_NOT_CERTIFIED; return f1(0); }
  st(lastGrad, 0, gTheta);
  const fx = f1(x);
  // An interior point no better than theta = 0 beyond roundoff is the boundary (the slope at 0 was
  // negative only by roundoff): report the exact zero, as lme4 would find it, not theta ~ 1e-9.
  if (f0 <= fx + BOUNDARY_FTOL * Math.abs(fx)) { st(out, 0, 0); st(lastGrad, 0, 0); lastConverged = ok; return f1(0); }
  st(out, 0, x);
  lastConverged = ok;
  if (!ok) lastReason = REASON_NOT_CERTIFIED;
  return fx;
}

function fAt(x: usize): f64 { return criterion(x); }

/** Is theta index i a diagonal element? */
export function isDiag(i: i32): bool {
  if (diagCov) return true;
  let idx = 0;
  for (let j = 0; j < q; j++) for (let k = j; k < q; k++) { if (idx == i) return k == j; idx++; }
  return false;
}

/** Flip columns of Lambda so that its diagonal is >= 0 (same covariance). */
export function canonicalise(x: usize): void {
  if (diagCov) { for (let i = 0; i < nth; i++) st(x, i, Math.abs(ld(x, i))); return; }
  let idx = 0;
  for (let j = 0; j < q; j++) {
    const neg = ld(x, idx) < 0;
    for (let k = j; k < q; k++) { if (neg) st(x, idx, -ld(x, idx)); idx++; }
  }
}

let gt: usize = 0; // gradient at trial points
let Ev: usize = 0; // eigenvectors (columns)
let sv: usize = 0; let yv: usize = 0; let Hs: usize = 0; // BFGS

/** Cyclic Jacobi: a (symmetric nn x nn) -> diagonal of eigenvalues, v = eigenvectors in columns. */
export function jacobi(a: usize, v: usize, nn: i32): void {
  for (let i = 0; i < nn; i++) for (let j = 0; j < nn; j++) st(v, i * nn + j, i == j ? 1.0 : 0.0);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0.0, dia = 0.0;
    for (let i = 0; i < nn; i++) { dia += ld(a, i * nn + i) * ld(a, i * nn + i); for (let j = 0; j < i; j++) off += ld(a, i * nn + j) * ld(a, i * nn + j); }
    if (!(off > 1e-32 * dia)) break;
    for (let pp = 0; pp < nn; pp++) for (let qq = pp + 1; qq < nn; qq++) {
      const apq = ld(a, pp * nn + qq);
      if (apq == 0) continue;
      const th = (ld(a, qq * nn + qq) - ld(a, pp * nn + pp)) / (2 * apq);
      const t = (th >= 0 ? 1.0 : -1.0) / (Math.abs(th) + Math.sqrt(th * th + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < nn; k++) {
        const akp = ld(a, k * nn + pp), akq = ld(a, k * nn + qq);
        st(a, k * nn + pp, c * akp - s * akq); st(a, k * nn + qq, s * akp + c * akq);
      }
      for (let k = 0; k < nn; k++) {
        const apk = ld(a, pp * nn + k), aqk = ld(a, qq * nn + k);
        st(a, pp * nn + k, c * apk - s * aqk); st(a, qq * nn + k, s * apk + c * aqk);
      }
      for (let k = 0; k < nn; k++) {
        const vkp = ld(v, k * nn + pp), vkq = ld(v, k * nn + qq);
        st(v, k * nn + pp, c * vkp - s * vkq); st(v, k * nn + qq, s * vkp + c * vkq);
      }
    }
  }
}
let gh: usize = 0; // gradient at x + h e_i

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
    const hi = 1e-6 * Math.max(Math.abs(xi), 0.1);
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
  if (!(sy > 1e-10 * Math.sqrt(ss * yy) && sHs > 0)) return false;
  for (let i = 0; i < nth; i++) for (let j = 0; j < nth; j++)
    st(H, i * nth + j, ld(H, i * nth + j) + ld(yv, i) * ld(yv, j) / sy - ld(Hs, i) * ld(Hs, j) / sHs);
  return true;
}

/** dir = the eigen-modified Newton step from gr with the Hessian's eigen-decomposition in Hd (diagonal) and Ev:
 * |lambda| (floored at 1e-9 of the largest) on every eigen-direction, and a push along directions of negative
 * curvature (dirNegCurv). Returns the decrement -g'dir. */
let dirNegCurv = false;
function newtonDirection(mask: i32, xn: f64): f64 {
  let lmax = 0.0;
  for (let k = 0; k < nth; k++) lmax = Math.max(lmax, Math.abs(ld(Hd, k * nth + k)));
  const lfloor = 1e-9 * lmax + 1e-300;
  dirNegCurv = false;
  for (let i = 0; i < nth; i++) st(dir, i, 0);
  for (let k = 0; k < nth; k++) {
    const l = ld(Hd, k * nth + k);
    let c = 0.0;
    for (let i = 0; i < nth; i++) c += ld(Ev, i * nth + k) * ld(gr, i);
    let sk = -c / Math.max(Math.abs(l), lfloor);
    if (l < -1e-6 * lmax) {
      dirNegCurv = true;
      const push = 0.1 * xn;
      if (Math.abs(sk) < push) sk = c > 0 ? -push : push;
    }
    for (let i = 0; i < nth; i++) st(dir, i, ld(dir, i) + sk * ld(Ev, i * nth + k));
  }
  let dec = 0.0;
  for (let i = 0; i < nth; i++) { if ((mask >> i) & 1) st(dir, i, 0); dec -= ld(gr, i) * ld(dir, i); }
  return dec;
}
let coordScale: usize = 0; // nth: each gradient element's terms' scale, after gradientScale()
let xScale: usize = 0; // nth: coordScale at newton's current x

/** Newton on the analytic gradient, Hessian by forward differences of the gradient (nth extra gradients per
 * iteration), Levenberg damping when it is not positive definite, Armijo backtracking. Works over all of
 * R^nth (the criterion is invariant to column sign flips of Lambda: every optimum, also one with a diagonal
 * at its bound 0, is a stationary point there); the bounds are applied by canonicalise / the boundary snap.
 * mask bit i set = coordinate i fixed. Converged (newtonOk) when the Newton decrement is below NEWTON_DEC_TOL
 * (1 + |f|), after one more (full) Newton step from there (quadratic convergence: f is then exact to roundoff).
 * At most maxIter iterations of nth + 41 gradient evaluations each: the work is bounded by the problem. */
let newtonOk = false;


/** Largest |v_i| over the free coordinates. */
function gnorm(v: usize, mask: i32): f64 {
  let m = 0.0;
  for (let i = 0; i < nth; i++) if (!((mask >> i) & 1)) m = Math.max(m, Math.abs(ld(v, i)));
  return m;
}
/** The gradient's size at newton's return, relative to its scale (max |g_i| / gradientScale()). */
let newtonGrel: f64 = Infinity;
export function newton(x: usize, mask: i32, maxIter: i32): f64 {
  let f = gradient(x, gr);
  newtonOk = false;
  newtonGrel = Infinity;
  if (!isFinite(f)) return f;
  let gsc = gradientScale(); // at x
  copyVec(xScale, coordScale);
  let needFD = true; // H is refreshed by finite differences, else carried by BFGS updates
  for (let it = 0; it < maxIter; it++) {
    for (let i = 0; i < nth; i++) if ((mask >> i) & 1) st(gr, i, 0);
    const fresh = needFD;
    if (needFD) hessianFD(x, mask);
    // eigen-modified Newton: |lambda| (floored) on every eigen-direction, and a push along directions of
    // negative curvature (F is even in the diagonal of Lambda's last column: theta there = 0 is an invariant
    // plane, a saddle when its curvature is negative, and the gradient alone never leaves it)
    let hdm = 0.0;
    for (let i = 0; i < nth; i++) if (!((mask >> i) & 1)) hdm = Math.max(hdm, Math.abs(ld(H, i * nth + i)));
    for (let i = 0; i < nth; i++) if ((mask >> i) & 1) st(H, i * nth + i, hdm > 0 ? hdm : 1.0);
    for (let i = 0; i < nth * nth; i++) st(Hd, i, ld(H, i));
    jacobi(Hd, Ev, nth);
    let xn = 1.0;
    for (let i = 0; i < nth; i++) xn = Math.max(xn, Math.abs(ld(x, i)));
    let dec = newtonDirection(mask, xn);
    const negCurv = dirNegCurv;
    if (!negCurv && dec < NEWTON_DEC_TOL * (1 + Math.abs(f))) {
      // converged on a BFGS Hessian: confirm with a finite-difference one (curvature signs, decrement)
      if (!fresh) { needFD = true; continue; }
      // converged: one last full step, kept unless it is worse (f is flat to roundoff there: a step that
      // leaves f equal to roundoff but makes the gradient smaller is taken too, so that theta is resolved in
      // flat directions independently of roundoff in f); done when the gradient is well inside the
      // certificate's tolerance, else (a flat valley, where the decrement is small before the gradient is)
      // on with fresh Hessians
      for (let c = 0; c < 4; c++) {
        for (let i = 0; i < nth; i++) st(xt, i, ld(x, i) + ld(dir, i));
        const ft = gradient(xt, gt);
        const gprev = gnorm(gr, mask), grelPrev = relGradient(gr, mask, xScale, gsc);
        const take = ft <= f || (ft <= f + F_NOISE * Math.abs(f) && gnorm(gt, mask) < gprev);
        if (take) { for (let i = 0; i < nth; i++) { st(x, i, ld(xt, i)); st(gr, i, ld(gt, i)); } f = ft; gsc = gradientScale(); copyVec(xScale, coordScale); }
        newtonGrel = relGradient(gr, mask, xScale, gsc);
        // done when certified and the step was itself small (theta resolved: the next would be its square;
        // in a flat direction a certified gradient alone still allows the df to be off in the 5th digit);
        // stop when a step no longer shrinks the relative gradient tenfold (roundoff, or a boundary at
        // theta = 0, where the gradient and its scale vanish together: the boundary test's case)
        let stepRel = 0.0;
        for (let i = 0; i < nth; i++) stepRel = Math.max(stepRel, Math.abs(ld(dir, i)) / Math.max(Math.abs(ld(x, i)), 1e-3 * xn));
        if (!take || (newtonGrel <= CERT_GRAD_RTOL && stepRel <= NEWTON_STEP_RTOL) || newtonGrel > 0.1 * grelPrev) { newtonOk = true; return f; }
        newtonDirection(mask, xn); // a chord step: the same Hessian, one gradient
      }
      needFD = true;
      continue;
    }
    // line search (steps capped at 4 max(1, |x|) in the sup norm)
    let dn = 0.0;
    for (let i = 0; i < nth; i++) dn = Math.max(dn, Math.abs(ld(dir, i)));
    let alpha = dn > 4 * xn ? 4 * xn / dn : 1.0;
    let accepted = false;
    // in a valley flat to roundoff in f (a correlation near +-1), a step that leaves f within its roundoff
    // and makes the gradient smaller is progress too (the certificate measures the gradient)
    const fnoise = F_NOISE * (1 + Math.abs(f)), g0 = gnorm(gr, mask);
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < nth; i++) st(xt, i, ld(x, i) + alpha * ld(dir, i));
      const ft = gradient(xt, gt);
      if (ft < f - 1e-4 * alpha * dec || (ls > 0 && ft < f) || (ft <= f + fnoise && gnorm(gt, mask) < g0)) {
        // BFGS update of H after a full, positive-curvature step; else a finite-difference Hessian next time
        needFD = !(ls == 0 && !negCurv && bfgsUpdate(x, mask));
        for (let i = 0; i < nth; i++) { st(x, i, ld(xt, i)); st(gr, i, ld(gt, i)); }
        f = ft;
        gsc = gradientScale();
        copyVec(xScale, coordScale);
        accepted = true;
        break;
      }
      alpha *= 0.5;
    }
    if (accepted) {
      let big = 0.0;
      for (let i = 0; i < nth; i++) big = Math.max(big, Math.abs(ld(x, i)));
      if ((thetaCap && big > THETA_MAX_Q2) || pwrss <= pwrssFloor) { diverged = true; newtonOk = false; return f; }
    }
    newtonGrel = relGradient(gr, mask, xScale, gsc);
    if (!accepted) { newtonOk = !negCurv && dec < 1e-9 * (1 + Math.abs(f)); return f; }
  }
  return f;
}

/** Is a diagonal of a column with off-diagonal elements ~0 relative to theta? */
function ridge(x: usize): bool {
  if (diagCov) return false;
  let xn = 0.0;
  for (let i = 0; i < nth; i++) xn = Math.max(xn, Math.abs(ld(x, i)));
  let idx = 0;
  for (let j = 0; j < q - 1; j++) {
    if (Math.abs(ld(x, idx)) < 1e-2 * xn) return true;
    idx += q - j;
  }
  return false;
}

function setStart(x: usize, sc: f64): void {
  let idx = 0;
  if (diagCov) { for (let i = 0; i < nth; i++) st(x, i, sc); }
  else for (let j = 0; j < q; j++) for (let k = j; k < q; k++) { st(x, idx, k == j ? sc : 0.0); idx++; }
}

/** Scales of the restarts. (No array literal: under the stub runtime it would be allocated on every call,
 * from the same heap the arena in mem.ts hands out, and grow until it ran out of memory.) */
function restartScale(r: i32): f64 {
  return r == 0 ? 0.25 : r == 1 ? 4.0 : r == 2 ? 0.05 : 20.0;
}
const RESTARTS: i32 = 4;

function copyVec(dst: usize, src: usize): void { for (let i = 0; i < nth; i++) st(dst, i, ld(src, i)); }

/** The largest sum of a gradient element's terms, |d F / d theta_i| + dfr |d P / d theta_i| / P (F = log|L|^2
 * + log|R_X|^2, P the penalised residual), after gradient(). */
function gradientScale(): f64 {
  const dfr = <f64>(useReml ? n - p : n);
  let scale = 0.0;
  for (let i = 0; i < nth; i++) {
    const s = Math.abs(ld(gradL, i)) + dfr * Math.abs(ld(gradP, i)) / pwrss;
    st(coordScale, i, s);
    scale = Math.max(scale, s);
  }
  return scale;
}

/** max_i |g_i| / max(s_i, CERT_SCALE_FLOOR S) over the free coordinates: each element against its own terms'
 * scale s_i (a weakly determined element, e.g. a small slope variance, is held to its own precision), floored
 * at CERT_SCALE_FLOOR x the largest, S (an element at a zero variance, whose terms vanish with it). */
function relGradient(g: usize, mask: i32, scales: usize, scale: f64): f64 {
  let m = 0.0;
  for (let i = 0; i < nth; i++) if (!((mask >> i) & 1)) m = Math.max(m, Math.abs(ld(g, i)) / Math.max(ld(scales, i), CERT_SCALE_FLOOR * scale));
  return m;
}

/** q >= 2 certificate at x: at each diagonal at 0 the criterion does not fall as it leaves 0 (its gradient
 * at x + h e_i, h = CERT_BOUNDARY_STEP max(1, |x|), not below -CERT_GRAD_RTOL x the scale there), and
 * every |d criterion / d theta_i| <= CERT_GRAD_RTOL x the largest gradient scale seen (gradientScale at x
 * and at those points: at theta = 0 every term vanishes with the gradient). Leaves lastGrad. */
function certifiedGeneral(x: usize): bool {
  const f = gradient(x, gr);
  if (!isFinite(f)) return false;
  copyVec(lastGrad, gr);
  let scale = gradientScale();
  copyVec(xScale, coordScale);
  let xn = 1.0;
  for (let i = 0; i < nth; i++) xn = Math.max(xn, Math.abs(ld(x, i)));
  for (let i = 0; i < nth; i++) {
    if (!isDiag(i) || ld(x, i) != 0) continue;
    copyVec(xs, x);
    st(xs, i, CERT_BOUNDARY_STEP * xn);
    gradient(xs, gh);
    const si = gradientScale();
    if (!(ld(gh, i) >= -CERT_GRAD_RTOL * Math.max(scale, si))) return false;
    scale = Math.max(scale, si);
  }
  lastGradScale = scale;
  return relGradient(lastGrad, 0, xScale, scale) <= CERT_GRAD_RTOL;
}

/** Is a candidate (criterion fr, relative gradient gr_) better than the current (f, g)? Lower beyond the
 * criterion's roundoff, or level with it and nearer stationarity (roundoff can favour a point short of
 * the optimum in a valley flat to it). */
function better(fr: f64, grr: f64, f: f64, g: f64): bool {
  if (!isFinite(f)) return isFinite(fr);
  const noise = F_NOISE * (1 + Math.abs(f));
  return fr < f - noise || (fr <= f + noise && grr < g);
}

/** Newton from lme4's start; the other scaled starts when it fails or ends near a ridge. */
function searchGeneral(x: usize): f64 {
  setStart(x, 0.0);
  criterion(x); // (kept from the exact-fit test: theta = 0's)
  setStart(x, Math.max(momentStart(pwrss, 1.0), 1.0));
  let f = newton(x, 0, 100);
  if (diverged) return f;
  let conv = newtonOk, g = newtonGrel;
  // A diagonal of a column other than the last one near 0 (e.g. the intercept variance with a non-zero slope
  // variance) can be a separate local optimum along a flat ridge: then the other starts are tried as well.
  if (!conv || !isFinite(f) || ridge(x)) {
    for (let r = 0; r < 3; r++) {
      setStart(xt2, restartScale(r));
      const fr = newton(xt2, 0, 100);
      if (better(fr, newtonGrel, f, g)) { f = fr; g = newtonGrel; conv = newtonOk; copyVec(x, xt2); }
      if (conv) break;
    }
  }
  canonicalise(x);
  return f;
}

/** The exact boundary test: every diagonal that went to ~0 is refitted at 0 (that coordinate fixed) and
 * kept there when no worse and certified (a tie within 1e-11 for a diagonal below 1e-4). */
function snapBoundary(x: usize, f: f64): f64 {
  let xn = 0.0;
  for (let i = 0; i < nth; i++) xn = Math.max(xn, Math.abs(ld(x, i)));
  for (let i = 0; i < nth; i++) {
    if (!isDiag(i)) continue;
    const xi = ld(x, i);
    const tiny = Math.abs(xi) < 1e-4;
    if (xi == 0 || !(tiny || Math.abs(xi) < 0.1 * xn)) continue;
    copyVec(saveBuf, x);
    st(x, i, 0);
    const fs = newton(x, 1 << i, 100);
    canonicalise(x);
    if ((tiny ? fs <= f + 1e-11 * Math.abs(f) : fs <= f) && certifiedGeneral(x)) f = fs;
    else copyVec(x, saveBuf);
  }
  return f;
}

/** Fallback when the certificate fails: the scaled starts and each boundary face (a diagonal fixed at 0),
 * the lowest criterion kept. */
function restartGeneral(x: usize, f: f64, g: f64): f64 {
  for (let r = 0; r < RESTARTS + nth; r++) {
    setStart(xt2, r < RESTARTS ? restartScale(r) : 1.0);
    let mask = 0;
    if (r >= RESTARTS) {
      const i = r - RESTARTS;
      if (!isDiag(i)) continue;
      st(xt2, i, 0);
      mask = 1 << i;
    }
    diverged = false;
    const fr = newton(xt2, mask, 100);
    if (!diverged && better(fr, newtonGrel, f, g)) { f = fr; g = newtonGrel; copyVec(x, xt2); canonicalise(x); }
  }
  diverged = false;
  return f;
}

/** q >= 2: search, boundary test, certificate; on failure restarts, then the certificate again. */
export function optimGeneral(x: usize): f64 {
  lastConverged = false;
  lastReason = REASON_NONE;
  diverged = false;
  let f = searchGeneral(x);
  if (diverged) { canonicalise(x); lastReason = REASON_NO_MAXIMUM; return criterion(x); }
  f = snapBoundary(x, f);
  let ok = certifiedGeneral(x);
  if (!ok) {
    f = restartGeneral(x, f, lastGradScale > 0 ? gnorm(lastGrad, 0) / lastGradScale : Infinity);
    f = snapBoundary(x, f);
    ok = certifiedGeneral(x);
  }
  lastConverged = ok;
  if (!ok) lastReason = REASON_NOT_CERTIFIED;
  return criterion(x);
}
