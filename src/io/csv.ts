// Delimited text in and out (RFC 4180 quoting). Used for long-table input, output tables and test references.
import { TrialmixInputError } from "../errors.js";

export interface Delimited {
  header: string[];
  rows: string[][];
  /** The line (1-based) each row starts on: rows may span lines (quoted newlines) and blank lines are skipped. */
  lines: number[];
}

/** What scanCells reports: cells as positions in the text (no string per cell), quoted cells unescaped. */
export interface CellSink {
  /** An unquoted cell: text[start, end). */
  cell(start: number, end: number): void;
  /** A quoted cell, unescaped. */
  quoted(value: string): void;
  /** The end of a record of `count` cells that started on `line`; `blank`: a blank line (one empty cell), to be dropped. */
  end(count: number, line: number, blank: boolean): void;
}

/**
 * Scan CSV/TSV text cell by cell. Quoted fields may hold separators, quotes ("") and newlines; text
 * after a closing quote is kept, as pandas does ("ab"c -> abc). A quote left open at the end of the
 * text is an error naming the line it opened on (not a ragged-row count further on).
 */
export function scanCells(text: string, sep: string, sink: CellSink): void {
  const S = sep.charCodeAt(0);
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  let line = 1;
  let recordLine = 1;
  let count = 0;
  while (i <= n) {
    let empty: boolean;
    if (text.charCodeAt(i) === 34 /* " */) {
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
      let j = i;
      while (j < n && !isEnd(text.charCodeAt(j), S)) j++;
      const v = parts + text.slice(i, j);
      sink.quoted(v);
      empty = v === "";
      i = j;
    } else {
      let j = i;
      while (j < n && !isEnd(text.charCodeAt(j), S)) j++;
      sink.cell(i, j);
      empty = j === i;
      i = j;
    }
    count++;
    const c = i < n ? text.charCodeAt(i) : -1;
    if (c === S) {
      i++;
      continue;
    }
    // end of record: a line break or the end of the text
    sink.end(count, recordLine, count === 1 && empty);
    count = 0;
    if (c === 13 /* \r */ && text.charCodeAt(i + 1) === 10) i++;
    i++;
    line++;
    recordLine = line;
  }
}

