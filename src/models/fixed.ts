// Fixed-effects difference-in-differences (the seed package's `did_table`, FIXED.md):
//   y ~ post + post:treat + C(participant) [+ covariates]
// OLS at cell level, WLS with weights n_cells when aggregated; cluster-robust (CR1) SEs by
// participant with normal p-values, falling back to ordinary SEs (t, n - rank df).
//
// The participant dummies are absorbed by weighted within-participant demeaning
// (Frisch-Waugh-Lovell): the coefficients, residuals and the cluster sandwich of the remaining
// columns are exactly those of the dummy-variable fit, and the design part (demeaned columns,
// a generalised inverse of X~'WX~) is shared by all features with the same complete rows.
// Columns that the participant effects absorb (participant-level covariates) become ~0 after
// demeaning and are dropped by the rank-revealing (eigen-)pseudo-inverse, as statsmodels' pinv
// drops them; the rank counts for the residual df, the exog column count for CR1's (N-1)/(N-K)
// (statsmodels' cov_cluster uses exog.shape[1]).
import { covariateColumns, didIndicators } from "./model.js";
import { normalTwoSided, tTwoSided } from "../stats/dist.js";
import { applyFdr } from "../stats/fdr.js";
import { FIXED_MIN_SD, MAX_N_BOOT } from "../output/columns.js";
import { TrialmixInputError } from "../errors.js";
import { unusableReason } from "../stats/standardize.js";
import { subsetFrame } from "../frame/subset.js";
import type { AnalysisFrame, FeatureValues } from "../types.js";

import { FIXED_COLUMNS, FIXED_BOOT_COLUMNS } from "../output/columns.js";
export { FIXED_COLUMNS, FIXED_BOOT_COLUMNS };

/**
 * Column order of a fixed table: from the options, or from the rows themselves (bootstrap
 * columns when a row has p_DiD_boot; celltype and FDR_DiD_stratified when rows carry a cell type).
 */
export function fixedColumns(
  arg: readonly FixedRow[] | { useBootstrap?: boolean; stratified?: boolean } = {},
): string[] {
  const opts = Array.isArray(arg)
    ? {
        useBootstrap: (arg as readonly FixedRow[]).some((r) => r.p_DiD_boot !== undefined),
        stratified: (arg as readonly FixedRow[]).some((r) => r.celltype !== undefined),
      }
    : (arg as { useBootstrap?: boolean; stratified?: boolean });
  const base: string[] = [...(opts.useBootstrap ? FIXED_BOOT_COLUMNS : FIXED_COLUMNS)];
  return opts.stratified ? ["celltype", ...base, "FDR_DiD_stratified"] : base;
}

export interface FixedRow {
  celltype?: string;
  feature: string;
  beta_DiD: number;
  se_DiD: number;
  p_DiD: number;
  beta_time: number;
  p_time: number;
  n_units: number;
  resid_sd: number;
  cov_type_used: "cluster" | "nonrobust" | "";
  p_DiD_boot?: number;
  se_DiD_boot?: number;
  ci_lo_boot?: number;
  ci_hi_boot?: number;
  FDR_DiD: number;
  FDR_DiD_stratified?: number;
}

export interface FixedOptions {
  visits: [string, string];
  treated: string;
  standardize?: boolean; // default true
  covariates?: string[]; // names of frame.covariates to use
  useBootstrap?: boolean;
  nBoot?: number; // 999
  seed?: number; // 42
  minParticipants?: number; // 4
  onProgress?: (done: number, total: number) => void; // called every 1024 features and at the end
}

/** The design shared by all features with the same complete rows (within-participant form). */
export interface FixedDesign {
  n: number;
  rows: Int32Array; // frame row of each design row
  group: Int32Array; // participant (cluster) 0..G-1 of each design row
  G: number;
  w: Float64Array; // weights (all 1 for OLS)
  sw: Float64Array; // per-cluster weight sums
  k: number; // within columns: post, post:treat, covariate columns
  names: string[];
  Xt: Float64Array; // n x k row-major, weighted within-participant demeaned
  A: Float64Array; // k x k generalised inverse of X~'WX~
  identified: Uint8Array; // k: coefficient estimable
  rank: number; // rank of the full dummy-variable design (G + rank of X~)
  kExog: number; // columns of statsmodels' exog: intercept + (G-1) dummies + k
  Hg?: Float64Array; // G x k x k per-cluster X~_g'W_g X~_g (bootstrap)
  H?: Float64Array; // k x k
}

