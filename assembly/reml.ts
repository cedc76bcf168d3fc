// Profiled REML/ML criterion from per-group sufficient statistics (lme4's formulation).
import { ld, st, ldi, sti, alloc, allocF64 } from "./mem";
import { matVec, residualVec, matMul } from "./linalg/dense";
import { chol, logdet2, fwd, bwd, cholInverse } from "./linalg/chol";

// ---- design (shared by all features) ----
export let n: i32 = 0;
export let p: i32 = 0;
export let q: i32 = 0;
export let G: i32 = 0;
export let nth: i32 = 0;
export let useReml: bool = true;
export let diagCov: bool = false;
export let XtX: usize = 0; // p x p
export let ZtZg: usize = 0; // G x q x q
export let ZtXg: usize = 0; // G x q x p
// q = 1 pooling by the value of Z_g'Z_g
export let K: i32 = 0;
export let poolZ: usize = 0; // K
export let poolCnt: usize = 0; // K
export let poolS: usize = 0; // K x p x p : sum (X_g'z)(z'X_g)
export let groupPool: usize = 0; // G (i32)
export let sumZtZ: f64 = 0; // trace(Z'Z)
export let Ssum: usize = 0; // p x p sum of poolS
export let Aw: usize = 0; // p x p within-group cross-products X'(I - P_Z)X, from the rows (no differences of sums)

// ---- per feature ----
export let Xty: usize = 0; // p
export let yty: f64 = 0;
export let Ztyg: usize = 0; // G x q
export let poolV: usize = 0; // K x p
export let poolW: usize = 0; // K
// q = 1: the response's within-group parts, s_w = y'(I - P_Z)y and r_w = X'(I - P_Z)y (withinFromPools, or
// from the rows when the residual is small: batch.ts refineResponse)
export let sw: f64 = 0;
export let rw: usize = 0; // p

// ---- workspace / results of the last evaluation ----
export let Lam: usize = 0; // q x q
export let T: usize = 0; // q x q: a group's factor chol(Lam' ZtZ_g Lam + I), after groupFactor
export let W: usize = 0; // q x q: Z_g'Z_g Lam, after groupFactor
let RZX: usize = 0; // q x p
let cu: usize = 0; // q
export let A: usize = 0; // p x p, holds chol(X'V*^-1 X) after eval
export let r: usize = 0; // p
export let beta: usize = 0; // p
export let ztmp: usize = 0; // p
export let Ainv: usize = 0; // p x p
export let work: usize = 0; // p x p
export let ldL: f64 = 0;
export let ldRX: f64 = 0;
export let pwrss: f64 = 0;
export let evalOk: bool = true;
export let nEval: i32 = 0;

export function setupWorkspace(): void {
  Lam = allocF64(q * q);
  T = allocF64(q * q);
  W = allocF64(q * q);
  RZX = allocF64(q * p);
  cu = allocF64(q);
  A = allocF64(p * p);
  r = allocF64(p);
  beta = allocF64(p);
  ztmp = allocF64(p);
  Ainv = allocF64(p * p);
  work = allocF64(p * p);
  Xty = allocF64(p);
  rw = allocF64(p);
  memoTh = allocF64(nth);
  Ztyg = allocF64(G * q);
  gK = allocF64(q * q); gM = allocF64(q * q); gN = allocF64(q * q); gS = allocF64(q * q); gQ = allocF64(q * q);
  gKC = allocF64(q * q); gY = allocF64(q * p); ge = allocF64(q); gu = allocF64(q); gv = allocF64(q); gt = allocF64(q);
  gradL = allocF64(nth); gradP = allocF64(nth); gradAinv = allocF64(nth * p);
  thRow = alloc(<usize>(nth * 4 + 16)); thCol = alloc(<usize>(nth * 4 + 16));
  let idx = 0;
  if (diagCov) { for (let i = 0; i < q; i++) { sti(thRow, i, i); sti(thCol, i, i); } }
  else for (let j = 0; j < q; j++) for (let i = j; i < q; i++) { sti(thRow, idx, i); sti(thCol, idx, j); idx++; }
}

