// Small dense kernels on row-major n x n matrices (only the lower triangle is read/written).
import { ld, st } from "../mem";

/** In-place lower Cholesky. Fails (returns false) if a pivot <= rtol * original diagonal or not finite. */
export function chol(a: usize, n: i32, rtol: f64): bool {
  for (let j = 0; j < n; j++) {
    let s = ld(a, j * n + j);
    const orig = s;
    for (let k = 0; k < j; k++) { const l = ld(a, j * n + k); s -= l * l; }
    if (!(s > rtol * orig) || !(s > 0) || !isFinite(s)) return false;
    const d = Math.sqrt(s);
    st(a, j * n + j, d);
    const inv = 1.0 / d;
    for (let i = j + 1; i < n; i++) {
      let t = ld(a, i * n + j);
      for (let k = 0; k < j; k++) t -= ld(a, i * n + k) * ld(a, j * n + k);
      st(a, i * n + j, t * inv);
    }
  }
  return true;
}

/** A running product of pivots is logged and restarted before it leaves [PROD_MIN, PROD_MAX] (far inside
 * the double range: no overflow, one log per many factors). */
export const PROD_MAX: f64 = 1e150;
export const PROD_MIN: f64 = 1e-150;

/** log det(L L') = 2 sum log L_ii */
export function logdet2(l: usize, n: i32): f64 {
  // one log per call where possible (logs dominate the cost of a pooled evaluation)
  let s = 0.0;
  let prod = 1.0;
  for (let i = 0; i < n; i++) {
    prod *= ld(l, i * n + i);
    if (prod > PROD_MAX || prod < PROD_MIN) { s += Math.log(prod); prod = 1.0; }
  }
  return 2 * (s + Math.log(prod));
}

/** Solve L x = b in place (b has stride `stride`, length n). */
export function fwd(l: usize, n: i32, b: usize, stride: i32): void {
  for (let i = 0; i < n; i++) {
    let t = ld(b, i * stride);
    for (let k = 0; k < i; k++) t -= ld(l, i * n + k) * ld(b, k * stride);
    st(b, i * stride, t / ld(l, i * n + i));
  }
}

/** Solve L' x = b in place. */
export function bwd(l: usize, n: i32, b: usize, stride: i32): void {
  for (let i = n - 1; i >= 0; i--) {
    let t = ld(b, i * stride);
    for (let k = i + 1; k < n; k++) t -= ld(l, k * n + i) * ld(b, k * stride);
    st(b, i * stride, t / ld(l, i * n + i));
  }
}

/** out = (L L')^{-1} (full symmetric), via Linv; work: n*n scratch. */
export function cholInverse(l: usize, n: i32, out: usize, work: usize): void {
  // work = L^{-1} (lower)
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) st(work, i * n + j, i == j ? 1.0 : 0.0);
    // forward solve column j
    for (let i = j; i < n; i++) {
      let t = ld(work, i * n + j);
      for (let k = j; k < i; k++) t -= ld(l, i * n + k) * ld(work, k * n + j);
      st(work, i * n + j, t / ld(l, i * n + i));
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0.0;
      for (let k = i; k < n; k++) s += ld(work, k * n + i) * ld(work, k * n + j);
      st(out, i * n + j, s);
      st(out, j * n + i, s);
    }
  }
}

/** SIMD dot product of two contiguous f64 vectors of length n. */
export function dot(a: usize, b: usize, n: i32): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 3;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
    acc1 = f64x2.add(acc1, f64x2.mul(v128.load(a + o + 16), v128.load(b + o + 16)));
  }
  acc0 = f64x2.add(acc0, acc1);
  let s = f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1);
  for (; i < n; i++) s += ld(a, i) * ld(b, i);
  return s;
}
