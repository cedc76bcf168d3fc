export * from "./mixed/index.js";