export function setDesignDims(n_: i32, p_: i32, q_: i32, G_: i32, reml: bool, diag: bool): void {
  n = n_; p = p_; q = q_; G = G_; useReml = reml; diagCov = diag;
  forget();
  nth = diag ? q : (q * (q + 1)) >> 1;
}

export function setPointers(xtx: usize, ztz: usize, ztx: usize): void {
  XtX = xtx; ZtZg = ztz; ZtXg = ztx;
}

export function setWithin(aw: usize): void { Aw = aw; }

export function setPools(k: i32, pz: usize, pc: usize, ps: usize, gp: usize, ss: usize, sz: f64): void {
  K = k; poolZ = pz; poolCnt = pc; poolS = ps; groupPool = gp; Ssum = ss; sumZtZ = sz;
  poolV = allocF64(K * p);
  poolW = allocF64(K);
}

export function setYty(v: f64): void { yty = v; forget(); }

// The state (chol(A), beta, pwrss, log-determinants) of the last evaluation, and A^-1, are kept for its
// theta: the fit's end, its certificate and the Satterthwaite step evaluate where the optimiser stopped
// (for q = 1 three evaluations a feature, of ~15). Anything that changes y or the design forgets.
let memoOk = false;
let memoTh: usize = 0; // nth
let ainvOk = false;

/** Drop the kept evaluation (a new response or design). */
export function forget(): void { memoOk = false; ainvOk = false; }

export function buildLambda(th: usize): void {
  for (let i = 0; i < q * q; i++) st(Lam, i, 0);
  if (diagCov) {
    for (let i = 0; i < q; i++) st(Lam, i * q + i, ld(th, i));
  } else {
    let idx = 0;
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) { st(Lam, i * q + j, ld(th, idx)); idx++; }
  }
}

/** Finish: Cholesky of A, beta, pwrss. s = y'V*^-1 y-type remainder. */
function finishFixed(s: f64): void {
  if (!chol(A, p, 1e-12)) { evalOk = false; return; }
  ldRX = logdet2(A, p);
  for (let j = 0; j < p; j++) st(ztmp, j, ld(r, j));
  fwd(A, p, ztmp, 1);
  let zz = 0.0;
  for (let j = 0; j < p; j++) { const z = ld(ztmp, j); zz += z * z; st(beta, j, z); }
  bwd(A, p, beta, 1);
  pwrss = s - zz;
  if (!(pwrss > 0)) pwrss = 1e-300;
  evalOk = true;
}

function copyBase(): void {
  for (let i = 0; i < p * p; i++) st(A, i, ld(XtX, i));
  for (let j = 0; j < p; j++) st(r, j, ld(Xty, j));
}

/** q = 1: s_w and r_w by differences of the pooled sums (exact enough while the within residual is not
 * small against y'y: REFINE_RSS; else batch.ts computes them from the rows). */
export function withinFromPools(): void {
  sw = yty;
  for (let j = 0; j < p; j++) st(rw, j, ld(Xty, j));
  for (let k = 0; k < K; k++) {
    const z = ld(poolZ, k);
    if (!(z > 0)) continue;
    sw -= ld(poolW, k) / z;
    for (let j = 0; j < p; j++) st(rw, j, ld(rw, j) - ld(poolV, k * p + j) / z);
  }
}

/** q = 1: s_w computed from the rows (R.rw written beside it). */
export function setWithinResponse(s: f64): void { sw = s; forget(); }

/** q = 1: pooled by group size (Z_g'Z_g); cost O(K p^2). With t = theta^2 and u_k = 1 + z_k t,
 * X'V*^-1 X = A_w + sum_k S_k / (z_k u_k) (and likewise X'V*^-1 y, y'V*^-1 y): within parts plus
 * shrunken between parts, a sum of positive terms at any t (the form X'X - sum_k S_k t / u_k cancels
 * to the digits of 1 / (z t) as t grows). */
