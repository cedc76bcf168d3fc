#!/usr/bin/env node
// The `trialmix` command: argument parsing, output writing, exit codes. The work is in api.ts.
import { parseArgs } from "node:util";
import { dirname, extname, join, resolve, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { formatDelimited } from "./io/csv.js";
import { COMPARE_COLUMNS, MAX_N_BOOT, mixedColumns } from "./output/columns.js";
import type { ScanOptions } from "./api.js";
import { fixedColumns } from "./models/fixed.js";
import { progressBar } from "./exec/progress.js";
import { TrialmixInputError, TrialmixRunError, isOutOfMemory } from "./errors.js";
import { checkRegularFile, readRegularFile } from "./io/files.js";
import { utf8Strict } from "./io/text.js";
import { checkOutput, makeFolder, writeAtomic, writeStdout } from "./output/write.js";
import { coreCount, maxThreads } from "./exec/pool.js";
import { handleSignals, interruptible, outputWritten, addressSpaceLimit, underLimit, threadsUnderLimit, runUnderLimit } from "./cli/process.js";

const USAGE = `usage: trialmix <command> INPUT [options]

commands:
  mixed   INPUT   mixed-model DiD, one row per feature (did_table_mixed)
  fixed   INPUT   fixed-effects DiD (did_table)
  compare INPUT   fixed vs mixed, merged on feature (compare_fixed_vs_mixed)
  example [--out DIR]   the mixed scan and the comparison on the bundled example data
  inspect INPUT [--json]  shape, obs columns, layers, var names

INPUT is an .h5ad file or a .csv/.tsv long table.
options:
  --visits BASE,FOLLOWUP   the two visits compared (required)
  --participant COL (participant_id)  --visit COL (visit)  --arm COL (arm)
  --treated LABEL (Treated)  --control LABEL (Control)
  --celltype COL  --crossover COL  --include-crossovers
  --features A,B,...  --features-file F  --layer NAME
  --aggregate participant_visit|cell  --agg mean|median|pct_pos
  --no-standardize  --random-slope  --covariates A,B
  --bootstrap [--n-boot 999 (1..${MAX_N_BOOT})] [--seed 42]   (fixed, compare: wild cluster bootstrap-t)
  --out FILE (.csv, .tsv or .json; default CSV on stdout)  --threads N (1..4 per core)  --quiet`;

/** A usage error: exit 2 with one line. */
class UsageError extends Error {}

const OPTIONS = {
  participant: { type: "string" },
  visit: { type: "string" },
  arm: { type: "string" },
  treated: { type: "string" },
  control: { type: "string" },
  celltype: { type: "string" },
  crossover: { type: "string" },
  visits: { type: "string" },
  features: { type: "string" },
  "features-file": { type: "string" },
  layer: { type: "string" },
  aggregate: { type: "string" },
  agg: { type: "string" },
  "no-standardize": { type: "boolean" },
  "random-slope": { type: "boolean" },
  covariates: { type: "string" },
  "include-crossovers": { type: "boolean" },
  bootstrap: { type: "boolean" },
  "n-boot": { type: "string" },
  seed: { type: "string" },
  out: { type: "string" },
  threads: { type: "string" },
  quiet: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parse>["values"];

/** `--threads -1`: a value that looks like a negative number is the option's value, not an unknown flag. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : null;
    const opt = name !== null ? (OPTIONS as Record<string, { type: string }>)[name] : undefined;
    if (opt?.type === "string" && i + 1 < argv.length && /^-(\d|\.\d|inf)/i.test(argv[i + 1])) {
      out.push(`${argv[i]}=${argv[i + 1]}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    // node's messages are one line already; keep only the first sentence.
    throw new UsageError(String((e as Error).message).split("\n")[0]);
  }
  // an option given twice would silently keep the last value: say so instead
  const seen = new Map<string, string | undefined>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option" || (OPTIONS as Record<string, { type: string }>)[t.name]?.type !== "string") continue;
    if (seen.has(t.name))
      throw new UsageError(
        `--${t.name} given twice ('${seen.get(t.name)}', then '${t.value}'); give it once${t.name === "features" ? ", as one comma-separated list" : ""}`,
      );
    seen.set(t.name, t.value);
  }
  return parsed;
}

function list(s: string | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  const items = s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  return items;
}

/** A whole number in lo..hi, or a UsageError naming the range. */
function intInRange(name: string, s: string | undefined, lo: number, hi: number, note = ""): number | undefined {
  if (s === undefined) return undefined;
  const v = /^\s*[+-]?\d+\s*$/.test(s) ? Number(s) : NaN;
  if (!(Number.isSafeInteger(v) && v >= lo && v <= hi)) throw new UsageError(`--${name} expects a whole number from ${lo} to ${hi}${note}, got '${s}'`);
  return v;
}

/** --threads: 1 to 4 per core. */
function threadsOption(s: string | undefined): number | undefined {
  return intInRange("threads", s, 1, maxThreads(), ` (4 per core; this machine has ${coreCount()})`);
}

/** Largest --features-file (a list of names). */
const MAX_LIST_BYTES = 64 * 2 ** 20;

/** The names in a --features-file (a regular file of UTF-8 text; names separated by newlines or commas). */
function featuresFromFile(path: string): string[] {
  const text = utf8Strict(readRegularFile(path, MAX_LIST_BYTES, "--features-file"));
  if (text === null) throw new UsageError(`cannot read --features-file '${path}': it is not UTF-8 text`);
  return text
    .split(/[\r\n,]+/)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

function wholeNumber(name: string, s: string): number {
  const v = Number(s);
  if (s.trim() === "" || !Number.isSafeInteger(v)) throw new UsageError(`--${name} expects a whole number, got '${s}'`);
  return v;
}

function oneOf<T extends string>(name: string, s: string | undefined, allowed: readonly T[]): T | undefined {
  if (s === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(s))
    throw new UsageError(`--${name} expects one of ${allowed.join(", ")}, got '${s}'`);
  return s as T;
}

/** Scan options from the flags (shared by mixed, fixed and compare). */
export function scanOptions(v: Values): ScanOptions {
  const visits = list(v.visits);
  if (visits === undefined) throw new UsageError("--visits BASE,FOLLOWUP is required (e.g. --visits Pre,Post)");
  if (visits.length !== 2 || visits[0] === visits[1])
    throw new UsageError(`--visits expects two different labels BASE,FOLLOWUP, got '${v.visits}'`);
  let features = list(v.features);
  if (v["features-file"] !== undefined) features = [...(features ?? []), ...featuresFromFile(v["features-file"])];
  return {
    participant: v.participant,
    visit: v.visit,
    arm: v.arm,
    treated: v.treated,
    control: v.control,
    celltype: v.celltype,
    crossover: v.crossover,
    visits: [visits[0], visits[1]],
    features,
    layer: v.layer,
    aggregate: oneOf("aggregate", v.aggregate, ["participant_visit", "cell"] as const),
    agg: oneOf("agg", v.agg, ["mean", "median", "pct_pos"] as const),
    standardize: !v["no-standardize"],
    randomSlope: v["random-slope"] ?? false,
    covariates: list(v.covariates),
    includeCrossovers: v["include-crossovers"] ?? false,
    useBootstrap: v.bootstrap ?? false,
    nBoot: intInRange("n-boot", v["n-boot"], 1, MAX_N_BOOT),
    seed: v.seed === undefined ? undefined : wholeNumber("seed", v.seed),
    threads: threadsOption(v.threads),
  };
}

type Row = Record<string, unknown>;

function jsonValue(v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

/** The table as text in the format the output path names (.csv, .tsv, .json). */
export function render(columns: string[], rows: Row[], path: string | undefined): string {
  const ext = path === undefined ? ".csv" : extname(path).toLowerCase();
  if (ext === ".json")
    return JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c) => [c, jsonValue(r[c])]))), null, 1) + "\n";
  if (ext === ".tsv" || ext === ".txt") return formatDelimited(columns, rows, "\t");
  if (ext === ".csv") return formatDelimited(columns, rows, ",");
  throw new UsageError(`--out must end in .csv, .tsv or .json, got '${path}'`);
}

