// Profiled REML/ML criterion from per-group sufficient statistics (lme4's formulation).
import { ld, st, ldi, sti, alloc, allocF64 } from "../mem";
import { matVec, residualVec, matMul } from "../linalg/dense";
import { chol, logdet2, fwd, bwd, cholInverse, PROD_MAX, PROD_MIN } from "../linalg/chol";
import { XVX_CHOL_RTOL, PWRSS_MIN } from "../tolerances";

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
let sumZtZ: f64 = 0; // trace(Z'Z)
let Ssum: usize = 0; // p x p sum of poolS
export let Aw: usize = 0; // p x p within-group cross-products X'(I - P_Z)X, from the rows (no differences of sums)

// ---- per feature ----
export let yty: f64 = 0;
export let Ztyg: usize = 0; // G x q
export let poolV: usize = 0; // K x p
export let poolW: usize = 0; // K
// q = 1: the response's within-group parts, s_w = y'(I - P_Z)y and r_w = X'(I - P_Z)y (withinFromPools, or
// from the rows when the residual is small: response.ts refine)
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
  rw = allocF64(p);
  memoTh = allocF64(nth);
  gradMemo = allocF64(nth);
  Ztyg = allocF64(G * q);
  gGi = allocF64(q * q); gHU = allocF64(q * q); gH = allocF64(q * q); gKC = allocF64(q * q); gQ = allocF64(q * q);
  gYH = allocF64(q * q); gHB = allocF64(q * p); gY = allocF64(q * p); ge = allocF64(q); gw = allocF64(q); gu = allocF64(q); gv = allocF64(q);
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
let derivsOk = false; // derivsQ1's results are the kept evaluation's (the fit's last Newton step, then the df)
let gradOk = false; // gradient()'s results (gradMemo, gradL, gradP) are the kept evaluation's (the certificate's)
let gradMemo: usize = 0; // nth

/** Drop the kept evaluation (a new response or design). */
function forget(): void { memoOk = false; ainvOk = false; derivsOk = false; gradOk = false; }

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
  if (!chol(A, p, XVX_CHOL_RTOL)) { evalOk = false; return; }
  ldRX = logdet2(A, p);
  for (let j = 0; j < p; j++) st(ztmp, j, ld(r, j));
  fwd(A, p, ztmp, 1);
  let zz = 0.0;
  for (let j = 0; j < p; j++) { const z = ld(ztmp, j); zz += z * z; st(beta, j, z); }
  bwd(A, p, beta, 1);
  pwrss = s - zz;
  if (!(pwrss > 0)) pwrss = PWRSS_MIN;
  evalOk = true;
}


/** q = 1: s_w by differences of the pooled sums (exact enough while the within residual is not small
 * against y'y: REFINE_RSS; else response.ts computes it from the rows). r_w = X_w'y is set beside it. */