function evalPooled(th: usize): void {
  const t0 = ld(th, 0);
  const t = t0 * t0;
  for (let i = 0; i < p * p; i++) st(A, i, ld(Aw, i));
  for (let j = 0; j < p; j++) st(r, j, ld(rw, j));
  let s = sw;
  let ldl = 0.0;
  for (let k = 0; k < K; k++) {
    const z = ld(poolZ, k);
    if (!(z > 0)) continue; // a group without Z: no random effect, all of it within
    const zt = z * t;
    const c = 1 / (z * (1 + zt));
    ldl += ld(poolCnt, k) * Math.log1p(zt);
    const Sk = poolS + (<usize>(k * p * p) << 3);
    for (let i = 0; i < p; i++) for (let j = 0; j <= i; j++) st(A, i * p + j, ld(A, i * p + j) + c * ld(Sk, i * p + j));
    const Vk = poolV + (<usize>(k * p) << 3);
    for (let j = 0; j < p; j++) st(r, j, ld(r, j) + c * ld(Vk, j));
    s += c * ld(poolW, k);
  }
  ldL = ldl;
  finishFixed(s);
}

/** One group's factor (lme4's L_theta block): W = ZtZ_g Lam, T = chol(Lam' W + I), lower triangle. */
export function groupFactor(Zg: usize): void {
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let a = 0.0;
    for (let k = j; k < q; k++) a += ld(Zg, i * q + k) * ld(Lam, k * q + j);
    st(W, i * q + j, a);
  }
  for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) {
    let a = 0.0;
    for (let k = i; k < q; k++) a += ld(Lam, k * q + i) * ld(W, k * q + j);
    st(T, i * q + j, a + (i == j ? 1.0 : 0.0));
  }
  chol(T, q, 0.0);
}

/** General q: per-group small Cholesky factorisations. */
function evalGeneral(th: usize): void {
  buildLambda(th);
  copyBase();
  let s = yty;
  let ldl = 0.0;
  for (let g = 0; g < G; g++) {
    const Zg = ZtZg + (<usize>(g * q * q) << 3);
    const ZXg = ZtXg + (<usize>(g * q * p) << 3);
    const Zyg = Ztyg + (<usize>(g * q) << 3);
    groupFactor(Zg); // W = ZtZ_g Lam ; T = chol(Lam' W + I)
    ldl += logdet2(T, q);
    // RZX = L^-1 Lam' ZtX_g ; cu = L^-1 Lam' Zty_g
    for (let i = 0; i < q; i++) {
      for (let j = 0; j < p; j++) {
        let a = 0.0;
        for (let k = i; k < q; k++) a += ld(Lam, k * q + i) * ld(ZXg, k * p + j);
        st(RZX, i * p + j, a);
      }
      let b = 0.0;
      for (let k = i; k < q; k++) b += ld(Lam, k * q + i) * ld(Zyg, k);
      st(cu, i, b);
    }
    for (let j = 0; j < p; j++) fwd(T, q, RZX + (<usize>j << 3), p);
    fwd(T, q, cu, 1);
    for (let i = 0; i < p; i++) {
      for (let j = 0; j <= i; j++) {
        let a = 0.0;
        for (let k = 0; k < q; k++) a += ld(RZX, k * p + i) * ld(RZX, k * p + j);
        st(A, i * p + j, ld(A, i * p + j) - a);
      }
      let b = 0.0;
      for (let k = 0; k < q; k++) b += ld(RZX, k * p + i) * ld(cu, k);
      st(r, i, ld(r, i) - b);
    }
    for (let k = 0; k < q; k++) { const c = ld(cu, k); s -= c * c; }
  }
  ldL = ldl;
  finishFixed(s);
}

