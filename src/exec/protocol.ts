// The messages between a scan and its fit workers, the same for Node worker threads and Web Workers,
// and the fit worker's side of them. Typed arrays travel as transfers (moved, not copied): the request's
// responses go out and come back with the reply for reuse; the fit's arrays come back (fitBuffers).
import { initKernel, fitBuffers } from "../kernel/index.js";
import { localFitter, type BlockResult } from "./fitter.js";
import type { BatchDesign, BatchFit, KernelOptions } from "../types.js";

/** Where a Web Worker loads the kernel from (sent once, first); a Node worker reads it from dist/. */
export interface InitRequest {
  type: "init";
  wasmUrl: string;
}

export interface FitRequest {
  type: "fit";
  id: number;
  design: BatchDesign;
  Y: Float64Array;
  opts: KernelOptions;
}

export type ToFitWorker = InitRequest | FitRequest;

export interface FitReply {
  id: number;
  fit?: BatchFit;
  error?: string; // the kernel refused the block: its rows say why
  fatal?: string; // the worker cannot fit at all (no kernel): the pool fails
  Y?: Float64Array; // the request's responses, handed back so that their buffer can be reused
}

/** A message and the buffers it moves. */
export interface Outgoing<T> {
  message: T;
  transfer: ArrayBuffer[];
}

export function fitRequest(id: number, design: BatchDesign, Y: Float64Array, opts: KernelOptions): Outgoing<FitRequest> {
  return { message: { type: "fit", id, design, Y, opts }, transfer: [Y.buffer as ArrayBuffer] };
}

/** The block's result as the scan sees it. */
export function replyResult(r: FitReply): BlockResult {
  return r.fit ? { fit: r.fit, Y: r.Y } : { error: r.error ?? "fit worker failed", Y: r.Y };
}

/** A fit worker's answer: the block fitted by its own kernel (as on the scan's thread), or the kernel's error. */
export function answer(req: FitRequest): Outgoing<FitReply> {
  const r = localFitter.fit(req.design, req.Y, req.opts);
  const back = [req.Y.buffer as ArrayBuffer];
  if ("fit" in r) return { message: { id: req.id, fit: r.fit, Y: req.Y }, transfer: [...fitBuffers(r.fit), ...back] };
  return { message: { id: req.id, error: r.error, Y: req.Y }, transfer: back };
}

/**
 * A fit worker's message handler, given how it posts: `init` loads the kernel (Web Workers), each `fit`
 * is answered in turn. A kernel that did not load is a `fatal` reply (the pool then fails).
 */
export function fitWorkerHandler(post: (m: FitReply, transfer: ArrayBuffer[]) => void, needsInit = false): (m: ToFitWorker) => Promise<void> {
  let ready: Promise<void> | null = null;
  return async (m) => {
    if (m.type === "init") {
      ready = initKernel(new URL(m.wasmUrl));
      ready.catch(() => undefined); // reported with the first block
      return;
    }
    try {
      if (needsInit && !ready) throw new Error("not initialised");
      await ready;
    } catch (e) {
      return post({ id: m.id, fatal: `cannot load the kernel: ${(e as Error).message}` }, []);
    }
    const { message, transfer } = answer(m);
    post(message, transfer);
  };
}
