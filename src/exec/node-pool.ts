// Fit workers on Node worker threads (dist/exec/fit-worker.js), and the thread counts a scan may ask for.
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { MIN_PARALLEL_BLOCK, THREADS_PER_CORE } from "../output/columns.js";
import { WorkerPool, checkThreadCount } from "./worker-pool.js";

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
  checkThreadCount(threads, maxThreads(), "threads (--threads)");
}

/** dist/exec/fit-worker.js beside this module, or the built one when running from src/ (tests). */
function workerPath(): string {
  for (const rel of ["./fit-worker.js", "../../dist/exec/fit-worker.js"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error("trialmix: dist/exec/fit-worker.js not found (run npm run build)");
}

/** Flags that apply to the whole process: a worker's execArgv may not repeat them (they hold for the workers anyway). */
const PROCESS_WIDE = new Set(["--disable-wasm-trap-handler"]);

/**
 * The parent's node flags for the workers, without --input-type (a worker is a file: node refuses the
 * flag there, so a scan started from `node --input-type=module -e ...` could not start its workers).
 */
export function workerExecArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--input-type") i++; // and its value
    else if (!argv[i].startsWith("--input-type=") && !PROCESS_WIDE.has(argv[i])) out.push(argv[i]);
  }
  return out;
}

/** Worker threads that each hold a kernel instance. Start the pool early: it boots while the caller reads its file. */
export class FitPool extends WorkerPool {
  constructor(threads: number) {
    checkThreads(threads);
    const path = workerPath();
    const execArgv = workerExecArgv(process.execArgv);
    super(threads, MIN_PARALLEL_BLOCK, (_, events) => {
      const w = new Worker(path, { execArgv });
      w.on("message", events.reply)
        .on("error", events.fail)
        .on("messageerror", events.fail)
        .on("exit", (code) => events.fail(new Error(`trialmix: fit worker stopped (exit code ${code})`)));
      return { post: (m, transfer) => w.postMessage(m, transfer), terminate: () => w.terminate() };
    });
  }
}