/** q = 2, unrolled (Lam = [[l11, 0], [l21, l22]]): same algebra as evalGeneral. */
function evalQ2(th: usize): void {
  let l11: f64, l21: f64, l22: f64;
  if (diagCov) { l11 = ld(th, 0); l21 = 0; l22 = ld(th, 1); }
  else { l11 = ld(th, 0); l21 = ld(th, 1); l22 = ld(th, 2); }
  copyBase();
  let s = yty;
  let lsum = 0.0, prod = 1.0;
  for (let g = 0; g < G; g++) {
    const Zg = ZtZg + (<usize>(g << 2) << 3);
    const B0 = ZtXg + (<usize>(g * 2 * p) << 3);
    const B1 = B0 + (<usize>p << 3);
    const Zyg = Ztyg + (<usize>(g << 1) << 3);
    const c11 = ld(Zg, 0), c12 = ld(Zg, 1), c22 = ld(Zg, 3);
    const w11 = c11 * l11 + c12 * l21, w21 = c12 * l11 + c22 * l21, w22 = c22 * l22;
    const t11 = l11 * w11 + l21 * w21 + 1.0;
    const t21 = l22 * w21;
    const t22 = l22 * w22 + 1.0;
    const L11 = Math.sqrt(t11);
    const L21 = t21 / L11;
    const d22 = t22 - L21 * L21;
    const L22 = Math.sqrt(d22);
    prod *= t11 * d22;
    if (prod > 1e150 || prod < 1e-150) { lsum += Math.log(prod); prod = 1.0; }
    const i11 = 1.0 / L11, i22 = 1.0 / L22;
    const y0 = ld(Zyg, 0), y1 = ld(Zyg, 1);
    const cu0 = (l11 * y0 + l21 * y1) * i11;
    const cu1 = (l22 * y1 - L21 * cu0) * i22;
    // RZX rows into the workspace
    for (let j = 0; j < p; j++) {
      const b0 = ld(B0, j), b1 = ld(B1, j);
      const r0 = (l11 * b0 + l21 * b1) * i11;
      st(RZX, j, r0);
      st(RZX, p + j, (l22 * b1 - L21 * r0) * i22);
    }
    for (let i = 0; i < p; i++) {
      const r0i = ld(RZX, i), r1i = ld(RZX, p + i);
      const row = A + (<usize>(i * p) << 3);
      for (let j = 0; j <= i; j++) st(row, j, ld(row, j) - (r0i * ld(RZX, j) + r1i * ld(RZX, p + j)));
      st(r, i, ld(r, i) - (r0i * cu0 + r1i * cu1));
    }
    s -= cu0 * cu0 + cu1 * cu1;
  }
  ldL = lsum + Math.log(prod);
  finishFixed(s);
}

/** Is the kept state this theta's? */
function memoHit(th: usize): bool {
  if (!memoOk) return false;
  for (let i = 0; i < nth; i++) if (ld(th, i) != ld(memoTh, i)) return false;
  return true;
}

/** Evaluate at theta; sets ldL, ldRX, pwrss, beta, chol(A). */
export function evaluate(th: usize): void {
  if (memoHit(th)) return;
  nEval++;
  if (q == 1) evalPooled(th); else if (q == 2) evalQ2(th); else evalGeneral(th);
  memoOk = true;
  for (let i = 0; i < nth; i++) st(memoTh, i, ld(th, i));
  ainvOk = false;
}

export function criterionFromState(): f64 {
  if (!evalOk) return Infinity;
  if (useReml) {
    const d = <f64>(n - p);
    return ldL + ldRX + d * (1 + Math.log(2 * Math.PI * pwrss / d));
  }
  const nn = <f64>n;
  return ldL + nn * (1 + Math.log(2 * Math.PI * pwrss / nn));
}

export function criterion(th: usize): f64 {
  evaluate(th);
  return criterionFromState();
}

// ---- analytic gradient of the profiled criterion in theta (any q), from the per-group statistics ----
// With M_g = Lam T_g^-1 Lam' (T_g = Lam' C_g Lam + I), K_g = T_g^-1 Lam', N_g = I - C_g M_g:
//   dM_g = N_g' dLam K_g + K_g' dLam' N_g,
//   d log|T_g|        = 2 tr(K_g C_g dLam),
//   d pwrss           = -sum_g e_g' dM_g e_g = -2 sum_g (N_g e_g)' dLam (K_g e_g)   (e_g = Z_g'y_g - Z_g'X_g beta; envelope in beta)
//   d log|X'V*^-1 X|  = -sum_g tr(S_g dM_g) = -2 sum_g tr(K_g S_g N_g' dLam)      (S_g = Z_g'X_g A^-1 X_g'Z_g)
// and dLam = E_ij for the theta element at Lam[i][j]. Cost O(G (q^2 p + q p^2) + p^3) per gradient.
let gK: usize = 0; let gM: usize = 0; let gN: usize = 0; let gS: usize = 0; let gQ: usize = 0; let gKC: usize = 0;
let gY: usize = 0; let ge: usize = 0; let gu: usize = 0; let gv: usize = 0; let gt: usize = 0;
export let gradL: usize = 0; // nth: d(ldL + ldRX [REML]) / d theta
export let gradP: usize = 0; // nth: d pwrss / d theta
export let gradAinv: usize = 0; // nth x p: d (A^-1)_jj / d theta (only when gradient(.., .., true), REML)
export let thRow: usize = 0; export let thCol: usize = 0; // theta index -> (row, col) of Lam

