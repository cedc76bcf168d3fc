// Batch entry: one shared design, m responses (feature-major), everything fitted inside WASM.
import { ld, st, ldi, sti, allocF64, alloc } from "./mem";
import { chol, cholInverse, fwd, bwd } from "./linalg/chol";
import { matVec } from "./linalg/dense";
import * as R from "./reml";
import { setupOptim, optimQ1, optimGeneral, lastConverged, lastReason, lastGrad, diverged, isDiag, setThetaBound, setDivergence, setMoments } from "./optim";
import { setupHessian, hessian, hessF as HF, hessP as HP } from "./hessian";
import * as Y from "./response";
import { THETA_BOUND_FACTOR, DF_HESS_RTOL } from "./tolerances";
import { REASON_NONE, REASON_EXACT_FIT, REASON_EXACT_BY_X, REASON_NO_MAXIMUM, REASON_DF_UNAVAILABLE, REASON_EVAL_FAILED } from "./reasons";

export const STATUS_OK: i32 = 0;
export const STATUS_NONFINITE: i32 = 1;
export const STATUS_RANKDEF: i32 = 2;
export const STATUS_FAILED: i32 = 3;

let vC: usize = 0; // center vector [F, P, a_0..]
let gradV: usize = 0; // nth x nv
let hessF: usize = 0; // nth x nth (active coordinates)
let hessP: usize = 0;
let Hm: usize = 0; // (nth+1)^2
let gv: usize = 0; // nth+1
let wv: usize = 0;
let act: usize = 0; // i32 active list
let qa: usize = 0; let qc: usize = 0; let qd: usize = 0; let qv: usize = 0;
let theta: usize = 0;

// the batch's outputs (feature-major; oVcov/oRanef/oCondVar/oObj may be 0)
let oBeta: usize = 0, oSe: usize = 0, oDf: usize = 0, oCov: usize = 0, oScale: usize = 0, oLL: usize = 0, oTheta: usize = 0;
let oConv: usize = 0, oSing: usize = 0, oIter: usize = 0, oStatus: usize = 0, oReason: usize = 0, oGrad: usize = 0;
let oVcov: usize = 0, oRanef: usize = 0, oCondVar: usize = 0, oObj: usize = 0;

function evalVec(th: usize, out: usize): bool {
  R.evaluate(th);
  if (!R.evalOk) return false;
  st(out, 0, R.ldL + R.ldRX);
  st(out, 1, R.pwrss);
  R.computeAinv();
  for (let j = 0; j < R.p; j++) st(out, 2 + j, ld(R.Ainv, j * R.p + j));
  return true;
}

/** Active theta coordinates (lmerTest's): a diagonal whose whole Lambda column is zero is dropped. */
function activeSet(th: usize): i32 {
  const nth = R.nth;
  let na = 0, idx = 0;
  for (let j = 0; j < (R.diagCov ? nth : R.q); j++) {
    if (R.diagCov) { if (ld(th, j) != 0) { sti(act, na, j); na++; } continue; }
    let colZero = true;
    for (let k = j; k < R.q; k++) if (ld(th, idx + k - j) != 0) colZero = false;
    for (let k = j; k < R.q; k++) {
      const i = idx + k - j;
      if (!(k == j && colZero)) { sti(act, na, i); na++; }
    }
    idx += R.q - j;
  }
  return na;
}

/** Gradients and Hessians of F and P in the active coordinates, analytic: derivsQ1 (q = 1, pooled) or
 * hessian.ts (any q). */
function derivatives(th: usize, na: i32): bool {
  const p = R.p, nth = R.nth, nv = p + 2;
  if (R.q == 1) {
    R.derivsQ1(th);
    st(gradV, 0, R.dF); st(gradV, 1, R.dP);
    for (let j = 0; j < p; j++) st(gradV, 2 + j, ld(R.dAinv, j));
    st(hessF, 0, R.dF2); st(hessP, 0, R.dP2);
    return true;
  }
  if (!hessian(th)) return false;
  for (let a = 0; a < na; a++) {
    const i = ldi(act, a);
    st(gradV, a * nv, ld(R.gradL, i)); st(gradV, a * nv + 1, ld(R.gradP, i));
    for (let j = 0; j < p; j++) st(gradV, a * nv + 2 + j, ld(R.gradAinv, i * p + j));
    for (let b = 0; b < na; b++) {
      const k = ldi(act, b);
      st(hessF, a * nth + b, ld(HF, i * nth + k)); st(hessP, a * nth + b, ld(HP, i * nth + k));
    }
  }
  return true;
}

