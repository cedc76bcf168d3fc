// A response's statistics for the fit: centring and scaling, X'y and the groups' Z'y (and the q = 1 pools),
// and the residual after X and each group's own Z columns. Where that residual is small against y'y, the
// statistics are recomputed from the rows (the within-group residual, y deflated by its within fit), since
// differences of sums lose the digits of a small residual (REFINE_RSS).
import { ld, st, ldi, sti, alloc, allocF64 } from "../mem";
import { dot } from "../linalg/chol";
import { symEigen } from "../linalg/eigen";
import { pinvSym, pinvFromEigen, eigenMax } from "../linalg/pinv";
import * as R from "./reml";
import { REFINE_RSS, EXACT_FIT_ULPS, RANK_RTOL, ZTZ_RANK_RTOL } from "../tolerances";

let n: i32 = 0, p: i32 = 0, q: i32 = 0, G: i32 = 0;
let X: usize = 0, grp: usize = 0, ZT: usize = 0;
let XwT: usize = 0; // nw x n: the within-group columns of X (x - Z_g pinv(C_g) Z_g'X_g) that are not all 0, column-major
let wIdx: usize = 0; // nw (i32): their indices in X
let nw: i32 = 0;
let CpG: usize = 0; // G x q x q: pinv(Z_g'Z_g)
let XtP: usize = 0; // p x p: pinv(A_w)
let yw: usize = 0; // n: the within-group residual
let cg: usize = 0; // G x q: the groups' own Z coefficients
let bw: usize = 0; // p
let tmp4: usize = 0; // 4
/** No residual degrees of freedom after X and each group's Z: the residual says nothing (no exact-fit test). */
export let exactCheck = false;
let yc: usize = 0; // n + 2: the response as fitted (centred, scaled, deflated)
let yCur: usize = 0; // where the response is
export let betaShift: usize = 0; // p: beta of the deflation, added back to the fit's beta
export let ybar: f64 = 0; export let icol: i32 = -1; export let ival: f64 = 0;
export let yexp: i32 = 0; let ymaxS: f64 = 0; // 2^yexp scales y; max |y| after it
export let rss: f64 = 0; // the residual after X and each group's own Z columns
export let rssFloor: f64 = 0; // below this it is roundoff
export let zMin: f64 = 0; // smallest positive Z_g'Z_g (q = 1)
/** Residual degrees of freedom within groups (after X and each group's Z) and between groups (q = 1). */
export let dfWithin: i32 = 0;
export let dfBetween: i32 = 0;
export let zBar: f64 = 1; // the groups' mean eigenvalue of Z_g'Z_g (the mean Z_g'Z_g for q = 1)

/** |y| up to 2^this needs no scaling (its squares summed over any n stay far inside the double range). */
const SCALE_FREE_EXP: i32 = 200;

/** 2^e exactly, for |e| within the normal range. */
export function pow2(e: i32): f64 {
  return reinterpret<f64>(<u64>(e + 1023) << 52);
}

/** Per group C_g = Z_g'Z_g = U D U' (eigenvalues above ZTZ_RANK_RTOL of the largest kept): pinv(C_g), and for
 * q >= 2 the between coordinates of reml.ts (U, D^-1, bX = D^-1 U' Z_g'X_g, sum log|D|). Returns the ranks' sum. */
