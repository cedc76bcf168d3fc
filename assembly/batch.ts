// Batch entry: one shared design, m responses (feature-major), everything fitted inside WASM.
import { ld, st, ldi, sti, allocF64, alloc } from "./mem";
import { chol, cholInverse, fwd, bwd, dot } from "./linalg/chol";
import { matVec } from "./linalg/dense";
import * as R from "./reml";
import { setupOptim, optimQ1, optimGeneral, lastConverged, diverged, isDiag, jacobi } from "./optim";

export const STATUS_OK: i32 = 0;
export const STATUS_NONFINITE: i32 = 1;
export const STATUS_RANKDEF: i32 = 2;
export const STATUS_FAILED: i32 = 3;

let vC: usize = 0; // center vector [F, P, a_0..]
let dA: usize = 0; // 2 nth scratch (gradients at theta + h e_i)
let gradV: usize = 0; // nth x nv
let hessF: usize = 0; // nth x nth
let hessP: usize = 0;
let Hm: usize = 0; // (nth+1)^2
let gv: usize = 0; // nth+1
let wv: usize = 0;
let th2: usize = 0;
let gv0: usize = 0;
let act: usize = 0; // i32 active list
let qa: usize = 0; let qc: usize = 0; let qd: usize = 0; let qv: usize = 0;

function evalVec(th: usize, out: usize): bool {
  R.evaluate(th);
  if (!R.evalOk) return false;
  st(out, 0, R.ldL + R.ldRX);
  st(out, 1, R.pwrss);
  R.computeAinv();
  for (let j = 0; j < R.p; j++) st(out, 2 + j, ld(R.Ainv, j * R.p + j));
  return true;
}

/** lmerTest's Satterthwaite df for every coefficient; theta at the REML optimum. */
function satterthwaite(theta: usize, outDf: usize): void {
  const p = R.p, nth = R.nth, nv = p + 2;
  if (!evalVec(theta, vC)) { for (let j = 0; j < p; j++) st(outDf, j, NaN); return; }
  const P0 = ld(vC, 1);
  const s2 = P0 / <f64>(R.n - p);
  const sig = Math.sqrt(s2);
  // active coordinates: drop diagonal zeros whose whole Lambda column is zero
  let na = 0;
  let idx = 0;
  for (let j = 0; j < (R.diagCov ? nth : R.q); j++) {
    if (R.diagCov) { if (ld(theta, j) != 0) { sti(act, na, j); na++; } continue; }
    let colZero = true;
    for (let k = j; k < R.q; k++) if (ld(theta, idx + k - j) != 0) colZero = false;
    for (let k = j; k < R.q; k++) {
      const i = idx + k - j;
      if (!(k == j && colZero)) { sti(act, na, i); na++; }
    }
    idx += R.q - j;
  }
  for (let i = 0; i < nth; i++) st(th2, i, ld(theta, i));
  if (R.q == 1 && na == 1) {
    // analytic derivatives (pooled random intercept)
    R.derivsQ1(theta);
    st(gradV, 0, R.dF); st(gradV, 1, R.dP);
    for (let j = 0; j < p; j++) st(gradV, 2 + j, ld(R.dAinv, j));
    st(hessF, 0, R.dF2); st(hessP, 0, R.dP2);
  } else if (na > 0) {
    // analytic gradients of F, P and diag(A^-1) (reml.ts); Hessians of F and P by central differences of
    // the analytic gradients (2 na gradient evaluations instead of ~18 na^2 criterion evaluations)
    R.gradient(theta, gv0, true);
    for (let a = 0; a < na; a++) {
      const i = ldi(act, a);
      st(gradV, a * nv, ld(R.gradL, i)); st(gradV, a * nv + 1, ld(R.gradP, i));
      for (let j = 0; j < p; j++) st(gradV, a * nv + 2 + j, ld(R.gradAinv, i * p + j));
    }
    for (let a = 0; a < na; a++) {
      const i = ldi(act, a);
      const xi = ld(theta, i);
      const h = 1e-4 * Math.max(Math.abs(xi), 0.1);
      st(th2, i, xi + h);
      const hp = ld(th2, i) - xi;
      R.gradient(th2, gv0);
      for (let b = 0; b < na; b++) { const j = ldi(act, b); st(dA, b, ld(R.gradL, j)); st(dA, nth + b, ld(R.gradP, j)); }
      st(th2, i, xi - h);
      const hm = xi - ld(th2, i);
      R.gradient(th2, gv0);
      st(th2, i, xi);
      for (let b = 0; b < na; b++) {
        const j = ldi(act, b);
        st(hessF, a * nth + b, (ld(dA, b) - ld(R.gradL, j)) / (hp + hm));
        st(hessP, a * nth + b, (ld(dA, nth + b) - ld(R.gradP, j)) / (hp + hm));
      }
    }
    for (let a = 0; a < na; a++) for (let b = 0; b < a; b++) {
      const vF = 0.5 * (ld(hessF, a * nth + b) + ld(hessF, b * nth + a));
      const vP = 0.5 * (ld(hessP, a * nth + b) + ld(hessP, b * nth + a));
      st(hessF, a * nth + b, vF); st(hessF, b * nth + a, vF);
      st(hessP, a * nth + b, vP); st(hessP, b * nth + a, vP);
    }
  }
  // Hessian of the REML deviance in (theta_active, sigma)
  const d = na + 1;
  for (let a = 0; a < na; a++) {
    for (let b = 0; b <= a; b++) {
      st(Hm, a * d + b, ld(hessF, a * nth + b) + ld(hessP, a * nth + b) / s2);
    }
    st(Hm, na * d + a, -2 * ld(gradV, a * nv + 1) / (s2 * sig));
  }
  st(Hm, na * d + na, -2 * <f64>(R.n - p) / s2 + 6 * P0 / (s2 * s2));
  if (!chol(Hm, d, 1e-13)) { for (let j = 0; j < p; j++) st(outDf, j, NaN); return; }
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
}

