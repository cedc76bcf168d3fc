// Theta, lme4's parameterisation of Lambda (its lower triangle column by column, or its diagonal): which
// elements are diagonal, the sign-canonical form, and vector helpers over its nth elements.
import { ld, st } from "../mem";
import { nth, q, diagCov } from "../criterion/reml";

/** Is theta index i a diagonal element? */
export function isDiag(i: i32): bool {
  if (diagCov) return true;
  let idx = 0;
  for (let j = 0; j < q; j++) for (let k = j; k < q; k++) { if (idx == i) return k == j; idx++; }
  return false;
}

/** Flip columns of Lambda so that its diagonal is >= 0 (same covariance). */
export function canonicalise(x: usize): void {
  if (diagCov) { for (let i = 0; i < nth; i++) st(x, i, Math.abs(ld(x, i))); return; }
  let idx = 0;
  for (let j = 0; j < q; j++) {
    const neg = ld(x, idx) < 0;
    for (let k = j; k < q; k++) { if (neg) st(x, idx, -ld(x, idx)); idx++; }
  }
}

export function copyVec(dst: usize, src: usize): void { for (let i = 0; i < nth; i++) st(dst, i, ld(src, i)); }

/** Largest |v_i| over the free coordinates (mask bit i set = coordinate i fixed). */
export function gnorm(v: usize, mask: i32): f64 {
  let m = 0.0;
  for (let i = 0; i < nth; i++) if (!((mask >> i) & 1)) m = Math.max(m, Math.abs(ld(v, i)));
  return m;
}

/** max(1, max_i |x_i|): the scale steps and pushes are measured by. */
export function thetaScale(x: usize): f64 {
  let xn = 1.0;
  for (let i = 0; i < nth; i++) xn = Math.max(xn, Math.abs(ld(x, i)));
  return xn;
}
