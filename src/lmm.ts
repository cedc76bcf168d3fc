export * from "./models/lmm.js";
