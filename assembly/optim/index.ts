// The optimisers over theta, run entirely inside WASM. Every fit ends with a certificate (first-order
// optimality from the analytic gradient; at a zero variance the one-sided derivative): outcome.ts holds
// its result, why a fit is not certified or has no optimum, and the gradient it measured.
import { setupOutcome } from "./outcome";
import { setupCertificate } from "./certificate";
import { setupNewton } from "./newton";
import { setupQ1 } from "./q1";
import { setupGeneral } from "./general";

export { optimQ1, setThetaBound } from "./q1";
export { optimGeneral } from "./general";
export { setDivergence, diverged } from "./newton";
export { setMoments } from "./start";
export { isDiag } from "./theta";
export { lastConverged, lastReason, lastGrad } from "./outcome";

/** The optimisers' workspace for the batch's design (after the criterion's). */
export function setupOptim(): void {
  setupOutcome();
  setupCertificate();
  setupNewton();
  setupQ1();
  setupGeneral();
}
