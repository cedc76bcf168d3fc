#!/usr/bin/env node
// Write the golden outputs (test/fixtures/golden/) of every case in test/golden/cases.mjs from the
// current build. Run after `npm run build`, only when a change of output is intended (say why in the commit).
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CASES } from "../test/golden/cases.mjs";
import { runCase, goldenPaths, GOLDEN_DIR } from "../test/golden/run.mjs";

mkdirSync(GOLDEN_DIR, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), "trialmix-golden-"));
for (const c of CASES) {
  if (c.same) continue;
  const r = runCase(c, tmp);
  const p = goldenPaths(c.name, r.ext);
  writeFileSync(p.table, r.table);
  writeFileSync(p.meta, JSON.stringify({ args: c.args, status: r.status, stderr: r.stderr }, null, 1) + "\n");
  console.log(`${c.name}: exit ${r.status}, ${r.table.length} bytes`);
}
rmSync(tmp, { recursive: true, force: true });