function groupEigen(): i32 {
  const qq = q * q;
  CpG = allocF64(G * qq);
  const Ug = allocF64(G * qq), Dinv = allocF64(G * q), BX = allocF64(G * q * p);
  const a = allocF64(qq), v = allocF64(qq);
  let rk = 0, ldd = 0.0, lsum = 0.0;
  for (let g = 0; g < G; g++) {
    for (let i = 0; i < qq; i++) st(a, i, ld(R.ZtZg, g * qq + i));
    symEigen(a, v, q);
    rk += pinvFromEigen(a, v, q, CpG + (<usize>(g * qq) << 3), ZTZ_RANK_RTOL, 0);
    const lmax = eigenMax(a, q, 0);
    const U = Ug + (<usize>(g * qq) << 3);
    for (let k = 0; k < q; k++) {
      const l = ld(a, k * q + k);
      const keep = l > ZTZ_RANK_RTOL * lmax;
      st(Dinv, g * q + k, keep ? 1 / l : 1.0);
      if (!keep) continue;
      lsum += l;
      ldd += Math.log(l);
      for (let i = 0; i < q; i++) st(U, i * q + k, ld(v, i * q + k));
      for (let j = 0; j < p; j++) {
        let s = 0.0;
        for (let i = 0; i < q; i++) s += ld(v, i * q + k) * ld(R.ZtXg, (g * q + i) * p + j);
        st(BX, (g * q + k) * p + j, s / l);
      }
    }
  }
  if (q > 1) R.setBetween(Ug, Dinv, BX, ldd);
  zBar = rk > 0 ? lsum / <f64>rk : 1.0;
  return rk;
}

/** The design's part: pinv(Z_g'Z_g), the within-group cross-products A_w = sum_i x_w x_w' with
 * x_w = x_i - (Z_g pinv(Z_g'Z_g) Z_g'X_g)_i from the rows (R.setWithin), pinv(A_w), the exact-fit test's
 * applicability, the intercept column and column-major copies of X and Z. */
export function setupResponse(n_: i32, p_: i32, q_: i32, G_: i32, X_: usize, Z: usize, grp_: usize): void {
  n = n_; p = p_; q = q_; G = G_; X = X_; grp = grp_;
  const qq = q * q, pp = p * p;
  let rk = groupEigen();
  const Bc = allocF64(G * q * p); // pinv(C_g) Z_g'X_g
  for (let g = 0; g < G; g++) for (let k = 0; k < q; k++) for (let j = 0; j < p; j++) {
    let a = 0.0;
    for (let l = 0; l < q; l++) a += ld(CpG, g * qq + k * q + l) * ld(R.ZtXg, (g * q + l) * p + j);
    st(Bc, (g * q + k) * p + j, a);
  }
  const Xw = allocF64(p * n); // column-major
  for (let i = 0; i < n; i++) {
    const g = ldi(grp, i);
    for (let j = 0; j < p; j++) {
      let a = ld(X, i * p + j);
      for (let k = 0; k < q; k++) a -= ld(Z, i * q + k) * ld(Bc, (g * q + k) * p + j);
      st(Xw, j * n + i, a);
    }
  }
  const Aw = allocF64(pp);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) st(Aw, a * p + b, dot(Xw + (<usize>(a * n) << 3), Xw + (<usize>(b * n) << 3), n));
  R.setWithin(Aw);
  compactWithin(Xw);
  const At = allocF64(pp), vp = allocF64(pp);
  let xmax = 0.0; // X'X's scale: a within part that is roundoff of it is no within part
  for (let i = 0; i < p; i++) xmax = Math.max(xmax, ld(R.XtX, i * p + i));
  for (let i = 0; i < pp; i++) st(At, i, ld(Aw, i));
  XtP = allocF64(pp);
  const rkw = pinvSym(At, p, XtP, vp, RANK_RTOL, xmax);
  dfWithin = n - rk - rkw;
  dfBetween = rk - (p - rkw);
  exactCheck = dfWithin > 0;
  yc = allocF64(n + 2); yw = allocF64(n + 2); cg = allocF64(G * q); bw = allocF64(p); betaShift = allocF64(p); tmp4 = allocF64(4);
  ZT = allocF64(q * n);
  for (let i = 0; i < n; i++) for (let a = 0; a < q; a++) st(ZT, a * n + i, ld(Z, i * q + a));
  icol = -1; ival = 0;
  for (let a = 0; a < p && icol < 0; a++) { // a constant column (intercept): centre each response first
    const v = ld(X, a);
    if (v == 0) continue;
    let same = true;
    for (let i = 1; i < n; i++) if (ld(X, i * p + a) != v) { same = false; break; }
    if (same) { icol = a; ival = v; }
  }
  zMin = Infinity;
  for (let g = 0; g < G; g++) { const z = ld(R.ZtZg, g * qq); if (z > 0 && z < zMin) zMin = z; }
}