/**
 * Check --out before the work starts (a long scan should not fail at the end on a typo): the
 * extension, the folder exists and is writable, the path (or the file a symlink names) is not a
 * folder or a device.
 */
export function checkOut(path: string): void {
  render([], [], path); // the extension
  checkOutput(path);
}

async function emit(columns: string[], rows: Row[], out: string | undefined): Promise<void> {
  const text = render(columns, rows, out);
  if (out === undefined) await writeStdout(text);
  else await writeAtomic(out, text);
  outputWritten();
}

function summary(cmd: string, rows: Row[], out: string | undefined, warnings: string[]): void {
  for (const w of new Set(warnings)) process.stderr.write(`trialmix: warning: ${w}\n`);
  const failed = rows.filter((r) => typeof r.beta_DiD === "number" && !Number.isFinite(r.beta_DiD as number));
  const reasons = new Map<string, number>();
  for (const r of failed) {
    const why = String(r.error ?? r.reason ?? "no statistics");
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  const sorted = [...reasons].sort((a, b) => b[1] - a[1]);
  const why =
    sorted
      .slice(0, 4)
      .map(([k, n]) => `${n}: ${k}`)
      .join("; ") + (sorted.length > 4 ? `; ${sorted.slice(4).reduce((a, [, n]) => a + n, 0)}: other reasons` : "");
  process.stderr.write(
    `trialmix ${cmd}: ${rows.length} features, ${rows.length - failed.length} fitted` +
      (failed.length > 0 ? `, ${failed.length} without statistics (${why})` : "") +
      (out ? `; wrote ${out}` : "") +
      "\n",
  );
}

/** ", N without fixed statistics" when some rows of a comparison have no estimate on that side. */
function noStats(rows: object[], key: string, what: string): string {
  const n = rows.filter((r) => !Number.isFinite((r as Record<string, unknown>)[key] as number)).length;
  return n > 0 ? `, ${n} without ${what} statistics` : "";
}

/** Threads under an address-space limit (ulimit -v): what fits, with a warning when fewer than asked. */
function fitThreads(asked: number | undefined): number | undefined {
  if (!underLimit()) return asked;
  const cap = threadsUnderLimit(Number(process.env.TRIALMIX_ADDRESS_LIMIT));
  if (asked !== undefined && asked > cap)
    process.stderr.write(`trialmix: warning: ${asked} threads do not fit in the address-space limit (ulimit -v); using ${cap}\n`);
  return Math.min(asked ?? coreCount(), cap);
}

async function runScan(cmd: "mixed" | "fixed" | "compare", input: string, v: Values): Promise<void> {
  const opts = scanOptions(v);
  opts.threads = fitThreads(opts.threads);
  if (v.out !== undefined) checkOut(v.out);
  const bar = progressBar(`trialmix ${cmd}`, { quiet: v.quiet });
  opts.onProgress = (done, total) => bar.update(done, total);
  // the library is loaded here, not at the top: h5wasm takes ~0.3 s to load, which --help and usage errors need not pay
  const { didTable } = await import("./api.js");
  const { didTableMixedParallel, compareFixedVsMixedParallel } = await import("./parallel.js");
  // the synchronous steps (reading, aggregating, one-thread fits) run before each call's first await: Ctrl-C interrupts them
  if (cmd === "mixed") {
    const t = await interruptible(() => didTableMixedParallel(input, opts));
    bar.finish();
    await emit(mixedColumns(opts.randomSlope ?? false), t.rows as unknown as Row[], v.out);
    summary(cmd, t.rows as unknown as Row[], v.out, t.warnings);
  } else if (cmd === "fixed") {
    const t = interruptible(() => didTable(input, opts));
    bar.finish();
    await emit(fixedColumns(t.rows), t.rows as unknown as Row[], v.out);
    summary(cmd, t.rows as unknown as Row[], v.out, t.warnings);
  } else {
    const t = await interruptible(() => compareFixedVsMixedParallel(input, opts));
    bar.finish();
    await emit([...COMPARE_COLUMNS], t.rows as unknown as Row[], v.out);
    for (const w of new Set(t.warnings)) process.stderr.write(`trialmix: warning: ${w}\n`);
    const agree = t.rows.filter((r) => r.agreement).length;
    process.stderr.write(
      `trialmix compare: ${t.rows.length} features, fixed and mixed agree on ${agree}` +
        `${noStats(t.rows, "beta_fixed", "fixed")}${noStats(t.rows, "beta_mixed", "mixed")}` +
        (v.out ? `; wrote ${v.out}` : "") +
        "\n",
    );
  }
}

/** The bundled example: examples/example.h5ad in the package. */
export function examplePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, "..", "examples", "example.h5ad");
}

