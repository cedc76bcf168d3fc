// One feature's fixed-effects fit on a shared design: WLS coefficients, cluster-robust (CR1) SEs
// by participant with normal p-values, or ordinary SEs (t, n - rank df) when those are undefined.
import { normalTwoSided, tTwoSided } from "../../stats/dist.js";
import { DID, TIME, demean, type FixedDesign } from "./design.js";

export interface FixedFit {
  beta_DiD: number;
  se_DiD: number;
  p_DiD: number;
  beta_time: number;
  p_time: number;
  resid_sd: number;
  cov_type_used: "cluster" | "nonrobust";
}

/**
 * Fit one response on a shared design. `y` is aligned with the design rows (finite, already
 * standardised if wanted). Cluster-robust CR1 SEs (normal p), or ordinary SEs (t, n - rank df)
 * when the cluster SE or p of the DiD term is not finite.
 */
export function fitFixedOne(y: ArrayLike<number>, d: FixedDesign): FixedFit {
  const { n, k, A, G } = d;
  const { bp, beta, yt } = solveWithin(y, d);
  const { ssr, scores } = residualScores(yt, bp, d);
  const dfResid = n - d.rank;
  const scale = ssr / dfResid;
  // CR1 as statsmodels' cov_cluster: G/(G-1) (N-1)/(N-K) with K the exog column count
  const corr = (G / (G - 1)) * ((n - 1) / (n - d.kExog));
  const clusterVar = (j: number): number => {
    let v = 0;
    for (let g = 0; g < G; g++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += A[j * k + l] * scores[g * k + l];
      v += s * s;
    }
    return corr * v;
  };
  const seC = Math.sqrt(clusterVar(DID));
  const seCT = Math.sqrt(clusterVar(TIME));
  const pC = normalTwoSided(beta[DID] / seC);
  const resid_sd = Math.sqrt(scale);
  if (Number.isFinite(seC) && Number.isFinite(pC))
    return {
      beta_DiD: beta[DID],
      se_DiD: seC,
      p_DiD: pC,
      beta_time: beta[TIME],
      p_time: normalTwoSided(beta[TIME] / seCT),
      resid_sd,
      cov_type_used: "cluster",
    };
  const se = Math.sqrt(scale * A[DID * k + DID]);
  const seT = Math.sqrt(scale * A[TIME * k + TIME]);
  return {
    beta_DiD: beta[DID],
    se_DiD: se,
    p_DiD: tTwoSided(beta[DID] / se, dfResid),
    beta_time: beta[TIME],
    p_time: tTwoSided(beta[TIME] / seT, dfResid),
    resid_sd,
    cov_type_used: "nonrobust",
  };
}

/**
 * The within-transformed response yt and the pinv solution bp = A X~'W yt (the fitted values are
 * unique even where bp is not); beta is bp with NaN for the coefficients that are not estimable.
 */
function solveWithin(y: ArrayLike<number>, d: FixedDesign): { bp: Float64Array; beta: Float64Array; yt: Float64Array } {
  const { n, k, Xt, A, w } = d;
  const yt = demean(y, d, new Float64Array(n));
  const b = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    const wy = w[r] * yt[r];
    for (let j = 0; j < k; j++) b[j] += Xt[r * k + j] * wy;
  }
  const bp = new Float64Array(k);
  const beta = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += A[i * k + j] * b[j];
    bp[i] = s;
    beta[i] = d.identified[i] ? s : NaN;
  }
  return { bp, beta, yt };
}

/** Weighted SSR and the cluster scores s_g = sum_{i in g} x~_i w_i e_i (G x k). */
function residualScores(yt: Float64Array, bp: Float64Array, d: FixedDesign): { ssr: number; scores: Float64Array } {
  const { n, k, Xt, w, group, G } = d;
  const scores = new Float64Array(G * k);
  let ssr = 0;
  for (let r = 0; r < n; r++) {
    let fit = 0;
    for (let j = 0; j < k; j++) fit += Xt[r * k + j] * bp[j];
    const e = yt[r] - fit;
    ssr += w[r] * e * e;
    const we = w[r] * e;
    const o = group[r] * k;
    for (let j = 0; j < k; j++) scores[o + j] += Xt[r * k + j] * we;
  }
  return { ssr, scores };
}
