// Analytic first and second derivatives in theta (any q, REML) of F = log|L|^2 + log|R_X|^2 and of the
// penalised residual P, and first derivatives of diag(A^-1): what lmerTest's Satterthwaite df needs,
// without differences of gradients (which lose digits where the residual is small).
//
// Per group (C = Z'Z, B = Z'X, e = Z'y - B beta), with T = Lam' C Lam + I, K = T^-1 Lam', M = Lam K,
// N' = I - M C, and theta_a the element Lam[i_a][j_a] (E_a = e_ia e_ja'):
//   M_a  = nu_a kappa_a' + kappa_a nu_a',   nu_a = N' e_ia, kappa_a = K' e_ja
//   dM_a/dtheta_b = X_ab + X_ab',  X_ab = -M_b C E_a K + N' E_a T^-1 (E_b' - T_b K),  T_b = E_b' C Lam + Lam' C E_b
//   log|T|_ab = tr(T^-1 T_ab) - tr(T^-1 T_a T^-1 T_b),   T_ab = E_a' C E_b + E_b' C E_a
//   A_a = -sum_g B' M_a B,  log|A|_ab = -sum_g tr(S M_ab) - tr(A^-1 A_a A^-1 A_b)   (S = B A^-1 B')
//   P_a = -sum_g e' M_a e,  P_ab = -sum_g e' M_ab e - 2 rho_a' A^-1 rho_b,  rho_a = sum_g B' M_a e
//   d(A^-1)_jj / dtheta_a = -(A^-1 A_a A^-1)_jj
// (derivatives of Bates et al.'s profiled criterion, J. Stat. Softw. 67(1), 2015, by matrix calculus).
// N' only ever meets vectors in the range of C, where it is exact in the between coordinates of reml.ts:
// C nu_b = H e_ib, B' nu_a = HB' e_ia, N e = v, K S N' = Q = Lam' HB A^-1 HB', S N' = B A^-1 HB'.
import { ld, st, ldi, allocF64 } from "../mem";
import { cholInverse } from "../linalg/chol";
import { matMul } from "../linalg/dense";
import * as R from "./reml";

export let hessF: usize = 0; // nth x nth
export let hessP: usize = 0; // nth x nth
let Aa: usize = 0; // nth x p x p
let rho: usize = 0; // nth x p
let Ti: usize = 0; let Kq: usize = 0; let KC: usize = 0; let KS: usize = 0; let Q: usize = 0; let SN: usize = 0;
let Yq: usize = 0; let YB: usize = 0;
let Tiw: usize = 0; // nth x q
let ka: usize = 0; // nth x q
let Bka: usize = 0; // p
let tp: usize = 0; let wq: usize = 0;
let Ya: usize = 0; // nth x p x p: A^-1 A_a

export function setupHessian(): void {
  const q = R.q, p = R.p, nth = R.nth;
  hessF = allocF64(nth * nth); hessP = allocF64(nth * nth);
  Aa = allocF64(nth * p * p); rho = allocF64(nth * p); Ya = allocF64(nth * p * p);
  Ti = allocF64(q * q); Kq = allocF64(q * q); KC = allocF64(q * q); KS = allocF64(q * q); Q = allocF64(q * q);
  SN = allocF64(q * q); YB = allocF64(q * q); Yq = allocF64(q * p); wq = allocF64(q * q);
  tp = allocF64(p);
  Tiw = allocF64(nth * q); ka = allocF64(nth * q); Bka = allocF64(p);
}

/** A group's pieces: T^-1, K = T^-1 Lam', K C; H, HB, v = N e, u = K e (reml.ts betweenPieces);
 * Y = HB A^-1, Q = Lam' Y HB', S N' = B Y', K S = Lam' Y B'. */
