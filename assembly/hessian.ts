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
import { ld, st, ldi, allocF64 } from "./mem";
import { cholInverse } from "./linalg/chol";
import { matMul } from "./linalg/dense";
import * as R from "./reml";

export let hessF: usize = 0; // nth x nth
export let hessP: usize = 0; // nth x nth
let Aa: usize = 0; // nth x p x p
let rho: usize = 0; // nth x p
let Ti: usize = 0; let Kq: usize = 0; let KC: usize = 0; let Nt: usize = 0; let S: usize = 0; let KS: usize = 0;
let Q: usize = 0; let SN: usize = 0; let Yq: usize = 0; let e: usize = 0; let u: usize = 0; let v: usize = 0;
let Tiw: usize = 0; // nth x q
let nu: usize = 0; let ka: usize = 0; // nth x q
let Bnu: usize = 0; let Bka: usize = 0; // p
let tq: usize = 0; let tp: usize = 0; let wq: usize = 0;
let Ya: usize = 0; // nth x p x p: A^-1 A_a

export function setupHessian(): void {
  const q = R.q, p = R.p, nth = R.nth;
  hessF = allocF64(nth * nth); hessP = allocF64(nth * nth);
  Aa = allocF64(nth * p * p); rho = allocF64(nth * p); Ya = allocF64(nth * p * p);
  Ti = allocF64(q * q); Kq = allocF64(q * q); KC = allocF64(q * q); Nt = allocF64(q * q); S = allocF64(q * q);
  KS = allocF64(q * q); Q = allocF64(q * q); SN = allocF64(q * q); Yq = allocF64(q * p); wq = allocF64(q * q);
  e = allocF64(q); u = allocF64(q); v = allocF64(q); tq = allocF64(q); tp = allocF64(p);
  Tiw = allocF64(nth * q); nu = allocF64(nth * q); ka = allocF64(nth * q);
  Bnu = allocF64(p); Bka = allocF64(p);
}

/** A group's q x q and q-vector pieces: Ti, K, KC, N', e, u = K e, v = N e, S, K S, Q = K S N', S N'. */
function groupPieces(Zg: usize, ZXg: usize, Zyg: usize): void {
  const q = R.q, p = R.p, Lam = R.Lam;
  R.groupFactor(Zg); // R.W = C Lam, R.T = chol(Lam' C Lam + I)
  cholInverse(R.T, q, Ti, wq);
  for (let i = 0; i < q; i++) for (let c = 0; c < q; c++) {
    let a = 0.0;
    for (let k = 0; k < q; k++) a += ld(Ti, i * q + k) * ld(Lam, c * q + k);
    st(Kq, i * q + c, a);
  }
  matMul(Kq, Zg, KC, q, q, q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let a = 0.0;
    for (let k = 0; k <= i; k++) a += ld(Lam, i * q + k) * ld(KC, k * q + j);
    st(Nt, i * q + j, (i == j ? 1.0 : 0.0) - a);
  }
  for (let i = 0; i < q; i++) {
    let a = ld(Zyg, i);
    for (let j = 0; j < p; j++) a -= ld(ZXg, i * p + j) * ld(R.beta, j);
    st(e, i, a);
  }
  for (let i = 0; i < q; i++) {
    let a = 0.0, b = 0.0;
    for (let k = 0; k < q; k++) { a += ld(Kq, i * q + k) * ld(e, k); b += ld(Nt, k * q + i) * ld(e, k); }
    st(u, i, a); st(v, i, b);
  }
  matMul(ZXg, R.Ainv, Yq, q, p, p);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let a = 0.0;
    for (let k = 0; k < p; k++) a += ld(Yq, i * p + k) * ld(ZXg, j * p + k);
    st(S, i * q + j, a);
  }
  matMul(Kq, S, KS, q, q, q);
  matMul(KS, Nt, Q, q, q, q);
  matMul(S, Nt, SN, q, q, q);
}

/** Per theta element of a group: nu_a, kappa_a, T^-1 w_a (w_a = Lam' C e_ia); first derivatives and the
 * group's share of A_a and rho_a. */
