// Optimisers over theta, run entirely inside WASM.
import { ld, st, allocF64 } from "./mem";
import { chol, fwd, bwd } from "./linalg/chol";
import { yty, gradient, criterion, slopeAtZero, nth, q, diagCov, derivsQ1, dF, dF2, dP, dP2, pwrss, n, p, useReml } from "./reml";

let th1: usize = 0; // 1-vector for q = 1
let xs: usize = 0; // scratch points
let gr: usize = 0;
let H: usize = 0;
let Hd: usize = 0;
let dir: usize = 0;
let xt: usize = 0;
let saveBuf: usize = 0;
let xt2: usize = 0;
export let lastConverged: bool = true;
/** theta beyond this (random-effect sd 1e6 x the residual sd), or a penalised residual below 1e-9 of y'y
 * (sd ratio ~3e4): the criterion decreases without bound along the path (y is explained exactly by X and
 * the random effects, the likelihood has no maximum): stop and report it (status failed). */
const THETA_MAX: f64 = 1e6;
const PWRSS_MIN: f64 = 1e-9;
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
}

function f1(t: f64): f64 {
  st(th1, 0, t);
  return criterion(th1);
}

/** Brent's localmin on [a, b] (R's Brent_fmin). */
function brent(ax: f64, bx: f64, tol: f64, reps: f64): f64 {
  const c = 0.5 * (3.0 - Math.sqrt(5.0));
  const eps = reps;
  let a = ax, b = bx;
  let v = a + c * (b - a);
  let w = v, x = v;
  let d = 0.0, e = 0.0;
  let fx = f1(x);
  let fv = fx, fw = fx;
  const tol3 = tol / 3.0;
  for (let it = 0; it < 200; it++) {
    const xm = (a + b) * 0.5;
    const tol1 = eps * Math.abs(x) + tol3;
    const t2 = tol1 * 2.0;
    if (Math.abs(x - xm) <= t2 - (b - a) * 0.5) break;
    let pp = 0.0, qq = 0.0, rr = 0.0;
    if (Math.abs(e) > tol1) {
      rr = (x - w) * (fx - fv);
      qq = (x - v) * (fx - fw);
      pp = (x - v) * qq - (x - w) * rr;
      qq = (qq - rr) * 2.0;
      if (qq > 0.0) pp = -pp; else qq = -qq;
      rr = e;
      e = d;
    }
    let u: f64;
    if (Math.abs(pp) >= Math.abs(qq * 0.5 * rr) || pp <= qq * (a - x) || pp >= qq * (b - x)) {
      if (x < xm) e = b - x; else e = a - x;
      d = c * e;
    } else {
      d = pp / qq;
      u = x + d;
      if (u - a < t2 || b - u < t2) { d = tol1; if (x >= xm) d = -d; }
    }
    if (Math.abs(d) >= tol1) u = x + d;
    else if (d > 0.0) u = x + tol1;
    else u = x - tol1;
    const fu = f1(u);
    if (fu <= fx) {
      if (u < x) b = x; else a = x;
      v = w; w = x; x = u;
      fv = fw; fw = fx; fx = fu;
    } else {
      if (u < x) a = u; else b = u;
      if (fu <= fw || w == x) { v = w; fv = fw; w = u; fw = fu; }
      else if (fu <= fv || v == x || v == w) { v = u; fv = fu; }
    }
  }
  return x;
}

/** Criterion differences below this (relative) are roundoff: a boundary point that ties an interior one wins. */
const BOUNDARY_FTOL: f64 = 1e-14;

