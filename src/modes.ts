// The scans by mode: mode -> { run, columns }. The command line, the page's scan worker and the
// page's table run a mode and take its columns from here (the row schema is src/output/schema.ts).
// Where the mixed fits run (this thread, Node worker threads, Web Workers) is the caller's runner.
import { didTable, type CheckedOptions, type CompareTable, type DataInput, type FixedTable, type ScanOptions } from "./api.js";
import type { MixedTable } from "./models/mixed/index.js";
import { checkOptions } from "./options.js";
import { columnNames, shapeOfRows, withErrors, type Mode } from "./output/schema.js";

export type { Mode } from "./output/schema.js";

/** Runs the scans that fit mixed models: didTableMixed / compareFixedVsMixed on some threads. */
export interface ScanRunner {
  mixed(data: DataInput, opts: CheckedOptions): MixedTable | Promise<MixedTable>;
  compare(data: DataInput, opts: CheckedOptions): CompareTable | Promise<CompareTable>;
}

type AnyTable = MixedTable | FixedTable | CompareTable;

export interface ModeEntry {
  /** The scan. A synchronous scan (fixed) runs before the first await of runMode. */
  run(data: DataInput, opts: CheckedOptions, runner: ScanRunner): AnyTable | Promise<AnyTable>;
  /** The output columns of its table (fixed: as its rows are, with or without bootstrap and cell types). */
  columns(opts: CheckedOptions, rows: readonly object[]): string[];
}

export const MODES: Record<Mode, ModeEntry> = {
  mixed: {
    run: (data, opts, runner) => runner.mixed(data, opts),
    columns: (opts, rows) => columnNames("mixed", shapeOfRows("mixed", rows, { randomSlope: opts.randomSlope, stratified: stratifiedBy(opts), contrasts: opts.visits.length > 2 })),
  },
  fixed: {
    run: (data, opts) => didTable(data, opts),
    columns: (_opts, rows) => columnNames("fixed", shapeOfRows("fixed", rows)),
  },
  compare: {
    run: (data, opts, runner) => runner.compare(data, opts),
    columns: (opts, rows) => columnNames("compare", shapeOfRows("compare", rows, { stratified: stratifiedBy(opts) })),
  },
};

/** A scan per cell type: a cell-type column is given (the mixed and compare tables then carry `celltype`). */
function stratifiedBy(opts: CheckedOptions): boolean {
  return (opts.design ? opts.design.celltype : opts.celltype) !== undefined;
}

/** A mode's table as the output writers take it: rows (each with its error), columns in order, warnings. */
export interface ModeResult {
  rows: Record<string, unknown>[];
  columns: string[];
  warnings: string[];
  /** Features taken by default from a table: which, and what was left out (the command line's summary line says it). */
  featureNote?: string;
}

/** Run a mode's scan and shape its table for output. */
export async function runMode(mode: Mode, data: DataInput, options: ScanOptions, runner: ScanRunner): Promise<ModeResult> {
  const entry = MODES[mode];
  const opts = checkOptions(options);
  const t = await entry.run(data, opts, runner);
  const rows = t.rows as readonly object[];
  const result: ModeResult = { rows: withErrors(rows) as Record<string, unknown>[], columns: entry.columns(opts, rows), warnings: t.warnings };
  if (t.featureNote) result.featureNote = t.featureNote;
  return result;
}
