// q = 1: Newton on the criterion's derivative in log(theta) over the whole half-line, an exact boundary test
// at theta = 0, the certificate, and a dense profile scan as the fallback.
import { st, allocF64 } from "../mem";
import { criterion, criterionFromState, slopeAtZero, derivsQ1, dF, dF2, dP, dP2, dFabs, pwrss, n, p, useReml, evalOk } from "../criterion/reml";
import { CERT_GRAD_RTOL, Q1_LOG_XTOL, Q1_LOG_EXPAND, Q1_SCAN_POINTS, Q1_SCAN_LOW, Q1_SCAN_HIGH, Q1_MAX_ITER, Q1_START_LOW,
  BOUNDARY_FTOL } from "../tolerances";
import { Reason } from "../../src/kernel/abi";
import { momentStart } from "./start";
import { lastGrad, setOutcome, setGradScale } from "./outcome";

let th1: usize = 0; // the 1-vector theta
export function setupQ1(): void { th1 = allocF64(1); }

/** The largest theta resolvable for the current response (set by the batch from its residual). */
let thetaBound: f64 = Infinity;
export function setThetaBound(b: f64): void { thetaBound = b; }

function f1(t: f64): f64 {
  st(th1, 0, t);
  return criterion(th1);
}

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
  for (let it = 0; it < Q1_MAX_ITER; it++) {
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
  setGradScale(sU);
  return Math.abs(gU) <= CERT_GRAD_RTOL * sU;
}

/** Fallback: the criterion on Q1_SCAN_POINTS thetas evenly spaced in log from Q1_SCAN_LOW to the bound,
 * then Newton in the bracket around the best. */
function scanQ1(): f64 {
  const hiT = Math.min(thetaBound, Q1_SCAN_HIGH);
  const du = (Math.log(hiT) - Math.log(Q1_SCAN_LOW)) / <f64>(Q1_SCAN_POINTS - 1);
  let kb = 0, fb = Infinity;
  for (let k = 0; k < Q1_SCAN_POINTS; k++) {
    const fk = f1(Q1_SCAN_LOW * Math.exp(du * <f64>k));
    if (fk < fb) { fb = fk; kb = k; }
  }
  const xb = Q1_SCAN_LOW * Math.exp(du * <f64>kb);
  return newtonLogQ1(xb, kb == 0 ? 0.0 : xb * Math.exp(-du), kb == Q1_SCAN_POINTS - 1 ? Infinity : xb * Math.exp(du));
}

/** q = 1: exact boundary test at theta = 0, Newton in log(theta) from the moments' start, the certificate,
 * the dense scan when it fails. Writes theta to out[0]; returns the criterion (NaN: no optimum resolvable). */
export function optimQ1(out: usize): f64 {
  setOutcome(false, Reason.NONE);
  setGradScale(0);
  st(lastGrad, 0, 0);
  const slope = slopeAtZero(th1); // d criterion / d theta^2 at 0+; the state is theta = 0's
  const f0 = criterionFromState();
  const P0 = pwrss;
  if (!evalOk) { st(out, 0, 0); setOutcome(false, Reason.NOT_CERTIFIED); return f0; }
  if (slope >= 0) { st(out, 0, 0); setOutcome(true, Reason.NONE); return f0; } // cannot decrease into the interior
  let x = newtonLogQ1(Math.min(momentStart(P0, Q1_START_LOW), thetaBound), 0.0, Infinity); // (the slope at 0 is negative: above 0)
  let ok = x > 0 && certifiedQ1();
  if (!ok && !beyond) { x = scanQ1(); ok = x > 0 && certifiedQ1(); }
  if (beyond) { st(out, 0, NaN); setOutcome(false, Reason.BEYOND_RESOLVABLE); return NaN; }
  if (!(x > 0)) { st(out, 0, 0); setOutcome(false, Reason.NOT_CERTIFIED); return f1(0); }
  st(lastGrad, 0, gTheta);
  const fx = f1(x);
  // An interior point no better than theta = 0 beyond roundoff is the boundary (the slope at 0 was
  // negative only by roundoff): report the exact zero, as lme4 would find it, not theta ~ 1e-9.
  if (f0 <= fx + BOUNDARY_FTOL * Math.abs(fx)) { st(out, 0, 0); st(lastGrad, 0, 0); setOutcome(ok, Reason.NONE); return f1(0); }
  st(out, 0, x);
  setOutcome(ok, ok ? Reason.NONE : Reason.NOT_CERTIFIED);
  return fx;
}
