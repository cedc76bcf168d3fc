// Long CSV/TSV tables (one row per cell or per participant-visit: design columns plus one
// numeric column per feature) exposed through the same DataSource interface as .h5ad files,
// so both enter buildFrame the same way. A table has no matrix: its features are its numeric
// columns (obs columns), and defaultFeatures() picks all numeric non-design columns.
import { readFileSync } from "node:fs";
import { parseDelimited, parseNumber } from "./csv.js";
import { TrialmixInputError } from "./errors.js";
import { readH5ad, type DataSource, type MatrixChunk, type MatrixInfo, type ObsColumn } from "./h5ad.js";

const BOOL_T = new Set(["true", "false"]);

function isMissing(s: string): boolean {
  const t = s.trim();
  return t === "" || t === "NA" || t === "NaN" || t === "nan";
}

/** Infer a column's kind as pandas' read_csv would: bool (True/False), int, float, else string. */
function inferColumn(name: string, raw: string[]): ObsColumn {
  let nMissing = 0;
  let numeric = true;
  let integer = true;
  let bool = true;
  let any = false;
  for (const s of raw) {
    if (isMissing(s)) {
      nMissing++;
      continue;
    }
    any = true;
    const t = s.trim();
    if (bool && !BOOL_T.has(t.toLowerCase())) bool = false;
    if (numeric) {
      const x = parseNumber(t);
      if (Number.isNaN(x)) numeric = false;
      else if (!Number.isInteger(x)) integer = false;
    }
    if (!numeric && !bool) break;
  }
  if (any && bool) {
    const values = Float64Array.from(raw, (s) => (isMissing(s) ? NaN : s.trim().toLowerCase() === "true" ? 1 : 0));
    return { name, kind: "bool", values, nMissing };
  }
  if (any && numeric) {
    const values = Float64Array.from(raw, (s) => parseNumber(s));
    return { name, kind: integer && nMissing === 0 ? "int" : "float", values, nMissing };
  }
  const values = raw.map((s) => (s === "" ? null : s));
  return { name, kind: "string", values, nMissing: values.filter((v) => v === null).length };
}

export class TableSource implements DataSource {
  readonly name: string;
  readonly obsColumns: string[];
  readonly nObs: number;
  readonly nVars = 0;
  readonly varNames: string[] = [];
  readonly layers: string[] = [];
  private raw: string[][];
  private cache = new Map<string, ObsColumn>();

  constructor(header: string[], rows: string[][], name = "<table>") {
    this.name = name;
    const seen = new Set<string>();
    for (const h of header) {
      if (seen.has(h)) throw new TrialmixInputError(`${name}: duplicate column '${h}' in the header`);
      seen.add(h);
    }
    if (header.length === 0) throw new TrialmixInputError(`${name}: empty table (no header)`);
    rows.forEach((r, i) => {
      if (r.length !== header.length)
        throw new TrialmixInputError(`${name}: line ${i + 2} has ${r.length} fields, the header has ${header.length}`);
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
      const j = this.obsColumns.indexOf(name);
      if (j < 0) throw new TrialmixInputError(`${this.name}: column '${name}' not found; available columns: ${this.obsColumns.join(", ")}`);
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
  const { header, rows } = parseDelimited(text, sep);
  return new TableSource(header, rows, name);
}

/** Read a .csv / .tsv (.tab, .txt = tab) long table; `sep` (or opts.sep) overrides the extension. */
export function readTable(path: string, sepOrOpts: string | { sep?: string } = {}): TableSource {
  const opts = typeof sepOrOpts === "string" ? { sep: sepOrOpts } : sepOrOpts;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new TrialmixInputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const sep = opts.sep ?? (/\.(tsv|tab|txt)$/i.test(path) ? "\t" : ",");
  return tableFromText(text, sep, path);
}

/** Open an input for buildFrame: `.h5ad` / `.h5` via readH5ad, anything else as a CSV/TSV long table. */
export function openSource(path: string): DataSource {
  if (/\.h5(ad)?$/i.test(path)) return readH5ad(path);
  return readTable(path);
}
