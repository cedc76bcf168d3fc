// The joint Wald F of several coefficients with lmerTest's Satterthwaite denominator df (contestMD:
// Kuznetsova et al., J. Stat. Softw. 82(13), 2017), for a random-intercept REML fit (q = 1) at the
// kernel's theta. The kernel returns each coefficient's df but not the derivatives a general contrast
// needs, so they are made here in closed form from the groups' sums: with V = s2 (I + theta^2 Z Z'),
// X'V^-1X and the penalised residual sum of squares are sums over groups of weights
// w_g = theta^2 / (1 + n_g theta^2), whose theta-derivatives are exact (O(G p^2) per feature).
import type { BatchDesign } from "../../types.js";
import { symEigen } from "../../kernel/eigen.js";

/** The pieces of lmerTest's Satterthwaite computation at the optimum. */
export interface VarparDerivs {
  vcov: Float64Array; // p x p, s2 A^-1
  jac: Float64Array[]; // d vcov / d varpar: theta (when active), then sigma
  hinv: Float64Array; // inverse Hessian of the REML deviance in varpar (k x k)
  beta: Float64Array;
}

function inverse(A: Float64Array, p: number): Float64Array | null {
  // Gauss-Jordan with partial pivoting (p is a handful of columns)
  const M = Float64Array.from(A);
  const I = new Float64Array(p * p);
  for (let i = 0; i < p; i++) I[i * p + i] = 1;
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(M[r * p + c]) > Math.abs(M[piv * p + c])) piv = r;
    if (!(Math.abs(M[piv * p + c]) > 0)) return null;
    if (piv !== c)
      for (let k = 0; k < p; k++) {
        const m = M[c * p + k], i = I[c * p + k];
        M[c * p + k] = M[piv * p + k];
        M[piv * p + k] = m;
        I[c * p + k] = I[piv * p + k];
        I[piv * p + k] = i;
      }
    const d = M[c * p + c];
    for (let k = 0; k < p; k++) { M[c * p + k] /= d; I[c * p + k] /= d; }
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = M[r * p + c];
      if (f === 0) continue;
      for (let k = 0; k < p; k++) { M[r * p + k] -= f * M[c * p + k]; I[r * p + k] -= f * I[c * p + k]; }
    }
  }
  return I;
}

// (loops, not TypedArray.prototype.map: V8 does not inline its callback, and this runs per feature)
/** s A, a new array. */
function scaled(A: Float64Array, s: number): Float64Array {
  const out = new Float64Array(A.length);
  for (let k = 0; k < A.length; k++) out[k] = s * A[k];
  return out;
}

/** s a_k b_k, a new array. */
function times(a: Float64Array, b: Float64Array, s: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = s * a[k] * b[k];
  return out;
}

/** sum_k c_k s_k s_k' (p x p) over the rows s_k of S. */
function weighted(S: Float64Array, c: Float64Array, p: number): Float64Array {
  const out = new Float64Array(p * p);
  for (let g = 0; g < c.length; g++) {
    if (c[g] === 0) continue;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) out[a * p + b] += c[g] * S[g * p + a] * S[g * p + b];
  }
  return out;
}

function mul(A: Float64Array, B: Float64Array, p: number): Float64Array {
  const C = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let k = 0; k < p; k++) {
    const a = A[i * p + k];
    if (a !== 0) for (let j = 0; j < p; j++) C[i * p + j] += a * B[k * p + j];
  }
  return C;
}

function trace(A: Float64Array, p: number): number {
  let t = 0;
  for (let i = 0; i < p; i++) t += A[i * p + i];
  return t;
}

/**
 * What varparDerivs needs of a design, made once per design: X'X and the groups in patterns (the
 * groups with the same size and the same column sums s_g = X_g'1 share every weight w(n_g), so the
 * p x p sums over groups are sums over patterns: a handful without numeric covariates).
 */
interface DesignSums {
  XtX: Float64Array;
  ng: Float64Array; // rows per group
  pat: Int32Array; // group -> pattern
  patN: Float64Array; // a pattern's group size
  patCount: Float64Array; // its groups
  patS: Float64Array; // its column sums (np x p)
}

const SUMS = new WeakMap<BatchDesign, DesignSums>();

