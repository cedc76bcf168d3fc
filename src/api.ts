// The seed's table functions on any input: an .h5ad path or bytes, a CSV/TSV long table, or a built frame.
// Each one: open the input, build the analysis frame (frame.ts), fit (mixed.ts / fixed.ts).
import { readH5ad, inspectH5ad, formatInspect } from "./io/h5ad/reader.js";
import { openSource, type TableFormat } from "./io/table.js";
import { buildFrame, type FrameSource } from "./frame/build.js";
import { makeDesign, TrialDesign } from "./frame/design.js";
import { type MixedOptions, type MixedTable, type Progress } from "./models/mixed/index.js";
import { fitFrameWith } from "./exec/strata.js";
import { localFitter } from "./exec/fitter.js";
import { fitFixedTable, type FixedRow } from "./models/fixed/index.js";
import { mergeByCelltype, type CompareRow } from "./models/compare.js";
import { TrialmixInputError } from "./errors.js";
import { checkOptions, type CheckedScanOptions, type ScanOptionValues } from "./options.js";
import type { AnalysisFrame } from "./types.js";

/**
 * The options of a scan: those of src/options.ts (every one documented there, with its default)
 * plus a ready-made design and a progress callback.
 */
export type ScanOptions = ScanOptionValues & {
  design?: TrialDesign; // overrides the column fields (participant ... crossover)
  onProgress?: Progress;
};

/** Scan options after checkOptions (checked once, the defaults applied); a checked object passes checkOptions as it is. */
export type CheckedOptions = Omit<ScanOptions, keyof CheckedScanOptions> & CheckedScanOptions;

export type DataInput = string | Uint8Array | ArrayBuffer | FrameSource | AnalysisFrame;

function isFrame(x: unknown): x is AnalysisFrame {
  return typeof x === "object" && x !== null && "values" in x && "features" in x && "participant" in x;
}

/** Open an input: a path by its extension (table.ts; a table read with `format`: separator, decimal mark), bytes as .h5ad. */
export function openInput(input: string | Uint8Array | ArrayBuffer, format: TableFormat = {}): FrameSource {
  if (typeof input !== "string") return readH5ad(input);
  if (!/\.(h5ad|h5|csv|tsv|tab|txt)$/i.test(input))
    throw new TrialmixInputError(`cannot read '${input}': expected an .h5ad, .csv or .tsv file`);
  return openSource(input, format);
}

export function designOf(options: ScanOptions): TrialDesign {
  const opts = checkOptions(options);
  return (
    opts.design ??
    makeDesign({
      participant: opts.participant,
      visit: opts.visit,
      arm: opts.arm,
      treated: opts.treated,
      control: opts.control,
      celltype: opts.celltype,
      crossover: opts.crossover,
    })
  );
}

/**
 * The analysis frame of a scan (subset, extract, aggregate, pair); stratified by cell type (the group
 * index includes it, so every cell type's rows come from one read of the matrix) when a cell-type
 * column is given.
 */
export function frameOf(data: DataInput, options: ScanOptions, byCelltype?: boolean): AnalysisFrame {
  const opts = checkOptions(options);
  const design = designOf(opts);
  if (opts.celltypes?.length && design.celltype === undefined) throw new TrialmixInputError("celltypes (--celltypes) needs a cell-type column (--celltype COL)");
  if (isFrame(data)) return data;
  const source = typeof data === "string" || data instanceof Uint8Array || data instanceof ArrayBuffer ? openInput(data, { sep: opts.sep, decimal: opts.decimal }) : data;
  const own = source !== data;
  try {
    return buildFrame(source, design, {
      visits: opts.visits,
      features: opts.features,
      layer: opts.layer,
      aggregate: opts.aggregate,
      agg: opts.agg,
      covariates: opts.covariates,
      includeCrossovers: opts.includeCrossovers,
      byCelltype: byCelltype ?? design.celltype !== undefined,
      celltypes: opts.celltypes,
      minCells: opts.minCells,
    });
  } finally {
    if (own) source.close?.();
  }
}