/** q = 1: exact boundary test, grid bracket, Brent. Writes theta to out[0]. */
export function optimQ1(out: usize): f64 {
  lastConverged = true;
  const slope = slopeAtZero(th1);
  const f0 = f1(0);
  if (slope >= 0) { st(out, 0, 0); return f0; }
  // coarse grid in theta (sd ratio), extended at either end while still decreasing
  let best = 0.0, fbest = f0, prev = 0.0, next = 0.0;
  let found = false;
  let lastT = 0.0;
  let t = 1.0 / 16.0;
  for (let k = 0; k < 16; k++) {
    const ft = f1(t);
    if (ft < fbest) { fbest = ft; prev = lastT; best = t; found = true; next = t * 4; }
    else if (found) { next = t; if (t >= 16) break; }
    if (t >= 16 && found && ft >= fbest) break;
    lastT = t;
    t *= 4;
    if (t > 1e6) break;
  }
  if (!found) {
    // minimum below 1/16: shrink towards 0
    next = 1.0 / 16.0;
    t = 1.0 / 64.0;
    for (let k = 0; k < 12; k++) {
      const ft = f1(t);
      if (ft < fbest) { fbest = ft; best = t; found = true; break; }
      next = t;
      t *= 0.25;
    }
    prev = found ? t * 0.25 : 0.0;
    if (found) prev = 0.0;
  }
  // the minimum lies in (prev, next) around the best grid point: find the root of the analytic
  // derivative there (Newton, with bisection whenever a step leaves the bracket): ~5 derivative
  // evaluations resolve theta to ~1e-13; Brent on the criterion below is the fallback
  const xr = newtonQ1(prev, next, best);
  if (xr > prev && xr < next) {
    const fr = f1(xr);
    if (fr <= fbest) {
      if (f0 <= fr + BOUNDARY_FTOL * Math.abs(fr)) { st(out, 0, 0); return f0; }
      st(out, 0, xr);
      return fr;
    }
  }
  const x = brent(prev, next, 1e-10, 1e-7); // coarse: the Newton polish below resolves theta
  let fx = f1(x);
  if (fx > fbest) { // keep the grid point
    fx = f1(best);
    st(out, 0, best);
    return fx;
  }
  if (fx > f0) { st(out, 0, 0); return f1(0); }
  // polish: Newton on the analytic derivative (the criterion itself is flat to roundoff near the optimum,
  // its derivative is not), so theta is resolved to ~1e-12 instead of ~sqrt(eps)
  let xb = x, fb = fx;
  const dfr = <f64>(useReml ? n - p : n);
  for (let it = 0; it < 6; it++) {
    st(th1, 0, xb);
    derivsQ1(th1);
    const P = pwrss;
    const g = dF + dfr * dP / P;
    const h = dF2 + dfr * (dP2 / P - (dP / P) * (dP / P));
    if (!(h > 0)) break;
    let step = -g / h;
    if (Math.abs(step) > 0.02 * xb) break;
    const xn = xb + step;
    if (!(xn > 0)) break;
    const fn = f1(xn);
    if (fn > fb + 1e-13 * Math.abs(fb)) break;
    xb = xn; fb = fn;
    if (Math.abs(step) <= 1e-13 * xb) break;
  }
  // An interior point no better than theta = 0 beyond roundoff is the boundary (the slope at 0 was
  // negative only by roundoff): report the exact zero, as lme4 would find it, not theta ~ 1e-9.
  if (f0 <= fb + BOUNDARY_FTOL * Math.abs(fb)) { st(out, 0, 0); return f0; }
  st(out, 0, xb);
  return fb;
}

/** The criterion's derivative in theta (q = 1) and its second derivative, at x > 0. */
let gQ1: f64 = 0, hQ1: f64 = 0;
function derivQ1At(x: f64): void {
  st(th1, 0, x);
  derivsQ1(th1);
  const P = pwrss;
  const dfr = <f64>(useReml ? n - p : n);
  gQ1 = dF + dfr * dP / P;
  hQ1 = dF2 + dfr * (dP2 / P - (dP / P) * (dP / P));
}

