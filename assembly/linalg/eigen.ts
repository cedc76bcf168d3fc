// The project's one symmetric eigen-decomposition (the host's symEigen, src/kernel/eigen.ts, calls it too).
import { ld, st } from "../mem";
import { JACOBI_SWEEPS, JACOBI_OFF_RTOL } from "../tolerances";

/** Cyclic Jacobi (Golub & Van Loan, Matrix Computations, 8.5): a (symmetric nn x nn, row-major) is
 * overwritten by the diagonal of its eigenvalues, v = the eigenvectors in columns (v[i nn + k] = component
 * i of eigenvector k). No ordering. */
export function symEigen(a: usize, v: usize, nn: i32): void {
  for (let i = 0; i < nn; i++) for (let j = 0; j < nn; j++) st(v, i * nn + j, i == j ? 1.0 : 0.0);
  for (let sweep = 0; sweep < JACOBI_SWEEPS; sweep++) {
    let off = 0.0, dia = 0.0;
    for (let i = 0; i < nn; i++) { dia += ld(a, i * nn + i) * ld(a, i * nn + i); for (let j = 0; j < i; j++) off += ld(a, i * nn + j) * ld(a, i * nn + j); }
    if (!(off > JACOBI_OFF_RTOL * dia)) break;
    for (let pp = 0; pp < nn; pp++) for (let qq = pp + 1; qq < nn; qq++) rotate(a, v, nn, pp, qq);
  }
}

/** One Jacobi rotation zeroing a[pp][qq] (rows and columns of a, columns of v). */
function rotate(a: usize, v: usize, nn: i32, pp: i32, qq: i32): void {
  const apq = ld(a, pp * nn + qq);
  if (apq == 0) return;
  const th = (ld(a, qq * nn + qq) - ld(a, pp * nn + pp)) / (2 * apq);
  const t = (th >= 0 ? 1.0 : -1.0) / (Math.abs(th) + Math.sqrt(th * th + 1));
  const c = 1 / Math.sqrt(t * t + 1), s = t * c;
  for (let k = 0; k < nn; k++) {
    const akp = ld(a, k * nn + pp), akq = ld(a, k * nn + qq);
    st(a, k * nn + pp, c * akp - s * akq); st(a, k * nn + qq, s * akp + c * akq);
  }
  for (let k = 0; k < nn; k++) {
    const apk = ld(a, pp * nn + k), aqk = ld(a, qq * nn + k);
    st(a, pp * nn + k, c * apk - s * aqk); st(a, qq * nn + k, s * apk + c * aqk);
  }
  for (let k = 0; k < nn; k++) {
    const vkp = ld(v, k * nn + pp), vkq = ld(v, k * nn + qq);
    st(v, k * nn + pp, c * vkp - s * vkq); st(v, k * nn + qq, s * vkp + c * vkq);
  }
}
