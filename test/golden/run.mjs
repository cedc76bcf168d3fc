// Runs a golden case through the built command line (dist/cli.js) and compares outputs: text exactly,
// numbers to a relative tolerance (summation order may move the last bits). Used by
// scripts/make-golden.mjs (writes) and test/golden.test.ts (compares).
import { spawnSync } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

export const GOLDEN_DIR = "test/fixtures/golden";

/** Run one case from the project root; the output table is the --out file or stdout. */
export function runCase(c, tmp) {
  const out = c.out ? join(tmp, `${c.name}.${c.out}`) : null;
  const args = [...c.args, "--quiet", ...(out ? ["--out", out] : [])];
  const r = spawnSync(process.execPath, ["dist/cli.js", ...args], { encoding: "utf8", maxBuffer: 256 << 20 });
  const stderr = (r.stderr ?? "").split(tmp).join("<tmp>");
  const table = out ? (existsSync(out) ? readFileSync(out, "utf8") : "") : r.stdout;
  return { status: r.status, stderr, table, ext: c.out ?? (c.args[0] === "inspect" ? (c.args.includes("--json") ? "json" : "txt") : "csv") };
}

export function goldenPaths(name, ext) {
  return { table: join(GOLDEN_DIR, `${name}.${ext}`), meta: join(GOLDEN_DIR, `${name}.meta.json`) };
}

function numberOrNull(s) {
  if (typeof s === "number") return s;
  if (typeof s !== "string" || s.trim() === "" || !/^[-+]?(\d|\.\d|inf|Infinity)/i.test(s.trim())) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/** Differences between two cells, tables or JSON values ("" when equal within rtol). */
export function diffValue(a, b, rtol, where) {
  const x = numberOrNull(a);
  const y = numberOrNull(b);
  if (x !== null && y !== null) {
    const d = Math.abs(x - y);
    return d <= rtol * Math.max(Math.abs(x), Math.abs(y)) || d === 0 ? [] : [`${where}: ${a} vs ${b} (rel ${(d / Math.max(Math.abs(x), Math.abs(y))).toExponential(2)})`];
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${where}: length ${a.length} vs ${b.length}`];
    return a.flatMap((v, i) => diffValue(v, b[i], rtol, `${where}[${i}]`));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.join("\u0000") !== kb.join("\u0000")) return [`${where}: keys ${ka.join(",")} vs ${kb.join(",")}`];
    return ka.flatMap((k) => diffValue(a[k], b[k], rtol, `${where}.${k}`));
  }
  return a === b ? [] : [`${where}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

/** Split a CSV/TSV text into cells (quoted fields as written by the project: "" escapes). */
function cells(text, sep) {
  const rows = [];
  let row = [], cur = "", q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === sep) { row.push(cur); cur = ""; }
    else if (ch === "\n") { row.push(cur); rows.push(row); row = []; cur = ""; }
    else if (ch !== "\r") cur += ch;
  }
  if (cur !== "" || row.length) { row.push(cur); rows.push(row); }
  return rows;
}

export function diffTables(expected, actual, ext, rtol) {
  if (ext === "json") return diffValue(JSON.parse(expected), JSON.parse(actual), rtol, "$");
  if (ext === "txt") return expected === actual ? [] : ["text differs"];
  const sep = ext === "tsv" ? "\t" : ",";
  return diffValue(cells(expected, sep), cells(actual, sep), rtol, "rows");
}
