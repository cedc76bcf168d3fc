// Every user option, declared once (after lme4's lmerControl and ml.js's checked options): its
// name, command-line flag, kind, default, allowed values and meaning. checkOptions() validates a
// partial set once and returns them with the defaults applied; the library (ScanOptions), the
// command line (flags, usage text, "did you mean"), the page's controls and the docs read from here.
// No node: imports: this module is also bundled for browsers.
import { AGG_FUNCS } from "./frame/aggregate.js";
import { DESIGN_DEFAULTS } from "./frame/design.js";
import { KERNEL_DEFAULTS } from "./kernel/control.js";
import { TrialmixInputError } from "./errors.js";
import { MAX_N_BOOT, THREADS_PER_CORE } from "./output/columns.js";

/** How an option's value is given and checked. */
export type OptionKind = "text" | "list" | "flag" | "int" | "choice" | "visits";

export interface OptionSpec {
  /** Command-line flag without the dashes (a `flag` that defaults to true is given as `--no-...`). */
  flag: string;
  kind: OptionKind;
  /** Placeholder in the usage text (`--arm COL`). */
  meta?: string;
  /** Allowed values of a `choice`, in the order the usage text and the page list them. */
  values?: readonly string[];
  /** Range of an `int` (inclusive). */
  min?: number;
  max?: number;
  /** What the option does; the usage text shows its first clause. */
  doc: string;
  /** The default, as the usage text and docs name it when it is not a value (e.g. "all cores"). */
  defaultText?: string;
  /** Which commands read it (all scans when absent). */
  modes?: readonly ("mixed" | "fixed" | "compare")[];
}

/**
 * The scan options (library and command line), in the order they are checked. Defaults live in
 * DEFAULTS below; an option without a default is absent unless given.
 */
