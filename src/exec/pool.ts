export * from "./node-pool.js";
