// Kenward-Roger (Kenward & Roger, Biometrics 53, 1997) as pbkrtest computes it (vcovAdj, Lb_ddf, KRmodcomp;
// lmerTest's ddf = "Kenward-Roger" calls them): V = sum_r gamma_r G_r over the variance parameters (each
// entry of the random effects' covariance, then the residual variance), P_r = X'V^-1 G_r V^-1 X,
// Q_rs = X'V^-1 G_r V^-1 G_s V^-1 X, the expected information IE2 = tr(V^-1 G_r V^-1 G_s) - 2 tr(Phi Q_rs)
// + tr(Phi P_r Phi P_s) with Phi = (X'V^-1 X)^-1, W = 2 IE2^-1, the adjusted covariance Phi + 2 Phi U Phi
// and the df from A1, A2. Everything is computed with V* = V / sigma^2 (V^-1 = W*/sigma^2: the df are free of
// sigma^2, the adjusted covariance is sigma^2 times the starred one) per group in the q-dimensional
// coordinates of Z_g: with R = Lam (I + Lam'K Lam)^-1 Lam', K = Z_g'Z_g, V*^-1 = I - Z R Z' and
// Z'V*^-k = (I - K R)^k Z'. No zero variance is dropped (pbkrtest keeps every parameter at a boundary fit).
import { ld, st, ldi, sti, alloc, allocF64 } from "../mem";
import { chol, cholInverse } from "../linalg/chol";
import { pinvSym } from "../linalg/pinv";
import * as R from "../criterion/reml";
import { Field } from "../../src/kernel/abi";
import { RANK_RTOL, XVX_CHOL_RTOL, KR_V0_ZERO, KR_DIV_ZERO, KR_DF_NEAR_2 } from "../tolerances";
import { slot, addr } from "./header";

let on = false;
let p: i32 = 0, q: i32 = 0, nc: i32 = 0, T: i32 = 0, kL: i32 = 0;
let Lmat: usize = 0; // kL x p: the joint test's contrasts (0 rows: none)
let oSe: usize = 0, oDf: usize = 0, oF: usize = 0, oDdf: usize = 0;
let ea: usize = 0, eb: usize = 0; // i32 nc: covariance parameter r is the entry (ea_r, eb_r) of Lam Lam'
let XXg: usize = 0; // G x p x p, q >= 2: the groups' X'X
let ngr: usize = 0; // i32 G: rows per group
// q x q / q x p scratch
let tq: usize = 0, Sq: usize = 0, Si: usize = 0, Rq: usize = 0, IKR: usize = 0, Cq: usize = 0, MM: usize = 0, wq: usize = 0;
let Bq: usize = 0, B2: usize = 0, RB: usize = 0, EB: usize = 0, EC: usize = 0, CEB: usize = 0;
// p x p and parameter-space results
let Fi: usize = 0, Phi: usize = 0, Pm: usize = 0, Qm: usize = 0, FP: usize = 0, Dm: usize = 0, Kt: usize = 0;
let IE: usize = 0, Wm: usize = 0, ev: usize = 0, Um: usize = 0, PA: usize = 0, t1: usize = 0, t2: usize = 0;
let Th: usize = 0, TD: usize = 0, trv: usize = 0, kk: usize = 0, kw: usize = 0, ks: usize = 0, lv: usize = 0;

@inline function pp(r: i32): usize { return <usize>(r * p * p) << 3; }
/** Q's slot of the pair r <= s. */
@inline function qi(r: i32, s: i32): i32 { return r * T - (r * (r - 1)) / 2 + (s - r); }