function groupPieces(g: i32, Zg: usize, ZXg: usize): void {
  const q = R.q, p = R.p, Lam = R.Lam;
  R.groupFactor(Zg); // R.W = C Lam, R.T = chol(Lam' C Lam + I)
  cholInverse(R.T, q, Ti, wq);
  for (let i = 0; i < q; i++) for (let c = 0; c < q; c++) {
    let a = 0.0;
    for (let k = 0; k < q; k++) a += ld(Ti, i * q + k) * ld(Lam, c * q + k);
    st(Kq, i * q + c, a);
  }
  matMul(Kq, Zg, KC, q, q, q);
  R.betweenFactor(g);
  R.betweenPieces(g);
  matMul(R.gHB, R.Ainv, Yq, q, p, p);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let a = 0.0, b = 0.0;
    for (let k = 0; k < p; k++) { a += ld(Yq, i * p + k) * ld(R.gHB, j * p + k); b += ld(Yq, i * p + k) * ld(ZXg, j * p + k); }
    st(wq, i * q + j, a); // Y HB'
    st(YB, i * q + j, b); // Y B'
    st(SN, j * q + i, b); // S N' = B Y'
  }
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let a = 0.0, b = 0.0;
    for (let k = i; k < q; k++) { a += ld(Lam, k * q + i) * ld(wq, k * q + j); b += ld(Lam, k * q + i) * ld(YB, k * q + j); }
    st(Q, i * q + j, a);
    st(KS, i * q + j, b);
  }
}

/** Per theta element of a group: kappa_a, T^-1 w_a (w_a = Lam' C e_ia); first derivatives and the
 * group's share of A_a and rho_a. */
function groupFirst(ZXg: usize): void {
  const q = R.q, p = R.p, nth = R.nth, u = R.gu, v = R.gv, HB = R.gHB;
  for (let a = 0; a < nth; a++) {
    const ia = ldi(R.thRow, a), ja = ldi(R.thCol, a);
    for (let k = 0; k < q; k++) st(ka, a * q + k, ld(Kq, ja * q + k));
    for (let i = 0; i < q; i++) {
      let s = 0.0;
      for (let k = 0; k < q; k++) s += ld(Ti, i * q + k) * ld(R.W, ia * q + k);
      st(Tiw, a * q + i, s);
    }
    st(R.gradL, a, ld(R.gradL, a) + 2 * ld(KC, ja * q + ia) - 2 * ld(Q, ja * q + ia));
    st(R.gradP, a, ld(R.gradP, a) - 2 * ld(v, ia) * ld(u, ja));
    for (let j = 0; j < p; j++) {
      let y = 0.0;
      for (let k = 0; k < q; k++) y += ld(ZXg, k * p + j) * ld(ka, a * q + k);
      st(Bka, j, y);
    }
    const Ab = Aa + (<usize>(a * p * p) << 3);
    for (let i = 0; i < p; i++) {
      const bni = ld(HB, ia * p + i); // B' nu_a
      for (let j = 0; j < p; j++) st(Ab, i * p + j, ld(Ab, i * p + j) - bni * ld(Bka, j) - ld(Bka, i) * ld(HB, ia * p + j));
      st(rho, a * p + i, ld(rho, a * p + i) + bni * ld(u, ja) + ld(Bka, i) * ld(v, ia));
    }
  }
}

/** The group's share of the second derivatives (every pair a, b; symmetrised at the end). */
function groupSecond(Zg: usize): void {
  const q = R.q, nth = R.nth, u = R.gu, v = R.gv, H = R.gH;
  for (let b = 0; b < nth; b++) {
    const ib = ldi(R.thRow, b), jb = ldi(R.thCol, b);
    for (let a = 0; a < nth; a++) {
      const ia = ldi(R.thRow, a), ja = ldi(R.thCol, a);
      let cka = 0.0, kska = 0.0, wQ = 0.0, wTiw = 0.0;
      for (let k = 0; k < q; k++) {
        cka += ld(Zg, ia * q + k) * ld(ka, b * q + k);
        kska += ld(KS, ja * q + k) * ld(ka, b * q + k);
        wQ += ld(R.W, ib * q + k) * ld(Q, k * q + ia);
        wTiw += ld(R.W, ia * q + k) * ld(Tiw, b * q + k);
      }
      const hab = ld(H, ia * q + ib); // (C nu_b)_ia
      const cme = hab * ld(u, jb) + cka * ld(v, ib); // (C M_b e)_ia
      const tab = ld(Ti, ja * q + jb);
      // e' M_ab e = 2 [-(C M_b e)_ia u_ja + v_ia (Ti_ja,jb (e_ib - w_b.u) - (Ti w_b)_ja u_jb)], e - C Lam u = v
      const eMe = 2 * (-cme * ld(u, ja) + ld(v, ia) * (tab * ld(v, ib) - ld(Tiw, b * q + ja) * ld(u, jb)));
      // tr(S M_ab) = 2 [-(K S M_b C)_ja,ia + Ti_ja,jb ((S N')_ib,ia - (w_b' Q)_ia) - (Ti w_b)_ja Q_jb,ia]
      // with (K S M_b C)_ja,ia = (K S nu_b)_ja (C kappa_b)_ia + (K S kappa_b)_ja (C nu_b)_ia, K S nu_b = Q e_ib
      const trSM = 2 * (-(ld(Q, ja * q + ib) * cka + kska * hab) + tab * (ld(SN, ib * q + ia) - wQ) - ld(Tiw, b * q + ja) * ld(Q, jb * q + ia));
      // log|T|_ab = 2 C_ia,ib Ti_ja,jb - 2 (Ti w_a)_jb (Ti w_b)_ja - 2 (w_a . Ti w_b) Ti_ja,jb
      const lT = 2 * ld(Zg, ia * q + ib) * tab - 2 * ld(Tiw, a * q + jb) * ld(Tiw, b * q + ja) - 2 * wTiw * tab;
      st(hessF, a * nth + b, ld(hessF, a * nth + b) + lT - trSM);
      st(hessP, a * nth + b, ld(hessP, a * nth + b) - eMe);
    }
  }
}