/** |y| up to 2^this needs no scaling (its squares summed over any n stay far inside the double range). */
const SCALE_FREE_EXP: i32 = 200;

/** out[0..4) = the dot products of y (length n) with four columns of length n stored one after another from a. */
function dot4(a: usize, n: i32, y: usize, out: usize): void {
  const nb = <usize>n << 3;
  let c0 = f64x2.splat(0.0), c1 = f64x2.splat(0.0), c2 = f64x2.splat(0.0), c3 = f64x2.splat(0.0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    const v = v128.load(y + o);
    c0 = f64x2.add(c0, f64x2.mul(v128.load(a + o), v));
    c1 = f64x2.add(c1, f64x2.mul(v128.load(a + nb + o), v));
    c2 = f64x2.add(c2, f64x2.mul(v128.load(a + 2 * nb + o), v));
    c3 = f64x2.add(c3, f64x2.mul(v128.load(a + 3 * nb + o), v));
  }
  let s0 = f64x2.extract_lane(c0, 0) + f64x2.extract_lane(c0, 1);
  let s1 = f64x2.extract_lane(c1, 0) + f64x2.extract_lane(c1, 1);
  let s2 = f64x2.extract_lane(c2, 0) + f64x2.extract_lane(c2, 1);
  let s3 = f64x2.extract_lane(c3, 0) + f64x2.extract_lane(c3, 1);
  for (; i < n; i++) {
    const v = ld(y, i);
    s0 += ld(a, i) * v; s1 += ld(a + nb, i) * v; s2 += ld(a + 2 * nb, i) * v; s3 += ld(a + 3 * nb, i) * v;
  }
  st(out, 0, s0); st(out, 1, s1); st(out, 2, s2); st(out, 3, s3);
}