/** The workspace and the design's per-group statistics; kr: whether the batch wants Kenward-Roger. */
export function setupKenwardRoger(h: usize, X: usize, grp: usize): void {
  on = slot(h, Field.KR) != 0;
  oSe = addr(h, Field.SE_KR); oDf = addr(h, Field.DF_KR); oF = addr(h, Field.F_KR); oDdf = addr(h, Field.DDF_KR);
  kL = slot(h, Field.L_ROWS); Lmat = addr(h, Field.L);
  if (Lmat == 0) kL = 0;
  if (!on) return;
  p = R.p; q = R.q; nc = R.nth; T = nc + 1;
  const qq = q * q, G = R.G, n = R.n;
  ea = alloc(<usize>(nc * 4 + 16)); eb = alloc(<usize>(nc * 4 + 16));
  let idx = 0;
  if (R.diagCov) for (let i = 0; i < q; i++) { sti(ea, i, i); sti(eb, i, i); }
  else for (let j = 0; j < q; j++) for (let i = j; i < q; i++) { sti(ea, idx, i); sti(eb, idx, j); idx++; }
  ngr = alloc(<usize>(G * 4 + 16));
  memory.fill(ngr, 0, <usize>(G * 4));
  for (let i = 0; i < n; i++) { const g = ldi(grp, i); sti(ngr, g, ldi(ngr, g) + 1); }
  if (q >= 2) {
    XXg = allocF64(G * p * p);
    for (let i = 0; i < n; i++) {
      const o = XXg + (<usize>(ldi(grp, i) * p * p) << 3);
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) st(o, a * p + b, ld(o, a * p + b) + ld(X, i * p + a) * ld(X, i * p + b));
    }
  }
  tq = allocF64(qq); Sq = allocF64(qq); Si = allocF64(qq); Rq = allocF64(qq); IKR = allocF64(qq); Cq = allocF64(qq); MM = allocF64(qq); wq = allocF64(qq);
  Bq = allocF64(q * p); B2 = allocF64(q * p); RB = allocF64(q * p); CEB = allocF64(q * p); EB = allocF64(nc * q * p); EC = allocF64(nc * qq);
  Fi = allocF64(p * p); Phi = allocF64(p * p); Pm = allocF64(T * p * p); Qm = allocF64((T * (T + 1) / 2) * p * p);
  FP = allocF64(T * p * p); Dm = allocF64(T * p * p); Kt = allocF64(T * T); IE = allocF64(T * T); Wm = allocF64(T * T); ev = allocF64(T * T);
  Um = allocF64(p * p); PA = allocF64(p * p); t1 = allocF64(p * p); t2 = allocF64(p * p);
  Th = allocF64(p * p); TD = allocF64(T * p * p); trv = allocF64(T); kk = allocF64(kL * kL + 1); kw = allocF64(kL * kL + 1); ks = allocF64(kL * kL + 1); lv = allocF64(kL + 1);
}

/** a += w * u v' (u, v of length p; rows of q x p matrices), and its transpose when sym2 (u v' + v u'). */
function addOuter(a: usize, w: f64, u: usize, v: usize, both: bool): void {
  for (let i = 0; i < p; i++) {
    const ui = w * ld(u, i), vi = w * ld(v, i);
    for (let j = 0; j < p; j++) {
      let x = ld(a, i * p + j) + ui * ld(v, j);
      if (both) x += vi * ld(u, j);
      st(a, i * p + j, x);
    }
  }
}

/** a += w * M' N for q x p matrices M, N (a p x p). */
function addAtB(a: usize, w: f64, M: usize, N: usize): void {
  for (let k = 0; k < q; k++) addOuter(a, w, M + (<usize>(k * p) << 3), N + (<usize>(k * p) << 3), false);
}

/** q = 1: every group's terms are multiples of its Z'X (Z'X)' and depend on the group only through
 * k = Z_g'Z_g, so they come from the criterion's pools (sum over a pool of Z'X (Z'X)'): O(pools p^2). */
