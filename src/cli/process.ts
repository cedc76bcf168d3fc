// The CLI's process (Node): signals, and running under an address-space limit. Kept out of cli.ts,
// which parses and reports.
import { spawn } from "node:child_process";
import vm from "node:vm";
import { removePendingOutputs } from "../output/write.js";
import { TrialmixRunError } from "../errors.js";
import { addressSpaceLimit } from "../io/files.js";

export { addressSpaceLimit };

// ---------------------------------------------------------------- signals

let outputsWritten = 0;
let stopping = false; // one interruption message, even when a signal arrives twice (a terminal's and a relayed one)

/** Count an output written whole (for the interruption message). */
export function outputWritten(): void {
  outputsWritten++;
}

/**
 * SIGINT, SIGTERM and SIGHUP end the run with one line and exit status 2, after removing the
 * temporary file of an output being written (the target is left as it was). A handler runs when the
 * main thread is free: at once while workers fit or the output is written; during a synchronous step
 * (reading the file, a one-thread fit) SIGINT interrupts it at once (interruptible()), SIGTERM and
 * SIGHUP at its end.
 */
export function handleSignals(): void {
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      const removed = removePendingOutputs();
      const what = removed > 0 ? "; the unfinished output was removed" : outputsWritten === 0 ? "; no output written" : "";
      try {
        process.stderr.write(`trialmix: interrupted by ${sig}${what}\n`);
      } finally {
        process.exit(2);
      }
    });
}

const sigintScript = new vm.Script("f()");

/** Run a synchronous step so that SIGINT (Ctrl-C) interrupts it at once (a TrialmixRunError). */
export function interruptible<T>(fn: () => T): T {
  const ctx = vm.createContext({ f: fn });
  try {
    return sigintScript.runInContext(ctx, { breakOnSigint: true }) as T;
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") {
      stopping = true;
      removePendingOutputs();
      throw new TrialmixRunError(`interrupted by SIGINT${outputsWritten === 0 ? "; no output written" : ""}`);
    }
    throw e;
  }
}

// ---------------------------------------------------------------- address-space limits

/** True in the child started by runUnderLimit (flags set for a limited address space). */
export function underLimit(): boolean {
  return process.env.TRIALMIX_ADDRESS_LIMIT !== undefined && process.execArgv.includes("--disable-wasm-trap-handler");
}

/**
 * Worker threads that fit under the limit: measured, 2 workers need about 4 GiB and 3 about 5 GiB
 * (the main thread's reader ~2 GiB, a worker's isolate and kernel ~1 GiB); 1.5 GiB a worker leaves
 * room for the data. 1 = fit on the main thread.
 */
export function threadsUnderLimit(limit: number): number {
  return Math.max(1, Math.floor((limit / 2 ** 30 - 2) / 1.5));
}

const FATAL = /^(<--- Last few GCs --->|FATAL ERROR:|#\s*Fatal (process )?(OOM|error))/;

/**
 * Under an address-space limit V8 reserves 10 GiB of guard regions per WebAssembly memory (its
 * trap-handler bounds checks), so neither h5wasm nor the kernel could start even on a tiny input.
 * Run the CLI again in a child node with --disable-wasm-trap-handler (explicit bounds checks: each
 * memory reserves only what it may grow to, and V8 retries smaller) and MALLOC_ARENA_MAX=2 (glibc's
 * per-thread arenas reserve 64 MiB each). The child's stderr passes through, except a fatal V8
 * out-of-memory report, which becomes one line. Resolves to the exit status.
 */
export function runUnderLimit(script: string, argv: string[], limit: number): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [...process.execArgv, "--disable-wasm-trap-handler", script, ...argv], {
      stdio: ["inherit", "inherit", "pipe"],
      env: {
        ...process.env,
        MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2",
        TRIALMIX_ADDRESS_LIMIT: String(limit),
        TRIALMIX_STDERR_TTY: process.stderr.isTTY ? "1" : "0",
      },
    });
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => child.kill(sig));
    let fatal = false;
    let partial = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      if (fatal) return;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (FATAL.test(line.trim()) || (line === "" && /^\s*<---/.test(partial))) {
          fatal = true;
          return;
        }
        process.stderr.write(line + "\n");
      }
      if (partial.includes("\r")) {
        process.stderr.write(partial); // a progress bar redraws without a newline
        partial = "";
      }
    });
    child.on("close", (code, signal) => {
      if (fatal || signal === "SIGABRT" || signal === "SIGTRAP" || code === 133 || code === 134) {
        process.stderr.write(
          `trialmix: out of memory: the run needs more than the ${(limit / 2 ** 30).toFixed(1)} GiB of address space this process may use (ulimit -v); raise the limit, or analyse fewer features at a time\n`,
        );
        return done(2);
      }
      if (partial && !fatal) process.stderr.write(partial + "\n");
      if (signal) {
        process.stderr.write(`trialmix: stopped by ${signal}\n`);
        return done(2);
      }
      done(code ?? 2);
    });
  });
}
