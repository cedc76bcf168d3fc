// Where the searches start: the moments' estimate of the scale (set per response by the batch), lme4's
// start scaled by it, and the restarts' scales.
import { st } from "../mem";
import { nth, q, diagCov } from "../criterion/reml";
import { START_T_MIN } from "../tolerances";

/** The start's moments (set by the batch from the response): the within residual and its df, the between df,
 * the groups' mean Z'Z. */
let mRss: f64 = Infinity, mDfW: f64 = 0, mDfB: f64 = 0, mZ: f64 = 1;
export function setMoments(rss: f64, dfw: f64, dfb: f64, zbar: f64): void { mRss = rss; mDfW = dfw; mDfB = dfb; mZ = zbar; }

/** The start's scale, theta^2 from the mean squares within and between (ANOVA; for q = 1 and a balanced
 * design the REML optimum itself): MSB = (pwrss(0) - rss) / df_b, MSW = rss / df_w, theta^2 = (MSB - MSW) /
 * (zbar MSW); `low` where that is not positive, 1 (lme4's start) where it is not available. For q >= 2 it
 * spares Newton in theta the long walk to a large scale (a residual 1e-6 of the random effects: theta ~ 1e6). */
export function momentStart(P0: f64, low: f64): f64 {
  if (!(mRss > 0 && mRss < Infinity && mDfW > 0 && mDfB > 0)) return 1.0;
  const msw = mRss / mDfW, msb = (P0 - mRss) / mDfB;
  const t = (msb - msw) / (mZ * msw);
  return t > START_T_MIN ? Math.sqrt(t) : low;
}

/** x = sc x lme4's start (Lambda = the identity: diagonal elements sc, the rest 0). */
export function setStart(x: usize, sc: f64): void {
  let idx = 0;
  if (diagCov) { for (let i = 0; i < nth; i++) st(x, i, sc); }
  else for (let j = 0; j < q; j++) for (let k = j; k < q; k++) { st(x, idx, k == j ? sc : 0.0); idx++; }
}

/** Scales of the restarts. (No array literal: under the stub runtime it would be allocated on every call,
 * from the same heap the arena in mem.ts hands out, and grow until it ran out of memory.) */
export function restartScale(r: i32): f64 {
  return r == 0 ? 0.25 : r == 1 ? 4.0 : r == 2 ? 0.05 : 20.0;
}
export const RESTARTS: i32 = 4;