function accumulateQ1(th: usize): void {
  const l2 = ld(th, 0) * ld(th, 0);
  const S = R.poolS, res = T - 1;
  let trW2 = <f64>(R.n - R.G);
  for (let k = 0; k < R.K; k++) {
    const z = ld(R.poolZ, k), cnt = ld(R.poolCnt, k);
    const ikr = 1.0 / (1.0 + l2 * z); // (I - K R) = (1 + lambda^2 k)^-1
    const i2 = ikr * ikr, i3 = i2 * ikr;
    trW2 += cnt * i2;
    st(Kt, 0, ld(Kt, 0) + cnt * i2 * z * z); // tr(C C), C = Z'V*^-1 Z
    st(Kt, res, ld(Kt, res) + cnt * i2 * z); // tr(Z'V*^-2 Z)
    if (!(z > 0)) continue;
    const Sk = S + (<usize>(k * p * p) << 3);
    for (let a = 0; a < p * p; a++) {
      const s = ld(Sk, a);
      st(Fi, a, ld(Fi, a) + s * ikr / z); // X'V*^-1 X's between part
      st(Pm + pp(res), a, ld(Pm + pp(res), a) + s * i2 / z);
      st(Qm + pp(qi(res, res)), a, ld(Qm + pp(qi(res, res)), a) + s * i3 / z);
      st(Pm, a, ld(Pm, a) + s * i2);
      st(Qm + pp(qi(0, res)), a, ld(Qm + pp(qi(0, res)), a) + s * i3);
      st(Qm + pp(qi(0, 0)), a, ld(Qm + pp(qi(0, 0)), a) + s * i3 * z);
    }
  }
  st(Kt, res * T + res, trW2);
  // the within parts X'(I - H)X, the same in every power of V*^-1
  for (let a = 0; a < p * p; a++) {
    const w = ld(R.Aw, a);
    st(Fi, a, ld(Fi, a) + w); st(Pm + pp(res), a, ld(Pm + pp(res), a) + w); st(Qm + pp(qi(res, res)), a, ld(Qm + pp(qi(res, res)), a) + w);
  }
}

/** out (q x c) = A (q x q) M (q x c). */
function qmul(A: usize, M: usize, out: usize, c: i32): void {
  for (let i = 0; i < q; i++) for (let j = 0; j < c; j++) {
    let s = 0.0;
    for (let l = 0; l < q; l++) s += ld(A, i * q + l) * ld(M, l * c + j);
    st(out, i * c + j, s);
  }
}

/** E_r M for the symmetric indicator E_r of parameter r (rows a, b swapped in; c columns). */
function eMul(r: i32, M: usize, out: usize, c: i32): void {
  const a = ldi(ea, r), b = ldi(eb, r);
  for (let i = 0; i < q * c; i++) st(out, i, 0);
  for (let j = 0; j < c; j++) {
    st(out, a * c + j, ld(M, b * c + j));
    if (a != b) st(out, b * c + j, ld(M, a * c + j));
  }
}

/** R = Lam (I + Lam'K Lam)^-1 Lam' and IKR = I - K R for the group's K. */
function groupWeights(K: usize): void {
  const L = R.Lam;
  for (let i = 0; i < q; i++) for (let k = 0; k < q; k++) {
    let s = 0.0;
    for (let l = 0; l < q; l++) s += ld(K, i * q + l) * ld(L, l * q + k);
    st(tq, i * q + k, s);
  }
  for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) {
    let s = a == b ? 1.0 : 0.0;
    for (let i = 0; i < q; i++) s += ld(L, i * q + a) * ld(tq, i * q + b);
    st(Sq, a * q + b, s);
  }
  chol(Sq, q, 0.0); // I + (positive semidefinite): never fails
  cholInverse(Sq, q, Si, wq);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let s = 0.0;
    for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) s += ld(L, i * q + a) * ld(Si, a * q + b) * ld(L, j * q + b);
    st(Rq, i * q + j, s);
  }
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let s = i == j ? 1.0 : 0.0;
    for (let l = 0; l < q; l++) s -= ld(K, i * q + l) * ld(Rq, l * q + j);
    st(IKR, i * q + j, s);
  }
}

