// Parallel batch fits over worker threads (Node). Blocks go to whichever worker is free; results come
// back by block index, so the table is identical to the single-threaded run, in the same order.
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { THREADS_PER_CORE } from "../output/columns.js";
import { TrialmixInputError } from "../errors.js";
import { fileURLToPath } from "node:url";
import type { BatchDesign, BatchFit, KernelOptions } from "../types.js";
import type { FitReply } from "./fit-worker.js";

/** Every core (the default number of worker threads). */
export function coreCount(): number {
  return availableParallelism?.() ?? cpus().length;
}

/** The most worker threads a scan may start: THREADS_PER_CORE per core (each holds a V8 isolate and a kernel). */
export function maxThreads(): number {
  return THREADS_PER_CORE * coreCount();
}

/** A thread count must be a whole number in 1..maxThreads(): checked before any worker starts. */
export function checkThreads(threads: number): void {
  const max = maxThreads();
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= max))
    throw new TrialmixInputError(`threads (--threads) must be a whole number from 1 to ${max} (${THREADS_PER_CORE} per core), got ${threads}`);
}

/** dist/exec/fit-worker.js beside this module, or the built one when running from src/ (tests). */
function workerPath(): string {
  for (const rel of ["./fit-worker.js", "../../dist/exec/fit-worker.js"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error("trialmix: dist/exec/fit-worker.js not found (run npm run build)");
}

/**
 * The parent's node flags for the workers, without --input-type (a worker is a file: node refuses the
 * flag there, so a scan started from `node --input-type=module -e ...` could not start its workers).
 */
/** Flags that apply to the whole process: a worker's execArgv may not repeat them (they hold for the workers anyway). */
const PROCESS_WIDE = new Set(["--disable-wasm-trap-handler"]);

export function workerExecArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--input-type") i++; // and its value
    else if (!argv[i].startsWith("--input-type=") && !PROCESS_WIDE.has(argv[i])) out.push(argv[i]);
  }
  return out;
}

export type BlockResult = { fit: BatchFit } | { error: string };

/** Blocks made on demand; `recycle` gets each block's responses back from its worker, for reuse. */
export interface BlockSource {
  count: number;
  get(index: number): Float64Array;
  recycle?(Y: Float64Array): void;
}

/** Workers that each hold a kernel instance. Start it early (it boots while the caller reads its file). */
export class FitPool {
  private readonly workers: Worker[];

  constructor(readonly threads: number) {
    checkThreads(threads);
    const path = workerPath();
    const execArgv = workerExecArgv(process.execArgv);
    this.workers = Array.from({ length: Math.max(1, threads) }, () => new Worker(path, { execArgv }));
  }

  /**
   * Fit every block of responses (each m_b x n, feature-major, its buffer handed to the worker) that
   * shares `design`. `onBlock` is called in completion order (progress); the result is in block order.
   */
  fit(design: BatchDesign, blocks: Float64Array[] | BlockSource, opts: KernelOptions, onBlock?: (index: number) => void): Promise<BlockResult[]> {
    // blocks may be made on demand, so that only those in flight are in memory
    const source = Array.isArray(blocks) ? { count: blocks.length, get: (i: number) => blocks[i] } : blocks;
    const results: BlockResult[] = new Array(source.count);
    let next = 0;
    const run = (worker: Worker) =>
      new Promise<void>((resolve, reject) => {
        const send = () => {
          if (next >= source.count) {
            worker.off("message", onMessage).off("error", reject);
            return resolve();
          }
          const block = next++;
          const Y = source.get(block);
          worker.postMessage({ block, design, Y, opts }, [Y.buffer as ArrayBuffer]);
        };
        const onMessage = (r: FitReply) => {
          results[r.block] = r.fit ? { fit: r.fit } : { error: r.error ?? "worker failed" };
          if (r.Y) source.recycle?.(r.Y);
          onBlock?.(r.block);
          send();
        };
        worker.on("message", onMessage).on("error", reject);
        send();
      });
    return Promise.all(this.workers.map(run)).then(() => results);
  }

  close(): Promise<unknown> {
    return Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** One-off: a pool for these blocks, closed afterwards. */
export async function fitBlocksParallel(design: BatchDesign, blocks: Float64Array[], opts: KernelOptions, threads: number, onBlock?: (index: number) => void): Promise<BlockResult[]> {
  checkThreads(threads);
  const pool = new FitPool(Math.min(threads, blocks.length));
  try {
    return await pool.fit(design, blocks, opts, onBlock);
  } finally {
    await pool.close();
  }
}