export function withinFromPools(): void {
  sw = yty;
  for (let k = 0; k < K; k++) {
    const z = ld(poolZ, k);
    if (z > 0) sw -= ld(poolW, k) / z;
  }
  forget();
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

// ---- q >= 2: within parts plus shrunken between parts, per group ----
// With C_g = Z_g'Z_g = U D U' (eigenvalues kept above roundoff) and the group's between coordinates
// bX_g = D^-1 U' Z_g'X_g, by_g = D^-1 U' Z_g'y (a group's own Z fit), Z_g'V_g*^-1 Z_g = U G_g^-1 U' with
// G_g = D^-1 + U' Lam Lam' U, so X'V*^-1 X = A_w + sum_g bX' G_g^-1 bX (likewise X'V*^-1 y, y'V*^-1 y) and
// log|Lam' C_g Lam + I| = log|G_g| + log|D_g|: sums of positive terms at any theta (y'y - sum |cu|^2
// cancels to the digits of the residual as theta grows). Dropped eigen-directions have U = 0, D^-1 = 1.
export let Ug: usize = 0; // G x q x q
let Dinvg: usize = 0; // G x q
let BXg: usize = 0; // G x q x p
let ldD: f64 = 0; // sum_g log|D_g|
let Byg: usize = 0; // G x q (per response)
let Gf: usize = 0; // q x q: chol(G_g) after betweenFactor
let Gam: usize = 0; // q x q: Lam' U

export function setBetween(u: usize, dinv: usize, bx: usize, ldd: f64): void {
  Ug = u; Dinvg = dinv; BXg = bx; ldD = ldd;
  Byg = allocF64(G * q); Gf = allocF64(q * q); Gam = allocF64(q * q);
}

/** q >= 2, per response: by_g, and s_w by differences (s_w = y'y - sum_g by' D by; from the rows instead
 * when the residual is small: setWithinResponse). r_w = X_w'y is set beside it. */
export function withinFromGroups(): void {
  sw = yty;
  for (let g = 0; g < G; g++) {
    const U = Ug + (<usize>(g * q * q) << 3), di = Dinvg + (<usize>(g * q) << 3);
    const by = Byg + (<usize>(g * q) << 3);
    for (let m = 0; m < q; m++) {
      let a = 0.0;
      for (let l = 0; l < q; l++) a += ld(U, l * q + m) * ld(Ztyg, g * q + l);
      const b = a * ld(di, m); // 0 where dropped (U's column is 0)
      st(by, m, b);
      sw -= a * b;
    }
  }
  forget();
}

/** G_g = D^-1 + (Lam'U)'(Lam'U) and its Cholesky factor in Gf. */
export function betweenFactor(g: i32): void {
  const U = Ug + (<usize>(g * q * q) << 3), di = Dinvg + (<usize>(g * q) << 3);
  for (let k = 0; k < q; k++) for (let m = 0; m < q; m++) {
    let a = 0.0;
    for (let l = k; l < q; l++) a += ld(Lam, l * q + k) * ld(U, l * q + m);
    st(Gam, k * q + m, a);
  }
  for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) {
    let a = i == j ? ld(di, i) : 0.0;
    for (let k = 0; k < q; k++) a += ld(Gam, k * q + i) * ld(Gam, k * q + j);
    st(Gf, i * q + j, a);
  }
  chol(Gf, q, 0.0);
}

/** theta -> Lam = [[l11, 0], [l21, l22]] (q = 2). */
let l11: f64 = 0, l21: f64 = 0, l22: f64 = 0;
function lambdaQ2(th: usize): void {
  if (diagCov) { l11 = ld(th, 0); l21 = 0; l22 = ld(th, 1); }
  else { l11 = ld(th, 0); l21 = ld(th, 1); l22 = ld(th, 2); }
}

/** q = 2, a group's G = D^-1 + Gam'Gam (Gam = Lam'U) as g00, g01, g11 and its determinant, as a sum of
 * positive terms: |G| = d0 d1 + d0 |Gam e1|^2 + d1 |Gam e0|^2 + (l11 l22 |U|)^2 (no cancellation when
 * Gam is near rank 1, the boundary of a correlation +-1). */
let G00: f64 = 0, G01: f64 = 0, G11: f64 = 0, Gdet: f64 = 0;
function betweenQ2(U: usize, di: usize): void {
  const u00 = ld(U, 0), u01 = ld(U, 1), u10 = ld(U, 2), u11 = ld(U, 3), d0 = ld(di, 0), d1 = ld(di, 1);
  const a00 = l11 * u00 + l21 * u10, a01 = l11 * u01 + l21 * u11, a10 = l22 * u10, a11 = l22 * u11;
  const c0 = a00 * a00 + a10 * a10, c1 = a01 * a01 + a11 * a11;
  G00 = d0 + c0; G01 = a00 * a01 + a10 * a11; G11 = d1 + c1;
  const dg = l11 * l22 * (u00 * u11 - u01 * u10);
  Gdet = d0 * d1 + d0 * c1 + d1 * c0 + dg * dg;
}

