// The groups' BLUPs and their conditional variances (lme4's ranef(condVar = TRUE)) at the fit's estimates.
import { ld, st, allocF64 } from "../mem";
import { cholInverse, fwd, bwd } from "../linalg/chol";
import { matVec } from "../linalg/dense";
import * as R from "../criterion/reml";

let qa: usize = 0; let qc: usize = 0; let qd: usize = 0; let qv: usize = 0;

export function setupRanef(): void {
  const q = R.q;
  qa = allocF64(q * q); qc = allocF64(q * q); qd = allocF64(q * q); qv = allocF64(q);
}

/** BLUPs and conditional variances for every group at the current theta/beta/s2. */
export function ranef(theta: usize, s2: f64, outB: usize, outV: usize): void {
  const q = R.q, p = R.p;
  R.buildLambda(theta);
  const Lam = R.Lam;
  for (let g = 0; g < R.G; g++) {
    const Zg = R.ZtZg + (<usize>(g * q * q) << 3);
    const ZXg = R.ZtXg + (<usize>(g * q * p) << 3);
    const Zyg = R.Ztyg + (<usize>(g * q) << 3);
    R.groupFactor(Zg); // R.T = chol(Lam' ZtZ_g Lam + I)
    const qb = R.T;
    // rhs = Lam' (Zty - ZtX beta)
    for (let k = 0; k < q; k++) {
      let e = ld(Zyg, k);
      for (let j = 0; j < p; j++) e -= ld(ZXg, k * p + j) * ld(R.beta, j);
      st(qv, k, e);
    }
    for (let i = 0; i < q; i++) {
      let a = 0.0;
      for (let k = 0; k < q; k++) a += ld(Lam, k * q + i) * ld(qv, k);
      st(qa, i, a);
    }
    fwd(qb, q, qa, 1); bwd(qb, q, qa, 1);
    matVec(Lam, qa, outB + (<usize>(g * q) << 3), q, q);
    cholInverse(qb, q, qc, qd); // qc = T^-1
    // condVar = s2 Lam T^-1 Lam'
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
      let a = 0.0;
      for (let k = 0; k < q; k++) a += ld(qc, i * q + k) * ld(Lam, j * q + k);
      st(qd, i * q + j, a);
    }
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
      let a = 0.0;
      for (let k = 0; k < q; k++) a += ld(Lam, i * q + k) * ld(qd, k * q + j);
      st(outV, (g * q + i) * q + j, s2 * a);
    }
  }
}