/** The per-group loop of gradient() for q = 2, unrolled (gradAinv not computed). */
function gradQ2(th: usize): void {
  let l11: f64, l21: f64, l22: f64;
  if (diagCov) { l11 = ld(th, 0); l21 = 0; l22 = ld(th, 1); }
  else { l11 = ld(th, 0); l21 = ld(th, 1); l22 = ld(th, 2); }
  let gl0 = 0.0, gl1 = 0.0, gl2 = 0.0, gp0 = 0.0, gp1 = 0.0, gp2 = 0.0;
  for (let g = 0; g < G; g++) {
    const Zg = ZtZg + (<usize>(g << 2) << 3);
    const B0 = ZtXg + (<usize>(g * 2 * p) << 3);
    const B1 = B0 + (<usize>p << 3);
    const Zyg = Ztyg + (<usize>(g << 1) << 3);
    const c11 = ld(Zg, 0), c12 = ld(Zg, 1), c22 = ld(Zg, 3);
    const w11 = c11 * l11 + c12 * l21, w21 = c12 * l11 + c22 * l21, w12 = c12 * l22, w22 = c22 * l22;
    const t11 = l11 * w11 + l21 * w21 + 1.0;
    const t21 = l22 * w21;
    const t22 = l22 * w22 + 1.0;
    const idet = 1.0 / (t11 * t22 - t21 * t21);
    // K = T^-1 Lam'
    const k11 = t22 * l11 * idet, k12 = (t22 * l21 - t21 * l22) * idet;
    const k21 = -t21 * l11 * idet, k22 = (t11 * l22 - t21 * l21) * idet;
    // KC = K C
    const kc11 = k11 * c11 + k12 * c12, kc12 = k11 * c12 + k12 * c22;
    const kc21 = k21 * c11 + k22 * c12, kc22 = k21 * c12 + k22 * c22;
    // e = c - B beta ; u = K e ; v = e - W u
    let e0 = ld(Zyg, 0), e1 = ld(Zyg, 1);
    for (let j = 0; j < p; j++) { const bj = ld(beta, j); e0 -= ld(B0, j) * bj; e1 -= ld(B1, j) * bj; }
    const u0 = k11 * e0 + k12 * e1, u1 = k21 * e0 + k22 * e1;
    const v0 = e0 - (w11 * u0 + w12 * u1), v1 = e1 - (w21 * u0 + w22 * u1);
    gl0 += 2 * kc11; gl1 += 2 * kc12; gl2 += 2 * kc22;
    gp0 -= 2 * v0 * u0; gp1 -= 2 * v1 * u0; gp2 -= 2 * v1 * u1;
    if (useReml) {
      // S = B A^-1 B'
      let s00 = 0.0, s01 = 0.0, s11 = 0.0;
      for (let i = 0; i < p; i++) {
        const row = Ainv + (<usize>(i * p) << 3);
        let y0 = 0.0, y1 = 0.0;
        for (let k = 0; k < p; k++) { const a = ld(row, k); y0 += ld(B0, k) * a; y1 += ld(B1, k) * a; }
        const b0 = ld(B0, i), b1 = ld(B1, i);
        s00 += y0 * b0; s01 += y0 * b1; s11 += y1 * b1;
      }
      // N' = I - Lam KC ; Q = K S N'
      const n11 = 1.0 - l11 * kc11, n12 = -l11 * kc12;
      const n21 = -(l21 * kc11 + l22 * kc21), n22 = 1.0 - (l21 * kc12 + l22 * kc22);
      const m11 = k11 * s00 + k12 * s01, m12 = k11 * s01 + k12 * s11;
      const m21 = k21 * s00 + k22 * s01, m22 = k21 * s01 + k22 * s11;
      gl0 -= 2 * (m11 * n11 + m12 * n21); // Q[0][0]
      gl1 -= 2 * (m11 * n12 + m12 * n22); // Q[0][1]
      gl2 -= 2 * (m21 * n12 + m22 * n22); // Q[1][1]
    }
  }
  if (diagCov) { st(gradL, 0, gl0); st(gradL, 1, gl2); st(gradP, 0, gp0); st(gradP, 1, gp2); }
  else { st(gradL, 0, gl0); st(gradL, 1, gl1); st(gradL, 2, gl2); st(gradP, 0, gp0); st(gradP, 1, gp1); st(gradP, 2, gp2); }
}

