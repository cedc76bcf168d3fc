// Golden outputs: every table the command line writes on the fixtures (mixed, fixed, compare, inspect;
// CSV, TSV, JSON; one and two threads; file layouts; input errors), as locked by scripts/make-golden.mjs.
// Text must match exactly; numbers to 1e-12 relative (floating-point summation order).
import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error: plain ES modules shared with scripts/make-golden.mjs
import { CASES } from "./golden/cases.mjs";
// @ts-expect-error: plain ES modules shared with scripts/make-golden.mjs
import { runCase, goldenPaths, diffTables } from "./golden/run.mjs";

interface Case { name: string; same?: string; out?: string; args: string[] }
const RTOL = 1e-12;
const tmp = mkdtempSync(join(tmpdir(), "trialmix-golden-"));

describe("golden outputs of the command line", () => {
  for (const c of CASES as Case[]) {
    it(c.name, () => {
      const r = runCase(c, tmp);
      const p = goldenPaths(c.same ?? c.name, r.ext);
      const meta = JSON.parse(readFileSync(p.meta, "utf8"));
      expect(r.status, r.stderr).toBe(meta.status);
      expect(r.stderr.replace(/ in \d+ ms/g, "")).toBe(meta.stderr.replace(/ in \d+ ms/g, ""));
      const diffs: string[] = diffTables(readFileSync(p.table, "utf8"), r.table, r.ext, RTOL);
      expect(diffs.slice(0, 10)).toEqual([]);
    });
  }
});
