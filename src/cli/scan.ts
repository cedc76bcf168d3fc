// `trialmix mixed | fixed | compare INPUT`: the mode's scan (src/modes.ts) with the mixed fits on
// worker threads, its table written, a summary on stderr.
import { progressBar } from "../exec/progress.js";
import type { Mode } from "../output/schema.js";
import type { ScanRunner } from "../modes.js";
import type { Args } from "./args.js";
import { checkOut, emit } from "./output.js";
import { fitThreads, scanOptions } from "./options.js";
import { interruptible } from "./process.js";
import { compareSummary, scanSummary } from "./summary.js";

/**
 * The library's modules, loaded when a scan starts, not at the top: h5wasm takes ~0.3 s to load,
 * which --help and usage errors need not pay.
 */
export async function loadScans(): Promise<{ runMode: typeof import("../modes.js").runMode; runner: ScanRunner }> {
  const { runMode } = await import("../modes.js");
  const { didTableMixedParallel, compareFixedVsMixedParallel } = await import("../parallel.js");
  return { runMode, runner: { mixed: didTableMixedParallel, compare: compareFixedVsMixedParallel } };
}

export async function runScan(mode: Mode, input: string, values: Args["values"]): Promise<void> {
  const opts = scanOptions(values);
  opts.threads = fitThreads(opts.threads);
  const out = values.out as string | undefined;
  if (out !== undefined) checkOut(out);
  const bar = progressBar(`trialmix ${mode}`, { quiet: values.quiet as boolean | undefined });
  opts.onProgress = (done, total) => bar.update(done, total);
  const { runMode, runner } = await loadScans();
  // the synchronous steps (reading, aggregating, one-thread fits) run before runMode's first await: Ctrl-C interrupts them
  const t = await interruptible(() => runMode(mode, input, opts, runner));
  bar.finish();
  await emit(t.columns, t.rows, out);
  if (mode === "compare") compareSummary(t.rows, out, t.warnings, t.featureNote);
  else scanSummary(mode, t.rows, out, t.warnings, t.featureNote);
}
