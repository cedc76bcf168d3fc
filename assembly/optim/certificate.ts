// q >= 2: the certificate of first-order optimality, each gradient element measured against the scale of
// the terms whose balance makes it 0 (q = 1's is in q1.ts).
import { ld, st, allocF64 } from "../mem";
import { gradient, nth, n, p, useReml, pwrss, gradL, gradP } from "../criterion/reml";
import { CERT_GRAD_RTOL, CERT_SCALE_FLOOR, CERT_BOUNDARY_STEP } from "../tolerances";
import { isDiag, copyVec, thetaScale } from "./theta";
import { lastGrad, setGradScale } from "./outcome";

/** nth: each gradient element's terms' scale, after gradientScale(). */
export let coordScale: usize = 0;
/** nth: coordScale at the point being certified (and at Newton's current point). */
export let xScale: usize = 0;
let cg: usize = 0; // the gradient at the point
let cx: usize = 0; // a point off the boundary
let cgh: usize = 0; // the gradient there

export function setupCertificate(): void {
  coordScale = allocF64(nth); xScale = allocF64(nth);
  cg = allocF64(nth); cx = allocF64(nth); cgh = allocF64(nth);
}

/** The largest sum of a gradient element's terms, |d F / d theta_i| + dfr |d P / d theta_i| / P (F = log|L|^2
 * + log|R_X|^2, P the penalised residual), after gradient(); each element's into coordScale. */
export function gradientScale(): f64 {
  const dfr = <f64>(useReml ? n - p : n);
  let scale = 0.0;
  for (let i = 0; i < nth; i++) {
    const s = Math.abs(ld(gradL, i)) + dfr * Math.abs(ld(gradP, i)) / pwrss;
    st(coordScale, i, s);
    scale = Math.max(scale, s);
  }
  return scale;
}

/** max_i |g_i| / max(s_i, CERT_SCALE_FLOOR S) over the free coordinates: each element against its own terms'
 * scale s_i (a weakly determined element, e.g. a small slope variance, is held to its own precision), floored
 * at CERT_SCALE_FLOOR x the largest, S (an element at a zero variance, whose terms vanish with it). */
export function relGradient(g: usize, mask: i32, scales: usize, scale: f64): f64 {
  let m = 0.0;
  for (let i = 0; i < nth; i++) if (!((mask >> i) & 1)) m = Math.max(m, Math.abs(ld(g, i)) / Math.max(ld(scales, i), CERT_SCALE_FLOOR * scale));
  return m;
}

/** q >= 2 certificate at x: at each diagonal at 0 the criterion does not fall as it leaves 0 (its gradient
 * at x + h e_i, h = CERT_BOUNDARY_STEP max(1, |x|), not below -CERT_GRAD_RTOL x the scale there), and
 * every |d criterion / d theta_i| <= CERT_GRAD_RTOL x the largest gradient scale seen (gradientScale at x
 * and at those points: at theta = 0 every term vanishes with the gradient). Leaves lastGrad. */
export function certifiedGeneral(x: usize): bool {
  const f = gradient(x, cg);
  if (!isFinite(f)) return false;
  copyVec(lastGrad, cg);
  let scale = gradientScale();
  copyVec(xScale, coordScale);
  const xn = thetaScale(x);
  for (let i = 0; i < nth; i++) {
    if (!isDiag(i) || ld(x, i) != 0) continue;
    copyVec(cx, x);
    st(cx, i, CERT_BOUNDARY_STEP * xn);
    gradient(cx, cgh);
    const si = gradientScale();
    if (!(ld(cgh, i) >= -CERT_GRAD_RTOL * Math.max(scale, si))) return false;
    scale = Math.max(scale, si);
  }
  setGradScale(scale);
  return relGradient(lastGrad, 0, xScale, scale) <= CERT_GRAD_RTOL;
}