/** Criterion and its gradient at theta (out: nth). Also leaves gradL, gradP and the evaluate() state. */
export function gradient(th: usize, out: usize, wantAinv: bool = false): f64 {
  evaluate(th);
  const f = criterionFromState();
  if (!isFinite(f)) { for (let t = 0; t < nth; t++) st(out, t, 0); return f; }
  if (useReml) computeAinv();
  for (let t = 0; t < nth; t++) { st(gradL, t, 0); st(gradP, t, 0); }
  const wa = wantAinv && useReml;
  if (wa) for (let t = 0; t < nth * p; t++) st(gradAinv, t, 0);
  if (q == 2 && !wa) { gradQ2(th); }
  else {
  buildLambda(th); // (a kept evaluation may have left another theta's Lambda)
  for (let g = 0; g < G; g++) {
    const Zg = ZtZg + (<usize>(g * q * q) << 3);
    const ZXg = ZtXg + (<usize>(g * q * p) << 3);
    const Zyg = Ztyg + (<usize>(g * q) << 3);
    groupFactor(Zg); // W = C Lam ; T = chol(Lam' W + I)
    // K = T^-1 Lam' (column c of Lam' is row c of Lam)
    for (let c = 0; c < q; c++) {
      for (let i = 0; i < q; i++) st(gt, i, ld(Lam, c * q + i));
      fwd(T, q, gt, 1); bwd(T, q, gt, 1);
      for (let i = 0; i < q; i++) st(gK, i * q + c, ld(gt, i));
    }
    // KC = K C
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
      let a = 0.0;
      for (let k = 0; k < q; k++) a += ld(gK, i * q + k) * ld(Zg, k * q + j);
      st(gKC, i * q + j, a);
    }
    // e = c - B beta ; u = K e ; v = e - W u
    residualVec(Zyg, ZXg, beta, ge, q, p);
    matVec(gK, ge, gu, q, q);
    for (let i = 0; i < q; i++) {
      let a = ld(ge, i);
      for (let k = 0; k < q; k++) a -= ld(W, i * q + k) * ld(gu, k);
      st(gv, i, a);
    }
    if (useReml) {
      // N' = I - M C = I - Lam K C
      for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
        let a = 0.0;
        for (let k = 0; k <= i; k++) a += ld(Lam, i * q + k) * ld(gKC, k * q + j);
        st(gN, i * q + j, (i == j ? 1.0 : 0.0) - a); // holds N'
      }
      // Y = B Ainv ; S = Y B'
      for (let i = 0; i < q; i++) for (let j = 0; j < p; j++) {
        let a = 0.0;
        for (let k = 0; k < p; k++) a += ld(ZXg, i * p + k) * ld(Ainv, k * p + j);
        st(gY, i * p + j, a);
      }
      for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) {
        let a = 0.0;
        for (let k = 0; k < p; k++) a += ld(gY, i * p + k) * ld(ZXg, j * p + k);
        st(gS, i * q + j, a); st(gS, j * q + i, a);
      }
      // M = K S ; Q = M N'
      matMul(gK, gS, gM, q, q, q);
      matMul(gM, gN, gQ, q, q, q);
      if (wa) {
        // d(A^-1)_jj = a_j' (sum_g B_g' dM_g B_g) a_j = 2 sum_g (N_g w)' dLam (K_g w), w = B_g A^-1 e_j = Y e_j
        for (let c = 0; c < p; c++) {
          for (let i = 0; i < q; i++) {
            let a = 0.0;
            for (let k = 0; k < q; k++) a += ld(gK, i * q + k) * ld(gY, k * p + c);
            st(gu, i, a); // K w (gu/gv are recomputed below for the residual)
          }
          for (let i = 0; i < q; i++) {
            let a = ld(gY, i * p + c);
            for (let k = 0; k < q; k++) a -= ld(W, i * q + k) * ld(gu, k);
            st(gv, i, a);
          }
          for (let t = 0; t < nth; t++) {
            const ti = ldi(thRow, t), tj = ldi(thCol, t);
            st(gradAinv, t * p + c, ld(gradAinv, t * p + c) + 2 * ld(gv, ti) * ld(gu, tj));
          }
        }
        for (let i = 0; i < q; i++) {
          let a = 0.0;
          for (let k = 0; k < q; k++) a += ld(gK, i * q + k) * ld(ge, k);
          st(gu, i, a);
        }
        for (let i = 0; i < q; i++) {
          let a = ld(ge, i);
          for (let k = 0; k < q; k++) a -= ld(W, i * q + k) * ld(gu, k);
          st(gv, i, a);
        }
      }
    }
    for (let t = 0; t < nth; t++) {
      const i = ldi(thRow, t), j = ldi(thCol, t);
      let dl = 2 * ld(gKC, j * q + i);
      if (useReml) dl -= 2 * ld(gQ, j * q + i);
      st(gradL, t, ld(gradL, t) + dl);
      st(gradP, t, ld(gradP, t) - 2 * ld(gv, i) * ld(gu, j));
    }
  }
  }
  const dfr = <f64>(useReml ? n - p : n);
  for (let t = 0; t < nth; t++) st(out, t, ld(gradL, t) + dfr * ld(gradP, t) / pwrss);
  return f;
}

