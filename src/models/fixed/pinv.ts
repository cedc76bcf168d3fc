// The generalised inverse of the fixed model's cross-product matrix.
import { symEigen } from "../../kernel/eigen.js";

/** Eigenvalues at most this fraction of the largest count as zero (the rank-revealing tolerance). */
const PINV_RTOL = 1e-11;
/** Coordinate j is estimable when (A H)_jj is 1 to this tolerance. */
const ESTIMABLE_TOL = 1e-7;

/**
 * Generalised inverse of a symmetric PSD k x k matrix H: scale to unit diagonal (columns flagged in
 * zeroCol, or with no positive diagonal, count as zero), eigen-pseudo-inverse with a relative
 * tolerance. Returns A, the rank, and which coordinates are estimable (A H e_j = e_j).
 */
export function pinvSym(
  H: Float64Array,
  k: number,
  zeroCol: Uint8Array,
): { A: Float64Array; rank: number; identified: Uint8Array } {
  const d = new Float64Array(k);
  for (let j = 0; j < k; j++) d[j] = zeroCol[j] || !(H[j * k + j] > 0) ? 0 : 1 / Math.sqrt(H[j * k + j]);
  const S = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) S[i * k + j] = d[i] * H[i * k + j] * d[j];
  const { values, vectors } = symEigen(S, k);
  let vmax = 0;
  for (let i = 0; i < k; i++) vmax = Math.max(vmax, values[i]);
  const tol = vmax * PINV_RTOL;
  const Ainv = new Float64Array(k * k);
  let rank = 0;
  for (let e = 0; e < k; e++) {
    if (!(values[e] > tol)) continue;
    rank++;
    const inv = 1 / values[e];
    for (let i = 0; i < k; i++) {
      const vi = vectors[i * k + e] * inv;
      if (vi === 0) continue;
      for (let j = 0; j < k; j++) Ainv[i * k + j] += vi * vectors[j * k + e];
    }
  }
  const A = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) A[i * k + j] = d[i] * Ainv[i * k + j] * d[j];
  const identified = new Uint8Array(k);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let l = 0; l < k; l++) s += A[j * k + l] * H[l * k + j];
    identified[j] = Math.abs(s - 1) < ESTIMABLE_TOL ? 1 : 0;
  }
  return { A, rank, identified };
}