/** q >= 2: group by group (X'V*^-k X = X'X - Zx'R Zx - B'R B - ..., B = Z'V*^-1 X). */
function accumulateGeneral(th: usize): void {
  const qq = q * q, res = T - 1;
  R.buildLambda(th);
  let trW2 = 0.0;
  for (let g = 0; g < R.G; g++) {
    const K = R.ZtZg + (<usize>(g * qq) << 3), Zx = R.ZtXg + (<usize>(g * q * p) << 3);
    groupWeights(K);
    qmul(IKR, Zx, Bq, p); qmul(IKR, Bq, B2, p); qmul(IKR, K, Cq, q); qmul(IKR, Cq, MM, q);
    let trRK = 0.0, trRC = 0.0;
    for (let i = 0; i < q; i++) for (let l = 0; l < q; l++) { trRK += ld(Rq, i * q + l) * ld(K, l * q + i); trRC += ld(Rq, i * q + l) * ld(Cq, l * q + i); }
    trW2 += <f64>ldi(ngr, g) - trRK - trRC; // tr V*^-2 = tr V*^-1 - tr(R Z'V*^-1 Z)
    const XX = XXg + (<usize>(g * p * p) << 3);
    qmul(Rq, Zx, RB, p); // R Z'X
    for (let a = 0; a < p * p; a++) st(t1, a, ld(XX, a));
    addAtB(t1, -1.0, Zx, RB); // X'V*^-1 X
    for (let a = 0; a < p * p; a++) st(Fi, a, ld(Fi, a) + ld(t1, a));
    addAtB(t1, -1.0, Bq, RB); // X'V*^-2 X = X'V*^-1 X - (Z'V*^-1 X)' R Z'X  (V*^-2 = V*^-1 - V*^-1 Z R Z')
    for (let a = 0; a < p * p; a++) st(Pm + pp(res), a, ld(Pm + pp(res), a) + ld(t1, a));
    addAtB(t1, -1.0, B2, RB); // X'V*^-3 X = X'V*^-2 X - (Z'V*^-2 X)' R Z'X
    for (let a = 0; a < p * p; a++) st(Qm + pp(qi(res, res)), a, ld(Qm + pp(qi(res, res)), a) + ld(t1, a));
    for (let r = 0; r < nc; r++) {
      const ebr = EB + (<usize>(r * q * p) << 3), ecr = EC + (<usize>(r * qq) << 3);
      eMul(r, Bq, ebr, p); eMul(r, Cq, ecr, q);
      addAtB(Pm + pp(r), 1.0, Bq, ebr);
      addAtB(Qm + pp(qi(r, res)), 1.0, ebr, B2);
      const a = ldi(ea, r), b = ldi(eb, r);
      st(Kt, r * T + res, ld(Kt, r * T + res) + (a == b ? ld(MM, a * q + a) : ld(MM, a * q + b) + ld(MM, b * q + a)));
    }
    for (let r = 0; r < nc; r++) for (let s = r; s < nc; s++) {
      const ebr = EB + (<usize>(r * q * p) << 3), ebs = EB + (<usize>(s * q * p) << 3);
      qmul(Cq, ebs, CEB, p);
      addAtB(Qm + pp(qi(r, s)), 1.0, ebr, CEB);
      let tr = 0.0;
      const ecr = EC + (<usize>(r * qq) << 3), ecs = EC + (<usize>(s * qq) << 3);
      for (let i = 0; i < q; i++) for (let l = 0; l < q; l++) tr += ld(ecr, i * q + l) * ld(ecs, l * q + i);
      st(Kt, r * T + s, ld(Kt, r * T + s) + tr);
    }
  }
  st(Kt, res * T + res, trW2);
}

/** c (p x p) = a b. */
function mm(a: usize, b: usize, c: usize): void {
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
    let s = 0.0;
    for (let k = 0; k < p; k++) s += ld(a, i * p + k) * ld(b, k * p + j);
    st(c, i * p + j, s);
  }
}

/** tr(a b) for p x p matrices. */
function trAB(a: usize, b: usize): f64 {
  let s = 0.0;
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) s += ld(a, i * p + j) * ld(b, j * p + i);
  return s;
}