export interface FixedFit {
  beta_DiD: number;
  se_DiD: number;
  p_DiD: number;
  beta_time: number;
  p_time: number;
  resid_sd: number;
  cov_type_used: "cluster" | "nonrobust";
  se_cluster_DiD: number;
  beta: Float64Array;
}

export interface BootstrapResult {
  p: number;
  se: number;
  ciLo: number;
  ciHi: number;
  nValid: number;
}

const TIME = 0;
const DID = 1;

// ---- small dense linear algebra -------------------------------------------------------------

/** Symmetric eigendecomposition (cyclic Jacobi) of a k x k matrix; returns values and column vectors. */
function symEigen(S: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(S);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < k; i++) {
      diag += a[i * k + i] * a[i * k + i];
      for (let j = i + 1; j < k; j++) off += a[i * k + j] * a[i * k + j];
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q];
        if (apq === 0) continue;
        const app = a[p * k + p];
        const aqq = a[q * k + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p];
          const arq = a[r * k + q];
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r];
          const aqr = a[q * k + r];
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p];
          const vrq = v[r * k + q];
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = a[i * k + i];
  return { values, vectors: v };
}

/**
 * Generalised inverse of a symmetric PSD k x k matrix H: scale to unit diagonal (columns whose
 * within norm is negligible next to their raw norm count as zero), eigen-pseudo-inverse with a
 * relative tolerance. Returns A, the rank, and which coordinates are estimable (A H e_j = e_j).
 */
function pinvSym(
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
  const tol = vmax * 1e-11;
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
  // estimable iff (A H)_jj == 1 (e_j in the row space)
  const identified = new Uint8Array(k);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let l = 0; l < k; l++) s += A[j * k + l] * H[l * k + j];
    identified[j] = Math.abs(s - 1) < 1e-7 ? 1 : 0;
  }
  return { A, rank, identified };
}

// ---- design --------------------------------------------------------------------------------

/** Frame-level columns from which designs for any subset of rows are built. */
export interface FixedBase {
  nFrame: number;
  participantIndex: Int32Array; // frame row -> participant index
  participants: string[];
  columns: Float64Array[]; // post, post:treat, covariate columns (frame length)
  names: string[];
  weights: Float64Array | null; // null: OLS
  usable: Int32Array; // frame rows with finite design values
}

export function fixedBase(
  frame: AnalysisFrame,
  opts: { visits: [string, string] | readonly string[]; treated: string; covariates?: string[] },
): { base: FixedBase; warnings: string[] } {
  const warnings: string[] = [];
  const n = frame.participant.length;
  const { treat, post } = didIndicators(frame, opts.visits, opts.treated);
  const did = new Float64Array(n);
  for (let i = 0; i < n; i++) did[i] = post[i] * treat[i];
  const wanted = opts.covariates ?? [];
  for (const c of wanted)
    if (!frame.covariates.some((cv) => cv.name === c)) throw new Error(`unknown covariate: ${c}`);
  const covs = covariateColumns(frame.covariates.filter((c) => wanted.includes(c.name)));
  const columns = [post, did, ...covs.columns];
  const names = ["post", "post:treat", ...covs.names];
  const index = new Map<string, number>();
  const participantIndex = new Int32Array(n);
  const participants: string[] = [];
  for (let i = 0; i < n; i++) {
    let g = index.get(frame.participant[i]);
    if (g === undefined) {
      g = participants.length;
      index.set(frame.participant[i], g);
      participants.push(frame.participant[i]);
    }
    participantIndex[i] = g;
  }
  let weights: Float64Array | null = null;
  if (frame.unit !== "cell" && frame.nCells) {
    const ok = frame.nCells.every((v) => Number.isFinite(v) && v > 0);
    if (ok) weights = Float64Array.from(frame.nCells);
    else warnings.push("n_cells has non-finite or non-positive values: unweighted least squares");
  }
  const usable: number[] = [];
  for (let i = 0; i < n; i++) if (columns.every((c) => Number.isFinite(c[i]))) usable.push(i);
  if (usable.length < n) warnings.push(`${n - usable.length} rows with missing covariates dropped`);
  return {
    base: { nFrame: n, participantIndex, participants, columns, names, weights, usable: Int32Array.from(usable) },
    warnings,
  };
}

