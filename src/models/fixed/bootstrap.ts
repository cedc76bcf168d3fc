// Wild cluster bootstrap-t for the DiD term (docs/FIXED.md): the null imposed, Rademacher signs per
// participant (Cameron, Gelbach & Miller 2008, Rev. Econ. Stat. 90:414).
import { pinvSym } from "./pinv.js";
import { DID, clusterGram, demean, type FixedDesign } from "./design.js";
import type { FixedFit } from "./fit.js";

export interface BootstrapResult {
  p: number;
  se: number;
  ciLo: number;
  ciHi: number;
  nValid: number;
}

const NO_DRAWS: Readonly<BootstrapResult> = { p: NaN, se: NaN, ciLo: NaN, ciHi: NaN, nValid: 0 };

/** Per-cluster parts of y* = f + v_g e (f, e: the restricted fit and residual): X~_g'W f_g, X~_g'W e_g, f'Wf, f'We, e'We. */
interface ClusterParts {
  dg: Float64Array; // G x k
  cg: Float64Array; // G x k
  ff: Float64Array;
  fe: Float64Array;
  ee: Float64Array;
}

/**
 * Residuals of the fit without the DiD term (null imposed), Rademacher signs v (B x G) per
 * participant, refit with the same weights and SE type; t* = beta* / se*,
 * p = (1 + #{|t*| >= |t_obs|}) / (B_valid + 1), se = sd(beta*) (ddof 1),
 * CI = [beta - q(0.975) se, beta - q(0.025) se] from the t* quantiles (percentile-t).
 * Each draw costs O(G k^2) via per-cluster cross-products.
 */
export function wildClusterBootstrap(
  y: ArrayLike<number>,
  d: FixedDesign,
  fit: FixedFit,
  v: Int8Array,
  B: number,
): BootstrapResult {
  if (!Number.isFinite(fit.beta_DiD) || !Number.isFinite(fit.se_DiD) || fit.se_DiD === 0 || d.k < 2) return { ...NO_DRAWS };
  const parts = clusterParts(demean(y, d, new Float64Array(d.n)), d);
  const cluster = fit.cov_type_used === "cluster";
  const tObs = Math.abs(fit.beta_DiD / fit.se_DiD);
  const tStar: number[] = [];
  const betaStar: number[] = [];
  let exceed = 0;
  const c = drawContext(d, parts, cluster);
  for (let b = 0; b < B; b++) {
    const t = drawT(c, v, b);
    if (!Number.isFinite(t)) continue;
    tStar.push(t);
    betaStar.push(c.beta[DID]);
    if (Math.abs(t) >= tObs) exceed++;
  }
  return summarise(fit, tStar, betaStar, exceed);
}

/** The restricted coefficients (DiD column dropped) of the within-transformed yt, on the same design. */
function restrictedBeta(yt: Float64Array, d: FixedDesign, keep: number[]): Float64Array {
  const { n, k, Xt, w } = d;
  const kr = keep.length;
  const Ar = restrictedInverse(d, keep);
  const br = new Float64Array(kr);
  for (let r = 0; r < n; r++) for (let j = 0; j < kr; j++) br[j] += w[r] * Xt[r * k + keep[j]] * yt[r];
  const betaR = new Float64Array(kr);
  for (let i = 0; i < kr; i++) for (let j = 0; j < kr; j++) betaR[i] += Ar[i * kr + j] * br[j];
  return betaR;
}

/** The generalised inverse of X~'WX~ without the DiD column, computed once per design. */
function restrictedInverse(d: FixedDesign, keep: number[]): Float64Array {
  if (d.Ar) return d.Ar;
  const { k, H } = d;
  const kr = keep.length;
  const Hr = new Float64Array(kr * kr);
  for (let i = 0; i < kr; i++) for (let j = 0; j < kr; j++) Hr[i * kr + j] = H[keep[i] * k + keep[j]];
  const zero = new Uint8Array(kr);
  for (let j = 0; j < kr; j++) zero[j] = Hr[j * kr + j] > 0 ? 0 : 1;
  d.Ar = pinvSym(Hr, kr, zero).A;
  return d.Ar;
}