/** lmerTest's Satterthwaite df for every coefficient; theta at the REML optimum. False: unavailable. */
function satterthwaite(th: usize, outDf: usize): bool {
  const p = R.p, nth = R.nth, nv = p + 2;
  for (let j = 0; j < p; j++) st(outDf, j, NaN);
  if (!evalVec(th, vC)) return false;
  const P0 = ld(vC, 1);
  const s2 = P0 / <f64>(R.n - p);
  const sig = Math.sqrt(s2);
  const na = activeSet(th);
  if (na > 0 && !derivatives(th, na)) return false;
  // Hessian of the REML deviance in (theta_active, sigma)
  const d = na + 1;
  for (let a = 0; a < na; a++) {
    for (let b = 0; b <= a; b++) st(Hm, a * d + b, ld(hessF, a * nth + b) + ld(hessP, a * nth + b) / s2);
    st(Hm, na * d + a, -2 * ld(gradV, a * nv + 1) / (s2 * sig));
  }
  st(Hm, na * d + na, -2 * <f64>(R.n - p) / s2 + 6 * P0 / (s2 * s2));
  if (!chol(Hm, d, DF_HESS_RTOL)) return false;
  for (let j = 0; j < p; j++) {
    const aj = ld(vC, 2 + j);
    const C = s2 * aj;
    for (let a = 0; a < na; a++) st(gv, a, s2 * ld(gradV, a * nv + 2 + j));
    st(gv, na, 2 * sig * aj);
    for (let a = 0; a < d; a++) st(wv, a, ld(gv, a));
    fwd(Hm, d, wv, 1);
    let gHg = 0.0;
    for (let a = 0; a < d; a++) gHg += ld(wv, a) * ld(wv, a);
    st(outDf, j, C * C / gHg);
  }
  return true;
}

/** BLUPs and conditional variances for every group at the current theta/beta/s2. */
function ranef(theta: usize, s2: f64, outB: usize, outV: usize): void {
  const q = R.q, p = R.p;
  R.buildLambda(theta);
  const Lam = R.Lam;
  for (let g = 0; g < R.G; g++) {
    const Zg = R.ZtZg + (<usize>(g * q * q) << 3);
    const ZXg = R.ZtXg + (<usize>(g * q * p) << 3);
    const Zyg = R.Ztyg + (<usize>(g * q) << 3);
    R.groupFactor(Zg); // R.T = chol(Lam' ZtZ_g Lam + I)
    const qb = R.T;
    // rhs = Lam' (Zty - ZtX beta)
    for (let k = 0; k < q; k++) {
      let e = ld(Zyg, k);
      for (let j = 0; j < p; j++) e -= ld(ZXg, k * p + j) * ld(R.beta, j);
      st(qv, k, e);
    }
    for (let i = 0; i < q; i++) {
      let a = 0.0;
      for (let k = 0; k < q; k++) a += ld(Lam, k * q + i) * ld(qv, k);
      st(qa, i, a);
    }
    fwd(qb, q, qa, 1); bwd(qb, q, qa, 1);
    matVec(Lam, qa, outB + (<usize>(g * q) << 3), q, q);
    cholInverse(qb, q, qc, qd); // qc = T^-1
    // condVar = s2 Lam T^-1 Lam'
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
      let a = 0.0;
      for (let k = 0; k < q; k++) a += ld(qc, i * q + k) * ld(Lam, j * q + k);
      st(qd, i * q + j, a);
    }
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
      let a = 0.0;
      for (let k = 0; k < q; k++) a += ld(Lam, i * q + k) * ld(qd, k * q + j);
      st(outV, (g * q + i) * q + j, s2 * a);
    }
  }
}

