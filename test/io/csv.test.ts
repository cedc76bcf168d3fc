import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { parseNumber, cellNumber, spreadsheetSafe, NA_TOKENS } from "../../src/io/csv.js";

// pandas' C parser's numbers, written as its grammar: decimal notation (no hex, octal, binary or
// digit separators) and inf / infinity in any case, either sign; NA tokens and anything else NaN.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITE = /^([+-]?)(?:inf|infinity)$/i;
function pandasNumber(s: string): number {
  const t = s.trim();
  if (NA_TOKENS.has(t)) return NaN;
  if (DECIMAL.test(t)) return Number(t);
  const inf = INFINITE.exec(t);
  return inf ? (inf[1] === "-" ? -Infinity : Infinity) : NaN;
}

const pieces = ["0", "1", "7", ".", "e", "E", "+", "-", " ", "\t", "\u00a0", "x", "o", "b", "X", "inf", "Infinity", "nan", "NA", "_", "#", "N/A", "0x", "1e5"];
const cell = fc.array(fc.constantFrom(...pieces), { maxLength: 6 }).map((a) => a.join(""));

describe("one number grammar", () => {
  it("parseNumber reads cells as pandas' grammar does", () => {
    fc.assert(fc.property(fc.oneof(cell, fc.string()), (s) => Object.is(parseNumber(s), pandasNumber(s))), { numRuns: 20000 });
    for (const t of [...NA_TOKENS, "0x10", " 1 ", "1.", ".5", "-Infinity", "INF", "\u00a0", "1_000"]) expect(Object.is(parseNumber(t), pandasNumber(t)), t).toBe(true);
  });
  it("cellNumber: the same numbers, text as undefined", () => {
    fc.assert(
      fc.property(cell, (s) => {
        const x = cellNumber(s.trim());
        const want = pandasNumber(s);
        return x === undefined ? Number.isNaN(want) && !NA_TOKENS.has(s.trim()) : Object.is(x, want);
      }),
      { numRuns: 20000 },
    );
  });
  it("spreadsheetSafe leaves numbers and quotes formula-like text", () => {
    for (const t of ["-1.5", "+2e-3", "-inf", "+Infinity", "-.5"]) expect(spreadsheetSafe(t)).toBe(t);
    for (const t of ["-nan", "-NaN", "+0x10", "-1_0", "=1", "@a"]) expect(spreadsheetSafe(t)).toBe(`'${t}`);
  });
});