/** (A^{-1}) from the current chol(A). */
export function computeAinv(): void {
  if (ainvOk) return;
  cholInverse(A, p, Ainv, work);
  ainvOk = memoOk; // kept with the kept evaluation
}

/** d criterion / d(theta^2) at theta = 0 for q = 1 (analytic). Leaves state at theta=0. */
export function slopeAtZero(th: usize): f64 {
  st(th, 0, 0);
  evaluate(th);
  if (!evalOk) return 0;
  // dP/dt = -sum_g (Z_g'y_g - Z_g'X_g beta)^2
  let dP = 0.0;
  for (let g = 0; g < G; g++) {
    let e = ld(Ztyg, g);
    const ZXg = ZtXg + (<usize>(g * p) << 3);
    for (let j = 0; j < p; j++) e -= ld(ZXg, j) * ld(beta, j);
    dP -= e * e;
  }
  let d = sumZtZ;
  if (useReml) {
    computeAinv();
    let tr = 0.0;
    for (let i = 0; i < p * p; i++) tr += ld(Ainv, i) * ld(Ssum, i);
    d -= tr;
    d += <f64>(n - p) * dP / pwrss;
  } else {
    d += <f64>n * dP / pwrss;
  }
  return d;
}

// ---- analytic theta-derivatives for q = 1 (pooled), used by the Satterthwaite df ----
let A1: usize = 0;
let A2: usize = 0;
let M1: usize = 0;
let r1: usize = 0;
let r2: usize = 0;
let bp: usize = 0;
export let dF: f64 = 0;
export let dF2: f64 = 0;
export let dP: f64 = 0;
export let dP2: f64 = 0;
export let dFabs: f64 = 0; // |d log|L|^2 / d theta| + |d log|R_X|^2 / d theta|: the scale dF's terms cancel at
export let dAinv: usize = 0; // p: d (A^-1)_jj / d theta

