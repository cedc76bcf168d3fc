// A worker thread of the parallel scan: holds its own kernel instance and fits the blocks it is sent.
import { parentPort } from "node:worker_threads";
import { fitBatch, fitBuffers } from "../kernel.js";
import type { BatchDesign, BatchFit, KernelOptions } from "../types.js";

export interface FitRequest {
  block: number;
  design: BatchDesign;
  Y: Float64Array;
  opts: KernelOptions;
}

export interface FitReply {
  block: number;
  fit?: BatchFit;
  error?: string;
  Y?: Float64Array; // the request's responses, handed back so that their buffer can be reused
}

parentPort?.on("message", (req: FitRequest) => {
  try {
    const fit = fitBatch(req.design, req.Y, req.opts);
    parentPort!.postMessage({ block: req.block, fit, Y: req.Y } satisfies FitReply, [...fitBuffers(fit), req.Y.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ block: req.block, error: (e as Error).message, Y: req.Y } satisfies FitReply, [req.Y.buffer as ArrayBuffer]);
  }
});