/** Build the shared within-participant design for the given frame rows. */
export function fixedDesign(base: FixedBase, rows: Int32Array): FixedDesign {
  const n = rows.length;
  const k = base.columns.length;
  const local = new Map<number, number>();
  const group = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const p = base.participantIndex[rows[r]];
    let g = local.get(p);
    if (g === undefined) {
      g = local.size;
      local.set(p, g);
    }
    group[r] = g;
  }
  const G = local.size;
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[r] = base.weights ? base.weights[rows[r]] : 1;
  const sw = new Float64Array(G);
  for (let r = 0; r < n; r++) sw[group[r]] += w[r];
  const Xt = new Float64Array(n * k);
  const zeroCol = new Uint8Array(k);
  const means = new Float64Array(G);
  for (let j = 0; j < k; j++) {
    const col = base.columns[j];
    means.fill(0);
    for (let r = 0; r < n; r++) means[group[r]] += w[r] * col[rows[r]];
    for (let g = 0; g < G; g++) means[g] /= sw[g];
    let raw = 0;
    let within = 0;
    for (let r = 0; r < n; r++) {
      const x = col[rows[r]];
      const xt = x - means[group[r]];
      Xt[r * k + j] = xt;
      raw += w[r] * x * x;
      within += w[r] * xt * xt;
    }
    if (!(within > 1e-20 * raw) || within === 0) zeroCol[j] = 1;
  }
  const H = new Float64Array(k * k);
  for (let r = 0; r < n; r++) {
    const wr = w[r];
    const o = r * k;
    for (let i = 0; i < k; i++) {
      const xi = wr * Xt[o + i];
      if (xi === 0) continue;
      for (let j = i; j < k; j++) H[i * k + j] += xi * Xt[o + j];
    }
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) H[i * k + j] = H[j * k + i];
  const { A, rank, identified } = pinvSym(H, k, zeroCol);
  return {
    n,
    rows,
    group,
    G,
    w,
    sw,
    k,
    names: base.names,
    Xt,
    A,
    identified,
    rank: G + rank,
    kExog: G + k,
    H,
  };
}

function ensureClusterGram(d: FixedDesign): Float64Array {
  if (d.Hg) return d.Hg;
  const { k, n, G, Xt, w, group } = d;
  const Hg = new Float64Array(G * k * k);
  for (let r = 0; r < n; r++) {
    const o = group[r] * k * k;
    for (let i = 0; i < k; i++) {
      const xi = w[r] * Xt[r * k + i];
      for (let j = 0; j < k; j++) Hg[o + i * k + j] += xi * Xt[r * k + j];
    }
  }
  d.Hg = Hg;
  return Hg;
}

// ---- one feature ---------------------------------------------------------------------------

/** Within-participant (weighted) demeaning of y (aligned with the design rows). */
function demean(y: ArrayLike<number>, d: FixedDesign, out: Float64Array): Float64Array {
  const m = new Float64Array(d.G);
  for (let r = 0; r < d.n; r++) m[d.group[r]] += d.w[r] * y[r];
  for (let g = 0; g < d.G; g++) m[g] /= d.sw[g];
  for (let r = 0; r < d.n; r++) out[r] = y[r] - m[d.group[r]];
  return out;
}

/**
 * Fit one response on a shared design. `y` is aligned with the design rows (finite, already
 * standardised if wanted). Cluster-robust CR1 SEs (normal p), or ordinary SEs (t, n - rank df)
 * when the cluster SE or p of the DiD term is not finite.
 */
export function fitFixedOne(y: ArrayLike<number>, d: FixedDesign): FixedFit {
  const { n, k, Xt, A, w, group, G } = d;
  const yt = demean(y, d, new Float64Array(n));
  const b = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    const wy = w[r] * yt[r];
    for (let j = 0; j < k; j++) b[j] += Xt[r * k + j] * wy;
  }
  const bp = new Float64Array(k); // pinv solution (fitted values are unique)
  const beta = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += A[i * k + j] * b[j];
    bp[i] = s;
    beta[i] = d.identified[i] ? s : NaN;
  }
  // residuals, SSR and cluster scores s_g = sum_i x~_i w_i e_i
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
  const dfResid = n - d.rank;
  const scale = ssr / dfResid;
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
  if (Number.isFinite(seC) && Number.isFinite(pC)) {
    return {
      beta_DiD: beta[DID],
      se_DiD: seC,
      p_DiD: pC,
      beta_time: beta[TIME],
      p_time: normalTwoSided(beta[TIME] / seCT),
      resid_sd,
      cov_type_used: "cluster",
      se_cluster_DiD: seC,
      beta,
    };
  }
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
    se_cluster_DiD: seC,
    beta,
  };
}

// ---- wild cluster bootstrap-t ------------------------------------------------------------------