/** q = 2, unrolled: the same algebra as evalBetween. */
function evalBetweenQ2(th: usize): void {
  lambdaQ2(th);
  for (let i = 0; i < p * p; i++) st(A, i, ld(Aw, i));
  for (let j = 0; j < p; j++) st(r, j, ld(rw, j));
  let s = sw;
  let lsum = ldD, prod = 1.0;
  for (let g = 0; g < G; g++) {
    betweenQ2(Ug + (<usize>(g << 2) << 3), Dinvg + (<usize>(g << 1) << 3));
    prod *= Gdet;
    if (prod > PROD_MAX || prod < PROD_MIN) { lsum += Math.log(prod); prod = 1.0; }
    const L00 = Math.sqrt(G00), L10 = G01 / L00, L11 = Math.sqrt(Gdet / G00);
    const i00 = 1.0 / L00, i11 = 1.0 / L11;
    const B0 = BXg + (<usize>(g * 2 * p) << 3), B1 = B0 + (<usize>p << 3), by = Byg + (<usize>(g << 1) << 3);
    const cu0 = ld(by, 0) * i00, cu1 = (ld(by, 1) - L10 * cu0) * i11;
    for (let j = 0; j < p; j++) {
      const r0 = ld(B0, j) * i00;
      st(RZX, j, r0);
      st(RZX, p + j, (ld(B1, j) - L10 * r0) * i11);
    }
    for (let i = 0; i < p; i++) {
      const r0i = ld(RZX, i), r1i = ld(RZX, p + i);
      const row = A + (<usize>(i * p) << 3);
      for (let j = 0; j <= i; j++) st(row, j, ld(row, j) + r0i * ld(RZX, j) + r1i * ld(RZX, p + j));
      st(r, i, ld(r, i) + r0i * cu0 + r1i * cu1);
    }
    s += cu0 * cu0 + cu1 * cu1;
  }
  ldL = lsum + Math.log(prod);
  finishFixed(s);
}