/** A feature without statistics: NaN everywhere, its status and reason. */
function fail(f: i32, status: i32, reason: i32, iters: i32): void {
  const p = R.p, q = R.q, nth = R.nth;
  for (let j = 0; j < p; j++) { st(oBeta, f * p + j, NaN); st(oSe, f * p + j, NaN); st(oDf, f * p + j, NaN); }
  for (let j = 0; j < q * q; j++) st(oCov, f * q * q + j, NaN);
  for (let j = 0; j < nth; j++) { st(oTheta, f * nth + j, NaN); st(oGrad, f * nth + j, NaN); }
  st(oScale, f, NaN); st(oLL, f, NaN);
  if (oObj != 0) st(oObj, f, NaN);
  sti(oStatus, f, status); sti(oReason, f, reason); store<u8>(oConv + f, 0); store<u8>(oSing + f, 0); sti(oIter, f, iters);
}

/** X'X and the groups' Z'Z, Z'X from the rows. */
function designCrossProducts(n: i32, p: i32, q: i32, G: i32, X: usize, Z: usize, grp: usize): void {
  const XtX = allocF64(p * p), ZtZ = allocF64(G * q * q), ZtX = allocF64(G * q * p);
  for (let i = 0; i < n; i++) {
    const g = ldi(grp, i);
    const xr = X + (<usize>(i * p) << 3);
    const zr = Z + (<usize>(i * q) << 3);
    for (let a = 0; a < p; a++) {
      const xa = ld(xr, a);
      for (let b = 0; b <= a; b++) st(XtX, a * p + b, ld(XtX, a * p + b) + xa * ld(xr, b));
    }
    for (let a = 0; a < q; a++) {
      const za = ld(zr, a);
      for (let b = 0; b < q; b++) st(ZtZ, (g * q + a) * q + b, ld(ZtZ, (g * q + a) * q + b) + za * ld(zr, b));
      for (let b = 0; b < p; b++) st(ZtX, (g * q + a) * p + b, ld(ZtX, (g * q + a) * p + b) + za * ld(xr, b));
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) st(XtX, b * p + a, ld(XtX, a * p + b));
  R.setPointers(XtX, ZtZ, ZtX);
}

/** q = 1: groups pooled by the value of Z_g'Z_g (a balanced design is one pool). */
function setupPools(G: i32, p: i32): void {
  const pz = allocF64(G);
  const gp = alloc(<usize>(G * 4 + 16));
  let K = 0;
  for (let g = 0; g < G; g++) {
    const z = ld(R.ZtZg, g);
    let k = 0;
    while (k < K && ld(pz, k) != z) k++;
    if (k == K) { st(pz, K, z); K++; }
    sti(gp, g, k);
  }
  const pc = allocF64(K), ps = allocF64(K * p * p), ss = allocF64(p * p);
  let sz = 0.0;
  for (let g = 0; g < G; g++) {
    const k = ldi(gp, g);
    st(pc, k, ld(pc, k) + 1);
    sz += ld(R.ZtZg, g);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      const v = ld(R.ZtXg, g * p + a) * ld(R.ZtXg, g * p + b);
      st(ps, (k * p + a) * p + b, ld(ps, (k * p + a) * p + b) + v);
      st(ss, a * p + b, ld(ss, a * p + b) + v);
    }
  }
  R.setPools(K, pz, pc, ps, gp, ss, sz);
}

/** Workspace of the batch (the arena is reset by the host before each batch). */
function setupBatch(n: i32, p: i32, q: i32, G: i32, X: usize, Z: usize, grp: usize, reml: i32, diag: i32): void {
  R.setDesignDims(n, p, q, G, reml != 0, diag != 0);
  const nth = R.nth;
  R.setupWorkspace();
  R.setupDerivs();
  setupOptim();
  setupHessian();
  const nv = p + 2;
  vC = allocF64(nv);
  gradV = allocF64(nth * nv); hessF = allocF64(nth * nth); hessP = allocF64(nth * nth);
  Hm = allocF64((nth + 1) * (nth + 1)); gv = allocF64(nth + 1); wv = allocF64(nth + 1);
  act = alloc(<usize>(nth * 4 + 16));
  qa = allocF64(q * q); qc = allocF64(q * q); qd = allocF64(q * q); qv = allocF64(q);
  theta = allocF64(nth);
  designCrossProducts(n, p, q, G, X, Z, grp);
  if (q == 1) setupPools(G, p);
  Y.setupResponse(n, p, q, G, X, Z, grp);
}