/** out[0..4) = the dot products of y (length n) with four columns of length n stored one after another from a. */
function dot4(a: usize, y: usize, out: usize): void {
  const nb = <usize>n << 3;
  let c0 = f64x2.splat(0.0), c1 = f64x2.splat(0.0), c2 = f64x2.splat(0.0), c3 = f64x2.splat(0.0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    const v = v128.load(y + o);
    c0 = f64x2.add(c0, f64x2.mul(v128.load(a + o), v));
    c1 = f64x2.add(c1, f64x2.mul(v128.load(a + nb + o), v));
    c2 = f64x2.add(c2, f64x2.mul(v128.load(a + 2 * nb + o), v));
    c3 = f64x2.add(c3, f64x2.mul(v128.load(a + 3 * nb + o), v));
  }
  let s0 = f64x2.extract_lane(c0, 0) + f64x2.extract_lane(c0, 1);
  let s1 = f64x2.extract_lane(c1, 0) + f64x2.extract_lane(c1, 1);
  let s2 = f64x2.extract_lane(c2, 0) + f64x2.extract_lane(c2, 1);
  let s3 = f64x2.extract_lane(c3, 0) + f64x2.extract_lane(c3, 1);
  for (; i < n; i++) {
    const v = ld(y, i);
    s0 += ld(a, i) * v; s1 += ld(a + nb, i) * v; s2 += ld(a + 2 * nb, i) * v; s3 += ld(a + 3 * nb, i) * v;
  }
  st(out, 0, s0); st(out, 1, s1); st(out, 2, s2); st(out, 3, s3);
}

/** The within columns that are not all 0 (those of X within the groups' Z span are exactly 0: skipped). */
function compactWithin(Xw: usize): void {
  wIdx = alloc(<usize>(p * 4 + 16));
  nw = 0;
  for (let j = 0; j < p; j++) {
    let any = false;
    for (let i = 0; i < n; i++) if (ld(Xw, j * n + i) != 0) { any = true; break; }
    if (any) { sti(wIdx, nw, j); nw++; }
  }
  XwT = allocF64(nw * n + 8);
  for (let k = 0; k < nw; k++) for (let i = 0; i < n; i++) st(XwT, k * n + i, ld(Xw, ldi(wIdx, k) * n + i));
}

/** out = X_w'y (p entries): the within-group columns' dot products, four at a time; exactly 0 for columns in
 * the groups' Z span (the between-only columns, whose r_w differences of sums would leave roundoff there,
 * which the shrunken between parts do not outweigh as theta grows). */
function xwty(y: usize, out: usize): void {
  for (let j = 0; j < p; j++) st(out, j, 0);
  let k = 0;
  for (; k + 4 <= nw; k += 4) {
    dot4(XwT + (<usize>(k * n) << 3), y, tmp4);
    for (let c = 0; c < 4; c++) st(out, ldi(wIdx, k + c), ld(tmp4, c));
  }
  for (; k < nw; k++) st(out, ldi(wIdx, k), dot(XwT + (<usize>(k * n) << 3), y, n));
}

const READ_OK: i32 = 0;
export const READ_NONFINITE: i32 = 1;
export const READ_CONSTANT: i32 = 2;

/** Passes 1-2: finiteness, centring (an exactly representable shift of the intercept) and scaling by a power
 * of two (exact) when max |y| is far from 1. Sets yCur and the shift and scale; returns READ_*. */