function designSums(d: BatchDesign): DesignSums {
  const cached = SUMS.get(d);
  if (cached) return cached;
  const { n, p, G, X } = d;
  const S = new Float64Array(G * p), ng = new Float64Array(G), XtX = new Float64Array(p * p);
  for (let i = 0; i < n; i++) {
    const g = d.groups[i];
    ng[g]++;
    for (let a = 0; a < p; a++) {
      const xa = X[i * p + a];
      S[g * p + a] += xa;
      for (let b = 0; b < p; b++) XtX[a * p + b] += xa * X[i * p + b];
    }
  }
  const index = new Map<string, number>(), pat = new Int32Array(G), patN: number[] = [], patCount: number[] = [], patS: number[] = [];
  for (let g = 0; g < G; g++) {
    const row = S.subarray(g * p, (g + 1) * p);
    const key = `${ng[g]}|${row.join(",")}`;
    let k = index.get(key);
    if (k === undefined) {
      k = patN.length;
      index.set(key, k);
      patN.push(ng[g]);
      patCount.push(0);
      patS.push(...row);
    }
    patCount[k]++;
    pat[g] = k;
  }
  const sums = { XtX, ng, pat, patN: Float64Array.from(patN), patCount: Float64Array.from(patCount), patS: Float64Array.from(patS) };
  SUMS.set(d, sums);
  return sums;
}

/**
 * vcov(beta), its Jacobian in (theta, sigma) and the inverse Hessian of the REML deviance in
 * (theta, sigma) at theta (lmerTest's devfun_vp, sigma at its REML value); theta = 0 is inactive
 * (dropped, as lmerTest and the kernel do). Null when X'V^-1X or the Hessian is not positive definite.
 */
export function varparDerivs(d: BatchDesign, y: ArrayLike<number>, theta: number): VarparDerivs | null {
  const { n, p, G, X } = d;
  const { XtX, pat, patN, patCount, patS } = designSums(d);
  const np = patN.length;
  const t = new Float64Array(G), Xty = new Float64Array(p), T = new Float64Array(np);
  let yy = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i];
    yy += yi * yi;
    t[d.groups[i]] += yi;
    for (let a = 0; a < p; a++) Xty[a] += X[i * p + a] * yi;
  }
  for (let g = 0; g < G; g++) T[pat[g]] += t[g];
  const th2 = theta * theta;
  // per pattern: w = theta^2 / (1 + n theta^2) and its first two theta-derivatives
  const w = new Float64Array(np), w1 = new Float64Array(np), w2 = new Float64Array(np);
  let ldZ2 = 0; // second derivative of sum_g log(1 + n_g theta^2)
  for (let k = 0; k < np; k++) {
    const u = 1 + patN[k] * th2;
    w[k] = th2 / u;
    w1[k] = (2 * theta) / (u * u);
    w2[k] = (2 - 6 * patN[k] * th2) / (u * u * u);
    ldZ2 += (patCount[k] * (2 * patN[k] - 2 * patN[k] * patN[k] * th2)) / (u * u);
  }
  const Wss = weighted(patS, times(w, patCount, 1), p);
  const A = new Float64Array(p * p);
  for (let k = 0; k < p * p; k++) A[k] = XtX[k] - Wss[k];
  const Ai = inverse(A, p);
  if (!Ai) return null;
  const b = Xty.slice();
  for (let k = 0; k < np; k++) for (let a = 0; a < p; a++) b[a] -= w[k] * T[k] * patS[k * p + a];
  const beta = new Float64Array(p);
  for (let a = 0; a < p; a++) for (let c = 0; c < p; c++) beta[a] += Ai[a * p + c] * b[c];
  // residuals r = y - X beta, from the sums (one pass over the rows is the cost here): r'r = y'y -
  // 2 beta'X'y + beta'X'X beta (y is z-scored and r'r is at least the residual variance's share of it,
  // so the cancellation costs a digit or two, far from the 1e-6 asked), each group's sum e_g = t_g - s_g'beta
  let rr = yy;
  for (let a = 0; a < p; a++) {
    let xb = 0;
    for (let c = 0; c < p; c++) xb += XtX[a * p + c] * beta[c];
    rr += beta[a] * (xb - 2 * Xty[a]);
  }
  const sb = new Float64Array(np);
  for (let k = 0; k < np; k++) for (let a = 0; a < p; a++) sb[k] += patS[k * p + a] * beta[a];
  const e = new Float64Array(G);
  for (let g = 0; g < G; g++) e[g] = t[g] - sb[pat[g]];
  let P = rr, dP = 0;
  const E1 = new Float64Array(np); // sum of e_g over a pattern's groups
  for (let g = 0; g < G; g++) {
    const k = pat[g];
    P -= w[k] * e[g] * e[g];
    dP -= w1[k] * e[g] * e[g];
    E1[k] += e[g];
  }
  const s2 = P / (n - p), sig = Math.sqrt(s2);
  const vcov = scaled(Ai, s2);
  const jacSigma = scaled(Ai, 2 * sig);
  if (theta === 0) return hessianInverse([], vcov, [jacSigma], beta, -2 * (n - p) / s2 + 6 * P / (s2 * s2));
  // dA = -sum w1 s s', d2A = -sum w2 s s'; dbeta = -A^-1 sum w1_g e_g s_g
  const dA = weighted(patS, times(w1, patCount, -1), p), d2A = weighted(patS, times(w2, patCount, -1), p);
  const AidA = mul(Ai, dA, p);
  const F2 = ldZ2 + trace(mul(Ai, d2A, p), p) - trace(mul(AidA, AidA, p), p);
  const h = new Float64Array(p);
  for (let k = 0; k < np; k++) for (let a = 0; a < p; a++) h[a] -= w1[k] * E1[k] * patS[k * p + a];
  const dbeta = new Float64Array(p);
  for (let a = 0; a < p; a++) for (let c = 0; c < p; c++) dbeta[a] += Ai[a * p + c] * h[c];
  const de = new Float64Array(np); // d e_g / d theta = -s_g' dbeta, the same over a pattern
  for (let k = 0; k < np; k++) for (let a = 0; a < p; a++) de[k] -= patS[k * p + a] * dbeta[a];
  let P2 = 0;
  for (let g = 0; g < G; g++) {
    const k = pat[g];
    P2 -= w2[k] * e[g] * e[g] + 2 * w1[k] * e[g] * de[k];
  }
  const jacTheta = scaled(mul(AidA, Ai, p), -s2); // s2 d(A^-1)/dtheta
  const Htt = F2 + P2 / s2, Hts = (-2 * dP) / (s2 * sig), Hss = -2 * (n - p) / s2 + 6 * P / (s2 * s2);
  return hessianInverse([Htt, Hts], vcov, [jacTheta, jacSigma], beta, Hss);
}

