// The fixed model's design: post, post:treat and covariate columns, with the participant dummies
// absorbed by weighted within-participant demeaning (Frisch-Waugh-Lovell), shared by all features
// with the same complete rows.
import { covariateColumns, didIndicators } from "../model.js";
import { groupIndex } from "../../frame/factor.js";
import { pinvSym } from "./pinv.js";
import type { AnalysisFrame } from "../../types.js";

/** Column of the time (post) and the DiD (post:treat) coefficients in every design. */
export const TIME = 0;
export const DID = 1;

/** A demeaned column whose weighted sum of squares is below this fraction of the raw one is absorbed. */
const ABSORBED_RTOL = 1e-20;

/** Frame-level columns from which designs for any subset of rows are built. */
export interface FixedBase {
  participantIndex: Int32Array; // frame row -> participant index
  nParticipants: number;
  columns: Float64Array[]; // post, post:treat, covariate columns (frame length)
  weights: Float64Array | null; // null: OLS
  usable: Int32Array; // frame rows with finite design values
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
  Xt: Float64Array; // n x k row-major, weighted within-participant demeaned
  A: Float64Array; // k x k generalised inverse of X~'WX~
  identified: Uint8Array; // k: coefficient estimable
  rank: number; // rank of the full dummy-variable design (G + rank of X~)
  kExog: number; // columns of statsmodels' exog: intercept + (G-1) dummies + k
  H: Float64Array; // k x k X~'WX~
  Hg?: Float64Array; // G x k x k per-cluster X~_g'W_g X~_g (bootstrap, on first use)
  Ar?: Float64Array; // (k-1) x (k-1) generalised inverse without the DiD column (bootstrap, on first use)
}

/**
 * The frame's design columns, participants and weights (n_cells when aggregated: WLS). Throws on an
 * unknown covariate; warns when the weights are unusable or rows lack covariates.
 */
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
  const participants = groupIndex(frame.participant);
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
    base: {
      participantIndex: participants.index,
      nParticipants: participants.count,
      columns,
      weights,
      usable: Int32Array.from(usable),
    },
    warnings,
  };
}

/** Build the shared within-participant design for the given frame rows. */
export function fixedDesign(base: FixedBase, rows: Int32Array): FixedDesign {
  const n = rows.length;
  const k = base.columns.length;
  const { group, G } = localGroups(base, rows);
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[r] = base.weights ? base.weights[rows[r]] : 1;
  const sw = new Float64Array(G);
  for (let r = 0; r < n; r++) sw[group[r]] += w[r];
  const { Xt, zeroCol } = demeanColumns(base, rows, group, G, w, sw);
  const H = crossProduct(Xt, w, n, k);
  const { A, rank, identified } = pinvSym(H, k, zeroCol);
  return { n, rows, group, G, w, sw, k, Xt, A, identified, rank: G + rank, kExog: G + k, H };
}

/** The participants of the rows renumbered 0..G-1 in first-seen order. */
function localGroups(base: FixedBase, rows: Int32Array): { group: Int32Array; G: number } {
  const local = new Int32Array(base.nParticipants).fill(-1);
  const group = new Int32Array(rows.length);
  let G = 0;
  for (let r = 0; r < rows.length; r++) {
    const p = base.participantIndex[rows[r]];
    if (local[p] < 0) local[p] = G++;
    group[r] = local[p];
  }
  return { group, G };
}

/**
 * The design columns at the rows minus their weighted participant means (n x k row-major), and
 * which columns the participant effects absorb (participant-level covariates: ~0 after demeaning).
 */
function demeanColumns(
  base: FixedBase,
  rows: Int32Array,
  group: Int32Array,
  G: number,
  w: Float64Array,
  sw: Float64Array,
): { Xt: Float64Array; zeroCol: Uint8Array } {
  const n = rows.length;
  const k = base.columns.length;
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
    if (!(within > ABSORBED_RTOL * raw) || within === 0) zeroCol[j] = 1;
  }
  return { Xt, zeroCol };
}

/** X~'WX~ (k x k, symmetric). */
function crossProduct(Xt: Float64Array, w: Float64Array, n: number, k: number): Float64Array {
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
  return H;
}

/** Per-cluster cross-products X~_g'W_g X~_g (G x k x k), computed once per design. */
export function clusterGram(d: FixedDesign): Float64Array {
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

/** Within-participant (weighted) demeaning of y (aligned with the design rows) into out. */
export function demean(y: ArrayLike<number>, d: FixedDesign, out: Float64Array): Float64Array {
  const m = new Float64Array(d.G);
  for (let r = 0; r < d.n; r++) m[d.group[r]] += d.w[r] * y[r];
  for (let g = 0; g < d.G; g++) m[g] /= d.sw[g];
  for (let r = 0; r < d.n; r++) out[r] = y[r] - m[d.group[r]];
  return out;
}
