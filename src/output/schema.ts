// One row schema per mode (mixed, fixed, compare): the ordered output columns with the optional
// ones, how each cell is shown on the page, the NaN row of a feature without statistics, and the
// `error` column every mode ends with (docs/API.md "Output columns"). The command line, the page's
// scan worker and the page's table all take their columns from here.
import { COMPARE_COLUMNS, FIXED_BOOT_COLUMNS, FIXED_COLUMNS, MIXED_EXTRA_COLUMNS, MIXED_SEED_COLUMNS } from "./columns.js";

export type Mode = "mixed" | "fixed" | "compare";

/**
 * How a cell is shown and sorted on the page: `p` a p-value or FDR (3 digits), `num` an estimate
 * (4 digits), `count` a whole number, `bool` yes/no, `text` as it is. In files numbers are written
 * at full precision (NaN empty in CSV/TSV, null in JSON), booleans True/False.
 */
export type CellKind = "text" | "num" | "p" | "count" | "bool";

export interface Column {
  key: string;
  kind: CellKind;
  /** Header on the page; columns without one are in the files only. */
  label?: string;
}

/** The optional columns of a table, from the options (or, for fixed, from the rows). */
export interface TableShape {
  randomSlope?: boolean; // mixed: var_slope
  bootstrap?: boolean; // fixed: p_DiD_boot, se_DiD_boot, ci_lo_boot, ci_hi_boot
  stratified?: boolean; // fixed: celltype first, FDR_DiD_stratified before error
}

/** Kind and page label of every output column, by name. */
const CELLS: Record<string, Omit<Column, "key">> = {
  feature: { kind: "text", label: "feature" },
  celltype: { kind: "text", label: "cell type" },
  beta_DiD: { kind: "num", label: "beta" },
  se_DiD: { kind: "num", label: "se" },
  p_DiD: { kind: "p", label: "p" },
  FDR_DiD: { kind: "p", label: "FDR" },
  ci_lower: { kind: "num" },
  ci_upper: { kind: "num" },
  var_participant: { kind: "num" },
  var_residual: { kind: "num" },
  icc: { kind: "num", label: "ICC" },
  n_units: { kind: "count", label: "units" },
  converged: { kind: "bool", label: "converged" },
  var_slope: { kind: "num", label: "slope var" },
  df_DiD: { kind: "num" },
  p_DiD_satterthwaite: { kind: "p" },
  logLik: { kind: "num" },
  singular: { kind: "bool" },
  beta_time: { kind: "num" },
  p_time: { kind: "p" },
  resid_sd: { kind: "num" },
  cov_type_used: { kind: "text", label: "SE type" },
  p_DiD_boot: { kind: "p" },
  se_DiD_boot: { kind: "num" },
  ci_lo_boot: { kind: "num" },
  ci_hi_boot: { kind: "num" },
  FDR_DiD_stratified: { kind: "p" },
  beta_fixed: { kind: "num", label: "beta fixed" },
  se_fixed: { kind: "num", label: "se fixed" },
  p_fixed: { kind: "p", label: "p fixed" },
  beta_mixed: { kind: "num", label: "beta mixed" },
  se_mixed: { kind: "num", label: "se mixed" },
  p_mixed: { kind: "p", label: "p mixed" },
  beta_diff: { kind: "num", label: "beta diff" },
  agreement: { kind: "bool", label: "agree" },
  error: { kind: "text", label: "reason / error" },
};

/** The output column names of a mode's table, in order (error last in every mode). */
export function columnNames(mode: Mode, shape: TableShape = {}): string[] {
  if (mode === "mixed") return [...MIXED_SEED_COLUMNS, ...(shape.randomSlope ? ["var_slope"] : []), ...MIXED_EXTRA_COLUMNS];
  if (mode === "compare") return [...COMPARE_COLUMNS, "error"];
  const base: string[] = [...(shape.bootstrap ? FIXED_BOOT_COLUMNS : FIXED_COLUMNS)];
  return shape.stratified ? ["celltype", ...base, "FDR_DiD_stratified", "error"] : [...base, "error"];
}

/** The mixed table's columns (columnNames("mixed", { randomSlope })). */
export function mixedColumns(randomSlope: boolean): string[] {
  return columnNames("mixed", { randomSlope });
}

/** The output columns of a mode's table with their kinds and page labels. */
export function columns(mode: Mode, shape: TableShape = {}): Column[] {
  return columnsNamed(columnNames(mode, shape));
}

/** Columns by name (a table's column list as the scan worker posts it), with their kinds and page labels. */
export function columnsNamed(names: readonly string[]): Column[] {
  return names.map((key) => ({ key, ...(CELLS[key] ?? { kind: "text" }) }));
}

type Row = object;

/** The shape a fixed table's rows have (bootstrap columns, cell types): the rows say, as the columns must match them. */
export function shapeOfRows(mode: Mode, rows: readonly Row[], shape: TableShape = {}): TableShape {
  if (mode !== "fixed") return shape;
  return {
    bootstrap: rows.some((r) => (r as { p_DiD_boot?: number }).p_DiD_boot !== undefined),
    stratified: rows.some((r) => (r as { celltype?: string }).celltype !== undefined),
  };
}

/**
 * A row's `error`: the row's own field, else the reason a fixed row carries hidden (rows made
 * before fixed rows had an `error` field), else "" (all is well).
 */
export function errorOf(row: Row): string {
  const r = row as { error?: unknown; reason?: unknown };
  if (typeof r.error === "string") return r.error;
  return typeof r.reason === "string" ? r.reason : "";
}

/** Rows with an enumerable `error` field, as the output writers read it: the rows themselves when they all have one. */
export function withErrors<R extends Row>(rows: readonly R[]): (R & { error: string })[] {
  if (rows.every((r) => typeof (r as { error?: unknown }).error === "string")) return rows as (R & { error: string })[];
  return rows.map((r) => ({ ...r, error: errorOf(r) }));
}

/**
 * The row of a feature without statistics: every number NaN, booleans false, text empty,
 * n_units the participants counted, error why.
 */
export function nanRow(mode: Mode, shape: TableShape, fields: { feature: string; nUnits: number; error: string; celltype?: string }): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of columns(mode, shape)) row[c.key] = c.kind === "bool" ? false : c.kind === "text" ? "" : NaN;
  row.feature = fields.feature;
  row.error = fields.error;
  if ("n_units" in row) row.n_units = fields.nUnits;
  if (shape.stratified) row.celltype = fields.celltype ?? "";
  return row;
}