/** Phi, Phi P_r, Phi P_r Phi, W = 2 IE2^-1 and the adjusted covariance PA (all starred). False: X'V^-1X singular. */
function adjust(): bool {
  for (let a = 0; a < p * p; a++) st(t1, a, ld(Fi, a));
  if (!chol(t1, p, XVX_CHOL_RTOL)) return false;
  cholInverse(t1, p, Phi, t2);
  for (let r = 0; r < T; r++) { mm(Phi, Pm + pp(r), FP + pp(r)); mm(FP + pp(r), Phi, Dm + pp(r)); }
  for (let r = 0; r < T; r++) for (let s = r; s < T; s++) {
    let tq2 = 0.0;
    const Q = Qm + pp(qi(r, s));
    for (let a = 0; a < p * p; a++) tq2 += ld(Phi, a) * 0.5 * (ld(Q, a) + ld(Q, (a % p) * p + a / p));
    const v = ld(Kt, r * T + s) - 2 * tq2 + trAB(FP + pp(r), FP + pp(s));
    st(IE, r * T + s, v); st(IE, s * T + r, v);
  }
  let ref = 0.0;
  for (let r = 0; r < T; r++) ref = Math.max(ref, Math.abs(ld(IE, r * T + r)));
  pinvSym(IE, T, Wm, ev, RANK_RTOL, ref); // pbkrtest: solve, or ginv when IE2 is singular
  for (let a = 0; a < T * T; a++) st(Wm, a, 2 * ld(Wm, a));
  for (let a = 0; a < p * p; a++) st(Um, a, 0);
  for (let r = 0; r < T; r++) for (let s = r; s < T; s++) {
    mm(Pm + pp(r), FP + pp(s), t1); // P_r Phi P_s
    const Q = Qm + pp(qi(r, s)), w = ld(Wm, r * T + s);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
      const x = ld(Q, i * p + j) - ld(t1, i * p + j), xt = ld(Q, j * p + i) - ld(t1, j * p + i);
      st(Um, i * p + j, ld(Um, i * p + j) + w * (r == s ? x : x + xt));
    }
  }
  mm(Phi, Um, t1); mm(t1, Phi, t2);
  for (let a = 0; a < p * p; a++) st(PA, a, ld(Phi, a) + 2 * ld(t2, a));
  return true;
}

/** Per coefficient j: the adjusted se sqrt(s2 PA_jj) and df = 2 / A2 (Lb_ddf with L = e_j, one row). */
function perCoefficient(f: i32, s2: f64): void {
  for (let j = 0; j < p; j++) {
    const pj = ld(Phi, j * p + j);
    let A2 = 0.0;
    for (let r = 0; r < T; r++) for (let s = 0; s < T; s++)
      A2 += ld(Wm, r * T + s) * ld(Dm + pp(r), j * p + j) * ld(Dm + pp(s), j * p + j) / (pj * pj);
    st(oSe, f * p + j, Math.sqrt(s2 * ld(PA, j * p + j)));
    st(oDf, f * p + j, 2.0 / A2);
  }
}

/** kL x kL: out = L M L' for a p x p M. */
function lml(M: usize, out: usize): void {
  for (let a = 0; a < kL; a++) for (let b = 0; b < kL; b++) {
    let s = 0.0;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) s += ld(Lmat, a * p + i) * ld(M, i * p + j) * ld(Lmat, b * p + j);
    st(out, a * kL + b, s);
  }
}