export const SCAN_OPTIONS = {
  /** The visits compared, BASE then FOLLOWUP (more follow-ups: mixed only, one DiD contrast each; required; no default). */
  visits: { flag: "visits", kind: "visits", meta: "BASE,FOLLOWUP[,...]", doc: "the visits compared, baseline first (required; more than two: mixed only)" },
  /** @default "participant_id" */
  participant: { flag: "participant", kind: "text", meta: "COL", doc: "participant column" },
  /** @default "visit" */
  visit: { flag: "visit", kind: "text", meta: "COL", doc: "visit column" },
  /** @default "arm" */
  arm: { flag: "arm", kind: "text", meta: "COL", doc: "arm column" },
  /** @default "Treated" */
  treated: { flag: "treated", kind: "text", meta: "LABEL", doc: "treated-arm label" },
  /** @default "Control" */
  control: { flag: "control", kind: "text", meta: "LABEL", doc: "control-arm label" },
  /** Cell-type column: one scan per cell type (rows carry `celltype`), from one read of the matrix. @default none */
  celltype: { flag: "celltype", kind: "text", meta: "COL", doc: "cell-type column: one scan per cell type" },
  /** With celltype: only these cell types (labels of the celltype column). @default every cell type */
  celltypes: { flag: "celltypes", kind: "list", meta: "A,B", doc: "with --celltype: only these cell types", defaultText: "all" },
  /** Drop participant-visits with fewer cells than this (in their cell type when stratified) before pairing. @default 1 */
  minCells: { flag: "min-cells", kind: "int", meta: "N", min: 1, doc: "drop participant-visits with fewer cells (per cell type) before pairing" },
  /** Boolean-like crossover column; flagged cells are dropped. @default none */
  crossover: { flag: "crossover", kind: "text", meta: "COL", doc: "boolean crossover column (flagged cells are dropped)" },
  /** Keep the cells the crossover column flags. @default false */
  includeCrossovers: { flag: "include-crossovers", kind: "flag", doc: "keep crossover cells" },
  /** Features: var names (genes) or numeric obs columns. @default every var name (h5ad) / numeric non-design column (table) */
  features: { flag: "features", kind: "list", meta: "A,B,...", doc: "var names (genes) or numeric obs columns", defaultText: "all" },
  /** Read this layer instead of X; `raw` reads adata.raw (raw/X, genes from raw/var). @default X */
  layer: { flag: "layer", kind: "text", meta: "NAME", doc: "read this layer instead of X (raw: adata.raw, its genes)", defaultText: "X" },
  /** Unit of analysis. @default "participant_visit" */
  aggregate: { flag: "aggregate", kind: "choice", values: ["participant_visit", "cell"], doc: "unit of analysis" },
  /** Aggregation of a participant-visit's cells (src/frame/aggregate.ts). @default "mean" */
  agg: { flag: "agg", kind: "choice", values: AGG_FUNCS, doc: "aggregation function" },
  /** Extra fixed effects: numeric as is, text as categorical. @default [] */
  covariates: { flag: "covariates", kind: "list", meta: "A,B", doc: "extra fixed effects (numeric as is, text as categorical)" },
  /** Fit z-scores of each feature (the flag turns it off). @default true */
  standardize: { flag: "no-standardize", kind: "flag", doc: "fit raw values instead of z-scores" },
  /** Random slope for time, (1 + post | participant); mixed only. @default false */
  randomSlope: { flag: "random-slope", kind: "flag", doc: "random slope for time: (1 + post | participant)", modes: ["mixed", "compare"] },
  /** Wild cluster bootstrap-t of the fixed model. @default false */
  useBootstrap: { flag: "bootstrap", kind: "flag", doc: "wild cluster bootstrap-t (fixed model)", modes: ["fixed", "compare"] },
  /** Bootstrap draws. @default 999 */
  nBoot: { flag: "n-boot", kind: "int", meta: "N", min: 1, max: MAX_N_BOOT, doc: "bootstrap draws", modes: ["fixed", "compare"] },
  /** Seed of the bootstrap's draws. @default 42 */
  seed: { flag: "seed", kind: "int", meta: "S", doc: "bootstrap seed", modes: ["fixed", "compare"] },
  /** A table's separator: comma, semicolon, tab, or auto (the one that splits the header into the most fields). @default "auto" */
  sep: { flag: "sep", kind: "choice", values: ["auto", ",", ";", "tab"], doc: "a table's separator (auto: found from the header)" },
  /** A table's decimal mark: '.', ',' or auto (',' in semicolon-separated tables, as write.csv2 writes them; '.' is always read). @default "auto" */
  decimal: { flag: "decimal", kind: "choice", values: ["auto", ".", ","], doc: "a table's decimal mark (auto: ',' when ';'-separated)" },
  /** Denominator df of the small-sample t (df_DiD, p_DiD_satterthwaite): lmerTest's Satterthwaite, or
   * Kenward-Roger (pbkrtest's; also at boundary fits, where it keeps the within-participant df). @default "satterthwaite" */
  ddf: { flag: "ddf", kind: "choice", values: ["satterthwaite", "kenward-roger"], doc: "df of the small-sample t: satterthwaite or kenward-roger", modes: ["mixed"] },
  /** Worker threads, 1 to 4 per core. @default every core (CLI, trialmix/parallel); 1 (didTableMixed) */
  threads: { flag: "threads", kind: "int", meta: "N", min: 1, doc: `worker threads, 1 to ${THREADS_PER_CORE} per core`, defaultText: "all cores" },
} as const satisfies Record<string, OptionSpec>;

/** Kernel controls (lmerControl's part that trialmix exposes): library only. */
export const KERNEL_OPTIONS = {
  /** REML (true) or maximum likelihood. @default true */
  reml: { flag: "reml", kind: "flag", doc: "REML (else maximum likelihood)" },
  /** Structure of the random-effects covariance G. @default "unstructured" */
  covariance: { flag: "covariance", kind: "choice", values: ["unstructured", "diagonal"], doc: "structure of G" },
} as const satisfies Record<string, OptionSpec>;

/** Command-line-only flags (not scan options). */
export const CLI_FLAGS = {
  featuresFile: { flag: "features-file", kind: "text", meta: "F", doc: "features, one per line (or comma-separated), UTF-8" },
  out: { flag: "out", kind: "text", meta: "FILE", doc: ".csv, .tsv or .json", defaultText: "CSV on stdout" },
  quiet: { flag: "quiet", kind: "flag", doc: "no progress bar" },
  json: { flag: "json", kind: "flag", doc: "inspect: one JSON object" },
  help: { flag: "help", kind: "flag", doc: "this text" },
} as const satisfies Record<string, OptionSpec>;

