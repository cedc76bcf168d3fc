// The kernel's limits and tolerances as the host sees them (OptSummary reports them).
import { getKernel, type KernelExports } from "./load.js";

/**
 * The most random-effect columns per group a fit takes (docs/lmm.md). For q >= 2 the search is Newton with
 * a Hessian from q(q+1)/2 gradients an iteration (each O(G q^3)) and an eigen-decomposition of it
 * (O(q^6)), at most 100 iterations a start and at most 3q + 8 starts: bounded; at q = 8 a fit on a few
 * hundred rows takes up to about a second, and the work grows as q^6 beyond it.
 */
export const MAX_RANDOM_EFFECTS = 8;

/** The kernel's option defaults (lme4's: REML, an unstructured random-effect covariance); src/options.ts
 * declares the options and composes its DEFAULTS from these. */
export const KERNEL_DEFAULTS = { reml: true, covariance: "unstructured", ddf: "satterthwaite" } as const;

const read = new WeakMap<KernelExports, Readonly<Record<string, number>>>();

/** The kernel's tolerances by name: every constant of assembly/tolerances.ts (the single source), which the
 * kernel exports as wasm globals (and nothing else as globals). Read once per kernel instance (frozen). */
export function kernelTolerances(): Readonly<Record<string, number>> {
  const k = getKernel();
  let t = read.get(k);
  if (!t) {
    const out: Record<string, number> = {};
    for (const [name, g] of Object.entries(k)) if (g instanceof WebAssembly.Global) out[name] = Number(g.value);
    t = Object.freeze(out);
    read.set(k, t);
  }
  return t;
}