/** The terms over all groups: -tr(A^-1 A_a A^-1 A_b), -2 rho_a' A^-1 rho_b, d(A^-1)_jj; then symmetrise. */
function finishHessian(): void {
  const p = R.p, nth = R.nth;
  for (let a = 0; a < nth; a++) matMul(R.Ainv, Aa + (<usize>(a * p * p) << 3), Ya + (<usize>(a * p * p) << 3), p, p, p);
  for (let a = 0; a < nth; a++) {
    const Yaa = Ya + (<usize>(a * p * p) << 3);
    for (let j = 0; j < p; j++) {
      let s = 0.0;
      for (let k = 0; k < p; k++) s += ld(Yaa, j * p + k) * ld(R.Ainv, k * p + j);
      st(R.gradAinv, a * p + j, -s);
    }
    for (let j = 0; j < p; j++) {
      let s = 0.0;
      for (let k = 0; k < p; k++) s += ld(R.Ainv, j * p + k) * ld(rho, a * p + k);
      st(tp, j, s);
    }
    for (let b = 0; b < nth; b++) {
      const Yb = Ya + (<usize>(b * p * p) << 3);
      let tr = 0.0, rr = 0.0;
      for (let i = 0; i < p; i++) { rr += ld(rho, b * p + i) * ld(tp, i); for (let k = 0; k < p; k++) tr += ld(Yaa, i * p + k) * ld(Yb, k * p + i); }
      st(hessF, a * nth + b, ld(hessF, a * nth + b) - tr);
      st(hessP, a * nth + b, ld(hessP, a * nth + b) - 2 * rr);
    }
  }
  for (let a = 0; a < nth; a++) for (let b = 0; b < a; b++) {
    const f = 0.5 * (ld(hessF, a * nth + b) + ld(hessF, b * nth + a));
    const g = 0.5 * (ld(hessP, a * nth + b) + ld(hessP, b * nth + a));
    st(hessF, a * nth + b, f); st(hessF, b * nth + a, f); st(hessP, a * nth + b, g); st(hessP, b * nth + a, g);
  }
}

/** REML only: at theta, R.gradL / R.gradP / R.gradAinv and hessF / hessP. False when theta cannot be evaluated. */
export function hessian(th: usize): bool {
  const q = R.q, p = R.p, nth = R.nth, G = R.G;
  R.evaluate(th);
  if (!R.evalOk) return false;
  R.computeAinv();
  R.buildLambda(th);
  for (let i = 0; i < nth * nth; i++) { st(hessF, i, 0); st(hessP, i, 0); }
  for (let i = 0; i < nth * p * p; i++) st(Aa, i, 0);
  for (let i = 0; i < nth * p; i++) st(rho, i, 0);
  for (let a = 0; a < nth; a++) { st(R.gradL, a, 0); st(R.gradP, a, 0); }
  for (let g = 0; g < G; g++) {
    const Zg = R.ZtZg + (<usize>(g * q * q) << 3);
    const ZXg = R.ZtXg + (<usize>(g * q * p) << 3);
    groupPieces(g, Zg, ZXg);
    groupFirst(ZXg);
    groupSecond(Zg);
  }
  finishHessian();
  return true;
}
