// `trialmix example [--out DIR]`: the mixed scan and the comparison on the bundled example data,
// both tables written, the top features printed.
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { progressBar } from "../exec/progress.js";
import type { MixedRow } from "../models/mixed/index.js";
import { makeFolder, writeStdout } from "../output/write.js";
import type { Args } from "./args.js";
import { emit } from "./output.js";
import { checkFlags, fitThreads } from "./options.js";
import { interruptible } from "./process.js";
import { loadScans } from "./scan.js";

/** The bundled example: examples/example.h5ad in the package (beside dist/). */
function examplePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, "..", "..", "examples", "example.h5ad");
}

function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return "NA";
  return Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(digits);
}

/** The text printed after the run: the 10 features with the smallest mixed-model p-values. */
function report(input: string, mixed: MixedRow[], agree: number, nCompared: number, ms: number, paths: string[]): string {
  const top = [...mixed].filter((r) => Number.isFinite(r.p_DiD)).sort((a, b) => a.p_DiD - b.p_DiD).slice(0, 10);
  const lines = [
    `trialmix example: ${basename(input)} (visits Pre -> Post, Treated vs Control, participant-visit means, z-scored)`,
    `${mixed.length} features, ${mixed[0]?.n_units ?? 0} participants, mixed scan + fixed comparison in ${ms.toFixed(0)} ms`,
    "",
    "top features by mixed-model DiD p-value:",
    `${"feature".padEnd(12)}${"beta_DiD".padStart(10)}${"se_DiD".padStart(9)}${"p_DiD".padStart(11)}${"FDR_DiD".padStart(11)}${"icc".padStart(7)}`,
    ...top.map(
      (r) =>
        `${r.feature.padEnd(12)}${fmt(r.beta_DiD).padStart(10)}${fmt(r.se_DiD).padStart(9)}${fmt(r.p_DiD).padStart(11)}` +
        `${fmt(r.FDR_DiD).padStart(11)}${fmt(r.icc, 2).padStart(7)}`,
    ),
    "",
    `fixed and mixed agree (same sign and significance at 0.05) on ${agree} of ${nCompared} features`,
    ...paths.map((p) => `wrote ${p}`),
  ];
  return lines.join("\n") + "\n";
}

export async function runExample(values: Args["values"]): Promise<void> {
  const opts = checkFlags({ visits: ["Pre", "Post"] as [string, string], threads: values.threads as string | undefined });
  opts.threads = fitThreads(opts.threads);
  const dir = makeFolder((values.out as string | undefined) ?? "trialmix-example", "example --out");
  const input = examplePath();
  const bar = progressBar("trialmix example", { quiet: values.quiet as boolean | undefined });
  opts.onProgress = (d, t) => bar.update(d, t);
  const { runMode, runner } = await loadScans();
  const { frameOf } = await import("../api.js");
  const t0 = performance.now();
  const frame = interruptible(() => frameOf(input, opts)); // read the file once for both tables
  const mixed = await interruptible(() => runMode("mixed", frame, opts, runner));
  const cmp = await interruptible(() => runMode("compare", frame, { ...opts, onProgress: undefined }, runner));
  bar.finish();
  const ms = performance.now() - t0;
  const paths = [join(dir, "example.mixed.csv"), join(dir, "example.compare.csv")];
  await emit(mixed.columns, mixed.rows, paths[0], "example --out");
  await emit(cmp.columns, cmp.rows, paths[1], "example --out");
  const agree = cmp.rows.filter((r) => r.agreement).length;
  await writeStdout(report(input, mixed.rows as unknown as MixedRow[], agree, cmp.rows.length, ms, paths));
}
