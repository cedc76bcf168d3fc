// Batch entry: one shared design, m responses (feature-major), everything fitted inside WASM. Stages: the
// design's workspace and cross-products, the rank check, then each feature's fit (feature.ts).
import * as R from "../criterion/reml";
import * as Y from "../criterion/response";
import { Field } from "../../src/kernel/abi";
import { setupOptim } from "../optim/index";
import { slot, addr } from "./header";
import { designCrossProducts, setupPools } from "./crossprod";
import { fullRank } from "./checks";
import { setOutputs, failAll } from "./outputs";
import { setupSatterthwaite } from "./satterthwaite";
import { setupRanef } from "./ranef";
import { setupFeature, fitFeature } from "./feature";
import { setupKenwardRoger, krNone } from "./kenward-roger";

/** The batch's workspace and the design's statistics (the arena is reset by the host before each batch). */
function setupBatch(n: i32, p: i32, q: i32, G: i32, X: usize, Z: usize, grp: usize, reml: bool, diag: bool): void {
  R.setDesignDims(n, p, q, G, reml, diag);
  R.setupWorkspace();
  R.setupDerivs();
  setupOptim();
  setupSatterthwaite();
  setupRanef();
  setupFeature();
  designCrossProducts(n, p, q, G, X, Z, grp);
  if (q == 1) setupPools(G, p);
  Y.setupResponse(n, p, q, G, X, Z, grp);
}

/**
 * Fit the m responses of the batch whose header (src/kernel/abi.ts Field) is at h: X n x p, Z n x q
 * row-major, groups n int32 in 0..G-1, Y m x n feature-major; the outputs feature-major, the optional ones
 * (VCOV, RANEF, COND_VAR, OBJECTIVE) where their slot is not 0. REASON (i32) says why a fit is not certified
 * or has no statistics; GRADIENT (m x nth) is the criterion's gradient in theta at the returned optimum.
 * Returns 0, or 2 when X is rank deficient (every feature's status then says so).
 */
export function fitBatch(h: usize): i32 {
  const n = slot(h, Field.N), p = slot(h, Field.P), q = slot(h, Field.Q), G = slot(h, Field.G), m = slot(h, Field.M);
  const reml = slot(h, Field.REML) != 0;
  setOutputs(h);
  setupBatch(n, p, q, G, addr(h, Field.X), addr(h, Field.Z), addr(h, Field.GROUPS), reml, slot(h, Field.DIAG) != 0);
  setupKenwardRoger(h, addr(h, Field.X), addr(h, Field.GROUPS));
  if (!fullRank()) { failAll(m); for (let f = 0; f < m; f++) krNone(f); return 2; }
  const Yp = addr(h, Field.Y);
  for (let f = 0; f < m; f++) fitFeature(f, Yp + (<usize>f * <usize>n << 3), reml);
  return 0;
}