/** Is y (to roundoff) in the column space of X? (pwrss at theta = 0 is the least-squares residual.) */
function exactByX(): bool {
  for (let i = 0; i < R.nth; i++) st(theta, i, 0);
  R.evaluate(theta);
  return !R.evalOk || !(R.pwrss > Y.rssFloor);
}

/** The response's statistics and the tests that end a feature before the search; false when it ended. */
function prepareFeature(f: i32, y: usize): bool {
  const rd = Y.readResponse(y);
  if (rd == Y.READ_NONFINITE) { fail(f, STATUS_NONFINITE, REASON_NONE, 0); return false; }
  if (rd == Y.READ_CONSTANT) { fail(f, STATUS_FAILED, REASON_EXACT_BY_X, 0); return false; }
  Y.crossProducts();
  // Residual of y after X and every group's own Z columns: when it is roundoff although that fit leaves
  // residual degrees of freedom, the likelihood has no maximum (it grows without bound as the random-effect
  // variances do), so such a feature is reported at once instead of chasing theta to infinity. (With no
  // residual df, e.g. a random slope on one row per participant-visit, the residual says nothing.)
  if (!Y.residualAfterGroups()) { fail(f, STATUS_FAILED, exactByX() ? REASON_EXACT_BY_X : REASON_EXACT_FIT, 0); return false; }
  if (R.q == 1) {
    // the optimum's t = theta^2 lies below dfr y'y / (z_min rss) (the criterion's asymptote in t)
    const dfr = <f64>(R.useReml ? R.n - R.p : R.n);
    const bound = Y.exactCheck ? Math.sqrt(THETA_BOUND_FACTOR * dfr * R.yty / (Y.zMin * Math.max(Y.rss, Y.rssFloor))) : 1e100;
    setThetaBound(bound);
    setMoments(Y.rss, <f64>Y.dfWithin, <f64>Y.dfBetween, Y.zBar);
    return true;
  }
  // q >= 2, y in the column space of X (no residual at theta = 0, so none at any theta): nothing to optimise
  setDivergence(Y.rssFloor, !Y.exactCheck);
  setMoments(Y.rss, <f64>Y.dfWithin, <f64>Y.dfBetween, Y.zBar);
  R.nEval = 0;
  for (let i = 0; i < R.nth; i++) st(theta, i, 0);
  R.evaluate(theta);
  if (!R.evalOk || !(R.pwrss > Y.rssFloor)) { fail(f, STATUS_FAILED, REASON_EXACT_BY_X, R.nEval); return false; }
  return true;
}

/** Estimates of the fitted feature f at theta (criterion crit on the scaled response). */
function writeFit(f: i32, crit: f64, reml: bool): void {
  const p = R.p, q = R.q, nth = R.nth, n = R.n;
  const ysc = Y.pow2(Y.yexp); // y = ysc * (scaled y)
  const s2in = R.pwrss / <f64>(reml ? n - p : n); // on the scaled y
  const s2 = s2in * ysc * ysc;
  R.computeAinv();
  for (let j = 0; j < p; j++) {
    st(oBeta, f * p + j, (ld(R.beta, j) + ld(Y.betaShift, j)) * ysc + (j == Y.icol ? Y.ybar / Y.ival : 0.0));
    st(oSe, f * p + j, Math.sqrt(s2in * ld(R.Ainv, j * p + j)) * ysc); // no overflow of s2 on the way
  }
  if (oVcov != 0) for (let j = 0; j < p * p; j++) st(oVcov, f * p * p + j, s2 * ld(R.Ainv, j));
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
    if (isDiag(i) && Math.abs(ld(theta, i)) < 1e-4) sing = true;
  }
  st(oScale, f, s2);
  // the criterion of the unscaled y: pwrss carries ysc^2, so add (n - p) (or n) * log(ysc^2)
  const critY = crit + <f64>(reml ? n - p : n) * 2.0 * <f64>Y.yexp * Math.LN2;
  st(oLL, f, -0.5 * critY);
  if (oObj != 0) st(oObj, f, critY);
  if (oRanef != 0) {
    const ob = oRanef + (<usize>(f * R.G * q) << 3), ov = oCondVar + (<usize>(f * R.G * q * q) << 3);
    ranef(theta, s2in, ob, ov);
    for (let k = 0; k < R.G * q; k++) st(ob, k, ld(ob, k) * ysc);
    for (let k = 0; k < R.G * q * q; k++) st(ov, k, ld(ov, k) * ysc * ysc);
  }
  store<u8>(oSing + f, sing ? 1 : 0);
}

