#!/usr/bin/env node
// Frame building on wide long tables (one numeric column per feature): 25,000, 50,000 and 100,000
// feature columns x 16 participant-visit rows, read from CSV, then the mixed fits of the same frame
// on one thread for scale. Usage: node bench/wide-table.mjs [DIST_DIR] [--cols 25000,50000,100000]
// (DIST_DIR: a built dist/ to time, default this checkout's; give two to alternate A and B).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const colsAt = args.indexOf("--cols");
const widths = (colsAt >= 0 ? args[colsAt + 1] : "25000,50000,100000").split(",").map(Number);
const dists = args.filter((a, i) => !a.startsWith("--") && (colsAt < 0 || i !== colsAt + 1));
if (dists.length === 0) dists.push(join(dirname(fileURLToPath(import.meta.url)), "..", "dist"));

const dir = mkdtempSync(join(tmpdir(), "trialmix-wide-"));
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const files = widths.map((C) => {
  const cols = Array.from({ length: C }, (_, j) => `g${j}`);
  const lines = [["participant_id", "visit", "arm", ...cols].join(",")];
  for (let p = 0; p < 8; p++)
    for (const v of ["Pre", "Post"]) lines.push([`P${p}`, v, p < 4 ? "Treated" : "Control", ...cols.map(() => (5 + 2 * rnd()).toFixed(3))].join(","));
  const path = join(dir, `wide${C}.csv`);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
});

// one process per measurement: frame build (best of 3 in the process), then the fits once
const probe = (dist, file) => `
  const { frameOf, didTableMixed } = await import(${JSON.stringify(resolve(dist, "api.js"))});
  let best = Infinity, frame;
  for (let k = 0; k < 3; k++) { const t0 = performance.now(); frame = frameOf(${JSON.stringify(file)}, { visits: ["Pre", "Post"] }); best = Math.min(best, performance.now() - t0); }
  const t1 = performance.now(); didTableMixed(frame, { visits: ["Pre", "Post"] }); const fit = performance.now() - t1;
  console.log(JSON.stringify({ frame: best, fit }));`;

for (let round = 0; round < 2; round++)
  for (const [i, file] of files.entries())
    for (const dist of dists) {
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", probe(dist, file)], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
      const { frame, fit } = JSON.parse(r.stdout);
      console.log(`${dist}\t${widths[i]} columns\tframe ${frame.toFixed(0)} ms\tfits (1 thread) ${fit.toFixed(0)} ms`);
    }
