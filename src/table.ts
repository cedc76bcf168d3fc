// Long CSV/TSV tables (one row per cell or per participant-visit: design columns plus one
// numeric column per feature) exposed through the same DataSource interface as .h5ad files,
// so both enter buildFrame the same way. A table has no matrix: its features are its numeric
// columns (obs columns), and defaultFeatures() picks all numeric non-design columns.
import { parseDelimited, parseNumber, isNumeric, isMissingToken } from "./csv.js";
import { TrialmixInputError } from "./errors.js";
import { readRegularFile } from "./files.js";
import { utf8Strict, firstInvalidUtf8, hexBytes } from "./text.js";
import { readH5ad, type DataSource, type MatrixChunk, type MatrixInfo, type ObsColumn } from "./h5ad.js";

const BOOL_T = new Set(["true", "false"]);

/** Largest CSV/TSV table, read whole (V8's longest string is ~512 MiB; larger data belongs in an .h5ad, which is streamed). */
export const MAX_TABLE_BYTES = 512 * 2 ** 20;

/**
 * Infer a column's kind as pandas' read_csv would: bool (True/False), int, float, else string.
 * pandas' default NA tokens (NA, N/A, NaN, null, None, "", ...) are missing in every kind; a
 * number is decimal (0x10 is text, as in pandas, so its column is not numeric).
 */
function inferColumn(name: string, raw: string[]): ObsColumn {
  let nMissing = 0;
  let numeric = true;
  let integer = true;
  let bool = true;
  let any = false;
  for (const s of raw) {
    if (isMissingToken(s)) {
      nMissing++;
      continue;
    }
    any = true;
    const t = s.trim();
    if (bool && !BOOL_T.has(t.toLowerCase())) bool = false;
    if (numeric) {
      if (!isNumeric(t)) numeric = false;
      else if (!Number.isInteger(parseNumber(t))) integer = false;
    }
    if (!numeric && !bool) break;
  }
  if (any && bool) {
    const values = Float64Array.from(raw, (s) => (isMissingToken(s) ? NaN : s.trim().toLowerCase() === "true" ? 1 : 0));
    return { name, kind: "bool", values, nMissing };
  }
  if (any && numeric) {
    const values = Float64Array.from(raw, (s) => parseNumber(s));
    return { name, kind: integer && nMissing === 0 ? "int" : "float", values, nMissing };
  }
  const values = raw.map((s) => (isMissingToken(s) ? null : s));
  return { name, kind: "string", values, nMissing };
}

export class TableSource implements DataSource {
  readonly name: string;
  readonly obsColumns: string[];
  readonly nObs: number;
  readonly nVars = 0;
  readonly varNames: string[] = [];
  readonly layers: string[] = [];
  private raw: string[][];
  private index = new Map<string, number>(); // column name -> position (a lookup per column must not scan the header)
  private cache = new Map<string, ObsColumn>();

  /** `lines`: the line each row starts on (for messages); default: row i on line i + 2. */
  constructor(header: string[], rows: string[][], name = "<table>", lines?: number[]) {
    this.name = name;
    if (header.length === 0) throw new TrialmixInputError(`${name}: empty table (no header)`);
    header.forEach((h, j) => {
      if (this.index.has(h)) throw new TrialmixInputError(`${name}: duplicate column '${h}' in the header`);
      this.index.set(h, j);
    });
    rows.forEach((r, i) => {
      if (r.length !== header.length)
        throw new TrialmixInputError(`${name}: line ${lines?.[i] ?? i + 2} has ${r.length} fields, the header has ${header.length}`);
    });
    this.obsColumns = header.slice();
    this.nObs = rows.length;
    this.raw = rows;
  }

  get obsNames(): string[] {
    return Array.from({ length: this.nObs }, (_, i) => String(i));
  }

  obsColumn(name: string): ObsColumn {
    let c = this.cache.get(name);
    if (!c) {
      const j = this.index.get(name);
      if (j === undefined) throw new TrialmixInputError(`${this.name}: column '${name}' not found; available columns: ${this.obsColumns.join(", ")}`);
      c = inferColumn(
        name,
        this.raw.map((r) => r[j]),
      );
      this.cache.set(name, c);
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
    this.raw = [];
    this.cache.clear();
  }
}

/** Parse CSV/TSV text into a TableSource (sep: "," or "\t"). */
export function tableFromText(text: string, sep = ",", name = "<table>"): TableSource {
  let parsed;
  try {
    parsed = parseDelimited(text, sep);
  } catch (e) {
    if (e instanceof TrialmixInputError) throw new TrialmixInputError(`${name}: ${e.message}`);
    throw e;
  }
  return new TableSource(parsed.header, parsed.rows, name, parsed.lines);
}

/** CSV/TSV bytes (UTF-8, strictly: invalid bytes are an error naming the line and column) into a TableSource. */
export function tableFromBytes(bytes: Uint8Array, sep = ",", name = "<table>"): TableSource {
  const text = utf8Strict(bytes);
  if (text === null) throw invalidUtf8(bytes, sep, name);
  return tableFromText(text, sep, name);
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

/** Read a .csv / .tsv (.tab, .txt = tab) long table; `sep` (or opts.sep) overrides the extension. A regular file of at most 512 MiB. */
export function readTable(path: string, sepOrOpts: string | { sep?: string } = {}): TableSource {
  const opts = typeof sepOrOpts === "string" ? { sep: sepOrOpts } : sepOrOpts;
  const bytes = readRegularFile(path, MAX_TABLE_BYTES);
  return tableFromBytes(bytes, opts.sep ?? separatorFor(path), path);
}

/** Open an input for buildFrame: `.h5ad` / `.h5` via readH5ad, anything else as a CSV/TSV long table. */
export function openSource(path: string): DataSource {
  if (/\.h5(ad)?$/i.test(path)) return readH5ad(path);
  return readTable(path);
}