function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return "NA";
  return Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(digits);
}

async function runExample(v: Values): Promise<void> {
  const opts: ScanOptions = { visits: ["Pre", "Post"], threads: fitThreads(threadsOption(v.threads)) };
  const dir = makeFolder(v.out ?? "trialmix-example", "example --out");
  const input = examplePath();
  const bar = progressBar("trialmix example", { quiet: v.quiet });
  opts.onProgress = (d, t) => bar.update(d, t);
  const { frameOf } = await import("./api.js");
  const { didTableMixedParallel, compareFixedVsMixedParallel } = await import("./parallel.js");
  const t0 = performance.now();
  const frame = interruptible(() => frameOf(input, opts)); // read the file once for both tables
  const mixed = await interruptible(() => didTableMixedParallel(frame, opts));
  const cmp = await interruptible(() => compareFixedVsMixedParallel(frame, { ...opts, onProgress: undefined }));
  bar.finish();
  const ms = performance.now() - t0;
  const mixedPath = join(dir, "example.mixed.csv");
  const cmpPath = join(dir, "example.compare.csv");
  await writeAtomic(mixedPath, render(mixedColumns(false), mixed.rows as unknown as Row[], mixedPath), "example --out");
  outputWritten();
  await writeAtomic(cmpPath, render([...COMPARE_COLUMNS], cmp.rows as unknown as Row[], cmpPath), "example --out");
  outputWritten();
  const top = [...mixed.rows].filter((r) => Number.isFinite(r.p_DiD)).sort((a, b) => a.p_DiD - b.p_DiD).slice(0, 10);
  const lines = [
    `trialmix example: ${basename(input)} (visits Pre -> Post, Treated vs Control, participant-visit means, z-scored)`,
    `${mixed.rows.length} features, ${mixed.rows[0]?.n_units ?? 0} participants, mixed scan + fixed comparison in ${ms.toFixed(0)} ms`,
    "",
    "top features by mixed-model DiD p-value:",
    `${"feature".padEnd(12)}${"beta_DiD".padStart(10)}${"se_DiD".padStart(9)}${"p_DiD".padStart(11)}${"FDR_DiD".padStart(11)}${"icc".padStart(7)}`,
    ...top.map(
      (r) =>
        `${r.feature.padEnd(12)}${fmt(r.beta_DiD).padStart(10)}${fmt(r.se_DiD).padStart(9)}${fmt(r.p_DiD).padStart(11)}` +
        `${fmt(r.FDR_DiD).padStart(11)}${fmt(r.icc, 2).padStart(7)}`,
    ),
    "",
    `fixed and mixed agree (same sign and significance at 0.05) on ${cmp.rows.filter((r) => r.agreement).length} of ${cmp.rows.length} features`,
    `wrote ${mixedPath}`,
    `wrote ${cmpPath}`,
  ];
  await writeStdout(lines.join("\n") + "\n");
}

