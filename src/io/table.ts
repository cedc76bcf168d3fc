// Long CSV/TSV tables (one row per cell or per participant-visit: design columns plus one
// numeric column per feature) exposed through the same DataSource interface as .h5ad files,
// so both enter buildFrame the same way. A table has no matrix: its features are its numeric
// columns (obs columns), and defaultFeatures() picks the numeric non-design columns. Tables come
// from R and spreadsheets as often as from pandas: the separator (comma, semicolon, tab) is found
// from the header, a semicolon file may use decimal commas (write.csv2), a blank-named first column
// holds row names (write.csv), and design labels are the file's own text (labelColumn).
import { scanCells, cellNumber, cellNumberComma, decimalAt, isMissingToken, detectSeparator, separatorHint, firstLine, SEPARATORS } from "./csv.js";
import { TrialmixInputError } from "../errors.js";
import { readRegularFile } from "./files.js";
import { utf8Strict, firstInvalidUtf8, hexBytes } from "./text.js";
import { readH5ad } from "./h5ad/reader.js";
import type { DataSource, MatrixChunk, MatrixInfo, ObsColumn } from "./source.js";

const BOOL_T = new Set(["true", "false"]);

/** Largest CSV/TSV table, read whole (V8's longest string is ~512 MiB; larger data belongs in an .h5ad, which is streamed). */
export const MAX_TABLE_BYTES = 512 * 2 ** 20;

/**
 * A table's cells as positions in its text, row-major (`pos[2k]`, `pos[2k + 1]` for cell k = i x nCols
 * + j): no string per cell (a wide or long table has millions, and kept strings are what the garbage
 * collector spends its time on). A quoted cell is `-(q + 1)` into `quoted` (its unescaped text).
 */
export interface TableCells {
  text: string;
  nRows: number;
  pos: Int32Array;
  quoted: string[];
}

function cellText(c: TableCells, k: number): string {
  const a = c.pos[2 * k];
  return a < 0 ? c.quoted[-a - 1] : c.text.slice(a, c.pos[2 * k + 1]);
}

/**
 * Infer column j's kind as pandas' read_csv would: int, float, bool (True/False), else string.
 * pandas' default NA tokens (NA, N/A, NaN, null, None, "", ...) are missing in every kind; a
 * number is decimal (0x10 is text, as in pandas, so its column is not numeric); `comma`: ',' is a
 * decimal mark too (a semicolon-separated file, or --decimal ,).
 */
function inferColumn(name: string, c: TableCells, j: number, nCols: number, comma: boolean): ObsColumn {
  const n = c.nRows;
  const parse = comma ? cellNumberComma : cellNumber;
  const values = new Float64Array(n);
  let nMissing = 0;
  let integer = true;
  let numeric = true;
  for (let i = 0, k = j; i < n; i++, k += nCols) {
    const a = c.pos[2 * k];
    let x = a >= 0 ? decimalAt(c.text, a, c.pos[2 * k + 1], comma) : undefined;
    if (x === undefined) x = parse(cellText(c, k));
    if (x === undefined) {
      numeric = false;
      break;
    }
    if (x !== x) nMissing++;
    else if (integer && !Number.isInteger(x)) integer = false;
    values[i] = x;
  }
  if (numeric && nMissing < n) return { name, kind: integer && nMissing === 0 ? "int" : "float", values, nMissing };
  const strs = new Array<string | null>(n);
  nMissing = 0;
  let bool = true;
  for (let i = 0, k = j; i < n; i++, k += nCols) {
    const s = cellText(c, k);
    if (isMissingToken(s)) {
      strs[i] = null;
      values[i] = NaN;
      nMissing++;
    } else {
      strs[i] = s;
      const t = s.trim().toLowerCase();
      if (bool && BOOL_T.has(t)) values[i] = t === "true" ? 1 : 0;
      else bool = false;
    }
  }
  if (bool && nMissing < n) return { name, kind: "bool", values, nMissing };
  return { name, kind: "string", values: strs, nMissing };
}

/** How a table's text is read: its separator and decimal mark. */
export interface TableFormat {
  /** ",", ";", "\t" (or "tab"), or "auto" (the default): the one that splits the header into the most fields. */
  sep?: string;
  /** "." , "," or "auto" (the default): ',' is a decimal mark in semicolon-separated files. '.' always is. */
  decimal?: string;
}

export class TableSource implements DataSource {
  readonly name: string;
  readonly obsColumns: string[];
  readonly nObs: number;
  readonly nVars = 0;
  readonly varNames: string[] = [];
  readonly layers: string[] = [];
  /** The separator the table was read with. */
  readonly sep: string;
  /** True when ',' was read as a decimal mark. */
  readonly decimalComma: boolean;
  /** True when the first column had a blank name (R's write.csv row names): row names, not a column. */
  readonly rowNames: boolean;
  private cells: TableCells;
  private width: number; // cells per row, the row-name column included
  private index = new Map<string, number>(); // column name -> position (a lookup per column must not scan the header)
  private cache = new Map<string, ObsColumn>();
  private labels = new Map<string, ObsColumn>();