/**
 * mulberry32: a small seeded PRNG. numpy's Generator stream cannot be reproduced here, so the
 * draws (and hence bootstrap p-values) differ from the Python package's for the same seed;
 * they are deterministic for a given seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rademacher weights, B x G (row-major), from the seed. */
export function rademacher(B: number, G: number, seed: number): Int8Array {
  const rng = mulberry32(seed);
  const v = new Int8Array(B * G);
  for (let i = 0; i < v.length; i++) v[i] = rng() < 0.5 ? -1 : 1;
  return v;
}

function quantileLinear(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Wild cluster bootstrap-t for the DiD term (FIXED.md): residuals of the fit without the DiD
 * term (null imposed), Rademacher signs per participant, refit with the same weights and SE
 * type; t* = beta* / se*, p = (1 + #{|t*| >= |t_obs|}) / (B_valid + 1), se = sd(beta*) (ddof 1),
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
  const { n, k, Xt, A, w, group, G } = d;
  const nan = { p: NaN, se: NaN, ciLo: NaN, ciHi: NaN, nValid: 0 };
  if (!Number.isFinite(fit.beta_DiD) || !Number.isFinite(fit.se_DiD) || fit.se_DiD === 0 || k < 2) return nan;
  const H = d.H!;
  const Hg = ensureClusterGram(d);
  // restricted fit (DiD column removed)
  const kr = k - 1;
  const keep = Array.from({ length: k }, (_, j) => j).filter((j) => j !== DID);
  const Hr = new Float64Array(kr * kr);
  for (let i = 0; i < kr; i++) for (let j = 0; j < kr; j++) Hr[i * kr + j] = H[keep[i] * k + keep[j]];
  const zero = new Uint8Array(kr);
  for (let j = 0; j < kr; j++) zero[j] = Hr[j * kr + j] > 0 ? 0 : 1;
  const { A: Ar } = pinvSym(Hr, kr, zero);
  const yt = demean(y, d, new Float64Array(n));
  const br = new Float64Array(kr);
  for (let r = 0; r < n; r++) for (let j = 0; j < kr; j++) br[j] += w[r] * Xt[r * k + keep[j]] * yt[r];
  const betaR = new Float64Array(kr);
  for (let i = 0; i < kr; i++) for (let j = 0; j < kr; j++) betaR[i] += Ar[i * kr + j] * br[j];
  // per cluster: dg = X~_g'W f_g, cg = X~_g'W e_g, and the scalars f'Wf, f'We, e'We
  const dg = new Float64Array(G * k);
  const cg = new Float64Array(G * k);
  const ff = new Float64Array(G);
  const fe = new Float64Array(G);
  const ee = new Float64Array(G);
  for (let r = 0; r < n; r++) {
    let f = 0;
    for (let j = 0; j < kr; j++) f += Xt[r * k + keep[j]] * betaR[j];
    const e = yt[r] - f;
    const g = group[r];
    for (let j = 0; j < k; j++) {
      dg[g * k + j] += w[r] * Xt[r * k + j] * f;
      cg[g * k + j] += w[r] * Xt[r * k + j] * e;
    }
    ff[g] += w[r] * f * f;
    fe[g] += w[r] * f * e;
    ee[g] += w[r] * e * e;
  }
  const cluster = fit.cov_type_used === "cluster";
  const corr = (G / (G - 1)) * ((n - 1) / (n - d.kExog));
  const dfResid = n - d.rank;
  const tObs = Math.abs(fit.beta_DiD / fit.se_DiD);
  const bstar = new Float64Array(k);
  const beta = new Float64Array(k);
  const sg = new Float64Array(k);
  const tStar: number[] = [];
  const betaStar: number[] = [];
  let exceed = 0;
  for (let bI = 0; bI < B; bI++) {
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
    if (cluster) {
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
      se = Math.sqrt(corr * acc);
    } else {
      let bHb = 0;
      let bb = 0;
      for (let i = 0; i < k; i++) {
        bb += beta[i] * bstar[i];
        for (let j = 0; j < k; j++) bHb += beta[i] * H[i * k + j] * beta[j];
      }
      const ssr = Math.max(0, yy - 2 * bb + bHb);
      se = Math.sqrt((ssr / dfResid) * A[DID * k + DID]);
    }
    const t = beta[DID] / se;
    if (!Number.isFinite(t)) continue;
    tStar.push(t);
    betaStar.push(beta[DID]);
    if (Math.abs(t) >= tObs) exceed++;
  }
  const nValid = tStar.length;
  if (nValid === 0) return nan;
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

// ---- tables --------------------------------------------------------------------------------

function nanRow(feature: string, nUnits: number, boot: boolean, reason = "no statistics"): FixedRow {
  const row: FixedRow = {
    feature,
    beta_DiD: NaN,
    se_DiD: NaN,
    p_DiD: NaN,
    beta_time: NaN,
    p_time: NaN,
    n_units: nUnits,
    resid_sd: NaN,
    cov_type_used: "",
    FDR_DiD: NaN,
  };
  if (boot) Object.assign(row, { p_DiD_boot: NaN, se_DiD_boot: NaN, ci_lo_boot: NaN, ci_hi_boot: NaN });
  // not an output column (FIXED.md): the CLI's summary line says why rows have no statistics
  Object.defineProperty(row, "reason", { value: reason, enumerable: false });
  return row;
}

/** Sort by p_DiD ascending, NaN last, stable; then BH FDR over the finite p-values. */
function sortAndFdr(rows: FixedRow[]): FixedRow[] {
  const order = rows.map((_, i) => i);
  order.sort((a, b) => {
    const pa = rows[a].p_DiD;
    const pb = rows[b].p_DiD;
    const na = Number.isNaN(pa);
    const nb = Number.isNaN(pb);
    if (na || nb) return na === nb ? a - b : na ? 1 : -1;
    return pa - pb || a - b;
  });
  const out = order.map((i) => rows[i]);
  const fdr = applyFdr(out.map((r) => r.p_DiD));
  out.forEach((r, i) => (r.FDR_DiD = fdr[i]));
  return out;
}

/** nBoot a whole number in 1..MAX_N_BOOT, seed a safe integer: checked before anything is drawn or allocated. */
export function checkBootstrapOptions(opts: { nBoot?: number; seed?: number }): void {
  const { nBoot, seed } = opts;
  if (nBoot !== undefined && !(Number.isInteger(nBoot) && nBoot >= 1 && nBoot <= MAX_N_BOOT))
    throw new TrialmixInputError(`nBoot (--n-boot) must be a whole number from 1 to ${MAX_N_BOOT}, got ${nBoot}`);
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new TrialmixInputError(`seed (--seed) must be a whole number, got ${seed}`);
}

function fitTableUnstratified(frame: AnalysisFrame, opts: FixedOptions): { rows: FixedRow[]; warnings: string[] } {
  const standardize = opts.standardize ?? true;
  const boot = opts.useBootstrap ?? false;
  const nBoot = opts.nBoot ?? 999;
  const seed = opts.seed ?? 42;
  const minP = opts.minParticipants ?? 4;
  const { base, warnings } = fixedBase(frame, opts);
  const nUnits = base.participants.length;
  if (nUnits < 10) warnings.push(`only ${nUnits} participants: cluster-robust SEs may be unreliable`);
  const full = fixedDesign(base, base.usable);
  const cache = new Map<string, FixedDesign>();
  const drawCache = new Map<number, Int8Array>();
  const draws = (G: number): Int8Array => {
    let v = drawCache.get(G);
    if (!v) drawCache.set(G, (v = rademacher(nBoot, G, seed)));
    return v;
  };
  const rows: FixedRow[] = [];
  const nU = base.usable.length;
  const yBuf = new Float64Array(nU);
  let nNonrobust = 0;
  for (let f = 0; f < frame.features.length; f++) {
    const name = frame.features[f];
    let vals: FeatureValues = frame.values[f];
    const why = unusableReason(vals, FIXED_MIN_SD, !standardize);
    if (why) {
      rows.push(nanRow(name, nUnits, boot, why));
      continue;
    }
    let big = 0;
    for (let i = 0; i < vals.length; i++) if (Math.abs(vals[i]) > big) big = Math.abs(vals[i]);
    if (standardize && big > 1e150) vals = Float64Array.from(vals, (v) => v / big); // z-scores are scale free; avoids overflow
    // standardise over the frame's rows (pandas: NaN skipped, ddof = 1)
    let cnt = 0;
    let mean = 0;
    for (let i = 0; i < vals.length; i++) {
      const x = vals[i];
      if (Number.isFinite(x)) {
        cnt++;
        mean += x;
      }
    }
    mean /= cnt;
    let ss = 0;
    for (let i = 0; i < vals.length; i++) if (Number.isFinite(vals[i])) ss += (vals[i] - mean) ** 2;
    const sd = Math.sqrt(ss / (cnt - 1));
    if (standardize && !(sd >= FIXED_MIN_SD)) {
      rows.push(nanRow(name, nUnits, boot, `sd below ${FIXED_MIN_SD}: treated as constant`));
      continue;
    }
    const shift = standardize ? mean : 0;
    const scl = standardize ? 1 / sd : 1;
    // complete rows
    let complete = 0;
    for (let r = 0; r < nU; r++) if (Number.isFinite(vals[base.usable[r]])) complete++;
    let d = full;
    let y: Float64Array = yBuf;
    if (complete === nU) {
      for (let r = 0; r < nU; r++) yBuf[r] = (vals[base.usable[r]] - shift) * scl;
    } else {
      const sub = new Int32Array(complete);
      let c = 0;
      for (let r = 0; r < nU; r++) if (Number.isFinite(vals[base.usable[r]])) sub[c++] = base.usable[r];
      const key = sub.join(",");
      let dd = cache.get(key);
      if (!dd) {
        dd = fixedDesign(base, sub);
        if (cache.size < 256) cache.set(key, dd);
      }
      d = dd;
      y = new Float64Array(complete);
      for (let r = 0; r < complete; r++) y[r] = (vals[sub[r]] - shift) * scl;
    }
    if (d.G < minP || d.n === 0) {
      rows.push(nanRow(name, nUnits, boot, `fewer than ${minP} participants with values at both visits`));
      continue;
    }
    const fit = fitFixedOne(y, d);
    if (fit.resid_sd <= 1e-10 * (standardize ? 1 : sd)) {
      rows.push(nanRow(name, nUnits, boot, "perfect fit: the feature is an exact linear function of the design (zero residual variance)"));
      continue;
    }
    if (fit.cov_type_used === "nonrobust") nNonrobust++;
    const row: FixedRow = {
      feature: name,
      beta_DiD: fit.beta_DiD,
      se_DiD: fit.se_DiD,
      p_DiD: fit.p_DiD,
      beta_time: fit.beta_time,
      p_time: fit.p_time,
      n_units: nUnits,
      resid_sd: fit.resid_sd,
      cov_type_used: fit.cov_type_used,
      FDR_DiD: NaN,
    };
    if (boot) {
      const bs = wildClusterBootstrap(y, d, fit, draws(d.G), nBoot);
      row.p_DiD_boot = bs.p;
      row.se_DiD_boot = bs.se;
      row.ci_lo_boot = bs.ciLo;
      row.ci_hi_boot = bs.ciHi;
      row.p_DiD = bs.p; // p_boot replaces p_DiD (FIXED.md)
    }
    rows.push(row);
    if (opts.onProgress && (f + 1) % 1024 === 0) opts.onProgress(f + 1, frame.features.length);
  }
  opts.onProgress?.(frame.features.length, frame.features.length);
  if (nNonrobust > 0) warnings.push(`${nNonrobust} features fell back to non-robust SEs`);
  return { rows: sortAndFdr(rows), warnings };
}

/**
 * The fixed-effects DiD table (FIXED.md). With `frame.celltype`, one table per cell type with a
 * `celltype` column, FDR_DiD within each cell type and FDR_DiD_stratified over all rows.
 */
export function fitFixedTable(frame: AnalysisFrame, opts: FixedOptions): { rows: FixedRow[]; warnings: string[] } {
  checkBootstrapOptions(opts);
  if (!frame.celltype) return fitTableUnstratified(frame, opts);
  const warnings: string[] = [];
  const byType = new Map<string, number[]>();
  frame.celltype.forEach((ct, i) => {
    let a = byType.get(ct);
    if (!a) byType.set(ct, (a = []));
    a.push(i);
  });
  const minP = opts.minParticipants ?? 4;
  const all: FixedRow[] = [];
  for (const ct of [...byType.keys()].sort()) {
    const idx = byType.get(ct)!;
    const sub = subsetFrame(frame, idx);
    const nP = new Set(sub.participant).size;
    if (nP < minP) {
      warnings.push(`cell type ${ct}: only ${nP} participants, skipped`);
      continue;
    }
    const res = fitTableUnstratified(sub, opts);
    for (const w of res.warnings) warnings.push(`cell type ${ct}: ${w}`);
    for (const r of res.rows) all.push({ celltype: ct, ...r });
  }
  const fdr = applyFdr(all.map((r) => r.p_DiD));
  all.forEach((r, i) => (r.FDR_DiD_stratified = fdr[i]));
  return { rows: all, warnings };
}
