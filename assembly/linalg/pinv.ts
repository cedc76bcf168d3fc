// The project's one pseudo-inverse of a symmetric matrix, from its eigen-decomposition.
import { ld, st } from "../mem";
import { symEigen } from "./eigen";

/** After symEigen (a diagonal, v eigenvectors in columns): out = sum over the eigenvalues l above
 * rtol * max(largest |l|, ref) of v_k v_k' / l. Returns the rank (how many were kept). */
export function pinvFromEigen(a: usize, v: usize, nn: i32, out: usize, rtol: f64, ref: f64): i32 {
  const lmax = eigenMax(a, nn, ref);
  for (let i = 0; i < nn * nn; i++) st(out, i, 0);
  let rank = 0;
  for (let k = 0; k < nn; k++) {
    const l = ld(a, k * nn + k);
    if (!(l > rtol * lmax)) continue;
    rank++;
    for (let i = 0; i < nn; i++) for (let j = 0; j < nn; j++) st(out, i * nn + j, ld(out, i * nn + j) + ld(v, i * nn + k) * ld(v, j * nn + k) / l);
  }
  return rank;
}

/** max(ref, the largest |eigenvalue|) on the diagonal of a. */
export function eigenMax(a: usize, nn: i32, ref: f64): f64 {
  let lmax = ref;
  for (let k = 0; k < nn; k++) lmax = Math.max(lmax, Math.abs(ld(a, k * nn + k)));
  return lmax;
}

/** out = the pseudo-inverse of the symmetric nn x nn matrix a (pinvFromEigen's rule); a is overwritten,
 * v: nn x nn scratch. Returns the rank. */
export function pinvSym(a: usize, nn: i32, out: usize, v: usize, rtol: f64, ref: f64): i32 {
  symEigen(a, v, nn);
  return pinvFromEigen(a, v, nn, out, rtol, ref);
}