/** The joint test of the header's L (KRmodcomp): the scaled F and its denominator df. False: L Phi L' singular. */
function jointTest(f: i32, s2: f64, beta: usize): bool {
  const k = <f64>kL;
  lml(Phi, kk);
  if (!chol(kk, kL, XVX_CHOL_RTOL)) return false;
  cholInverse(kk, kL, kw, ks);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) { // Theta = L'(L Phi L')^-1 L
    let s = 0.0;
    for (let a = 0; a < kL; a++) for (let b = 0; b < kL; b++) s += ld(Lmat, a * p + i) * ld(kw, a * kL + b) * ld(Lmat, b * p + j);
    st(Th, i * p + j, s);
  }
  for (let r = 0; r < T; r++) { mm(Th, Dm + pp(r), TD + pp(r)); let t = 0.0; for (let i = 0; i < p; i++) t += ld(TD + pp(r), i * p + i); st(trv, r, t); }
  let A1 = 0.0, A2 = 0.0;
  for (let r = 0; r < T; r++) for (let s = 0; s < T; s++) {
    const w = ld(Wm, r * T + s);
    A1 += w * ld(trv, r) * ld(trv, s);
    A2 += w * trAB(TD + pp(r), TD + pp(s));
  }
  const B = (A1 + 6 * A2) / (2 * k);
  const g = ((k + 1) * A1 - (k + 4) * A2) / ((k + 2) * A2);
  const den = 3 * k + 2 * (1 - g);
  const c1 = g / den, c2 = (k - g) / den, c3 = (k + 2 - g) / den;
  let V0 = 1 + c1 * B;
  const V1 = 1 - c2 * B, V2 = 1 - c3 * B;
  if (Math.abs(V0) < KR_V0_ZERO) V0 = 0;
  const x = 1 - A2 / k;
  const ratio = Math.abs(x) < KR_DIV_ZERO && Math.abs(V1) < KR_DIV_ZERO ? 1.0 : x / V1;
  const rho = ratio * ratio * V0 / (k * V2);
  const df2 = 4 + (k + 2) / (k * rho - 1);
  const scaling = Math.abs(df2 - 2) < KR_DF_NEAR_2 ? 1.0 : df2 * x / (df2 - 2);
  // Wald = (L beta)' (L PA L' s2)^-1 (L beta)
  lml(PA, kk);
  if (!chol(kk, kL, 0.0)) return false;
  for (let a = 0; a < kL; a++) { let s = 0.0; for (let i = 0; i < p; i++) s += ld(Lmat, a * p + i) * ld(beta, i); st(lv, a, s); }
  let wald = 0.0;
  for (let a = 0; a < kL; a++) { // forward solve with the factor, then the squared norm
    let t = ld(lv, a);
    for (let b = 0; b < a; b++) t -= ld(kk, a * kL + b) * ld(lv, b);
    t /= ld(kk, a * kL + a);
    st(lv, a, t);
    wald += t * t;
  }
  st(oF, f, scaling * wald / (s2 * k));
  st(oDdf, f, df2);
  return true;
}

/** No Kenward-Roger statistics for feature f (not asked, ML, or a failed fit): NaN. */
export function krNone(f: i32): void {
  if (oSe == 0) return;
  for (let j = 0; j < R.p; j++) { st(oSe, f * R.p + j, NaN); st(oDf, f * R.p + j, NaN); }
  st(oF, f, NaN); st(oDdf, f, NaN);
}

/** Whether the batch asked for Kenward-Roger. */
export function krWanted(): bool { return on; }

/** Feature f's Kenward-Roger outputs at the REML optimum theta (s2: residual variance, beta: estimates, on
 * y's scale). False: unavailable (the outputs are NaN). */
export function kenwardRoger(f: i32, th: usize, s2: f64, beta: usize): bool {
  krNone(f);
  memory.fill(Fi, 0, <usize>(p * p) << 3); memory.fill(Pm, 0, <usize>(T * p * p) << 3);
  memory.fill(Qm, 0, <usize>((T * (T + 1)) / 2 * p * p) << 3); memory.fill(Kt, 0, <usize>(T * T) << 3);
  if (q == 1) accumulateQ1(th); else accumulateGeneral(th);
  for (let r = 0; r < T; r++) for (let s = 0; s < r; s++) st(Kt, r * T + s, ld(Kt, s * T + r));
  if (!adjust()) return false;
  perCoefficient(f, s2);
  if (kL > 0 && !jointTest(f, s2, beta)) { st(oF, f, NaN); st(oDdf, f, NaN); }
  return true;
}
