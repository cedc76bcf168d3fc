// A fit worker of the page's (and the library's) Web Worker pool (WebFitPool in src/browser.ts):
// holds its own kernel instance and fits the blocks of responses it is sent. Built to
// dist-web/trialmix-fit-worker.js; it imports only the kernel, so it loads fast.
//   in:  { type: "init", wasmUrl }  then  { type: "fit", block, design, Y, opts }
//   out: { block, fit } (typed arrays transferred) | { block, error } | { block, fatal } (no kernel)
import { initKernel, fitBatch, fitBuffers } from "../src/kernel.js";
import type { BatchDesign, KernelOptions } from "../src/types.js";

type Request = { type: "init"; wasmUrl: string } | { type: "fit"; block: number; design: BatchDesign; Y: Float64Array; opts: KernelOptions };

const scope = self as unknown as { postMessage(m: unknown, transfer?: Transferable[]): void; onmessage: ((ev: MessageEvent<Request>) => void) | null };
let ready: Promise<void> | null = null;

scope.onmessage = async (ev) => {
  const m = ev.data;
  if (m.type === "init") {
    ready = initKernel(new URL(m.wasmUrl));
    ready.catch(() => undefined); // reported with the first block
    return;
  }
  try {
    if (!ready) throw new Error("not initialised");
    await ready;
  } catch (e) {
    scope.postMessage({ block: m.block, fatal: `cannot load the kernel: ${(e as Error).message}` });
    return;
  }
  try {
    const fit = fitBatch(m.design, m.Y, m.opts);
    scope.postMessage({ block: m.block, fit }, fitBuffers(fit));
  } catch (e) {
    scope.postMessage({ block: m.block, error: (e as Error).message });
  }
};