/** The 1 x 1 or 2 x 2 inverse Hessian ([Htt, Hts] empty when theta is inactive). */
function hessianInverse(th: number[], vcov: Float64Array, jac: Float64Array[], beta: Float64Array, Hss: number): VarparDerivs | null {
  if (th.length === 0) return Hss > 0 ? { vcov, jac, hinv: Float64Array.of(1 / Hss), beta } : null;
  const [Htt, Hts] = th;
  const det = Htt * Hss - Hts * Hts;
  if (!(Htt > 0 && det > 0)) return null;
  return { vcov, jac, hinv: Float64Array.of(Hss / det, -Hts / det, -Hts / det, Htt / det), beta };
}

/** c' M c for a p x p M. */
function qform(c: Float64Array, M: Float64Array, p: number): number {
  let s = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) s += c[a] * M[a * p + b] * c[b];
  return s;
}

/** Satterthwaite df of the contrast c'beta (lmerTest's contest1D): var^2 / (g' H^-1 g). */
export function contrastDf(v: VarparDerivs, c: Float64Array): number {
  const p = c.length, k = v.jac.length;
  const g = v.jac.map((J) => qform(c, J, p));
  let gHg = 0;
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) gHg += g[a] * v.hinv[a * k + b] * g[b];
  const s = qform(c, v.vcov, p);
  return (s * s) / gHg;
}

/** lmerTest's get_Fstat_ddf: one df, their mean when equal, else from E = sum nu / (nu - 2). */
export function fStatDdf(nu: number[]): number {
  if (nu.length === 1) return nu[0];
  if (nu.every((x, i) => i === 0 || Math.abs(x - nu[i - 1]) < 1e-8)) return nu.reduce((s, x) => s + x, 0) / nu.length;
  if (nu.some((x) => x <= 2)) return 2;
  const E = nu.reduce((s, x) => s + x / (x - 2), 0);
  return (2 * E) / (E - nu.length);
}

/**
 * The joint F of the coefficients `idx` = 0 (lmerTest's contestMD, type III for the highest-order term):
 * F = sum over the positive eigen-directions of L vcov L' of t_m^2 / q, ddf from their Satterthwaite df.
 */
export function jointF(v: VarparDerivs, idx: number[]): { F: number; numDf: number; ddf: number } {
  const p = v.beta.length, r = idx.length;
  const VL = new Float64Array(r * r);
  for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) VL[a * r + b] = v.vcov[idx[a] * p + idx[b]];
  const { values, vectors } = symEigen(VL, r);
  const order = [...values.keys()].sort((a, b) => values[b] - values[a]);
  const tol = Math.max(Math.sqrt(Number.EPSILON) * values[order[0]], 0);
  const pos = order.filter((e) => values[e] > tol);
  let sumT2 = 0;
  const nu: number[] = [];
  for (const e of pos) {
    const c = new Float64Array(p);
    for (let a = 0; a < r; a++) c[idx[a]] = vectors[a * r + e];
    let lb = 0;
    for (let a = 0; a < p; a++) lb += c[a] * v.beta[a];
    sumT2 += (lb * lb) / values[e];
    nu.push(contrastDf(v, c));
  }
  return { F: sumT2 / pos.length, numDf: pos.length, ddf: fStatDdf(nu) };
}
