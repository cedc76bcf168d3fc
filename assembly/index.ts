// trialmix WASM kernel: profiled REML/ML linear mixed models, batch entry.
export { alloc, reset, heapTop } from "./mem";
export { fitBatch } from "./batch";
export * from "./tolerances";
export * from "./reasons";
