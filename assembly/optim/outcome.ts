// The optimisers' outcome for the last fit: the certificate's result, why a fit is not certified or has no
// optimum, and the gradient the certificate measured at the returned theta.
import { allocF64 } from "../mem";
import { nth } from "../criterion/reml";

/** The certificate's outcome for the last fit. */
export let lastConverged: bool = false;
/** Why the last fit is not certified or has no optimum (Reason, src/kernel/abi.ts). */
export let lastReason: i32 = 0;
/** The gradient (d criterion / d theta) at the returned theta (nth), and the scale the certificate measured it by. */
export let lastGrad: usize = 0;
export let lastGradScale: f64 = 0;

export function setupOutcome(): void { lastGrad = allocF64(nth); }
export function setOutcome(converged: bool, reason: i32): void { lastConverged = converged; lastReason = reason; }
export function setGradScale(s: f64): void { lastGradScale = s; }