/** Fit feature f (response y). */
function fitFeature(f: i32, y: usize, reml: bool): void {
  if (!prepareFeature(f, y)) return;
  R.nEval = 0;
  if (R.q == 1) optimQ1(theta); else optimGeneral(theta);
  const conv = lastConverged;
  let reason = lastReason;
  const iters = R.nEval;
  const crit = R.criterion(theta);
  if (R.q > 1 && diverged) { fail(f, STATUS_FAILED, REASON_NO_MAXIMUM, iters); return; }
  if (!isFinite(ld(theta, 0)) || !R.evalOk || !isFinite(crit)) { fail(f, STATUS_FAILED, reason != REASON_NONE ? reason : REASON_EVAL_FAILED, iters); return; }
  if (!(R.pwrss > Y.rssFloor)) { fail(f, STATUS_FAILED, REASON_EXACT_FIT, iters); return; } // (y fitted exactly by X and Z)
  writeFit(f, crit, reml);
  if (reml) {
    if (!satterthwaite(theta, oDf + (<usize>(f * R.p) << 3)) && reason == REASON_NONE) reason = REASON_DF_UNAVAILABLE;
  } else for (let j = 0; j < R.p; j++) st(oDf, f * R.p + j, NaN);
  store<u8>(oConv + f, conv ? 1 : 0);
  sti(oIter, f, iters);
  sti(oStatus, f, STATUS_OK);
  sti(oReason, f, reason);
}

/**
 * Fit m responses sharing the design (X n x p, Z n x q row-major, groups n int32 in 0..G-1).
 * Y is m x n feature-major. Outputs are feature-major; oVcov/oRanef/oCondVar/oObj may be 0.
 * oReason (i32) says why a fit is not certified or has no statistics (reasons.ts); oGrad (m x nth) is the
 * criterion's gradient in theta at the returned optimum. Returns 0, or 2 when X is rank deficient.
 */
export function fitBatch(n: i32, p: i32, q: i32, G: i32, X: usize, Z: usize, grp: usize, m: i32, Yp: usize,
  reml: i32, diag: i32,
  oBeta_: usize, oSe_: usize, oDf_: usize, oCov_: usize, oScale_: usize, oLL_: usize, oTheta_: usize,
  oConv_: usize, oSing_: usize, oIter_: usize, oStatus_: usize, oReason_: usize, oGrad_: usize,
  oVcov_: usize, oRanef_: usize, oCondVar_: usize, oObj_: usize): i32 {
  oBeta = oBeta_; oSe = oSe_; oDf = oDf_; oCov = oCov_; oScale = oScale_; oLL = oLL_; oTheta = oTheta_;
  oConv = oConv_; oSing = oSing_; oIter = oIter_; oStatus = oStatus_; oReason = oReason_; oGrad = oGrad_;
  oVcov = oVcov_; oRanef = oRanef_; oCondVar = oCondVar_; oObj = oObj_;
  setupBatch(n, p, q, G, X, Z, grp, reml, diag);
  const chk = allocF64(p * p);
  for (let i = 0; i < p * p; i++) st(chk, i, ld(R.XtX, i));
  if (!chol(chk, p, 1e-10)) {
    for (let f = 0; f < m; f++) fail(f, STATUS_RANKDEF, REASON_NONE, 0);
    return 2;
  }
  for (let f = 0; f < m; f++) fitFeature(f, Yp + (<usize>f * <usize>n << 3), reml != 0);
  return 0;
}
