// Fit workers on Web Workers (module workers running dist-web/trialmix-fit-worker.js, built from
// web/fit-worker.ts), and the thread counts a page may ask for.
import { WorkerPool, checkThreadCount } from "./worker-pool.js";
import { THREADS_PER_CORE } from "../output/columns.js";
import type { FitReply } from "./protocol.js";

/** The smallest block of features sent to a fit worker: smaller than Node's MIN_PARALLEL_BLOCK (a page's scans are smaller, and a message costs little here). */
const WEB_MIN_BLOCK = 32;

function cores(): number {
  return Math.max(1, (typeof navigator !== "undefined" ? navigator.hardwareConcurrency : 1) || 1);
}

/** Fit workers when none are asked for: navigator.hardwareConcurrency, at most 8. */
export function defaultWebThreads(): number {
  return Math.min(8, cores());
}

/** The most fit workers a pool may start: THREADS_PER_CORE per core, as in Node (each holds a kernel). */
export function maxWebThreads(): number {
  return THREADS_PER_CORE * cores();
}

export function checkWebThreads(threads: number): void {
  checkThreadCount(threads, maxWebThreads(), "threads");
}

export interface WorkerPoolOptions {
  /** The fit worker script: default `trialmix-fit-worker.js` next to this module. */
  workerUrl?: string | URL;
  /** The kernel, fetched by each fit worker: default `trialmix.wasm` next to this module. */
  wasmUrl?: string | URL;
}

/** Module workers that each hold a kernel instance. Start the pool early: it boots while the frame is built. */
export class WebFitPool extends WorkerPool {
  constructor(threads: number, opts: WorkerPoolOptions = {}) {
    checkWebThreads(threads);
    const url = String(opts.workerUrl ?? new URL("./trialmix-fit-worker.js", import.meta.url));
    const wasmUrl = String(opts.wasmUrl ?? new URL("./trialmix.wasm", import.meta.url));
    super(threads, WEB_MIN_BLOCK, (i, events) => {
      const w = new Worker(url, { type: "module", name: `trialmix-fit-${i + 1}` });
      w.onmessage = (ev: MessageEvent<FitReply>) => events.reply(ev.data);
      w.onerror = (ev: ErrorEvent) => {
        ev.preventDefault();
        events.fail(new Error(`trialmix: fit worker failed: ${ev.message || `could not load ${url}`}`));
      };
      w.onmessageerror = () => events.fail(new Error("trialmix: fit worker: a message could not be read"));
      w.postMessage({ type: "init", wasmUrl });
      return { post: (m, transfer) => w.postMessage(m, transfer), terminate: () => w.terminate() };
    });
  }
}