export async function main(argv: string[]): Promise<number> {
  process.stderr.on("error", () => undefined); // a closed stderr must not turn the last line into a crash
  try {
    const { values, positionals } = parse(argv);
    const [cmd, input, ...rest] = positionals;
    if (values.help || cmd === undefined || cmd === "help") {
      await writeStdout(USAGE + "\n");
      return cmd === undefined && !values.help ? 2 : 0;
    }
    if (cmd === "example") {
      if (input !== undefined) throw new UsageError(`example takes no INPUT (got '${input}'); use --out DIR`);
      await runExample(values);
      return 0;
    }
    if (!["mixed", "fixed", "compare", "inspect"].includes(cmd))
      throw new UsageError(`unknown command '${cmd}'; expected mixed, fixed, compare, example or inspect`);
    if (input === undefined) throw new UsageError(`${cmd} needs an INPUT file (.h5ad, .csv or .tsv)`);
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    checkRegularFile(input); // a FIFO or a device would hang or fill memory; a symlink loop is named
    if (cmd === "inspect") {
      const { inspectInput } = await import("./api.js");
      await writeStdout(interruptible(() => inspectInput(input, values.json ?? false)));
      return 0;
    }
    await runScan(cmd as "mixed" | "fixed" | "compare", input, values);
    return 0;
  } catch (e) {
    const err = e as Error;
    if (err instanceof UsageError || err instanceof TrialmixInputError || err instanceof TrialmixRunError || err.name === "H5adError") {
      process.stderr.write(`trialmix: ${err.message}\n`);
      return 2;
    }
    if (isOutOfMemory(err)) {
      if (process.env.TRIALMIX_DEBUG) process.stderr.write(`${err.stack}\n`);
      process.stderr.write(`trialmix: out of memory (${String(err.message).split("\n")[0]}); the input needs more memory than this process may use\n`);
      return 2;
    }
    if (process.env.TRIALMIX_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.stderr.write(`trialmix: internal error: ${err.message} (set TRIALMIX_DEBUG=1 for details)\n`);
    return 1;
  }
}

// Run when executed (not when imported by tests).
const invoked = process.argv[1] ? resolve(process.argv[1]) : "";
const self = fileURLToPath(import.meta.url);
if (invoked === self || invoked === self.replace(/\.ts$/, ".js") || basename(invoked) === "trialmix") {
  const limit = addressSpaceLimit();
  if (Number.isFinite(limit) && !underLimit()) process.exit(await runUnderLimit(process.argv[1], process.argv.slice(2), limit));
  else {
    handleSignals();
    // exit here: an interrupted step skips the finally blocks that would close worker threads
    process.exit(await main(process.argv.slice(2)));
  }
}