/** 2^e exactly, for |e| within the normal range. */
function pow2(e: i32): f64 {
  return reinterpret<f64>(<u64>(e + 1023) << 52);
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

/** out = pseudo-inverse of the symmetric nn x nn matrix a (eigenvalues below rtol * max dropped); a is
 * overwritten, w/v: nn x nn scratch. */
function pinvSym(a: usize, nn: i32, out: usize, v: usize, rtol: f64): i32 {
  jacobi(a, v, nn);
  let lmax = 0.0;
  for (let k = 0; k < nn; k++) lmax = Math.max(lmax, Math.abs(ld(a, k * nn + k)));
  for (let i = 0; i < nn * nn; i++) st(out, i, 0);
  let rank = 0;
  for (let k = 0; k < nn; k++) {
    const l = ld(a, k * nn + k);
    if (!(l > rtol * lmax)) continue;
    rank++;
    for (let i = 0; i < nn; i++) for (let j = 0; j < nn; j++) st(out, i * nn + j, ld(out, i * nn + j) + ld(v, i * nn + k) * ld(v, j * nn + k) / l);
  }
  return rank;
}

function fillNaN(f: i32, p: i32, q: i32, nth: i32, oBeta: usize, oSe: usize, oDf: usize, oCov: usize,
  oScale: usize, oLL: usize, oTheta: usize): void {
  for (let j = 0; j < p; j++) { st(oBeta, f * p + j, NaN); st(oSe, f * p + j, NaN); st(oDf, f * p + j, NaN); }
  for (let j = 0; j < q * q; j++) st(oCov, f * q * q + j, NaN);
  for (let j = 0; j < nth; j++) st(oTheta, f * nth + j, NaN);
  st(oScale, f, NaN); st(oLL, f, NaN);
}

/**
 * Fit m responses sharing the design (X n x p, Z n x q row-major, groups n int32 in 0..G-1).
 * Y is m x n feature-major. Outputs are feature-major; oVcov/oRanef/oCondVar/oObj may be 0.
 * Returns 0, or 2 when X is rank deficient (every status = rankDeficient).
 */
export function fitBatch(n: i32, p: i32, q: i32, G: i32, X: usize, Z: usize, grp: usize, m: i32, Y: usize,
  reml: i32, diag: i32,
  oBeta: usize, oSe: usize, oDf: usize, oCov: usize, oScale: usize, oLL: usize, oTheta: usize,
  oConv: usize, oSing: usize, oIter: usize, oStatus: usize,
  oVcov: usize, oRanef: usize, oCondVar: usize, oObj: usize): i32 {
  R.setDesignDims(n, p, q, G, reml != 0, diag != 0);
  const nth = R.nth;
  R.setupWorkspace();
  R.setupDerivs();
  setupOptim();
  const nv = p + 2;
  vC = allocF64(nv);
  dA = allocF64(2 * nth + 8);
  gradV = allocF64(nth * nv); hessF = allocF64(nth * nth); hessP = allocF64(nth * nth);
  Hm = allocF64((nth + 1) * (nth + 1)); gv = allocF64(nth + 1); wv = allocF64(nth + 1);
  th2 = allocF64(nth); gv0 = allocF64(nth); act = alloc(<usize>(nth * 4 + 16));
  qa = allocF64(q * q); qc = allocF64(q * q); qd = allocF64(q * q); qv = allocF64(q);
  const theta = allocF64(nth);

  // ---- design cross-products (once) ----
  const XtX = allocF64(p * p);
  const ZtZ = allocF64(G * q * q);
  const ZtX = allocF64(G * q * p);
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
  // a constant column (intercept) lets us centre each response first (better-conditioned cross-products)
  let icol = -1;
  let ival = 0.0;
  for (let a = 0; a < p && icol < 0; a++) {
    const v = ld(X, a);
    if (v == 0) continue;
    let same = true;
    for (let i = 1; i < n; i++) if (ld(X, i * p + a) != v) { same = false; break; }
    if (same) { icol = a; ival = v; }
  }
  const yc = allocF64(n + 2);
  // column-major copies of X and Z for SIMD dot products with y
  const XT = allocF64(p * n);
  for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) st(XT, a * n + i, ld(X, i * p + a));
  const ZT = allocF64(q * n);
  for (let i = 0; i < n; i++) for (let a = 0; a < q; a++) st(ZT, a * n + i, ld(Z, i * q + a));
  R.setPointers(XtX, ZtZ, ZtX);
  // Residual of y after X and every group's own Z columns (fixed per-group effects), from the
  // cross-products: when it is ~0 although that fit leaves residual degrees of freedom, the likelihood has no
  // maximum (it grows without bound as the random-effect variances do), so such a feature is reported as
  // failed at once instead of chasing theta to infinity. (With no residual df, e.g. a random slope on one row
  // per participant-visit, the residual is 0 for every y and says nothing: the fit proceeds.)
  let CpG: usize = 0, XtP: usize = 0, cpy: usize = 0, xyt: usize = 0;
  let exactCheck = false;
  {
    let rk = 0;
    const qq = q * q, pp = p * p;
    CpG = allocF64(G * qq);
    const tq = allocF64(qq), vq = allocF64(qq);
    for (let g = 0; g < G; g++) {
      for (let i = 0; i < qq; i++) st(tq, i, ld(ZtZ, g * qq + i));
      rk += pinvSym(tq, q, CpG + (<usize>(g * qq) << 3), vq, 1e-12);
    }
    const Xt = allocF64(pp), vp = allocF64(pp);
    XtP = allocF64(pp);
    for (let i = 0; i < pp; i++) st(Xt, i, ld(XtX, i));
    for (let g = 0; g < G; g++) for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      let t = 0.0;
      for (let k = 0; k < q; k++) for (let l = 0; l < q; l++)
        t += ld(ZtX, (g * q + k) * p + a) * ld(CpG, g * qq + k * q + l) * ld(ZtX, (g * q + l) * p + b);
      st(Xt, a * p + b, ld(Xt, a * p + b) - t);
    }
    rk += pinvSym(Xt, p, XtP, vp, 1e-10);
    cpy = allocF64(q); xyt = allocF64(p);
    exactCheck = n > rk;
  }
  // rank check
  const chk = allocF64(p * p);
  for (let i = 0; i < p * p; i++) st(chk, i, ld(XtX, i));
  if (!chol(chk, p, 1e-10)) {
    for (let f = 0; f < m; f++) {
      fillNaN(f, p, q, nth, oBeta, oSe, oDf, oCov, oScale, oLL, oTheta);
      sti(oStatus, f, STATUS_RANKDEF); store<u8>(oConv + f, 0); store<u8>(oSing + f, 0); sti(oIter, f, 0);
    }
    return 2;
  }
  // q = 1 pools by Z_g'Z_g
  if (q == 1) {
    const pz = allocF64(G);
    const gp = alloc(<usize>(G * 4 + 16));
    let K = 0;
    for (let g = 0; g < G; g++) {
      const z = ld(ZtZ, g);
      let k = 0;
      while (k < K && ld(pz, k) != z) k++;
      if (k == K) { st(pz, K, z); K++; }
      sti(gp, g, k);
    }
    const pc = allocF64(K);
    const ps = allocF64(K * p * p);
    const ss = allocF64(p * p);
    let sz = 0.0;
    for (let g = 0; g < G; g++) {
      const k = ldi(gp, g);
      st(pc, k, ld(pc, k) + 1);
      sz += ld(ZtZ, g);
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
        const v = ld(ZtX, g * p + a) * ld(ZtX, g * p + b);
        st(ps, (k * p + a) * p + b, ld(ps, (k * p + a) * p + b) + v);
        st(ss, a * p + b, ld(ss, a * p + b) + v);
      }
    }
    R.setPools(K, pz, pc, ps, gp, ss, sz);
  }

  // ---- per feature ----
  for (let f = 0; f < m; f++) {
    let y = Y + (<usize>f * <usize>n << 3);
    // pass 1: sum and sum of squares (a non-finite value makes the latter non-finite)
    let sv = f64x2.splat(0.0), ssv = f64x2.splat(0.0);
    let i1 = 0;
    for (; i1 + 2 <= n; i1 += 2) {
      const v = v128.load(y + (<usize>i1 << 3));
      sv = f64x2.add(sv, v);
      ssv = f64x2.add(ssv, f64x2.mul(v, v));
    }
    let ysum = f64x2.extract_lane(sv, 0) + f64x2.extract_lane(sv, 1);
    let yy = f64x2.extract_lane(ssv, 0) + f64x2.extract_lane(ssv, 1);
    for (; i1 < n; i1++) { const v = ld(y, i1); ysum += v; yy += v * v; }
    let finite = isFinite(yy);
    if (!finite) { // exact check (y*y may overflow for huge finite values)
      finite = true;
      for (let i = 0; i < n; i++) if (!isFinite(ld(y, i))) { finite = false; break; }
    }
    if (!finite) {
      fillNaN(f, p, q, nth, oBeta, oSe, oDf, oCov, oScale, oLL, oTheta);
      sti(oStatus, f, STATUS_NONFINITE); store<u8>(oConv + f, 0); store<u8>(oSing + f, 0); sti(oIter, f, 0);
      if (oObj != 0) st(oObj, f, NaN);
      continue;
    }
    // pass 2: centre (exactly representable shift of the intercept), with the largest |y| and y'y of the result
    let ybar = 0.0;
    let vmax = f64x2.splat(0.0);
    let ymax = 0.0;
    if (icol >= 0) {
      ybar = ysum / <f64>n;
      const vb = f64x2.splat(ybar);
      let c2 = f64x2.splat(0.0);
      let i = 0;
      for (; i + 2 <= n; i += 2) {
        const v = f64x2.sub(v128.load(y + (<usize>i << 3)), vb);
        v128.store(yc + (<usize>i << 3), v);
        vmax = f64x2.max(vmax, f64x2.abs(v));
        c2 = f64x2.add(c2, f64x2.mul(v, v));
      }
      yy = f64x2.extract_lane(c2, 0) + f64x2.extract_lane(c2, 1);
      ymax = Math.max(f64x2.extract_lane(vmax, 0), f64x2.extract_lane(vmax, 1));
      for (; i < n; i++) { const v = ld(y, i) - ybar; st(yc, i, v); ymax = Math.max(ymax, Math.abs(v)); yy += v * v; }
      y = yc;
    } else {
      let i = 0;
      for (; i + 2 <= n; i += 2) vmax = f64x2.max(vmax, f64x2.abs(v128.load(y + (<usize>i << 3))));
      ymax = Math.max(f64x2.extract_lane(vmax, 0), f64x2.extract_lane(vmax, 1));
      for (; i < n; i++) ymax = Math.max(ymax, Math.abs(ld(y, i)));
    }
    if (!(ymax > 0)) { // y constant (with an intercept) or all zero: fitted exactly, no variance to estimate
      fillNaN(f, p, q, nth, oBeta, oSe, oDf, oCov, oScale, oLL, oTheta);
      sti(oStatus, f, STATUS_FAILED); store<u8>(oConv + f, 0); store<u8>(oSing + f, 0); sti(oIter, f, 0);
      if (oObj != 0) st(oObj, f, NaN);
      continue;
    }
    // Scale by a power of two (exact: results unchanged) when the largest |y| is far from 1: the fit is
    // equivariant in scale, and y near 1e+-300 would otherwise overflow or underflow y'y and pwrss.
    let yexp = <i32>Math.max(-1000.0, Math.min(1000.0, Math.round(Math.log2(ymax))));
    if (yexp >= -SCALE_FREE_EXP && yexp <= SCALE_FREE_EXP) yexp = 0; // squares stay far from overflow: no pass needed
    const ysc = pow2(yexp); // y = ysc * (scaled y)
    if (yexp != 0) {
      const inv = pow2(-yexp);
      for (let i = 0; i < n; i++) st(yc, i, ld(y, i) * inv);
      y = yc;
      yy = dot(y, y, n);
    }
    // pass 3: X'y, four columns at a time, and the groups' Z'y
    const Xty = R.Xty, Zty = R.Ztyg;
    let j0 = 0;
    for (; j0 + 4 <= p; j0 += 4) dot4(XT + (<usize>(j0 * n) << 3), n, y, Xty + (<usize>j0 << 3));
    for (; j0 < p; j0++) st(Xty, j0, dot(XT + (<usize>(j0 * n) << 3), y, n));
    for (let j = 0; j < G * q; j++) st(Zty, j, 0);
    if (q == 1) {
      for (let i = 0; i < n; i++) {
        const idx = ldi(grp, i);
        st(Zty, idx, ld(Zty, idx) + ld(ZT, i) * ld(y, i));
      }
    } else for (let k = 0; k < q; k++) {
      const zc = ZT + (<usize>(k * n) << 3);
      for (let i = 0; i < n; i++) {
        const idx = ldi(grp, i) * q + k;
        st(Zty, idx, ld(Zty, idx) + ld(zc, i) * ld(y, i));
      }
    }
    R.setYty(yy);
    if (q == 1) {
      const K = R.K;
      if (K == 1) {
        // every group the same size (a balanced design): the pool's sums are Z'y.Z'y and ZtX' Z'y, in
        // registers two columns at a time (the general loop below chains every add through memory)
        st(R.poolW, 0, dot(Zty, Zty, G));
        let j = 0;
        for (; j + 4 <= p; j += 4) {
          let a0 = f64x2.splat(0.0), a1 = f64x2.splat(0.0);
          for (let g = 0; g < G; g++) {
            const zv = f64x2.splat(ld(Zty, g));
            const o = ZtX + (<usize>(g * p + j) << 3);
            a0 = f64x2.add(a0, f64x2.mul(v128.load(o), zv));
            a1 = f64x2.add(a1, f64x2.mul(v128.load(o + 16), zv));
          }
          v128.store(R.poolV + (<usize>j << 3), a0);
          v128.store(R.poolV + (<usize>(j + 2) << 3), a1);
        }
        for (; j < p; j++) {
          let a = 0.0;
          for (let g = 0; g < G; g++) a += ld(ZtX, g * p + j) * ld(Zty, g);
          st(R.poolV, j, a);
        }
      } else {
        for (let k = 0; k < K * p; k++) st(R.poolV, k, 0);
        for (let k = 0; k < K; k++) st(R.poolW, k, 0);
        for (let g = 0; g < G; g++) {
          const k = ldi(R.groupPool, g);
          const zy = ld(Zty, g);
          st(R.poolW, k, ld(R.poolW, k) + zy * zy);
          for (let j = 0; j < p; j++) st(R.poolV, k * p + j, ld(R.poolV, k * p + j) + ld(ZtX, g * p + j) * zy);
        }
      }
    }
    if (exactCheck) {
      let rss = yy;
      for (let j = 0; j < p; j++) st(xyt, j, ld(Xty, j));
      if (q == 1) {
        // the same sums from the pools of equal group size: O(K p) instead of O(G p) per feature
        for (let k = 0; k < R.K; k++) {
          const z = ld(R.poolZ, k);
          if (!(z > 0)) continue; // pinv of a zero Z_g'Z_g is 0
          rss -= ld(R.poolW, k) / z;
          for (let j = 0; j < p; j++) st(xyt, j, ld(xyt, j) - ld(R.poolV, k * p + j) / z);
        }
      } else for (let g = 0; g < G; g++) {
        for (let k = 0; k < q; k++) {
          let a = 0.0;
          for (let l = 0; l < q; l++) a += ld(CpG, (g * q + k) * q + l) * ld(Zty, g * q + l);
          st(cpy, k, a);
          rss -= ld(Zty, g * q + k) * a;
        }
        for (let j = 0; j < p; j++) {
          let a = 0.0;
          for (let k = 0; k < q; k++) a += ld(ZtX, (g * q + k) * p + j) * ld(cpy, k);
          st(xyt, j, ld(xyt, j) - a);
        }
      }
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) rss -= ld(xyt, i) * ld(XtP, i * p + j) * ld(xyt, j);
      if (!(rss > 1e-13 * yy)) {
        fillNaN(f, p, q, nth, oBeta, oSe, oDf, oCov, oScale, oLL, oTheta);
        sti(oStatus, f, STATUS_FAILED); store<u8>(oConv + f, 0); store<u8>(oSing + f, 0); sti(oIter, f, 0);
        if (oObj != 0) st(oObj, f, NaN);
        continue;
      }
    }
    R.nEval = 0;
    // q >= 2, y in the column space of X (no residual at theta = 0, so none at any theta): nothing to optimise
    let exactByX = false;
    if (q >= 2) {
      for (let i = 0; i < nth; i++) st(theta, i, 0);
      R.evaluate(theta);
      exactByX = !R.evalOk || !(R.pwrss > 1e-24 * yy);
    }
    if (exactByX) {
      fillNaN(f, p, q, nth, oBeta, oSe, oDf, oCov, oScale, oLL, oTheta);
      sti(oStatus, f, STATUS_FAILED); store<u8>(oConv + f, 0); store<u8>(oSing + f, 0); sti(oIter, f, R.nEval);
      if (oObj != 0) st(oObj, f, NaN);
      continue;
    }
    R.nEval = 0;
    let conv = true;
    if (q == 1) { optimQ1(theta); conv = lastConverged; }
    else { optimGeneral(theta); conv = lastConverged; }
    const iters = R.nEval;
    const crit = R.criterion(theta);
    if ((q > 1 && diverged) || !R.evalOk || !isFinite(crit) || !(R.pwrss > 1e-24 * yy)) { // (also: y fitted exactly by X, or by X and Z: no optimum)
      fillNaN(f, p, q, nth, oBeta, oSe, oDf, oCov, oScale, oLL, oTheta);
      sti(oStatus, f, STATUS_FAILED); store<u8>(oConv + f, 0); store<u8>(oSing + f, 0); sti(oIter, f, iters);
      if (oObj != 0) st(oObj, f, NaN);
      continue;
    }
    const s2in = R.pwrss / <f64>(reml != 0 ? n - p : n); // on the scaled y
    const s2 = s2in * ysc * ysc;
    R.computeAinv();
    for (let j = 0; j < p; j++) {
      st(oBeta, f * p + j, ld(R.beta, j) * ysc + (j == icol ? ybar / ival : 0.0));
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
      if (isDiag(i) && Math.abs(ld(theta, i)) < 1e-4) sing = true;
    }
    st(oScale, f, s2);
    // the criterion of the unscaled y: pwrss carries ysc^2, so add (n - p) (or n) * log(ysc^2)
    const critY = crit + <f64>(reml != 0 ? n - p : n) * 2.0 * <f64>yexp * Math.LN2;
    st(oLL, f, -0.5 * critY);
    if (oObj != 0) st(oObj, f, critY);
    if (oRanef != 0) {
      const ob = oRanef + (<usize>(f * G * q) << 3), ov = oCondVar + (<usize>(f * G * q * q) << 3);
      ranef(theta, s2in, ob, ov);
      for (let k = 0; k < G * q; k++) st(ob, k, ld(ob, k) * ysc);
      for (let k = 0; k < G * q * q; k++) st(ov, k, ld(ov, k) * ysc * ysc);
    }
    if (reml != 0) satterthwaite(theta, oDf + (<usize>(f * p) << 3));
    else for (let j = 0; j < p; j++) st(oDf, f * p + j, NaN);
    store<u8>(oConv + f, conv ? 1 : 0);
    store<u8>(oSing + f, sing ? 1 : 0);
    sti(oIter, f, iters);
    sti(oStatus, f, STATUS_OK);
  }
  return 0;
}