/** q >= 2: A = A_w + sum_g (L_g^-1 bX)'(L_g^-1 bX), r, s likewise, log|L|^2 = sum_g log|G_g| + log|D|. */
function evalBetween(th: usize): void {
  buildLambda(th);
  for (let i = 0; i < p * p; i++) st(A, i, ld(Aw, i));
  for (let j = 0; j < p; j++) st(r, j, ld(rw, j));
  let s = sw;
  let ldl = ldD;
  for (let g = 0; g < G; g++) {
    betweenFactor(g);
    ldl += logdet2(Gf, q);
    const bx = BXg + (<usize>(g * q * p) << 3), by = Byg + (<usize>(g * q) << 3);
    for (let i = 0; i < q * p; i++) st(RZX, i, ld(bx, i));
    for (let i = 0; i < q; i++) st(cu, i, ld(by, i));
    for (let j = 0; j < p; j++) fwd(Gf, q, RZX + (<usize>j << 3), p);
    fwd(Gf, q, cu, 1);
    for (let i = 0; i < p; i++) {
      const row = A + (<usize>(i * p) << 3);
      for (let j = 0; j <= i; j++) {
        let a = 0.0;
        for (let k = 0; k < q; k++) a += ld(RZX, k * p + i) * ld(RZX, k * p + j);
        st(row, j, ld(row, j) + a);
      }
      let b = 0.0;
      for (let k = 0; k < q; k++) b += ld(RZX, k * p + i) * ld(cu, k);
      st(r, i, ld(r, i) + b);
    }
    for (let k = 0; k < q; k++) { const c = ld(cu, k); s += c * c; }
  }
  ldL = ldl;
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
  if (q == 1) evalPooled(th); else if (q == 2) evalBetweenQ2(th); else evalBetween(th);
  memoOk = true;
  for (let i = 0; i < nth; i++) st(memoTh, i, ld(th, i));
  ainvOk = false;
  derivsOk = false;
  gradOk = false;
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

// ---- analytic gradient of the profiled criterion in theta (q >= 2), from the per-group statistics ----
// With M_g = Lam T_g^-1 Lam' (T_g = Lam' C_g Lam + I), K_g = T_g^-1 Lam', N_g = I - C_g M_g:
//   dM_g = N_g' dLam K_g + K_g' dLam' N_g,
//   d log|T_g|        = 2 tr(K_g C_g dLam),
//   d pwrss           = -sum_g e_g' dM_g e_g = -2 sum_g (N_g e_g)' dLam (K_g e_g)   (e_g = Z_g'y_g - Z_g'X_g beta; envelope in beta)
//   d log|X'V*^-1 X|  = -sum_g tr(S_g dM_g) = -2 sum_g tr(K_g S_g N_g' dLam)      (S_g = Z_g'X_g A^-1 X_g'Z_g)
// and dLam = E_ij for the theta element at Lam[i][j]. In the between coordinates (above) every N_g meets a
// vector in the range of C_g, where it is exact: C_g N_g' = H_g = U G_g^-1 U', N_g e_g = U G_g^-1 (by - bX beta),
// N_g Z_g'X_g = U G_g^-1 bX =: HB_g, K_g C_g = Lam' H_g, K_g e_g = Lam' N_g e_g, K_g S_g N_g' = Lam' HB A^-1 HB'.
// Cost O(G (q^3 + q^2 p + q p^2)) per gradient.
let gGi: usize = 0; let gHU: usize = 0; let gKC: usize = 0; let gQ: usize = 0; let gYH: usize = 0; let gY: usize = 0; let ge: usize = 0; let gw: usize = 0;
export let gH: usize = 0; export let gHB: usize = 0; export let gu: usize = 0; export let gv: usize = 0; // betweenPieces
export let gradL: usize = 0; // nth: d(ldL + ldRX [REML]) / d theta
export let gradP: usize = 0; // nth: d pwrss / d theta
export let gradAinv: usize = 0; // nth x p: d (A^-1)_jj / d theta (hessian.ts)
export let thRow: usize = 0; export let thCol: usize = 0; // theta index -> (row, col) of Lam

/** A group's H = U G^-1 U', HB = U G^-1 bX, v = N e = U G^-1 (by - bX beta), u = K e = Lam' v (after betweenFactor). */
export function betweenPieces(g: i32): void {
  const U = Ug + (<usize>(g * q * q) << 3);
  const bx = BXg + (<usize>(g * q * p) << 3), by = Byg + (<usize>(g * q) << 3);
  cholInverse(Gf, q, gGi, gH);
  matMul(U, gGi, gHU, q, q, q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let a = 0.0;
    for (let k = 0; k < q; k++) a += ld(gHU, i * q + k) * ld(U, j * q + k);
    st(gH, i * q + j, a);
  }
  matMul(gHU, bx, gHB, q, q, p);
  residualVec(by, bx, beta, ge, q, p); // by - bX beta
  matVec(gHU, ge, gv, q, q);
  for (let i = 0; i < q; i++) {
    let a = 0.0;
    for (let k = i; k < q; k++) a += ld(Lam, k * q + i) * ld(gv, k);
    st(gu, i, a);
  }
}

/** The per-group loop of gradient() for q = 2, unrolled (the same algebra). */
function gradBetweenQ2(th: usize): void {
  lambdaQ2(th);
  let gl0 = 0.0, gl1 = 0.0, gl2 = 0.0, gp0 = 0.0, gp1 = 0.0, gp2 = 0.0;
  for (let g = 0; g < G; g++) {
    const U = Ug + (<usize>(g << 2) << 3);
    betweenQ2(U, Dinvg + (<usize>(g << 1) << 3));
    const u00 = ld(U, 0), u01 = ld(U, 1), u10 = ld(U, 2), u11 = ld(U, 3);
    const id = 1.0 / Gdet, i00 = G11 * id, i01 = -G01 * id, i11 = G00 * id; // G^-1
    const B0 = BXg + (<usize>(g * 2 * p) << 3), B1 = B0 + (<usize>p << 3), by = Byg + (<usize>(g << 1) << 3);
    let e0 = ld(by, 0), e1 = ld(by, 1);
    for (let j = 0; j < p; j++) { const bj = ld(beta, j); e0 -= ld(B0, j) * bj; e1 -= ld(B1, j) * bj; }
    // HU = U G^-1; v = N e = HU e; u = K e = Lam' v; H = HU U'; K C = Lam' H
    const hu00 = u00 * i00 + u01 * i01, hu01 = u00 * i01 + u01 * i11, hu10 = u10 * i00 + u11 * i01, hu11 = u10 * i01 + u11 * i11;
    const v0 = hu00 * e0 + hu01 * e1, v1 = hu10 * e0 + hu11 * e1;
    const w0 = l11 * v0 + l21 * v1, w1 = l22 * v1;
    const h00 = hu00 * u00 + hu01 * u01, h01 = hu00 * u10 + hu01 * u11, h11 = hu10 * u10 + hu11 * u11;
    gl0 += 2 * (l11 * h00 + l21 * h01); gl1 += 2 * (l11 * h01 + l21 * h11); gl2 += 2 * (l22 * h11);
    gp0 -= 2 * v0 * w0; gp1 -= 2 * v1 * w0; gp2 -= 2 * v1 * w1;
    if (useReml) {
      // Q = Lam' (HB A^-1 HB'), HB = HU bX
      let y00 = 0.0, y01 = 0.0, y11 = 0.0;
      for (let i = 0; i < p; i++) {
        const row = Ainv + (<usize>(i * p) << 3);
        let a0 = 0.0, a1 = 0.0;
        for (let k = 0; k < p; k++) { const a = ld(row, k); const b0 = ld(B0, k), b1 = ld(B1, k); a0 += (hu00 * b0 + hu01 * b1) * a; a1 += (hu10 * b0 + hu11 * b1) * a; }
        const c0 = hu00 * ld(B0, i) + hu01 * ld(B1, i), c1 = hu10 * ld(B0, i) + hu11 * ld(B1, i);
        y00 += a0 * c0; y01 += a0 * c1; y11 += a1 * c1;
      }
      gl0 -= 2 * (l11 * y00 + l21 * y01); gl1 -= 2 * (l11 * y01 + l21 * y11); gl2 -= 2 * (l22 * y11);
    }
  }
  if (diagCov) { st(gradL, 0, gl0); st(gradL, 1, gl2); st(gradP, 0, gp0); st(gradP, 1, gp2); }
  else { st(gradL, 0, gl0); st(gradL, 1, gl1); st(gradL, 2, gl2); st(gradP, 0, gp0); st(gradP, 1, gp1); st(gradP, 2, gp2); }
}

/** Criterion and its gradient at theta (out: nth), q >= 2. Also leaves gradL, gradP and the evaluate() state. */
export function gradient(th: usize, out: usize): f64 {
  evaluate(th);
  const f = criterionFromState();
  if (!isFinite(f)) { for (let t = 0; t < nth; t++) st(out, t, 0); return f; }
  if (gradOk) { for (let t = 0; t < nth; t++) st(out, t, ld(gradMemo, t)); return f; }
  if (useReml) computeAinv();
  for (let t = 0; t < nth; t++) { st(gradL, t, 0); st(gradP, t, 0); }
  if (q == 2) gradBetweenQ2(th);
  else {
  buildLambda(th); // (a kept evaluation may have left another theta's Lambda)
  for (let g = 0; g < G; g++) {
    betweenFactor(g);
    betweenPieces(g);
    // K C = Lam' H
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
      let a = 0.0;
      for (let k = i; k < q; k++) a += ld(Lam, k * q + i) * ld(gH, k * q + j);
      st(gKC, i * q + j, a);
    }
    if (useReml) {
      // Q = K S N' = Lam' (HB A^-1) HB'
      matMul(gHB, Ainv, gY, q, p, p);
      for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
        let a = 0.0;
        for (let k = 0; k < p; k++) a += ld(gY, i * p + k) * ld(gHB, j * p + k);
        st(gYH, i * q + j, a);
      }
      for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
        let a = 0.0;
        for (let k = i; k < q; k++) a += ld(Lam, k * q + i) * ld(gYH, k * q + j);
        st(gQ, i * q + j, a);
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
  for (let t = 0; t < nth; t++) { const v = ld(gradL, t) + dfr * ld(gradP, t) / pwrss; st(out, t, v); st(gradMemo, t, v); }
  gradOk = memoOk;
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
  if (derivsOk) return;
  derivsOk = memoOk;
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