  constructor(header: string[], cells: TableCells, name = "<table>", format: { sep?: string; decimalComma?: boolean } = {}) {
    this.name = name;
    if (header.length === 0) throw new TrialmixInputError(`${name}: empty table (no header)`);
    this.rowNames = header.length > 1 && header[0] === "";
    header.forEach((h, j) => {
      if (j === 0 && this.rowNames) return;
      if (this.index.has(h)) throw new TrialmixInputError(`${name}: duplicate column '${h}' in the header`);
      this.index.set(h, j);
    });
    this.obsColumns = header.slice(this.rowNames ? 1 : 0);
    this.width = header.length;
    this.nObs = cells.nRows;
    this.cells = cells;
    this.sep = format.sep ?? ",";
    this.decimalComma = format.decimalComma ?? false;
  }

  /** The row names (a blank-named first column), else the row numbers from 0. */
  get obsNames(): string[] {
    if (this.rowNames) return Array.from({ length: this.nObs }, (_, i) => cellText(this.cells, i * this.width));
    return Array.from({ length: this.nObs }, (_, i) => String(i));
  }

  private position(name: string): number {
    const j = this.index.get(name);
    if (j === undefined) throw new TrialmixInputError(`${this.name}: column '${name}' not found; available columns: ${this.obsColumns.join(", ")}`);
    return j;
  }

  obsColumn(name: string): ObsColumn {
    let c = this.cache.get(name);
    if (!c) {
      c = inferColumn(name, this.cells, this.position(name), this.width, this.decimalComma);
      this.cache.set(name, c);
    }
    return c;
  }

  /**
   * A column as the file's text (missing tokens as null), whatever its cells look like: design
   * labels are what the file says (R's TRUE stays TRUE, a visit 21.0 stays 21.0), so --treated TRUE
   * and --visits 0.0,21.0 find them.
   */
  labelColumn(name: string): ObsColumn {
    let c = this.labels.get(name);
    if (!c) {
      const j = this.position(name);
      const n = this.nObs;
      const values = new Array<string | null>(n);
      let nMissing = 0;
      for (let i = 0, k = j; i < n; i++, k += this.width) {
        const s = cellText(this.cells, k);
        if (isMissingToken(s)) {
          values[i] = null;
          nMissing++;
        } else values[i] = s;
      }
      c = { name, kind: "string", values, nMissing };
      this.labels.set(name, c);
    }
    return c;
  }

  matrixInfo(): MatrixInfo {
    throw new TrialmixInputError(`${this.name}: a table has no expression matrix; features are its numeric columns`);
  }

  *rowChunks(): Generator<MatrixChunk> {
    /* no matrix */
  }

  close(): void {
    this.cells = { text: "", nRows: 0, pos: new Int32Array(0), quoted: [] };
    this.cache.clear();
    this.labels.clear();
  }
}

/** The separator and decimal mark to read a text with: given, or found from its header (`fallback` when none splits it). */
export function tableFormat(text: string, format: TableFormat, fallback = ","): { sep: string; decimalComma: boolean } {
  const given = format.sep ?? "auto";
  const sep = given === "auto" ? detectSeparator(text, fallback) : given === "\t" ? "\t" : SEPARATORS[given];
  if (sep === undefined) throw new TrialmixInputError(`sep (--sep) expects one of auto, ',', ';' or tab, got '${given}'`);
  const dec = format.decimal ?? "auto";
  if (dec !== "auto" && dec !== "." && dec !== ",") throw new TrialmixInputError(`decimal (--decimal) expects one of auto, '.' or ',', got '${dec}'`);
  return { sep, decimalComma: dec === "," || (dec === "auto" && sep === ";") };
}

/** Physical line n (1-based) of a text, without its line break. */
function lineAt(text: string, n: number): string {
  let a = 0;
  for (let k = 1; k < n && a >= 0; k++) {
    const nl = text.indexOf("\n", a);
    a = nl < 0 ? -1 : nl + 1;
  }
  if (a < 0) return "";
  const nl = text.indexOf("\n", a);
  return text.slice(a, nl < 0 ? text.length : nl).replace(/\r$/, "");
}

/** A row with another number of fields than the header: the counts, and the separator to try when another one explains it. */
function raggedRow(text: string, sep: string, line: number, count: number, width: number): TrialmixInputError {
  const hint = separatorHint(firstLine(text), sep, lineAt(text, line));
  return new TrialmixInputError(`line ${line} has ${count} fields, the header has ${width}${hint ? `: ${hint}` : ""}`);
}

/**
 * Parse CSV/TSV text into a TableSource; cells are kept as positions in the text. `format`: a
 * separator (",", ";", "\t") or { sep, decimal } (TableFormat; the separator is found from the header by default).
 */
