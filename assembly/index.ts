// trialmix WASM kernel: profiled REML/ML linear mixed models, batch entry; the project's symmetric eigen.
export { alloc, reset, heapTop, release } from "./mem";
export { fitBatch } from "./batch/entry";
export { symEigen } from "./linalg/eigen";
export * from "./tolerances";