/** The per-cluster parts of the restricted fit f and residual e of yt. */
function clusterParts(yt: Float64Array, d: FixedDesign): ClusterParts {
  const { n, k, Xt, w, group, G } = d;
  const keep = Array.from({ length: k }, (_, j) => j).filter((j) => j !== DID);
  const kr = keep.length;
  const betaR = restrictedBeta(yt, d, keep);
  const p: ClusterParts = {
    dg: new Float64Array(G * k),
    cg: new Float64Array(G * k),
    ff: new Float64Array(G),
    fe: new Float64Array(G),
    ee: new Float64Array(G),
  };
  for (let r = 0; r < n; r++) {
    let f = 0;
    for (let j = 0; j < kr; j++) f += Xt[r * k + keep[j]] * betaR[j];
    const e = yt[r] - f;
    const g = group[r];
    for (let j = 0; j < k; j++) {
      p.dg[g * k + j] += w[r] * Xt[r * k + j] * f;
      p.cg[g * k + j] += w[r] * Xt[r * k + j] * e;
    }
    p.ff[g] += w[r] * f * f;
    p.fe[g] += w[r] * f * e;
    p.ee[g] += w[r] * e * e;
  }
  return p;
}

/** What every draw of one feature reads (design, cluster parts, SE constants) and its scratch space. */
interface DrawContext {
  d: FixedDesign;
  parts: ClusterParts;
  Hg: Float64Array | null; // per-cluster Gram for cluster SEs; null: ordinary SEs
  corr: number; // CR1 factor
  dfResid: number;
  bstar: Float64Array; // X~'W y*
  beta: Float64Array; // beta* (k)
  sg: Float64Array; // one cluster's score (k)
}

function drawContext(d: FixedDesign, parts: ClusterParts, cluster: boolean): DrawContext {
  const { n, k, G } = d;
  return {
    d,
    parts,
    Hg: cluster ? clusterGram(d) : null,
    corr: (G / (G - 1)) * ((n - 1) / (n - d.kExog)),
    dfResid: n - d.rank,
    bstar: new Float64Array(k),
    beta: new Float64Array(k),
    sg: new Float64Array(k),
  };
}

/**
 * One draw from the signs in row bI of v: refits (beta* into c.beta) and returns the DiD t
 * statistic with the observed fit's SE type (cluster or ordinary). The fields are read into locals
 * once: the loops below run G k^2 times per draw.
 */
function drawT(c: DrawContext, v: Int8Array, bI: number): number {
  const { bstar, beta, sg, Hg } = c;
  const { k, A, H, G } = c.d;
  const { dg, cg, ff, fe, ee } = c.parts;
  bstar.fill(0);
  let yy = 0;
  for (let g = 0; g < G; g++) {
    const s = v[bI * G + g];
    for (let j = 0; j < k; j++) bstar[j] += dg[g * k + j] + s * cg[g * k + j];
    yy += ff[g] + 2 * s * fe[g] + ee[g];
  }
  beta.fill(0);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) beta[i] += A[i * k + j] * bstar[j];
  let se: number;
  if (Hg) {
    let acc = 0;
    for (let g = 0; g < G; g++) {
      const s = v[bI * G + g];
      const o = g * k * k;
      for (let i = 0; i < k; i++) {
        let hb = 0;
        for (let j = 0; j < k; j++) hb += Hg[o + i * k + j] * beta[j];
        sg[i] = dg[g * k + i] + s * cg[g * k + i] - hb;
      }
      let a = 0;
      for (let l = 0; l < k; l++) a += A[DID * k + l] * sg[l];
      acc += a * a;
    }
    se = Math.sqrt(c.corr * acc);
  } else {
    let bHb = 0;
    let bb = 0;
    for (let i = 0; i < k; i++) {
      bb += beta[i] * bstar[i];
      for (let j = 0; j < k; j++) bHb += beta[i] * H[i * k + j] * beta[j];
    }
    const ssr = Math.max(0, yy - 2 * bb + bHb);
    se = Math.sqrt((ssr / c.dfResid) * A[DID * k + DID]);
  }
  return beta[DID] / se;
}

/** p-value, sd of the beta* (ddof 1) and the percentile-t interval from the valid draws. */
function summarise(fit: FixedFit, tStar: number[], betaStar: number[], exceed: number): BootstrapResult {
  const nValid = tStar.length;
  if (nValid === 0) return { ...NO_DRAWS };
  let mean = 0;
  for (const b of betaStar) mean += b;
  mean /= nValid;
  let ss = 0;
  for (const b of betaStar) ss += (b - mean) * (b - mean);
  const sorted = tStar.slice().sort((a, b) => a - b);
  return {
    p: (1 + exceed) / (nValid + 1),
    se: nValid > 1 ? Math.sqrt(ss / (nValid - 1)) : NaN,
    ciLo: fit.beta_DiD - quantileLinear(sorted, 0.975) * fit.se_DiD,
    ciHi: fit.beta_DiD - quantileLinear(sorted, 0.025) * fit.se_DiD,
    nValid,
  };
}

/** numpy's default (linear) quantile of sorted values. */
function quantileLinear(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
