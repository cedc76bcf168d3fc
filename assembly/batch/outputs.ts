// The output writer: every per-feature result array of the batch (its address from the header), the
// estimates of a fitted feature and the one failure path. A new output column: a Field (src/kernel/abi.ts),
// its address read in setOutputs, its value written here, and its row in src/kernel/outputs.ts.
import { ld, st, sti } from "../mem";
import { Field, Status, Reason } from "../../src/kernel/abi";
import * as R from "../criterion/reml";
import * as Y from "../criterion/response";
import { isDiag, lastGrad } from "../optim/index";
import { SINGULAR_THETA } from "../tolerances";
import { addr } from "./header";
import { ranef } from "./ranef";

// feature-major; oVcov / oRanef / oCondVar / oObj may be 0 (not wanted)
let oBeta: usize = 0, oSe: usize = 0, oDf: usize = 0, oCov: usize = 0, oScale: usize = 0, oLL: usize = 0, oTheta: usize = 0;
let oConv: usize = 0, oSing: usize = 0, oIter: usize = 0, oStatus: usize = 0, oReason: usize = 0, oGrad: usize = 0;
let oVcov: usize = 0, oRanef: usize = 0, oCondVar: usize = 0, oObj: usize = 0;

/** The output arrays' addresses from the header at h. */
export function setOutputs(h: usize): void {
  oBeta = addr(h, Field.BETA); oSe = addr(h, Field.SE); oDf = addr(h, Field.DF); oCov = addr(h, Field.COV_RE);
  oScale = addr(h, Field.SCALE); oLL = addr(h, Field.LOG_LIK); oTheta = addr(h, Field.THETA);
  oConv = addr(h, Field.CONVERGED); oSing = addr(h, Field.SINGULAR); oIter = addr(h, Field.ITERATIONS);
  oStatus = addr(h, Field.STATUS); oReason = addr(h, Field.REASON); oGrad = addr(h, Field.GRADIENT);
  oVcov = addr(h, Field.VCOV); oRanef = addr(h, Field.RANEF); oCondVar = addr(h, Field.COND_VAR); oObj = addr(h, Field.OBJECTIVE);
}

/** Feature f's estimates (p values, y's scale) and residual variance, once writeFit has run. */
export function betaOut(f: i32): usize { return oBeta + (<usize>(f * R.p) << 3); }
export function scaleOf(f: i32): f64 { return ld(oScale, f); }

/** Where feature f's Satterthwaite df go (p values). */
export function dfOut(f: i32): usize { return oDf + (<usize>(f * R.p) << 3); }

/** The one failure path: a feature without statistics, NaN in every output, its status and reason. */
export function fail(f: i32, status: i32, reason: i32, iters: i32): void {
  const p = R.p, q = R.q, nth = R.nth;
  for (let j = 0; j < p; j++) { st(oBeta, f * p + j, NaN); st(oSe, f * p + j, NaN); st(oDf, f * p + j, NaN); }
  for (let j = 0; j < q * q; j++) st(oCov, f * q * q + j, NaN);
  for (let j = 0; j < nth; j++) { st(oTheta, f * nth + j, NaN); st(oGrad, f * nth + j, NaN); }
  st(oScale, f, NaN); st(oLL, f, NaN);
  if (oObj != 0) st(oObj, f, NaN);
  if (oVcov != 0) for (let j = 0; j < p * p; j++) st(oVcov, f * p * p + j, NaN);
  if (oRanef != 0) {
    for (let j = 0; j < R.G * q; j++) st(oRanef, f * R.G * q + j, NaN);
    for (let j = 0; j < R.G * q * q; j++) st(oCondVar, f * R.G * q * q + j, NaN);
  }
  writeOutcome(f, status, reason, false, iters);
  store<u8>(oSing + f, 0);
}

/** Feature f's status, reason, convergence and criterion evaluations. */
export function writeOutcome(f: i32, status: i32, reason: i32, converged: bool, iters: i32): void {
  sti(oStatus, f, status); sti(oReason, f, reason); store<u8>(oConv + f, converged ? 1 : 0); sti(oIter, f, iters);
}

/** Estimates of the fitted feature f at theta (criterion crit on the scaled response), all but the df. */
export function writeFit(f: i32, theta: usize, crit: f64, reml: bool): void {
  const p = R.p, n = R.n;
  const ysc = Y.pow2(Y.yexp); // y = ysc * (scaled y)
  const s2in = R.pwrss / <f64>(reml ? n - p : n); // on the scaled y
  const s2 = s2in * ysc * ysc;
  R.computeAinv();
  for (let j = 0; j < p; j++) {
    st(oBeta, f * p + j, (ld(R.beta, j) + ld(Y.betaShift, j)) * ysc + (j == Y.icol ? Y.ybar / Y.ival : 0.0));
    st(oSe, f * p + j, Math.sqrt(s2in * ld(R.Ainv, j * p + j)) * ysc); // no overflow of s2 on the way
  }
  if (oVcov != 0) for (let j = 0; j < p * p; j++) st(oVcov, f * p * p + j, s2 * ld(R.Ainv, j));
  writeCovariance(f, theta, s2);
  st(oScale, f, s2);
  // the criterion of the unscaled y: pwrss carries ysc^2, so add (n - p) (or n) * log(ysc^2)
  const critY = crit + <f64>(reml ? n - p : n) * 2.0 * <f64>Y.yexp * Math.LN2;
  st(oLL, f, -0.5 * critY);
  if (oObj != 0) st(oObj, f, critY);
  if (oRanef != 0) writeRanef(f, theta, s2in, ysc);
}

/** The random effects' covariance s2 Lam Lam', theta, the gradient and the singular flag. */
function writeCovariance(f: i32, theta: usize, s2: f64): void {
  const q = R.q, nth = R.nth;
  R.buildLambda(theta);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let a = 0.0;
    for (let k = 0; k < q; k++) a += ld(R.Lam, i * q + k) * ld(R.Lam, j * q + k);
    st(oCov, (f * q + i) * q + j, s2 * a);
  }
  let sing = false;
  for (let i = 0; i < nth; i++) {
    st(oTheta, f * nth + i, ld(theta, i));
    st(oGrad, f * nth + i, ld(lastGrad, i));
    if (isDiag(i) && Math.abs(ld(theta, i)) < SINGULAR_THETA) sing = true;
  }
  store<u8>(oSing + f, sing ? 1 : 0);
}

/** The groups' BLUPs and conditional variances, on y's scale. */
function writeRanef(f: i32, theta: usize, s2in: f64, ysc: f64): void {
  const q = R.q;
  const ob = oRanef + (<usize>(f * R.G * q) << 3), ov = oCondVar + (<usize>(f * R.G * q * q) << 3);
  ranef(theta, s2in, ob, ov);
  for (let k = 0; k < R.G * q; k++) st(ob, k, ld(ob, k) * ysc);
  for (let k = 0; k < R.G * q * q; k++) st(ov, k, ld(ov, k) * ysc * ysc);
}

/** ML: no Satterthwaite df. */
export function noDf(f: i32): void { for (let j = 0; j < R.p; j++) st(oDf, f * R.p + j, NaN); }

/** X rank deficient: every feature of the batch. */
export function failAll(m: i32): void { for (let f = 0; f < m; f++) fail(f, Status.RANKDEF, Reason.NONE, 0); }