export function setupDerivs(): void {
  A1 = allocF64(p * p); A2 = allocF64(p * p); M1 = allocF64(p * p);
  r1 = allocF64(p); r2 = allocF64(p); bp = allocF64(p); dAinv = allocF64(p);
}

/** First/second derivatives in theta of F = log|L|^2 + log|R_X|^2 and P = pwrss, and of diag(A^-1). */
export function derivsQ1(th: usize): void {
  const theta = ld(th, 0);
  const t = theta * theta;
  evaluate(th);
  computeAinv();
  for (let i = 0; i < p * p; i++) { st(A1, i, 0); st(A2, i, 0); }
  for (let j = 0; j < p; j++) { st(r1, j, 0); st(r2, j, 0); }
  let s1 = 0.0, s2 = 0.0, L1 = 0.0, L2 = 0.0;
  for (let k = 0; k < K; k++) {
    const z = ld(poolZ, k);
    const u = 1 + z * t;
    const c1 = 1 / (u * u);
    const c2 = -2 * z / (u * u * u);
    const cnt = ld(poolCnt, k);
    L1 += cnt * z / u;
    L2 -= cnt * z * z / (u * u);
    const Sk = poolS + (<usize>(k * p * p) << 3);
    for (let i = 0; i < p * p; i++) { const v = ld(Sk, i); st(A1, i, ld(A1, i) - c1 * v); st(A2, i, ld(A2, i) - c2 * v); }
    const Vk = poolV + (<usize>(k * p) << 3);
    for (let j = 0; j < p; j++) { const v = ld(Vk, j); st(r1, j, ld(r1, j) - c1 * v); st(r2, j, ld(r2, j) - c2 * v); }
    const w = ld(poolW, k);
    s1 -= c1 * w; s2 -= c2 * w;
  }
  matMul(Ainv, A1, M1, p, p, p); // M1 = Ainv A1
  let tr1 = 0.0, tr2 = 0.0, trMM = 0.0;
  for (let i = 0; i < p; i++) {
    tr1 += ld(M1, i * p + i);
    for (let k = 0; k < p; k++) { tr2 += ld(Ainv, i * p + k) * ld(A2, k * p + i); trMM += ld(M1, i * p + k) * ld(M1, k * p + i); }
  }
  // beta' = Ainv (r1 - A1 beta)
  residualVec(r1, A1, beta, ztmp, p, p);
  matVec(Ainv, ztmp, bp, p, p);
  let r1b = 0.0, r2b = 0.0, bA1b = 0.0, bA2b = 0.0, r1bp = 0.0, bpA1b = 0.0;
  for (let i = 0; i < p; i++) {
    const bi = ld(beta, i), bpi = ld(bp, i);
    r1b += ld(r1, i) * bi; r2b += ld(r2, i) * bi; r1bp += ld(r1, i) * bpi;
    for (let k = 0; k < p; k++) {
      const a1 = ld(A1, i * p + k);
      bA1b += bi * a1 * ld(beta, k);
      bA2b += bi * ld(A2, i * p + k) * ld(beta, k);
      bpA1b += bpi * a1 * ld(beta, k);
    }
  }
  const Pt = s1 - 2 * r1b + bA1b;
  const Ptt = s2 - 2 * r2b - 2 * r1bp + 2 * bpA1b + bA2b;
  let Ft = L1, Ftt = L2;
  let Fabs = Math.abs(L1);
  if (useReml) { Ft += tr1; Ftt += tr2 - trMM; Fabs += Math.abs(tr1); }
  // chain rule t = theta^2
  dF = 2 * theta * Ft; dF2 = 2 * Ft + 4 * t * Ftt;
  dFabs = 2 * theta * Fabs;
  dP = 2 * theta * Pt; dP2 = 2 * Pt + 4 * t * Ptt;
  // d(Ainv)_jj/dt = -(M1 Ainv)_jj
  for (let j = 0; j < p; j++) {
    let a = 0.0;
    for (let k = 0; k < p; k++) a += ld(M1, j * p + k) * ld(Ainv, k * p + j);
    st(dAinv, j, -2 * theta * a);
  }
}
