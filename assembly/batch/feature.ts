// One feature's fit: checks, the search over theta, the estimates and the df, or the one failure path.
import { allocF64 } from "../mem";
import { Status, Reason } from "../../src/kernel/abi";
import * as R from "../criterion/reml";
import { optimQ1, optimGeneral, lastConverged, lastReason } from "../optim/index";
import { prepareFeature, searchSucceeded, stopStatus, stopReason, stopIters } from "./checks";
import { fail, writeFit, writeOutcome, dfOut, noDf } from "./outputs";
import { satterthwaite } from "./satterthwaite";
import { kenwardRoger, krNone, krWanted } from "./kenward-roger";
import { betaOut, scaleOf } from "./outputs";

let theta: usize = 0;
export function setupFeature(): void { theta = allocF64(R.nth); }

// the search's outcome: certified, why not (or why no df), criterion evaluations, the criterion at theta
let conv = false, reason: i32 = Reason.NONE, iters: i32 = 0, crit: f64 = 0;

/** The search over theta (q = 1 or general) from the prepared response; false when it found no optimum. */
function search(): bool {
  R.nEval = 0;
  if (R.q == 1) optimQ1(theta); else optimGeneral(theta);
  conv = lastConverged;
  reason = lastReason;
  iters = R.nEval;
  crit = R.criterion(theta);
  return searchSucceeded(theta, crit, reason, iters);
}

/** Fit feature f (response y): its estimates and df, or its status and reason. */
export function fitFeature(f: i32, y: usize, reml: bool): void {
  if (!prepareFeature(y, theta) || !search()) { fail(f, stopStatus, stopReason, stopIters); krNone(f); return; }
  writeFit(f, theta, crit, reml);
  if (!reml) noDf(f);
  else if (!satterthwaite(theta, dfOut(f)) && reason == Reason.NONE) reason = Reason.DF_UNAVAILABLE;
  if (!reml || !krWanted()) krNone(f);
  else if (!kenwardRoger(f, theta, scaleOf(f), betaOut(f)) && reason == Reason.NONE) reason = Reason.KR_UNAVAILABLE;
  writeOutcome(f, Status.OK, reason, conv, iters);
}
