// A table as the text of an output file (Node): CSV, TSV or JSON, chosen by the file's extension.
import { extname } from "node:path";
import { formatDelimited } from "../io/csv.js";

export type OutputFormat = "csv" | "tsv" | "json";

/** The format an output path names (.csv, .tsv or .txt, .json); stdout (no path) is CSV; null for another extension. */
export function formatOf(path: string | undefined): OutputFormat | null {
  if (path === undefined) return "csv";
  const ext = extname(path).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".tsv" || ext === ".txt") return "tsv";
  return ext === ".csv" ? "csv" : null;
}

/** JSON has no NaN or Infinity: a number that is not finite is null. */
function jsonValue(v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

/** The rows as text: the columns in order (JSON: one object per row, keys in column order). */
export function renderTable(columns: readonly string[], rows: readonly Record<string, unknown>[], format: OutputFormat): string {
  if (format === "json") return JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c) => [c, jsonValue(r[c])]))), null, 1) + "\n";
  return formatDelimited([...columns], rows as Record<string, unknown>[], format === "tsv" ? "\t" : ",");
}