export function tableFromText(text: string, format: string | TableFormat = {}, name = "<table>", fallback = ","): TableSource {
  const { sep, decimalComma } = tableFormat(text, typeof format === "string" ? { sep: format } : format, fallback);
  let header: string[] | null = null;
  let pending: string[] = []; // the header's cells until the first record ends
  let pos = new Int32Array(1 << 12);
  let len = 0;
  let start = 0; // where the current record's cells begin in pos
  const quoted: string[] = [];
  let nRows = 0;
  const push = (a: number, b: number): void => {
    if (len + 2 > pos.length) {
      const bigger = new Int32Array(pos.length * 2);
      bigger.set(pos);
      pos = bigger;
    }
    pos[len++] = a;
    pos[len++] = b;
  };
  try {
    scanCells(text, sep, {
      cell: (a, b) => (header === null ? void pending.push(text.slice(a, b)) : push(a, b)),
      quoted: (v) => {
        if (header === null) pending.push(v);
        else {
          quoted.push(v);
          push(-quoted.length, 0);
        }
      },
      end: (count, line, blank) => {
        if (header === null) {
          if (!blank) header = pending;
          pending = [];
          return;
        }
        if (blank) len = start;
        else if (count !== header.length) throw raggedRow(text, sep, line, count, header.length);
        else nRows++;
        start = len;
      },
    });
  } catch (e) {
    if (e instanceof TrialmixInputError) throw new TrialmixInputError(`${name}: ${e.message}`);
    throw e;
  }
  const h = (header ?? []) as string[];
  if (h.length === 1) {
    const hint = separatorHint(h[0], sep);
    if (hint) throw new TrialmixInputError(`${name}: the header is one column ('${h[0].length > 60 ? h[0].slice(0, 60) + "..." : h[0]}'): ${hint}`);
  }
  return new TableSource(h, { text, nRows, pos: pos.subarray(0, len), quoted }, name, { sep, decimalComma });
}

/** CSV/TSV bytes (UTF-8, strictly: invalid bytes are an error naming the line and column) into a TableSource. */
export function tableFromBytes(bytes: Uint8Array, format: string | TableFormat = {}, name = "<table>", fallback = ","): TableSource {
  const text = utf8Strict(bytes);
  if (text === null) {
    const given = typeof format === "string" ? format : format.sep;
    const sep = given === undefined || given === "auto" ? detectSeparator(new TextDecoder().decode(bytes.subarray(0, 1 << 16)), fallback) : given === "tab" ? "\t" : given;
    throw invalidUtf8(bytes, sep, name);
  }
  return tableFromText(text, format, name, fallback);
}

/** Where the first invalid byte is: its line, and the column by the header (separators counted, quotes ignored). */
function invalidUtf8(bytes: Uint8Array, sep: string, name: string): TrialmixInputError {
  const at = Math.max(0, firstInvalidUtf8(bytes));
  let line = 1;
  let start = 0;
  for (let i = 0; i < at; i++)
    if (bytes[i] === 10) {
      line++;
      start = i + 1;
    }
  const s = sep.charCodeAt(0);
  let field = 0;
  for (let i = start; i < at; i++) if (bytes[i] === s) field++;
  const nl = bytes.indexOf(10);
  const header = new TextDecoder().decode(bytes.subarray(0, nl < 0 ? bytes.length : nl)).replace(/\r$/, "").split(sep);
  const col = line === 1 ? "the header" : header[field] !== undefined ? `column '${header[field].replace(/^"|"$/g, "")}'` : `field ${field + 1}`;
  return new TrialmixInputError(
    `${name}: line ${line}, ${col}: invalid UTF-8 (bytes ${hexBytes(bytes, at)}); text must be UTF-8 (re-save the file as UTF-8, e.g. iconv -f latin1 -t utf-8)`,
  );
}

/** The separator a file name implies: tab for .tsv/.tab/.txt, else comma. */
export function separatorFor(name: string): string {
  return /\.(tsv|tab|txt)$/i.test(name) ? "\t" : ",";
}

/**
 * Read a .csv / .tsv long table, a regular file of at most 512 MiB. The separator is found from the
 * header (comma, semicolon or tab; the extension's when none splits it: tab for .tsv/.tab/.txt) unless
 * `format` (a separator, or { sep, decimal }) names it.
 */
export function readTable(path: string, format: string | TableFormat = {}): TableSource {
  const bytes = readRegularFile(path, MAX_TABLE_BYTES);
  return tableFromBytes(bytes, format, path, separatorFor(path));
}

/** Open an input for buildFrame: `.h5ad` / `.h5` via readH5ad, anything else as a CSV/TSV long table (read with `format`). */
export function openSource(path: string, format: TableFormat = {}): DataSource {
  if (/\.h5(ad)?$/i.test(path)) return readH5ad(path);
  return readTable(path, format);
}
