// A worker thread of the parallel scan (FitPool in node-pool.ts): holds its own kernel instance and fits the blocks it is sent.
import { parentPort } from "node:worker_threads";
import { fitWorkerHandler } from "./protocol.js";

parentPort?.on("message", fitWorkerHandler((m, transfer) => parentPort!.postMessage(m, transfer)));
