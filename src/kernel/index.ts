// The WASM kernel from TypeScript: loading, batch fits, the tolerances, the reason codes' meaning, the eigen.
export { initKernel, getKernel, type KernelExports } from "./load.js";
export { fitBatch, fitBatchFull, responseBuffer, fitBuffers } from "./batch.js";
export { type BatchExtras, type KernelFit, type OutputName, OUTPUTS } from "./outputs.js";
export { MAX_RANDOM_EFFECTS, kernelTolerances } from "./control.js";
export { reasonText, FIT_STATUS } from "./reasons.js";
export { symEigen } from "./eigen.js";