export function readResponse(y: usize): i32 {
  let sv = f64x2.splat(0.0), ssv = f64x2.splat(0.0);
  let i1 = 0;
  for (; i1 + 2 <= n; i1 += 2) {
    const v = v128.load(y + (<usize>i1 << 3));
    sv = f64x2.add(sv, v);
    ssv = f64x2.add(ssv, f64x2.mul(v, v));
  }
  let ysum = f64x2.extract_lane(sv, 0) + f64x2.extract_lane(sv, 1);
  let yy = f64x2.extract_lane(ssv, 0) + f64x2.extract_lane(ssv, 1);
  for (; i1 < n; i1++) { const v = ld(y, i1); ysum += v; yy += v * v; }
  if (!isFinite(yy)) { // exact check (y*y may overflow for huge finite values)
    for (let i = 0; i < n; i++) if (!isFinite(ld(y, i))) return READ_NONFINITE;
  }
  ybar = 0;
  let vmax = f64x2.splat(0.0);
  let ymax = 0.0;
  if (icol >= 0) {
    ybar = ysum / <f64>n;
    const vb = f64x2.splat(ybar);
    let i = 0;
    for (; i + 2 <= n; i += 2) {
      const v = f64x2.sub(v128.load(y + (<usize>i << 3)), vb);
      v128.store(yc + (<usize>i << 3), v);
      vmax = f64x2.max(vmax, f64x2.abs(v));
    }
    ymax = Math.max(f64x2.extract_lane(vmax, 0), f64x2.extract_lane(vmax, 1));
    for (; i < n; i++) { const v = ld(y, i) - ybar; st(yc, i, v); ymax = Math.max(ymax, Math.abs(v)); }
    y = yc;
  } else {
    let i = 0;
    for (; i + 2 <= n; i += 2) vmax = f64x2.max(vmax, f64x2.abs(v128.load(y + (<usize>i << 3))));
    ymax = Math.max(f64x2.extract_lane(vmax, 0), f64x2.extract_lane(vmax, 1));
    for (; i < n; i++) ymax = Math.max(ymax, Math.abs(ld(y, i)));
  }
  yCur = y;
  if (!(ymax > 0)) return READ_CONSTANT; // y constant (with an intercept) or all zero
  yexp = <i32>Math.max(-1000.0, Math.min(1000.0, Math.round(Math.log2(ymax))));
  if (yexp >= -SCALE_FREE_EXP && yexp <= SCALE_FREE_EXP) yexp = 0; // squares stay far from overflow: no pass needed
  ymaxS = ymax;
  if (yexp != 0) {
    const inv = pow2(-yexp);
    for (let i = 0; i < n; i++) st(yc, i, ld(y, i) * inv);
    yCur = yc;
    ymaxS = ymax * inv;
  }
  for (let j = 0; j < p; j++) st(betaShift, j, 0);
  return READ_OK;
}

/** Pass 3: r_w = X_w'y, the groups' Z'y, y'y, the q = 1 pools' sums, and s_w by differences. */
export function crossProducts(): void {
  const y = yCur;
  xwty(y, R.rw);
  const Zty = R.Ztyg;
  for (let j = 0; j < G * q; j++) st(Zty, j, 0);
  if (q == 1) {
    for (let i = 0; i < n; i++) { const g = ldi(grp, i); st(Zty, g, ld(Zty, g) + ld(ZT, i) * ld(y, i)); }
  } else for (let k = 0; k < q; k++) {
    const zc = ZT + (<usize>(k * n) << 3);
    for (let i = 0; i < n; i++) { const idx = ldi(grp, i) * q + k; st(Zty, idx, ld(Zty, idx) + ld(zc, i) * ld(y, i)); }
  }
  R.setYty(dot(y, y, n));
  if (q == 1) { poolSums(); R.withinFromPools(); } else R.withinFromGroups();
}

