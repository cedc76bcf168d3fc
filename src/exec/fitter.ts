// What the scan driver fits its blocks with: a small interface, and the in-thread implementation
// (the worker pools, node-pool.ts and web-pool.ts, are the others).
import { fitBatch, responseBuffer } from "../kernel/index.js";
import type { BatchDesign, BatchFit, KernelOptions } from "../types.js";

/** A block's fit, or why the kernel could not fit it; `Y` is the block's responses handed back by a worker, for reuse. */
export type BlockResult = ({ fit: BatchFit } | { error: string }) & { Y?: Float64Array };

export interface BlockFitter {
  /** Blocks fitted at the same time (the driver keeps this many in flight and sizes the blocks for them). */
  readonly threads: number;
  /** The smallest block worth sending (a message costs something); unused for one thread. */
  readonly minBlock?: number;
  /** Where to write a block's m responses, when the fitter has a place for them (the kernel's own memory). */
  responseBuffer?(design: BatchDesign, m: number): Float64Array;
  /** Fit the m x n responses Y (feature-major) against the shared design. */
  fit(design: BatchDesign, Y: Float64Array, opts: KernelOptions): BlockResult | Promise<BlockResult>;
}

/** A fitter that answers at once: a scan on it runs synchronously. */
export interface SyncFitter extends BlockFitter {
  fit(design: BatchDesign, Y: Float64Array, opts: KernelOptions): BlockResult;
}

/** The kernel on this thread; the responses are standardised straight into its memory (no copy on the way in). */
export const localFitter: SyncFitter = {
  threads: 1,
  responseBuffer,
  fit(design, Y, opts) {
    try {
      return { fit: fitBatch(design, Y, opts) };
    } catch (e) {
      // a design that cannot be fitted at all (e.g. one arm only): every row of the block says why
      return { error: (e as Error).message };
    }
  },
};