/** The defaults (lmerControl's role): the one place they are written. */
export const DEFAULTS = {
  ...DESIGN_DEFAULTS,
  includeCrossovers: false,
  minCells: 1,
  aggregate: "participant_visit",
  agg: "mean",
  sep: "auto",
  decimal: "auto",
  covariates: [] as string[],
  standardize: true,
  randomSlope: false,
  useBootstrap: false,
  nBoot: 999,
  seed: 42,
  ...KERNEL_DEFAULTS,
} as const;

type ScanSpecs = typeof SCAN_OPTIONS;
type KernelSpecs = typeof KERNEL_OPTIONS;

/** The value type of an option, from its declaration. */
export type OptionValue<S extends OptionSpec> = S["kind"] extends "text"
  ? string
  : S["kind"] extends "list"
    ? string[]
    : S["kind"] extends "flag"
      ? boolean
      : S["kind"] extends "int"
        ? number
        : S["kind"] extends "visits"
          ? Visits
          : S extends { values: readonly (infer V)[] }
            ? V
            : string;

/** The visits of a scan: the baseline, then one or more follow-ups (two visits: today's DiD). */
export type Visits = [string, string, ...string[]];

/** Scan options as given (every one optional but visits). */
export type ScanOptionValues = { visits: Visits } & { [K in Exclude<keyof ScanSpecs, "visits">]?: OptionValue<ScanSpecs[K]> };
/** Kernel options as given. */
export type KernelOptionValues = { [K in keyof KernelSpecs]?: OptionValue<KernelSpecs[K]> };

type Defaulted = keyof typeof DEFAULTS & keyof ScanOptionValues;
/** Scan options after checkOptions: the defaults applied. */
export type CheckedScanOptions = Omit<ScanOptionValues, Defaulted> & { [K in Defaulted]-?: NonNullable<ScanOptionValues[K]> };

/** Where the values came from: the command line names flags (`--n-boot`), the library its keys (`nBoot (--n-boot)`). */
export interface CheckContext {
  names?: "flags" | "keys";
  /** Largest thread count (4 per core); unchecked when absent (the runner checks it). */
  maxThreads?: number;
  /** Said with a bad thread count: "(4 per core; this machine has 2)". */
  threadsNote?: string;
}

const CHECKED = Symbol("trialmix.checkedOptions");

/** One option's name in messages. */
function nameOf(key: string, spec: OptionSpec, ctx: CheckContext): string {
  return ctx.names === "flags" ? `--${spec.flag}` : `${key} (--${spec.flag})`;
}

function fail(message: string): never {
  throw new TrialmixInputError(message);
}

