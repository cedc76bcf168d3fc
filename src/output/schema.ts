// One row schema per mode (mixed, fixed, compare): the ordered output columns with the optional
// ones, how each cell is shown on the page, the NaN row of a feature without statistics, and the
// `error` column every mode ends with (docs/API.md "Output columns"). The command line, the page's
// scan worker and the page's table all take their columns from here.
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
  stratified?: boolean; // per cell type: celltype first; fixed: FDR_DiD_stratified, mixed: FDR_DiD_global before error
  contrasts?: boolean; // mixed over more than two visits: contrast after feature, the joint tests before error
}

/** A column of a mode's table; `when` names the option (or row shape) it is written with. */
type ColumnDef = Column & { when?: keyof TableShape };

const col = (key: string, kind: CellKind, label?: string, when?: keyof TableShape): ColumnDef => ({ key, kind, label, when });
const ERROR = col("error", "text", "reason / error");

/**
 * The tables, in column order. To add an output column: its field in the rows (the model's row
 * builder; for the mixed model, the kernel's output writer), one line here, and a test.
 */
const SCHEMA: Record<Mode, readonly ColumnDef[]> = {
  // the seed's did_table_mixed columns, then the extensions (docs/API.md)
  mixed: [
    col("celltype", "text", "cell type", "stratified"),
    col("feature", "text", "feature"),
    col("contrast", "text", "contrast", "contrasts"),
    col("beta_DiD", "num", "beta"),
    col("se_DiD", "num", "se"),
    col("p_DiD", "p", "p"),
    col("FDR_DiD", "p", "FDR"),
    col("ci_lower", "num"),
    col("ci_upper", "num"),
    col("var_participant", "num"),
    col("var_residual", "num"),
    col("icc", "num", "ICC"),
    col("n_units", "count", "units"),
    col("converged", "bool", "converged"),
    col("var_slope", "num", "slope var", "randomSlope"),
    col("df_DiD", "num"),
    col("p_DiD_satterthwaite", "p"),
    col("logLik", "num"),
    col("singular", "bool"),
    col("F_joint", "num", "F joint", "contrasts"),
    col("ddf_joint", "num", undefined, "contrasts"),
    col("p_joint", "p", "p joint", "contrasts"),
    col("lrt_stat", "num", undefined, "contrasts"),
    col("lrt_df", "count", undefined, "contrasts"),
    col("p_lrt", "p", "p LRT", "contrasts"),
    col("FDR_DiD_global", "p", "FDR (all types)", "stratified"),
    ERROR,
  ],
  // the seed package's did_table (docs/FIXED.md)
  fixed: [
    col("celltype", "text", "cell type", "stratified"),
    col("feature", "text", "feature"),
    col("beta_DiD", "num", "beta"),
    col("se_DiD", "num", "se"),
    col("p_DiD", "p", "p"),
    col("beta_time", "num"),
    col("p_time", "p"),
    col("n_units", "count", "units"),
    col("resid_sd", "num"),
    col("cov_type_used", "text", "SE type"),
    col("p_DiD_boot", "p", undefined, "bootstrap"),
    col("se_DiD_boot", "num", undefined, "bootstrap"),
    col("ci_lo_boot", "num", undefined, "bootstrap"),
    col("ci_hi_boot", "num", undefined, "bootstrap"),
    col("FDR_DiD", "p", "FDR"),
    col("FDR_DiD_stratified", "p", undefined, "stratified"),
    ERROR,
  ],
  // the seed's compare_fixed_vs_mixed
  compare: [
    col("celltype", "text", "cell type", "stratified"),
    col("feature", "text", "feature"),
    col("beta_fixed", "num", "beta fixed"),
    col("se_fixed", "num", "se fixed"),
    col("p_fixed", "p", "p fixed"),
    col("beta_mixed", "num", "beta mixed"),
    col("se_mixed", "num", "se mixed"),
    col("p_mixed", "p", "p mixed"),
    col("icc", "num", "ICC"),
    col("beta_diff", "num", "beta diff"),
    col("agreement", "bool", "agree"),
    ERROR,
  ],
};

/** Kind and page label of every output column, by name. */
const BY_NAME = new Map(Object.values(SCHEMA).flatMap((defs) => defs.map((d) => [d.key, d] as const)));

/** The output columns of a mode's table (its optional ones as `shape` says), with their kinds and page labels. */
export function columns(mode: Mode, shape: TableShape = {}): Column[] {
  return SCHEMA[mode].filter((d) => d.when === undefined || shape[d.when]).map(({ key, kind, label }) => ({ key, kind, label }));
}

/** The output column names of a mode's table, in order (error last in every mode). */
export function columnNames(mode: Mode, shape: TableShape = {}): string[] {
  return columns(mode, shape).map((d) => d.key);
}

/** The mixed table's columns (columnNames("mixed", { randomSlope, contrasts })). */
export function mixedColumns(randomSlope: boolean, contrasts = false): string[] {
  return columnNames("mixed", { randomSlope, contrasts });
}

/** Columns by name (a table's column list as the scan worker posts it), with their kinds and page labels. */
export function columnsNamed(names: readonly string[]): Column[] {
  return names.map((key) => {
    const d = BY_NAME.get(key);
    return { key, kind: d?.kind ?? "text", label: d?.label };
  });
}

type Row = object;

/**
 * The shape a table's rows have (fixed: bootstrap columns; every mode: cell types), on top of `shape`
 * (the options'): the rows say, as the columns must match them.
 */
export function shapeOfRows(mode: Mode, rows: readonly Row[], shape: TableShape = {}): TableShape {
  const stratified = shape.stratified || rows.some((r) => (r as { celltype?: string }).celltype !== undefined);
  if (mode !== "fixed") return { ...shape, stratified };
  return { bootstrap: rows.some((r) => (r as { p_DiD_boot?: number }).p_DiD_boot !== undefined), stratified };
}

/** A row's `error`, or "" (all is well) for a row without one. */
export function errorOf(row: Row): string {
  const r = row as { error?: unknown };
  return typeof r.error === "string" ? r.error : "";
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
