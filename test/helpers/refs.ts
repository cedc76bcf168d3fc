// Reading the shipped reference tables (statsmodels, lme4, fixed-effects, frames).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseDelimited, parseNumber } from "../../src/io/csv.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

export type RefRow = Record<string, string>;

export function readRef(name: string): RefRow[] {
  const { header, rows } = parseDelimited(readFileSync(FIXTURES + name, "utf8"));
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
}

export function num(row: RefRow, key: string): number {
  return parseNumber(row[key] ?? "");
}

/** |a - b| <= rel * max(|b|, floor): relative comparison that tolerates values near zero. */
export function relClose(a: number, b: number, rel: number, floor = 1e-8): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(b), floor);
}
