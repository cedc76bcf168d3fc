// What `trialmix inspect` reports about an .h5ad file: the --json object and its text form.
import type { DataSource, MatrixEncoding, ObsKind } from "../source.js";

/** The `trialmix inspect --json` object. */
export interface InspectResult {
  n_obs: number;
  n_vars: number;
  X: { encoding: MatrixEncoding; dtype: string } | null;
  /** adata.raw (`--layer raw`): its shape, storage and var columns; null when the file has none. */
  raw: RawSummary | null;
  layers: string[];
  var_names_head: string[];
  /** The var dataframe's columns (not the index), in the file's order. */
  var_columns: string[];
  obs: Record<string, { type: ObsKind; ordered?: boolean; categories?: string[]; n_missing: number }>;
}

export interface RawSummary {
  shape: [number, number];
  encoding: MatrixEncoding;
  dtype: string;
  var_columns: string[];
}

/** An open file to inspect: a DataSource that can say whether it has an X, its var columns and its raw. */
export interface Inspectable extends DataSource {
  has(path: string): boolean;
  readonly varColumns: string[];
  rawSummary(): RawSummary | null;
}

/** Summarise an open file: shape, X's encoding, layers, the first var names, every obs column's type and missing values. */
export function inspectSource(ad: Inspectable): InspectResult {
  let X: InspectResult["X"] = null;
  if (ad.has("X")) {
    const mi = ad.matrixInfo();
    X = { encoding: mi.encoding, dtype: mi.dtype };
  }
  const obs: InspectResult["obs"] = {};
  for (const c of ad.obsColumns) {
    const col = ad.obsColumn(c);
    obs[c] =
      col.kind === "categorical"
        ? { type: col.kind, ordered: col.ordered ?? false, categories: col.categories ?? [], n_missing: col.nMissing }
        : { type: col.kind, n_missing: col.nMissing };
  }
  return {
    n_obs: ad.nObs,
    n_vars: ad.nVars,
    X,
    raw: ad.rawSummary(),
    layers: ad.layers,
    var_names_head: ad.varNames.slice(0, 10),
    var_columns: ad.varColumns,
    obs,
  };
}

/** Human-readable version of inspectSource's result (the raw and var-columns lines only when there is something to show). */
export function formatInspect(r: InspectResult): string {
  const lines: string[] = [];
  lines.push(`AnnData: ${r.n_obs} cells (obs) x ${r.n_vars} features (var)`);
  lines.push(`X: ${r.X ? `${r.X.encoding}, ${r.X.dtype}` : "none"}`);
  if (r.raw) {
    const rc = r.raw.var_columns;
    lines.push(`raw: ${r.raw.shape[0]} cells x ${r.raw.shape[1]} features, ${r.raw.encoding}, ${r.raw.dtype} (--layer raw)${rc.length ? `; raw var columns: ${rc.join(", ")}` : ""}`);
  }
  lines.push(`layers: ${r.layers.length ? r.layers.join(", ") : "none"}`);
  lines.push(`var names: ${r.var_names_head.join(", ")}${r.n_vars > r.var_names_head.length ? ", ..." : ""}`);
  if (r.var_columns?.length) lines.push(`var columns (${r.var_columns.length}): ${r.var_columns.join(", ")}`);
  lines.push(`obs columns (${Object.keys(r.obs).length}):`);
  const names = Object.keys(r.obs);
  const w = Math.max(0, ...names.map((n) => n.length));
  for (const n of names) lines.push(`  ${n.padEnd(w)}  ${describeColumn(r.obs[n])}`);
  return lines.join("\n") + "\n";
}

/** One obs column's line: its type, a categorical's levels (the first 8), its missing values. */
function describeColumn(c: InspectResult["obs"][string]): string {
  let desc: string = c.type;
  if (c.type === "categorical") {
    const cats = c.categories ?? [];
    const shown = cats.slice(0, 8).join(", ") + (cats.length > 8 ? `, ... (${cats.length} levels)` : "");
    desc += `${c.ordered ? " (ordered)" : ""} [${shown}]`;
  }
  if (c.n_missing > 0) desc += `, ${c.n_missing} missing`;
  return desc;
}
