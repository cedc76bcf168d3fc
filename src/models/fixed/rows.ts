// The rows of a fixed-effects table: the row type, its columns, the row without statistics, and
// the order and FDR of a table.
import { applyFdr } from "../../stats/fdr.js";
import { FIXED_COLUMNS, FIXED_BOOT_COLUMNS } from "../../output/columns.js";
import { columnNames, shapeOfRows } from "../../output/schema.js";

export { FIXED_COLUMNS, FIXED_BOOT_COLUMNS };

// a type, not an interface: rows are assignable to Record<string, unknown> (the output writers' row) without casts
export type FixedRow = {
  celltype?: string;
  feature: string;
  beta_DiD: number;
  se_DiD: number;
  p_DiD: number;
  beta_time: number;
  p_time: number;
  n_units: number;
  resid_sd: number;
  cov_type_used: "cluster" | "nonrobust" | "";
  p_DiD_boot?: number;
  se_DiD_boot?: number;
  ci_lo_boot?: number;
  ci_hi_boot?: number;
  FDR_DiD: number;
  FDR_DiD_stratified?: number;
  error: string; // why the row has no statistics; "" when fitted
};

/**
 * Column order of a fixed table without `error` (the seed's did_table): from the options, or from the rows
 * themselves (bootstrap columns when a row has p_DiD_boot; celltype and FDR_DiD_stratified when rows carry a
 * cell type). The order is the row schema's (src/output/schema.ts).
 */
export function fixedColumns(
  arg: readonly FixedRow[] | { useBootstrap?: boolean; stratified?: boolean } = {},
): string[] {
  const shape = isRows(arg) ? shapeOfRows("fixed", arg) : { bootstrap: arg.useBootstrap, stratified: arg.stratified };
  return columnNames("fixed", shape).filter((k) => k !== "error");
}

function isRows(arg: readonly FixedRow[] | object): arg is readonly FixedRow[] {
  return Array.isArray(arg);
}

/** A row without statistics (NaN), saying why in `error`. */
export function nanRow(feature: string, nUnits: number, boot: boolean, error: string): FixedRow {
  const row: FixedRow = {
    feature,
    beta_DiD: NaN,
    se_DiD: NaN,
    p_DiD: NaN,
    beta_time: NaN,
    p_time: NaN,
    n_units: nUnits,
    resid_sd: NaN,
    cov_type_used: "",
    FDR_DiD: NaN,
    error,
  };
  if (boot) Object.assign(row, { p_DiD_boot: NaN, se_DiD_boot: NaN, ci_lo_boot: NaN, ci_hi_boot: NaN });
  return row;
}

/** Sort by p_DiD ascending, NaN last, stable; then BH FDR over the finite p-values. */
export function sortAndFdr(rows: FixedRow[]): FixedRow[] {
  const order = rows.map((_, i) => i);
  order.sort((a, b) => {
    const pa = rows[a].p_DiD;
    const pb = rows[b].p_DiD;
    const na = Number.isNaN(pa);
    const nb = Number.isNaN(pb);
    if (na || nb) return na === nb ? a - b : na ? 1 : -1;
    return pa - pb || a - b;
  });
  const out = order.map((i) => rows[i]);
  const fdr = applyFdr(out.map((r) => r.p_DiD));
  out.forEach((r, i) => (r.FDR_DiD = fdr[i]));
  return out;
}