/** A comma-separated list (the command line's form), trimmed, empty items dropped. */
export function splitList(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

function checkInt(key: string, spec: OptionSpec, v: unknown, ctx: CheckContext): number {
  const name = nameOf(key, spec, ctx);
  const max = key === "threads" ? ctx.maxThreads : spec.max;
  if (spec.min === undefined && max === undefined) {
    // no range: any whole number (Number()'s reading of the text)
    const x = typeof v === "number" ? v : Number(v);
    if ((typeof v === "string" && v.trim() === "") || !Number.isSafeInteger(x)) fail(`${name} expects a whole number, got '${String(v)}'`);
    return x;
  }
  const x = typeof v === "number" ? v : /^\s*[+-]?\d+\s*$/.test(String(v)) ? Number(v) : NaN;
  const lo = spec.min ?? -Number.MAX_SAFE_INTEGER;
  const hi = max ?? Number.MAX_SAFE_INTEGER;
  if (!(Number.isSafeInteger(x) && x >= lo && x <= hi)) {
    const range = max === undefined ? `of at least ${lo}` : `from ${lo} to ${hi}`;
    const note = key === "threads" && ctx.threadsNote ? ctx.threadsNote : "";
    fail(`${name} expects a whole number ${range}${note}, got '${String(v)}'`);
  }
  return x;
}

function checkVisits(key: string, spec: OptionSpec, v: unknown, ctx: CheckContext): Visits {
  if (v === undefined) fail(`${nameOf(key, spec, ctx)} BASE,FOLLOWUP is required (e.g. --visits Pre,Post)`);
  const items = typeof v === "string" ? splitList(v) : Array.isArray(v) ? v.map(String) : [];
  // two or more different labels, the baseline first (more than two: the mixed model's visit factor)
  if (items.length < 2 || new Set(items).size !== items.length)
    fail(`${nameOf(key, spec, ctx)} expects two different labels BASE,FOLLOWUP (or more: BASE,V2,V3,...), got '${Array.isArray(v) ? v.join(",") : String(v)}'`);
  return items as Visits;
}

/** One option's value, checked (text from the command line is parsed here). */
function checkValue(key: string, spec: OptionSpec, v: unknown, ctx: CheckContext): unknown {
  const name = nameOf(key, spec, ctx);
  switch (spec.kind) {
    case "visits":
      return checkVisits(key, spec, v, ctx);
    case "int":
      return checkInt(key, spec, v, ctx);
    case "choice":
      if (!spec.values!.includes(v as string)) fail(`${name} expects one of ${spec.values!.map((x) => (/^\w+$/.test(x) ? x : `'${x}'`)).join(", ")}, got '${String(v)}'`);
      return v;
    case "list":
      if (typeof v === "string") return splitList(v);
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) fail(`${name} expects a list of names, got '${String(v)}'`);
      return v;
    case "flag":
      if (typeof v !== "boolean") fail(`${name} expects true or false, got '${String(v)}'`);
      return v;
    default:
      if (typeof v !== "string") fail(`${name} expects text, got '${String(v)}'`);
      return v;
  }
}

/**
 * Check scan options once and apply the defaults. Values may be typed (the library) or the
 * command line's text (ints, lists, visits); keys not declared here (design, onProgress, ...)
 * pass through unchecked. A bad value is a TrialmixInputError with one line naming the option,
 * what it expects and what it got. Checking a checked object returns it as it is.
 */
export function checkOptions<T extends Partial<Record<keyof ScanOptionValues, unknown>>>(
  partial: T,
  ctx: CheckContext = {},
): Omit<T, keyof CheckedScanOptions> & CheckedScanOptions {
  if ((partial as { [CHECKED]?: true })[CHECKED]) return partial as unknown as Omit<T, keyof CheckedScanOptions> & CheckedScanOptions;
  const out: Record<string, unknown> = { ...partial };
  for (const [key, spec] of Object.entries(SCAN_OPTIONS) as [string, OptionSpec][]) {
    const v = (partial as Record<string, unknown>)[key];
    if (v === undefined && key !== "visits") {
      const d = (DEFAULTS as Record<string, unknown>)[key];
      if (d === undefined) delete out[key];
      else out[key] = Array.isArray(d) ? d.slice() : d;
      continue;
    }
    out[key] = checkValue(key, spec, v, ctx);
  }
  Object.defineProperty(out, CHECKED, { value: true, enumerable: false });
  return out as Omit<T, keyof CheckedScanOptions> & CheckedScanOptions;
}

/** Kernel options with the defaults applied (reml true, covariance unstructured). */
export function checkKernelOptions(partial: KernelOptionValues = {}): Required<KernelOptionValues> {
  const ctx: CheckContext = { names: "keys" };
  return {
    reml: partial.reml === undefined ? DEFAULTS.reml : (checkValue("reml", KERNEL_OPTIONS.reml, partial.reml, ctx) as boolean),
    covariance:
      partial.covariance === undefined
        ? DEFAULTS.covariance
        : (checkValue("covariance", KERNEL_OPTIONS.covariance, partial.covariance, ctx) as "unstructured" | "diagonal"),
  };
}

/** Every command-line flag: the scan options' and the command line's own, by option key. */
export function cliFlags(): [key: string, spec: OptionSpec][] {
  return [...Object.entries(SCAN_OPTIONS), ...Object.entries(CLI_FLAGS)] as [string, OptionSpec][];
}
