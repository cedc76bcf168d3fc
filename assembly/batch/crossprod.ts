// The design's cross-products, shared by every feature of the batch: X'X, the groups' Z'Z and Z'X, and for
// q = 1 the groups pooled by their Z'Z.
import { ld, st, ldi, sti, allocF64, alloc } from "../mem";
import * as R from "../criterion/reml";

/** X'X and the groups' Z'Z, Z'X from the rows (X n x p, Z n x q row-major, groups n i32). */
export function designCrossProducts(n: i32, p: i32, q: i32, G: i32, X: usize, Z: usize, grp: usize): void {
  const XtX = allocF64(p * p), ZtZ = allocF64(G * q * q), ZtX = allocF64(G * q * p);
  for (let i = 0; i < n; i++) {
    const g = ldi(grp, i);
    const xr = X + (<usize>(i * p) << 3);
    const zr = Z + (<usize>(i * q) << 3);
    for (let a = 0; a < p; a++) {
      const xa = ld(xr, a);
      for (let b = 0; b <= a; b++) st(XtX, a * p + b, ld(XtX, a * p + b) + xa * ld(xr, b));
    }
    for (let a = 0; a < q; a++) {
      const za = ld(zr, a);
      for (let b = 0; b < q; b++) st(ZtZ, (g * q + a) * q + b, ld(ZtZ, (g * q + a) * q + b) + za * ld(zr, b));
      for (let b = 0; b < p; b++) st(ZtX, (g * q + a) * p + b, ld(ZtX, (g * q + a) * p + b) + za * ld(xr, b));
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) st(XtX, b * p + a, ld(XtX, a * p + b));
  R.setPointers(XtX, ZtZ, ZtX);
}

/** q = 1: groups pooled by the value of Z_g'Z_g (a balanced design is one pool). */
export function setupPools(G: i32, p: i32): void {
  const pz = allocF64(G);
  const gp = alloc(<usize>(G * 4 + 16));
  let K = 0;
  for (let g = 0; g < G; g++) {
    const z = ld(R.ZtZg, g);
    let k = 0;
    while (k < K && ld(pz, k) != z) k++;
    if (k == K) { st(pz, K, z); K++; }
    sti(gp, g, k);
  }
  const pc = allocF64(K), ps = allocF64(K * p * p), ss = allocF64(p * p);
  let sz = 0.0;
  for (let g = 0; g < G; g++) {
    const k = ldi(gp, g);
    st(pc, k, ld(pc, k) + 1);
    sz += ld(R.ZtZg, g);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      const v = ld(R.ZtXg, g * p + a) * ld(R.ZtXg, g * p + b);
      st(ps, (k * p + a) * p + b, ld(ps, (k * p + a) * p + b) + v);
      st(ss, a * p + b, ld(ss, a * p + b) + v);
    }
  }
  R.setPools(K, pz, pc, ps, gp, ss, sz);
}
