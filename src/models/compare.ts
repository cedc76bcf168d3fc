// compare_fixed_vs_mixed: the fixed and mixed tables merged on feature.
import { AGREEMENT_ALPHA } from "../output/columns.js";

// a type, not an interface: rows are assignable to Record<string, unknown> (the output writers' row) without casts
export type CompareRow = {
  celltype?: string; // per-cell-type comparisons (--celltype): the row's cell type, first
  feature: string;
  beta_fixed: number;
  se_fixed: number;
  p_fixed: number;
  beta_mixed: number;
  se_mixed: number;
  p_mixed: number;
  icc: number;
  beta_diff: number;
  agreement: boolean;
  error: string; // why a side has no statistics ("fixed: ...; mixed: ..."); "" when both have them
};

/** The statistics of one side's row (fixed or mixed) that the comparison reads. */
interface Stat {
  feature: string;
  beta_DiD: number;
  se_DiD: number;
  p_DiD: number;
  error?: string;
}

/**
 * Outer merge on feature, keys in lexicographic order as pandas' merge(how="outer") gives them.
 * agreement: same significance at alpha and same sign (NaN compares unequal, so a NaN row disagrees).
 */
export function mergeFixedMixed(fixed: Stat[], mixed: (Stat & { icc: number })[]): CompareRow[] {
  const f = new Map(fixed.map((r) => [r.feature, r]));
  const m = new Map(mixed.map((r) => [r.feature, r]));
  const keys = [...new Set([...f.keys(), ...m.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((feature) => {
    const a = f.get(feature);
    const b = m.get(feature);
    const row: CompareRow = {
      feature,
      beta_fixed: a?.beta_DiD ?? NaN,
      se_fixed: a?.se_DiD ?? NaN,
      p_fixed: a?.p_DiD ?? NaN,
      beta_mixed: b?.beta_DiD ?? NaN,
      se_mixed: b?.se_DiD ?? NaN,
      p_mixed: b?.p_DiD ?? NaN,
      icc: b?.icc ?? NaN,
      beta_diff: NaN,
      agreement: false,
      error: [sideError("fixed", a), sideError("mixed", b)].filter((s) => s !== "").join("; "),
    };
    row.beta_diff = row.beta_fixed - row.beta_mixed;
    const sameSign = Math.sign(row.beta_fixed) === Math.sign(row.beta_mixed); // NaN === NaN is false, like numpy
    row.agreement = (row.p_fixed < AGREEMENT_ALPHA) === (row.p_mixed < AGREEMENT_ALPHA) && sameSign;
    return row;
  });
}

/**
 * The comparison of tables per cell type (rows carrying `celltype`): merged on feature within each cell type
 * the mixed scan fitted, in its order, each row led by its cell type (a cell type only the fixed table has
 * is left out: the mixed scan skipped it with a warning); without cell types, mergeFixedMixed.
 */
export function mergeByCelltype(fixed: (Stat & { celltype?: string })[], mixed: (Stat & { icc: number; celltype?: string })[]): CompareRow[] {
  if (!mixed.some((r) => r.celltype !== undefined)) return mergeFixedMixed(fixed, mixed);
  const types = [...new Set(mixed.map((r) => r.celltype!))];
  return types.flatMap((ct) =>
    mergeFixedMixed(
      fixed.filter((r) => r.celltype === ct),
      mixed.filter((r) => r.celltype === ct),
    ).map((r) => ({ celltype: ct, ...r })),
  );
}

/** "fixed: <why>" when that side's beta, se or p is missing (NaN, or no row for the feature); "" otherwise. */
function sideError(side: "fixed" | "mixed", r: Stat | undefined): string {
  if (r === undefined) return `${side}: not in the ${side} table`;
  if (Number.isFinite(r.beta_DiD) && Number.isFinite(r.se_DiD) && Number.isFinite(r.p_DiD)) return "";
  return `${side}: ${r.error || "no statistics"}`;
}
