// Delimited text in and out (RFC 4180 quoting). Used for long-table input, output tables and test references.

export interface Delimited {
  header: string[];
  rows: string[][];
}

/** Parse CSV/TSV text; quoted fields may hold separators, quotes ("") and newlines. */
export function parseDelimited(text: string, sep = ","): Delimited {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
  while (i < n) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field.length === 0) quoted = true;
    else if (c === sep) {
      record.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += c;
    i++;
  }
  if (field.length > 0 || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const nonEmpty = records.filter((r) => !(r.length === 1 && r[0] === ""));
  const header = nonEmpty.shift() ?? [];
  return { header, rows: nonEmpty };
}

/** A numeric cell: empty, NA and NaN are missing (NaN); anything else must parse. */
export function parseNumber(s: string): number {
  const t = s.trim();
  if (t === "" || t === "NA" || t === "NaN" || t === "nan") return NaN;
  if (t === "Inf" || t === "inf") return Infinity;
  if (t === "-Inf" || t === "-inf") return -Infinity;
  return Number(t);
}

function quoteField(v: string, sep: string): string {
  return v.includes(sep) || v.includes('"') || v.includes("\n") || v.includes("\r")
    ? `"${v.replace(/"/g, '""')}"`
    : v;
}

/** Format a cell: numbers at full precision (round-trip), NaN as empty like pandas' to_csv. */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isNaN(v) ? "" : String(v);
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v);
}

export function formatDelimited(columns: string[], rows: Record<string, unknown>[], sep = ","): string {
  const lines = new Array<string>(rows.length + 1);
  lines[0] = columns.map((c) => quoteField(c, sep)).join(sep);
  const cells = new Array<string>(columns.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    for (let j = 0; j < columns.length; j++) {
      const v = r[columns[j]];
      // numbers never need quoting; only text is checked
      cells[j] = typeof v === "number" ? (v === v ? String(v) : "") : quoteField(formatCell(v), sep);
    }
    lines[i + 1] = cells.join(sep); // one flat string per line: cheaper than growing it cell by cell
  }
  return lines.join("\n") + "\n";
}