/** q = 1: the pools' W_k = sum (Z'y)^2 and V_k = sum Z'X Z'y. */
function poolSums(): void {
  const K = R.K, Zty = R.Ztyg, ZtX = R.ZtXg;
  if (K == 1) {
    // every group the same size (a balanced design): the pool's sums are Z'y.Z'y and ZtX' Z'y, in
    // registers two columns at a time (the general loop below chains every add through memory)
    st(R.poolW, 0, dot(Zty, Zty, G));
    let j = 0;
    for (; j + 4 <= p; j += 4) {
      let a0 = f64x2.splat(0.0), a1 = f64x2.splat(0.0);
      for (let g = 0; g < G; g++) {
        const zv = f64x2.splat(ld(Zty, g));
        const o = ZtX + (<usize>(g * p + j) << 3);
        a0 = f64x2.add(a0, f64x2.mul(v128.load(o), zv));
        a1 = f64x2.add(a1, f64x2.mul(v128.load(o + 16), zv));
      }
      v128.store(R.poolV + (<usize>j << 3), a0);
      v128.store(R.poolV + (<usize>(j + 2) << 3), a1);
    }
    for (; j < p; j++) {
      let a = 0.0;
      for (let g = 0; g < G; g++) a += ld(ZtX, g * p + j) * ld(Zty, g);
      st(R.poolV, j, a);
    }
    return;
  }
  for (let k = 0; k < K * p; k++) st(R.poolV, k, 0);
  for (let k = 0; k < K; k++) st(R.poolW, k, 0);
  for (let g = 0; g < G; g++) {
    const k = ldi(R.groupPool, g);
    const zy = ld(Zty, g);
    st(R.poolW, k, ld(R.poolW, k) + zy * zy);
    for (let j = 0; j < p; j++) st(R.poolV, k * p + j, ld(R.poolV, k * p + j) + ld(ZtX, g * p + j) * zy);
  }
}

/** rss = s_w - r_w' pinv(A_w) r_w from within parts s_w, r_w. */
function rssOf(s: f64, r: usize): f64 {
  let v = s;
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) v -= ld(r, i) * ld(XtP, i * p + j) * ld(r, j);
  return v;
}

/** cg_g = pinv(Z_g'Z_g) Z_g'y. */
function groupCoef(g: i32): void {
  for (let k = 0; k < q; k++) {
    let a = 0.0;
    for (let l = 0; l < q; l++) a += ld(CpG, (g * q + k) * q + l) * ld(R.Ztyg, g * q + l);
    st(cg, g * q + k, a);
  }
}

/** yw = y - Z_g cg_g row by row (the within-group residual); returns yw'yw, and X'yw into r. */
function withinRows(y: usize, r: usize): f64 {
  for (let g = 0; g < G; g++) groupCoef(g);
  for (let i = 0; i < n; i++) {
    const g = ldi(grp, i);
    let a = ld(y, i);
    for (let k = 0; k < q; k++) a -= ld(ZT, k * n + i) * ld(cg, g * q + k);
    st(yw, i, a);
  }
  xwty(yw, r);
  return dot(yw, yw, n);
}

/** From the rows: the within fit b_w = pinv(A_w) X'yw, y deflated by it (y - X b_w, fitted as y: the
 * criterion is invariant, beta moves by b_w), its cross-products again, and its within parts. */
function refine(): f64 {
  withinRows(yCur, bw);
  for (let j = 0; j < p; j++) {
    let a = 0.0;
    for (let k = 0; k < p; k++) a += ld(XtP, j * p + k) * ld(bw, k);
    st(R.ztmp, j, a);
  }
  for (let i = 0; i < n; i++) {
    let a = ld(yCur, i);
    for (let j = 0; j < p; j++) a -= ld(X, i * p + j) * ld(R.ztmp, j);
    st(yc, i, a);
  }
  yCur = yc;
  for (let j = 0; j < p; j++) st(betaShift, j, ld(betaShift, j) + ld(R.ztmp, j));
  crossProducts();
  const s = withinRows(yCur, R.rw);
  R.setWithinResponse(s);
  return rssOf(s, R.rw);
}

/** The residual after X and each group's own Z columns (rss), from the rows when small; rssFloor: its
 * roundoff. Returns false when the residual is roundoff (the REML criterion has no optimum). */
export function residualAfterGroups(): bool {
  rssFloor = <f64>n * (EXACT_FIT_ULPS * f64.EPSILON * ymaxS) ** 2;
  if (!exactCheck) { rss = Infinity; return true; }
  rss = rssOf(R.sw, R.rw); // the within parts by differences of sums

  if (rss < REFINE_RSS * R.yty) rss = refine();
  return rss > rssFloor;
}