/** The mixed-model options of a scan. */
export function mixedOptions(options: ScanOptions): MixedOptions {
  const opts = checkOptions(options);
  return {
    visits: opts.visits,
    treated: designOf(opts).treated,
    standardize: opts.standardize,
    randomSlope: opts.randomSlope,
    covariates: opts.covariates,
    ddf: opts.ddf,
  };
}

/** did_table_mixed (one thread; see parallel.ts for worker threads); one scan per cell type with a cell-type column. */
export function didTableMixed(data: DataInput, options: ScanOptions): MixedTable {
  const opts = checkOptions(options);
  const frame = frameOf(data, opts);
  return withFrameWarnings(frame, fitFrameWith(frame, mixedOptions(opts), localFitter, opts.onProgress));
}

export interface FixedTable {
  rows: FixedRow[];
  warnings: string[];
  featureNote?: string; // the frame's: features taken by default from a table (AnalysisFrame.featureNote)
}

/** did_table (fixed effects, docs/FIXED.md); stratified by cell type when a celltype column is given. */
export function didTable(data: DataInput, options: ScanOptions): FixedTable {
  const opts = checkOptions(options);
  const visits = twoVisits(opts.visits);
  const design = designOf(opts);
  const frame = frameOf(data, opts);
  const t = fitFixedTable(frame, {
    visits,
    treated: design.treated,
    standardize: opts.standardize,
    covariates: opts.covariates,
    useBootstrap: opts.useBootstrap,
    nBoot: opts.nBoot,
    seed: opts.seed,
  });
  return withFrameWarnings(frame, t);
}

/** The two visits of the fixed model and the comparison; more are the mixed model's (one clear line). */
function twoVisits(visits: readonly string[]): [string, string] {
  if (visits.length !== 2)
    throw new TrialmixInputError(`--visits with ${visits.length} visits (${visits.join(",")}) is for the mixed model (trialmix mixed); fixed and compare take two, BASE,FOLLOWUP`);
  return [visits[0], visits[1]];
}

/** A table's warnings, led by those of building its frame (participants dropped, rows without covariates), and its feature note. */
export function withFrameWarnings<T extends { warnings: string[]; featureNote?: string }>(frame: AnalysisFrame, table: T): T {
  if (frame.warnings) table.warnings.unshift(...frame.warnings);
  if (frame.featureNote) table.featureNote = frame.featureNote;
  return table;
}

export interface CompareTable {
  rows: CompareRow[];
  warnings: string[];
  featureNote?: string;
}

/**
 * compare_fixed_vs_mixed: the options only the mixed model knows (random slope) stay out of the fixed
 * fit. With a cell-type column, both halves per cell type from one frame, merged within each cell type.
 */
export function compareFixedVsMixed(data: DataInput, opts: ScanOptions): CompareTable {
  const plain = checkOptions(opts);
  const frame = frameOf(data, plain);
  const fixed = didTable(frame, { ...plain, randomSlope: false });
  const mixed = didTableMixed(frame, plain);
  return mergeTables(fixed, mixed);
}

/**
 * The two halves merged on feature (within each cell type the mixed scan fitted; a cell type it
 * skipped is a warning, not rows).
 */
export function mergeTables(fixed: FixedTable, mixed: MixedTable): CompareTable {
  const t: CompareTable = { rows: mergeByCelltype(fixed.rows, mixed.rows), warnings: [...new Set([...fixed.warnings, ...mixed.warnings])] };
  const note = fixed.featureNote ?? mixed.featureNote;
  if (note) t.featureNote = note;
  return t;
}

/** `trialmix inspect`: text for people, or the JSON object of docs/API.md. */
export function inspectInput(path: string, json: boolean): string {
  const ext = (/\.[^./\\]*$/.exec(path)?.[0] ?? "").toLowerCase(); // no node:path: api.ts is also bundled for browsers
  if (ext !== ".h5ad" && ext !== ".h5") throw new TrialmixInputError(`inspect reads .h5ad files; got '${path}'`);
  const info = inspectH5ad(path);
  return json ? JSON.stringify(info) + "\n" : formatInspect(info);
}
