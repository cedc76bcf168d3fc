// lmerTest's Satterthwaite df for every coefficient (Kuznetsova et al., J. Stat. Softw. 82(13), 2017), from
// the analytic derivatives of the REML criterion at its optimum.
import { ld, st, ldi, sti, alloc, allocF64 } from "../mem";
import { chol, fwd } from "../linalg/chol";
import * as R from "../criterion/reml";
import { setupHessian, hessian, hessF as HF, hessP as HP } from "../criterion/hessian";
import { DF_HESS_RTOL } from "../tolerances";

let vC: usize = 0; // center vector [F, P, a_0..]
let gradV: usize = 0; // nth x nv
let hessF: usize = 0; // nth x nth (active coordinates)
let hessP: usize = 0;
let Hm: usize = 0; // (nth+1)^2
let gv: usize = 0; // nth+1
let wv: usize = 0;
let act: usize = 0; // i32 active list

/** The workspace for the batch's design (after the criterion's). */
export function setupSatterthwaite(): void {
  const p = R.p, nth = R.nth, nv = p + 2;
  setupHessian();
  vC = allocF64(nv);
  gradV = allocF64(nth * nv); hessF = allocF64(nth * nth); hessP = allocF64(nth * nth);
  Hm = allocF64((nth + 1) * (nth + 1)); gv = allocF64(nth + 1); wv = allocF64(nth + 1);
  act = alloc(<usize>(nth * 4 + 16));
}

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
export function satterthwaite(th: usize, outDf: usize): bool {
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