/** Safeguarded Newton for the root of the derivative in (lo, hi), from x0; NaN when it fails. */
function newtonQ1(lo: f64, hi: f64, x0: f64): f64 {
  let x = x0;
  let seenNeg = lo == 0, seenPos = false; // is there a sign change of the derivative in the bracket?
  for (let it = 0; it < 40; it++) {
    if (it == 4 && !(seenNeg && seenPos)) {
      // still one-sided after a few steps: check the far end once, and leave it to Brent when the
      // derivative does not change sign in the bracket (a criterion flat to roundoff, theta -> infinity)
      derivQ1At(seenNeg ? hi : lo);
      if (!isFinite(gQ1) || (seenNeg ? !(gQ1 > 0) : !(gQ1 < 0))) return NaN;
      seenNeg = seenPos = true;
    }
    derivQ1At(x);
    if (!isFinite(gQ1)) return NaN;
    if (gQ1 == 0) return x;
    if (gQ1 < 0) { lo = x; seenNeg = true; } else { hi = x; seenPos = true; } // the minimum lies where the criterion decreases
    let xn = hQ1 > 0 ? x - gQ1 / hQ1 : NaN;
    if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
    if (Math.abs(xn - x) <= 1e-13 * x || hi - lo <= 1e-13 * hi) return xn;
    x = xn;
  }
  return NaN;
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

/** Newton on the analytic gradient, Hessian by forward differences of the gradient (nth extra gradients per
 * iteration), Levenberg damping when it is not positive definite, Armijo backtracking. Works over all of
 * R^nth (the criterion is invariant to column sign flips of Lambda: every optimum, also one with a diagonal
 * at its bound 0, is a stationary point there); the bounds are applied by canonicalise / the boundary snap.
 * mask bit i set = coordinate i fixed. Converged when the Newton decrement is below 1e-13 (1 + |f|), after
 * one more (full) Newton step from there (quadratic convergence: f is then exact to roundoff). */
export function newton(x: usize, mask: i32, maxIter: i32): f64 {
  let f = gradient(x, gr);
  lastConverged = false;
  if (!isFinite(f)) return f;
  let needFD = true; // H is refreshed by finite differences, else carried by BFGS updates
  for (let it = 0; it < maxIter; it++) {
    for (let i = 0; i < nth; i++) if ((mask >> i) & 1) st(gr, i, 0);
    const fresh = needFD;
    if (needFD) {
    // Hessian: forward differences of the analytic gradient
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
    // eigen-modified Newton: |lambda| (floored) on every eigen-direction, and a push along directions of
    // negative curvature (F is even in the diagonal of Lambda's last column: theta there = 0 is an invariant
    // plane, a saddle when its curvature is negative, and the gradient alone never leaves it)
    let hdm = 0.0;
    for (let i = 0; i < nth; i++) if (!((mask >> i) & 1)) hdm = Math.max(hdm, Math.abs(ld(H, i * nth + i)));
    for (let i = 0; i < nth; i++) if ((mask >> i) & 1) st(H, i * nth + i, hdm > 0 ? hdm : 1.0);
    for (let i = 0; i < nth * nth; i++) st(Hd, i, ld(H, i));
    jacobi(Hd, Ev, nth);
    let lmax = 0.0;
    for (let k = 0; k < nth; k++) lmax = Math.max(lmax, Math.abs(ld(Hd, k * nth + k)));
    const lfloor = 1e-9 * lmax + 1e-300;
    let xn = 1.0;
    for (let i = 0; i < nth; i++) xn = Math.max(xn, Math.abs(ld(x, i)));
    let negCurv = false;
    for (let i = 0; i < nth; i++) st(dir, i, 0);
    for (let k = 0; k < nth; k++) {
      const l = ld(Hd, k * nth + k);
      let c = 0.0;
      for (let i = 0; i < nth; i++) c += ld(Ev, i * nth + k) * ld(gr, i);
      let sk = -c / Math.max(Math.abs(l), lfloor);
      if (l < -1e-6 * lmax) {
        negCurv = true;
        const push = 0.1 * xn;
        if (Math.abs(sk) < push) sk = c > 0 ? -push : push;
      }
      for (let i = 0; i < nth; i++) st(dir, i, ld(dir, i) + sk * ld(Ev, i * nth + k));
    }
    let dec = 0.0;
    for (let i = 0; i < nth; i++) { if ((mask >> i) & 1) st(dir, i, 0); dec -= ld(gr, i) * ld(dir, i); }
    if (!negCurv && dec < 1e-13 * (1 + Math.abs(f))) {
      // converged on a BFGS Hessian: confirm with a finite-difference one (curvature signs, decrement)
      if (!fresh) { needFD = true; continue; }
      // converged: one last full step (no gradient needed), kept unless it is worse
      // (f is flat to roundoff there: a step that leaves f equal to roundoff (1e-13) but makes the gradient smaller is
      // taken too, so that theta is resolved in flat directions independently of roundoff in f)
      for (let i = 0; i < nth; i++) st(xt, i, ld(x, i) + ld(dir, i));
      const ft = gradient(xt, gt);
      let g0 = 0.0, g1 = 0.0;
      for (let i = 0; i < nth; i++) if (!((mask >> i) & 1)) { g0 += ld(gr, i) * ld(gr, i); g1 += ld(gt, i) * ld(gt, i); }
      if (ft <= f || (ft <= f + 1e-13 * Math.abs(f) && g1 < g0)) { for (let i = 0; i < nth; i++) st(x, i, ld(xt, i)); f = ft; }
      lastConverged = true;
      return f;
    }
    // line search (steps capped at 4 max(1, |x|) in the sup norm)
    let dn = 0.0;
    for (let i = 0; i < nth; i++) dn = Math.max(dn, Math.abs(ld(dir, i)));
    let alpha = dn > 4 * xn ? 4 * xn / dn : 1.0;
    let accepted = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < nth; i++) st(xt, i, ld(x, i) + alpha * ld(dir, i));
      const ft = gradient(xt, gt);
      if (ft < f - 1e-4 * alpha * dec || (ls > 0 && ft < f)) {
        // BFGS update of H after a full, positive-curvature step; else a finite-difference Hessian next time
        needFD = true;
        if (ls == 0 && !negCurv) {
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
          if (sy > 1e-10 * Math.sqrt(ss * yy) && sHs > 0) {
            for (let i = 0; i < nth; i++) for (let j = 0; j < nth; j++)
              st(H, i * nth + j, ld(H, i * nth + j) + ld(yv, i) * ld(yv, j) / sy - ld(Hs, i) * ld(Hs, j) / sHs);
            needFD = false;
          }
        }
        for (let i = 0; i < nth; i++) { st(x, i, ld(xt, i)); st(gr, i, ld(gt, i)); }
        f = ft;
        accepted = true;
        break;
      }
      alpha *= 0.5;
    }
    if (accepted) {
      let big = 0.0;
      for (let i = 0; i < nth; i++) big = Math.max(big, Math.abs(ld(x, i)));
      if (big > THETA_MAX || pwrss < PWRSS_MIN * yty) { diverged = true; lastConverged = false; return f; }
    }
    if (!accepted) { lastConverged = !negCurv && dec < 1e-9 * (1 + Math.abs(f)); return f; }
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

/** q >= 2: Newton from lme4's start (restarts only when it fails to converge), canonicalise, then an
 * exact boundary test for every diagonal that went to ~0 (refit with it fixed at 0, keep if no worse). */
/** Scales of the restarts. (No array literal: under the stub runtime it would be allocated on every call,
 * from the same heap the arena in mem.ts hands out, and grow until it ran out of memory.) */
function restartScale(r: i32): f64 {
  return r == 0 ? 0.25 : r == 1 ? 4.0 : 0.05;
}

export function optimGeneral(x: usize): f64 {
  setStart(x, 1.0);
  diverged = false;
  let f = newton(x, 0, 100);
  let conv = lastConverged;
  if (diverged) { lastConverged = false; canonicalise(x); return criterion(x); }
  // A diagonal of a column other than the last one near 0 (e.g. the intercept variance with a non-zero slope
  // variance) can be a separate local optimum along a flat ridge: then the other starts are tried as well.
  const rdg = ridge(x);
  if (!conv || !isFinite(f) || rdg) {
    for (let r = 0; r < 3; r++) {
      setStart(xt2, restartScale(r));
      const fr = newton(xt2, 0, 100);
      if (fr < f || !isFinite(f)) { f = fr; conv = lastConverged; for (let i = 0; i < nth; i++) st(x, i, ld(xt2, i)); }
      if (conv) break;
    }
  }
  canonicalise(x);
  let xn = 0.0;
  for (let i = 0; i < nth; i++) xn = Math.max(xn, Math.abs(ld(x, i)));
  for (let i = 0; i < nth; i++) {
    if (!isDiag(i)) continue;
    const xi = ld(x, i);
    const tiny = Math.abs(xi) < 1e-4;
    if (xi == 0 || !(tiny || Math.abs(xi) < 0.1 * xn)) continue;
    const save = saveBuf;
    for (let k = 0; k < nth; k++) st(save, k, ld(x, k));
    st(x, i, 0);
    const fs = newton(x, 1 << i, 100);
    if (tiny ? fs <= f + 1e-11 * Math.abs(f) : fs <= f) { f = fs; conv = conv || lastConverged; }
    else { for (let k = 0; k < nth; k++) st(x, k, ld(save, k)); }
    canonicalise(x);
  }
  lastConverged = conv;
  f = criterion(x);
  return f;
}