/** Parse CSV/TSV text into its header and rows (scanCells' grammar; blank lines skipped). */
export function parseDelimited(text: string, sep = ","): Delimited {
  let header: string[] | null = null;
  const rows: string[][] = [];
  const lines: number[] = [];
  let fields: string[] = [];
  scanCells(text, sep, {
    cell: (a, b) => void fields.push(text.slice(a, b)),
    quoted: (v) => void fields.push(v),
    end: (_count, line, blank) => {
      if (!blank) {
        if (header === null) header = fields;
        else {
          rows.push(fields);
          lines.push(line);
        }
      }
      fields = [];
    },
  });
  return { header: header ?? [], rows, lines };
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The decimal number in text[a, b) without making a string (tables have millions of cells): NaN for
 * an empty cell; undefined for anything but plain decimal notation with at most 15 significant
 * digits and a power of ten up to 22 (then cellNumber decides); `comma`: ',' is a decimal mark as well as '.'
 * (write.csv2's 0,5). Exact: an integer below 2^53 times or
 * divided by an exactly representable power of ten is one correctly rounded operation (Clinger's fast path).
 */
export function decimalAt(text: string, a: number, b: number, comma = false): number | undefined {
  if (a >= b) return NaN;
  let i = a;
  let c = text.charCodeAt(i);
  const neg = c === 45;
  if (neg || c === 43) i++;
  let m = 0;
  let digits = 0;
  let frac = 0;
  let any = false;
  while (i < b && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
    if (m !== 0 || c !== 48) digits++;
    m = m * 10 + (c - 48);
    any = true;
    i++;
  }
  if (i < b && (c === 46 || (comma && c === 44))) {
    i++;
    while (i < b && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
      if (m !== 0 || c !== 48) digits++;
      m = m * 10 + (c - 48);
      frac++;
      any = true;
      i++;
    }
  }
  if (!any || digits > 15) return undefined;
  let e = 0;
  if (i < b && (c === 101 || c === 69)) {
    i++;
    c = text.charCodeAt(i);
    const eneg = c === 45;
    if (eneg || c === 43) i++;
    const e0 = i;
    while (i < b && (c = text.charCodeAt(i)) >= 48 && c <= 57 && i - e0 < 4) {
      e = e * 10 + (c - 48);
      i++;
    }
    if (i === e0) return undefined;
    if (eneg) e = -e;
  }
  if (i !== b) return undefined;
  const p = e - frac;
  const x = p === 0 ? m : p > 0 && p <= 22 ? m * POW10[p] : p < 0 && p >= -22 ? m / POW10[-p] : undefined;
  return x === undefined ? undefined : neg ? -x : x;
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

const INFINITE = /^([+-]?)(?:inf|infinity)$/i;

/**
 * A cell as a number in one step, as pandas' C parser reads it (fast: tables have millions of cells):
 * the value, NaN for a missing cell (an NA token or blank), or undefined for text. Number() does the
 * parsing (decimal notation and [+-]Infinity); what it reads that pandas does not (0x10, 0o7, 0b1)
 * is text, and inf / infinity in any case are infinite.
 */
export function cellNumber(s: string): number | undefined {
  const x = Number(s);
  if (x === x) {
    // Number() reads "" and blanks as 0, and 0x10 / 0o7 / 0b1 as numbers: pandas reads them as missing / text
    const c0 = s.charCodeAt(0);
    if (c0 <= 32 || s.charCodeAt(s.length - 1) <= 32 || s.length === 0) {
      const t = s.trim();
      if (t === "") return NaN;
      if (t.length > 1 && t.charCodeAt(0) === 48 && /[xob]/i.test(t[1])) return undefined;
    } else if (c0 === 48 && s.length > 1 && /[xob]/i.test(s[1])) return undefined;
    return x;
  }
  const t = s.trim();
  if (NA_TOKENS.has(t)) return NaN;
  const inf = INFINITE.exec(t);
  return inf ? (inf[1] === "-" ? -Infinity : Infinity) : undefined;
}

/**
 * cellNumber where ',' may be the decimal mark (write.csv2, Excel in many locales): a cell with one
 * ',' and no '.' is read with the ',' as a '.'; no thousands separators are read (1.234,5 is text).
 */
export function cellNumberComma(s: string): number | undefined {
  const k = s.indexOf(",");
  if (k < 0 || s.indexOf(",", k + 1) >= 0 || s.includes(".")) return cellNumber(s);
  return cellNumber(s.slice(0, k) + "." + s.slice(k + 1));
}

/** The separators a table may use, as --sep names them. */
export const SEPARATORS: Readonly<Record<string, string>> = { ",": ",", ";": ";", tab: "\t" };

/** How messages name a separator. */
export function separatorName(sep: string): string {
  return sep === "\t" ? "tab" : sep === ";" ? "semicolon" : sep === "," ? "comma" : `'${sep}'`;
}

/** How --sep names a separator. */
export function separatorFlag(sep: string): string {
  return sep === "\t" ? "tab" : `'${sep}'`;
}

/**
 * Fields of a text's first non-blank line for each candidate separator (separators inside quotes are
 * not counted): the header decides, since column names rarely hold separators while cells (decimal
 * commas, free text) may.
 */
export function headerFieldCounts(text: string, line = firstLine(text)): Map<string, number> {
  const out = new Map<string, number>();
  for (const sep of Object.values(SEPARATORS)) {
    let n = 1;
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '"') quoted = !quoted;
      else if (c === sep && !quoted) n++;
    }
    out.set(sep, n);
  }
  return out;
}

/** The first non-blank line of a text (a byte-order mark dropped). */
export function firstLine(text: string): string {
  let a = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    const nl = text.indexOf("\n", a);
    const line = text.slice(a, nl < 0 ? text.length : nl).replace(/\r$/, "");
    if (line.trim() !== "" || nl < 0) return line;
    a = nl + 1;
  }
}

/**
 * The separator of a delimited text: of comma, semicolon and tab, the one that splits the header
 * into the most fields; `fallback` (the file name's: tab for .tsv) when none splits it or on a tie
 * that includes it (a one-column header).
 */
export function detectSeparator(text: string, fallback = ","): string {
  const counts = headerFieldCounts(text);
  const best = Math.max(...counts.values());
  if (best <= 1 || counts.get(fallback) === best) return fallback;
  return [...counts].find(([, n]) => n === best)![0];
}

/**
 * A hint for a table that does not parse with `sep`: another separator that splits the header and the
 * offending line (when given) into the same number of fields (more than one), as a `--sep` to try; "" when none does.
 */
export function separatorHint(header: string, sep: string, line?: string): string {
  const h = headerFieldCounts(header, header);
  const l = line === undefined ? h : headerFieldCounts(line, line);
  for (const [other, n] of h)
    if (other !== sep && n > 1 && l.get(other) === n) return `is the file ${separatorName(other)}-separated? try --sep ${separatorFlag(other)}`;
  return "";
}

/** A numeric cell (cellNumber's grammar on the trimmed text): NA tokens and text are NaN. */
export function parseNumber(s: string): number {
  return cellNumber(s.trim()) ?? NaN;
}

/** True when the text is a number pandas would read as one (decimal or inf/infinity, either sign). */
function isNumberText(t: string): boolean {
  const x = cellNumber(t);
  return x !== undefined && x === x;
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
function formatCell(v: unknown): string {
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
