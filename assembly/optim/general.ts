// q >= 2: the search from lme4's start (and the scaled restarts), the exact boundary test, the certificate,
// and the fallback over restarts and boundary faces when it fails.
import { ld, st, allocF64 } from "../mem";
import { criterion, nth, q, diagCov, pwrss } from "../criterion/reml";
import { F_NOISE, SINGULAR_THETA, RIDGE_RTOL, SNAP_RTOL, NEWTON_MAX_ITER } from "../tolerances";
import { Reason } from "../../src/kernel/abi";
import { newton, newtonOk, newtonGrel, diverged, clearDiverged } from "./newton";
import { certifiedGeneral } from "./certificate";
import { isDiag, canonicalise, copyVec, gnorm } from "./theta";
import { momentStart, setStart, restartScale, RESTARTS } from "./start";
import { lastGrad, lastGradScale, setOutcome } from "./outcome";

let xt2: usize = 0; // a restart's point
let saveBuf: usize = 0; // theta before a boundary try
export function setupGeneral(): void { xt2 = allocF64(nth); saveBuf = allocF64(nth); }

/** Is a diagonal of a column with off-diagonal elements ~0 relative to theta? */
function ridge(x: usize): bool {
  if (diagCov) return false;
  let xn = 0.0;
  for (let i = 0; i < nth; i++) xn = Math.max(xn, Math.abs(ld(x, i)));
  let idx = 0;
  for (let j = 0; j < q - 1; j++) {
    if (Math.abs(ld(x, idx)) < RIDGE_RTOL * xn) return true;
    idx += q - j;
  }
  return false;
}

/** Is a candidate (criterion fr, relative gradient grr) better than the current (f, g)? Lower beyond the
 * criterion's roundoff, or level with it and nearer stationarity (roundoff can favour a point short of
 * the optimum in a valley flat to it). */
function better(fr: f64, grr: f64, f: f64, g: f64): bool {
  if (!isFinite(f)) return isFinite(fr);
  const noise = F_NOISE * (1 + Math.abs(f));
  return fr < f - noise || (fr <= f + noise && grr < g);
}

/** Newton from lme4's start (scaled by the moments); the other scaled starts when it fails or ends near a ridge. */
function searchGeneral(x: usize): f64 {
  setStart(x, 0.0);
  criterion(x); // (kept from the exact-fit test: theta = 0's)
  setStart(x, Math.max(momentStart(pwrss, 1.0), 1.0));
  let f = newton(x, 0, NEWTON_MAX_ITER);
  if (diverged) return f;
  let conv = newtonOk, g = newtonGrel;
  // A diagonal of a column other than the last one near 0 (e.g. the intercept variance with a non-zero slope
  // variance) can be a separate local optimum along a flat ridge: then the other starts are tried as well.
  if (!conv || !isFinite(f) || ridge(x)) {
    for (let r = 0; r < 3; r++) {
      setStart(xt2, restartScale(r));
      const fr = newton(xt2, 0, NEWTON_MAX_ITER);
      if (better(fr, newtonGrel, f, g)) { f = fr; g = newtonGrel; conv = newtonOk; copyVec(x, xt2); }
      if (conv) break;
    }
  }
  canonicalise(x);
  return f;
}

/** The exact boundary test: every diagonal that went to ~0 is refitted at 0 (that coordinate fixed) and
 * kept there when no worse and certified (a tie within F_NOISE for a diagonal below SINGULAR_THETA). */
function snapBoundary(x: usize, f: f64): f64 {
  let xn = 0.0;
  for (let i = 0; i < nth; i++) xn = Math.max(xn, Math.abs(ld(x, i)));
  for (let i = 0; i < nth; i++) {
    if (!isDiag(i)) continue;
    const xi = ld(x, i);
    const tiny = Math.abs(xi) < SINGULAR_THETA;
    if (xi == 0 || !(tiny || Math.abs(xi) < SNAP_RTOL * xn)) continue;
    copyVec(saveBuf, x);
    st(x, i, 0);
    const fs = newton(x, 1 << i, NEWTON_MAX_ITER);
    canonicalise(x);
    if ((tiny ? fs <= f + F_NOISE * Math.abs(f) : fs <= f) && certifiedGeneral(x)) f = fs;
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
    clearDiverged();
    const fr = newton(xt2, mask, NEWTON_MAX_ITER);
    if (!diverged && better(fr, newtonGrel, f, g)) { f = fr; g = newtonGrel; copyVec(x, xt2); canonicalise(x); }
  }
  clearDiverged();
  return f;
}

/** q >= 2: search, boundary test, certificate; on failure restarts, then the certificate again. Writes theta
 * to x; returns the criterion there (diverged: no maximum). */
export function optimGeneral(x: usize): f64 {
  setOutcome(false, Reason.NONE);
  clearDiverged();
  let f = searchGeneral(x);
  if (diverged) { canonicalise(x); setOutcome(false, Reason.NO_MAXIMUM); return criterion(x); }
  f = snapBoundary(x, f);
  let ok = certifiedGeneral(x);
  if (!ok) {
    f = restartGeneral(x, f, lastGradScale > 0 ? gnorm(lastGrad, 0) / lastGradScale : Infinity);
    f = snapBoundary(x, f);
    ok = certifiedGeneral(x);
  }
  setOutcome(ok, ok ? Reason.NONE : Reason.NOT_CERTIFIED);
  return criterion(x);
}
