// Between select and pair: which cell types are analysed (--celltypes) and which participant-visits
// have too few cells to keep (--min-cells, counted in their cell type when stratified). Both act on
// the kept cells (sel.keep), so the pairing rule then sees only what is left.
import { TrialmixInputError } from "../errors.js";
import type { CellSelection } from "./select.js";

/** Keep only the cells of the named cell types; an unknown name is an input error naming those there are. */
export function keepCelltypes(sel: CellSelection, names: readonly string[], column: string): void {
  const ct = sel.ct;
  if (!ct) throw new TrialmixInputError("--celltypes needs a cell-type column (--celltype COL)");
  const missing = names.filter((n) => ct.code(n) < 0);
  if (missing.length)
    throw new TrialmixInputError(
      `cell type(s) not found in column '${column}': ${missing.slice(0, 5).join(", ")} (it has ${ct.labels.slice(0, 10).join(", ")}${ct.labels.length > 10 ? ", ..." : ""})`,
    );
  const want = new Uint8Array(ct.labels.length);
  for (const n of names) want[ct.code(n)] = 1;
  for (let i = 0; i < sel.keep.length; i++) if (sel.keep[i] && !want[ct.codes[i]]) sel.keep[i] = 0;
}

/**
 * Drop the cells of participant-visits (per cell type when stratified) with fewer than `minCells`
 * kept cells, with one warning per cell type (or one in all) naming what was dropped.
 */
export function dropSmallGroups(sel: CellSelection, minCells: number): void {
  if (minCells <= 1) return;
  const { part, vis, ct, keep } = sel;
  const nP = part.labels.length;
  const nV = vis.labels.length;
  const key = (i: number): number => ((ct ? ct.codes[i] : 0) * nP + part.codes[i]) * nV + vis.codes[i];
  const count = new Map<number, number>();
  for (let i = 0; i < keep.length; i++) if (keep[i]) count.set(key(i), (count.get(key(i)) ?? 0) + 1);
  const dropped = new Map<number, string[]>(); // cell-type code (0 unstratified) -> "P@visit(n)"
  for (const [k, n] of [...count.entries()].sort((a, b) => a[0] - b[0])) {
    if (n >= minCells) continue;
    const c = Math.floor(k / (nP * nV));
    const p = Math.floor(k / nV) % nP;
    const v = k % nV;
    let list = dropped.get(c);
    if (!list) dropped.set(c, (list = []));
    list.push(`${part.labels[p]}@${vis.labels[v]}(${n})`);
  }
  for (let i = 0; i < keep.length; i++) if (keep[i] && count.get(key(i))! < minCells) keep[i] = 0;
  const types = [...dropped.keys()].sort((a, b) => (ct ? cmp(ct.labels[a], ct.labels[b]) : 0));
  for (const c of types) {
    const list = dropped.get(c)!;
    const where = ct ? `cell type ${ct.labels[c]}: ` : "";
    sel.warnings.push(`${where}${list.length} participant-visit(s) with fewer than ${minCells} cells dropped (--min-cells): ${list.slice(0, 8).join(", ")}${list.length > 8 ? ", ..." : ""}`);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Which cell types have kept cells (by code); null when not stratified. */
export function typesKept(sel: CellSelection): Uint8Array | null {
  if (!sel.ct) return null;
  const has = new Uint8Array(sel.ct.labels.length);
  for (let i = 0; i < sel.keep.length; i++) if (sel.keep[i]) has[sel.ct.codes[i]] = 1;
  return has;
}

/** A warning for each cell type that had cells (`before`: typesKept) and has none left after --min-cells and pairing. */
export function warnEmptyStrata(sel: CellSelection, before: Uint8Array | null, visits: readonly string[]): void {
  const after = typesKept(sel);
  if (!before || !after || !sel.ct) return;
  const ct = sel.ct;
  const gone = ct.labels.map((_, c) => c).filter((c) => before[c] && !after[c]);
  for (const c of gone.sort((a, b) => cmp(ct.labels[a], ct.labels[b])))
    sel.warnings.push(`cell type ${ct.labels[c]}: no participant left with cells at ${visits.join(" and ")}: skipped`);
}
