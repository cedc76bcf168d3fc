// Parallel batch fits over worker threads (Node). Blocks go to whichever worker is free; results come
// back by block index, so the table is identical to the single-threaded run, in the same order.
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BatchDesign, BatchFit, KernelOptions } from "./types.js";
import type { FitReply } from "./fit-worker.js";

/** dist/fit-worker.js beside this module, or the built one when running from src/ (tests). */
function workerPath(): string {
  for (const rel of ["./fit-worker.js", "../dist/fit-worker.js"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error("trialmix: dist/fit-worker.js not found (run npm run build)");
}

export type BlockResult = { fit: BatchFit } | { error: string };

/**
 * Fit every block of responses (each m_b x n, feature-major) that shares `design` on `threads` workers.
 * `onBlock` is called in completion order (for progress); the returned array is in block order.
 */
export async function fitBlocksParallel(
  design: BatchDesign,
  blocks: Float64Array[],
  opts: KernelOptions,
  threads: number,
  onBlock?: (index: number, result: BlockResult) => void,
): Promise<BlockResult[]> {
  const results: BlockResult[] = new Array(blocks.length);
  const nWorkers = Math.max(1, Math.min(threads, blocks.length));
  const path = workerPath();
  let next = 0;
  const run = (worker: Worker) =>
    new Promise<void>((resolve, reject) => {
      const send = () => {
        if (next >= blocks.length) return resolve();
        const block = next++;
        const Y = blocks[block];
        worker.postMessage({ block, design, Y, opts }, [Y.buffer as ArrayBuffer]);
      };
      worker.on("message", (r: FitReply) => {
        results[r.block] = r.fit ? { fit: r.fit } : { error: r.error ?? "worker failed" };
        onBlock?.(r.block, results[r.block]);
        send();
      });
      worker.on("error", reject);
      worker.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`fit worker exited with code ${code}`))));
      send();
    });
  const workers = Array.from({ length: nWorkers }, () => new Worker(path));
  try {
    await Promise.all(workers.map(run));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