function groupFirst(Zg: usize, ZXg: usize): void {
  const q = R.q, p = R.p, nth = R.nth;
  for (let a = 0; a < nth; a++) {
    const ia = ldi(R.thRow, a), ja = ldi(R.thCol, a);
    for (let k = 0; k < q; k++) { st(nu, a * q + k, ld(Nt, k * q + ia)); st(ka, a * q + k, ld(Kq, ja * q + k)); }
    for (let i = 0; i < q; i++) {
      let s = 0.0;
      for (let k = 0; k < q; k++) s += ld(Ti, i * q + k) * ld(R.W, ia * q + k);
      st(Tiw, a * q + i, s);
    }
    st(R.gradL, a, ld(R.gradL, a) + 2 * ld(KC, ja * q + ia) - 2 * ld(Q, ja * q + ia));
    st(R.gradP, a, ld(R.gradP, a) - 2 * ld(v, ia) * ld(u, ja));
    for (let j = 0; j < p; j++) {
      let x = 0.0, y = 0.0;
      for (let k = 0; k < q; k++) { x += ld(ZXg, k * p + j) * ld(nu, a * q + k); y += ld(ZXg, k * p + j) * ld(ka, a * q + k); }
      st(Bnu, j, x); st(Bka, j, y);
    }
    const Ab = Aa + (<usize>(a * p * p) << 3);
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) st(Ab, i * p + j, ld(Ab, i * p + j) - ld(Bnu, i) * ld(Bka, j) - ld(Bka, i) * ld(Bnu, j));
      st(rho, a * p + i, ld(rho, a * p + i) + ld(Bnu, i) * ld(u, ja) + ld(Bka, i) * ld(v, ia));
    }
  }
}

/** The group's share of the second derivatives (every pair a, b; symmetrised at the end). */
function groupSecond(Zg: usize): void {
  const q = R.q, nth = R.nth;
  for (let b = 0; b < nth; b++) {
    const ib = ldi(R.thRow, b), jb = ldi(R.thCol, b);
    let wu = 0.0; // w_b . u
    for (let k = 0; k < q; k++) wu += ld(R.W, ib * q + k) * ld(u, k);
    for (let a = 0; a < nth; a++) {
      const ia = ldi(R.thRow, a), ja = ldi(R.thCol, a);
      // C M_b e at ia, and C M_b ... for the trace term: (K S nu_b)[ja] (C kappa_b)[ia] + (K S kappa_b)[ja] (C nu_b)[ia]
      let cme = 0.0, cka = 0.0, cnu = 0.0, ksnu = 0.0, kska = 0.0, wQ = 0.0, wTiw = 0.0;
      for (let k = 0; k < q; k++) {
        const c = ld(Zg, ia * q + k);
        cme += c * (ld(nu, b * q + k) * ld(u, jb) + ld(ka, b * q + k) * ld(v, ib));
        cka += c * ld(ka, b * q + k); cnu += c * ld(nu, b * q + k);
        ksnu += ld(KS, ja * q + k) * ld(nu, b * q + k); kska += ld(KS, ja * q + k) * ld(ka, b * q + k);
        wQ += ld(R.W, ib * q + k) * ld(Q, k * q + ia);
        wTiw += ld(R.W, ia * q + k) * ld(Tiw, b * q + k);
      }
      const tab = ld(Ti, ja * q + jb);
      // e' M_ab e = 2 [-(C M_b e)_ia u_ja + v_ia (Ti_ja,jb (e_ib - w_b.u) - (Ti w_b)_ja u_jb)]
      const eMe = 2 * (-cme * ld(u, ja) + ld(v, ia) * (tab * (ld(e, ib) - wu) - ld(Tiw, b * q + ja) * ld(u, jb)));
      // tr(S M_ab) = 2 [-(K S M_b C)_ja,ia + Ti_ja,jb ((S N')_ib,ia - (w_b' Q)_ia) - (Ti w_b)_ja Q_jb,ia]
      const trSM = 2 * (-(ksnu * cka + kska * cnu) + tab * (ld(SN, ib * q + ia) - wQ) - ld(Tiw, b * q + ja) * ld(Q, jb * q + ia));
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
    const Zyg = R.Ztyg + (<usize>(g * q) << 3);
    groupPieces(Zg, ZXg, Zyg);
    groupFirst(Zg, ZXg);
    groupSecond(Zg);
  }
  finishHessian();
  return true;
}
