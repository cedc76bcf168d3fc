// Delimited text in and out (RFC 4180 quoting). Used for long-table input, output tables and test references.
import { TrialmixInputError } from "./errors.js";

export interface Delimited {
  header: string[];
  rows: string[][];
  /** The line (1-based) each row starts on: rows may span lines (quoted newlines) and blank lines are skipped. */
  lines: number[];
}

/**
 * Parse CSV/TSV text; quoted fields may hold separators, quotes ("") and newlines. A quote left open
 * at the end of the text is an error naming the line it opened on (not a ragged-row count).
 */
export function parseDelimited(text: string, sep = ","): Delimited {
  const records: string[][] = [];
  const starts: number[] = [];
  const S = sep.charCodeAt(0);
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  let line = 1;
  let record: string[] = [];
  let recordLine = 1;
  while (i <= n) {
    // one field from i
    let field: string;
    const c0 = text.charCodeAt(i);
    if (c0 === 34 /* " */) {
      const opened = line;
      let parts = "";
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) throw new TrialmixInputError(`line ${opened}: unterminated quoted field (the '"' opened on line ${opened} is never closed)`);
        line += countBreaks(text, from, q);
        if (text.charCodeAt(q + 1) === 34) {
          parts += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        parts += text.slice(from, q);
        i = q + 1;
        break;
      }
      // text after the closing quote up to the separator is kept, as pandas does ("ab"c -> abc)
      let j = i;
      while (j < n && !isEnd(text.charCodeAt(j), S)) j++;
      field = parts + text.slice(i, j);
      i = j;
    } else {
      let j = i;
      while (j < n && !isEnd(text.charCodeAt(j), S)) j++;
      field = text.slice(i, j);
      i = j;
    }
    record.push(field);
    const c = i < n ? text.charCodeAt(i) : -1;
    if (c === S) {
      i++;
      continue;
    }
    // end of record: a line break or the end of the text
    if (!(record.length === 1 && record[0] === "")) {
      records.push(record);
      starts.push(recordLine);
    }
    record = [];
    if (c === 13 /* \r */ && text.charCodeAt(i + 1) === 10) i++;
    i++;
    line++;
    recordLine = line;
  }
  const header = records.shift() ?? [];
  starts.shift();
  return { header, rows: records, lines: starts };
}

function isEnd(c: number, sep: number): boolean {
  return c === sep || c === 10 || c === 13;
}

/** Line breaks (\n, \r\n or a lone \r) in text[from, to). */
function countBreaks(text: string, from: number, to: number): number {
  let k = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) k++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) k++;
  }
  return k;
}

/** pandas' default missing-value tokens (read_csv's na_values): these cells are missing in every column kind. */
export const NA_TOKENS: ReadonlySet<string> = new Set([
  "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
  "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]);

/** A missing cell: one of pandas' NA tokens (surrounding spaces ignored). */
export function isMissingToken(s: string): boolean {
  return NA_TOKENS.has(s) || NA_TOKENS.has(s.trim());
}

// Decimal numbers as pandas' C parser reads them: no hex (0x10), octal, binary or digit separators.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITE = /^([+-]?)(?:inf|infinity)$/i;

/** True when the text is a number pandas would read as one (decimal or inf/infinity, either sign). */
export function isNumberText(t: string): boolean {
  return DECIMAL.test(t) || INFINITE.test(t);
}

/** A numeric cell: NA tokens are missing (NaN); a decimal number or inf/infinity is its value; anything else NaN. */
export function parseNumber(s: string): number {
  const t = s.trim();
  if (NA_TOKENS.has(t)) return NaN;
  if (DECIMAL.test(t)) return Number(t);
  const inf = INFINITE.exec(t);
  if (inf) return inf[1] === "-" ? -Infinity : Infinity;
  return NaN;
}

/** True when a text cell is a number, so that a column of them is numeric (parseNumber's grammar, NA aside). */
export function isNumeric(s: string): boolean {
  return isNumberText(s.trim());
}

function quoteField(v: string, sep: string): string {
  return v.includes(sep) || v.includes('"') || v.includes("\n") || v.includes("\r")
    ? `"${v.replace(/"/g, '""')}"`
    : v;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Text that a spreadsheet would evaluate as a formula (a cell beginning with =, +, -, @, tab or
 * carriage return) gets a leading apostrophe, OWASP's CSV-injection convention; text that is a
 * number (-1.5, +2e-3) is left as it is.
 */
export function spreadsheetSafe(s: string): string {
  return FORMULA_START.test(s) && !isNumberText(s.trim()) ? `'${s}` : s;
}

/** Format a cell: numbers at full precision (round-trip), NaN as empty like pandas' to_csv. */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isNaN(v) ? "" : String(v);
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v);
}

/** The table as CSV/TSV text: what the CLI writes and the page downloads (text cells made spreadsheet-safe). */
export function formatDelimited(columns: string[], rows: Record<string, unknown>[], sep = ","): string {
  const lines = new Array<string>(rows.length + 1);
  lines[0] = columns.map((c) => quoteField(spreadsheetSafe(c), sep)).join(sep);
  const cells = new Array<string>(columns.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    for (let j = 0; j < columns.length; j++) {
      const v = r[columns[j]];
      // numbers never need quoting or escaping; only text is checked
      cells[j] = typeof v === "number" ? (v === v ? String(v) : "") : quoteField(spreadsheetSafe(formatCell(v)), sep);
    }
    lines[i + 1] = cells.join(sep); // one flat string per line: cheaper than growing it cell by cell
  }
  return lines.join("\n") + "\n";
}
