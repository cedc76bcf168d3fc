// Standardisation (z-scores, ddof = 1, as pandas) and the reasons a feature cannot be fitted.
import type { FeatureValues } from "../types.js";

/**
 * z-score with ddof = 1 over the non-NaN values (pandas' mean/std); NaN stays NaN. Returns
 * null when fewer than two values, or the sd is not finite or below minSd.
 */
export function standardize(values: FeatureValues, minSd: number): Float64Array | null {
  const z = zParams(values, minSd);
  if (z === null) return null;
  const out = new Float64Array(values.length);
  zScoreInto(values, z, out, 0);
  return out;
}

/** z parameters: the mean and sd of values / scale (zMoments, zParams). */
export interface ZParams {
  mean: number;
  sd: number;
  scale: number;
}

/** (v / scale - mean) / sd of every value into out[offset ..], for z parameters already computed (zParams). */
export function zScoreInto(values: FeatureValues, z: ZParams, out: Float64Array, offset: number): void {
  const { mean, sd, scale } = z;
  if (scale === 1) for (let i = 0; i < values.length; i++) out[offset + i] = (values[i] - mean) / sd;
  else for (let i = 0; i < values.length; i++) out[offset + i] = (values[i] / scale - mean) / sd;
}

/**
 * The z-scores of the values at the given rows: out[r] = (values[rows[r]] / scale - mean) * (1 / sd).
 * The fixed model's form: multiplying by the reciprocal differs from zScoreInto's division in the
 * last bit, and the fixed outputs (its bootstrap's exact ties |t*| = |t| among them) are locked to it.
 */
export function zScoreRowsInto(values: FeatureValues, z: ZParams, rows: Int32Array, out: Float64Array): void {
  const { mean, scale } = z;
  const inv = 1 / z.sd;
  if (scale === 1) for (let r = 0; r < rows.length; r++) out[r] = (values[rows[r]] - mean) * inv;
  else for (let r = 0; r < rows.length; r++) out[r] = (values[rows[r]] / scale - mean) * inv;
}

/**
 * The mean and sd (ddof = 1, NaN skipped) of values / scale, or null when fewer than two values or
 * the sd is not finite or below minSd (on the original scale: the seed's absolute rule).
 */
export function zParams(values: ArrayLike<number>, minSd: number): ZParams | null {
  const z = zMoments(values);
  if (z.n < 2 || !Number.isFinite(z.sd) || z.sd < minSd / z.scale) return null;
  return { mean: z.mean, sd: z.sd, scale: z.scale };
}

/**
 * The count n, mean and sd (ddof = 1) of the non-NaN values / scale, with no threshold. scale is 1
 * but for values near the overflow limit (|v| ~ 1e300 overflows the sum of squares): z-scores are
 * scale free, so those are divided by their largest magnitude first.
 */
export function zMoments(values: ArrayLike<number>): ZParams & { n: number } {
  const len = values.length;
  // one pass for the largest magnitude, the count and the sum; the sum again, scaled, only when needed
  let big = 0;
  let n = 0;
  let s = 0;
  for (let i = 0; i < len; i++) {
    const v = values[i];
    const a = Math.abs(v);
    if (a > big) big = a; // NaN never compares greater; an Infinity stays non-finite below
    if (v === v) {
      n++;
      s += v;
    }
  }
  const scale = big > 1e150 && Number.isFinite(big) ? big : 1;
  if (scale !== 1) {
    s = 0;
    for (let i = 0; i < len; i++) {
      const v = values[i] / scale;
      if (v === v) s += v;
    }
  }
  const mean = s / n;
  let ss = 0;
  if (scale === 1)
    for (let i = 0; i < len; i++) {
      const d = values[i] - mean;
      if (d === d) ss += d * d;
    }
  else
    for (let i = 0; i < len; i++) {
      const d = values[i] / scale - mean;
      if (d === d) ss += d * d;
    }
  return { n, mean, sd: Math.sqrt(ss / (n - 1)), scale };
}

/**
 * Why a feature's values cannot be fitted, or "" when they can: infinite values, fewer than two
 * values, a constant (or all-zero) feature, an sd below minSd. `raw` (no standardisation): also
 * magnitudes the kernel cannot square without overflow or underflow (outside 1e-150 .. 1e150).
 */
export function unusableReason(values: ArrayLike<number>, minSd: number, raw = false): string {
  let n = 0;
  let inf = 0;
  let lo = Infinity;
  let hi = -Infinity;
  let big = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    if (v === Infinity || v === -Infinity) {
      inf++;
      continue;
    }
    n++;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (Math.abs(v) > big) big = Math.abs(v);
  }
  if (inf > 0) return "infinite values in the feature (Inf in the data)";
  if (n < 2) return "fewer than 2 non-missing values";
  if (lo === hi) return "constant feature (zero variance): nothing to estimate";
  if (raw && (big > 1e150 || big < 1e-150))
    return "magnitudes beyond 1e150 (or all below 1e-150) cannot be fitted on the raw scale; drop --no-standardize";
  if (raw) return "";
  return zParams(values, minSd) === null ? `sd below ${minSd}: treated as constant` : "";
}
