#!/usr/bin/env node
// Reading a long cell-level table (one row per cell: participant, visit, arm, 10 gene columns) into
// the analysis frame, two builds A/B in alternating child processes (CPU time of frameOf). Written
// for the table reader of issue 14 (separator detection, labels as text, default-feature rules).
// Usage: node bench/table-read-ab.mjs DIST_A DIST_B [--rows 400000] [--rounds 5] [--sep ,|;]
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const dists = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--")).map((d) => resolve(d));
if (dists.length !== 2) throw new Error("usage: node bench/table-read-ab.mjs DIST_A DIST_B [--rows N] [--rounds R] [--sep ,|;]");
const rows = Number(opt("--rows", "400000"));
const rounds = Number(opt("--rounds", "5"));
const sep = opt("--sep", ",");
const dec = sep === ";" ? "," : ".";

const dir = mkdtempSync(join(tmpdir(), "trialmix-table-ab-"));
let seed = 11;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const genes = Array.from({ length: 10 }, (_, j) => `G${j}`);
const lines = [["participant_id", "visit", "arm", ...genes].join(sep)];
for (let i = 0; i < rows; i++) {
  const p = i % 40;
  lines.push([`P${p}`, Math.floor(i / 40) % 2 ? "Post" : "Pre", p < 20 ? "Treated" : "Control", ...genes.map(() => (rnd() * 4).toFixed(4).replace(".", dec))].join(sep));
}
const file = join(dir, "long.csv");
writeFileSync(file, lines.join("\n") + "\n");

const child = `
const { frameOf } = await import(process.argv[1] + "/index.js");
const t0 = process.cpuUsage();
const f = frameOf(process.argv[2], { visits: ["Pre", "Post"], aggregate: "cell" });
const t = process.cpuUsage(t0);
console.log(JSON.stringify({ ms: (t.user + t.system) / 1000, rows: f.participant.length, features: f.features.length, sum: f.values.reduce((a, v) => a + v.reduce((x, y) => x + y, 0), 0) }));
`;
const times = dists.map(() => []);
let check = null;
for (let r = 0; r < rounds; r++)
  dists.forEach((d, k) => {
    const out = spawnSync(process.execPath, ["--input-type=module", "-e", child, d, file], { encoding: "utf8" });
    if (out.status !== 0) throw new Error(out.stderr);
    const res = JSON.parse(out.stdout);
    const key = `${res.rows} rows, ${res.features} features, sum ${res.sum}`;
    if (check === null) check = key;
    else if (key !== check) throw new Error(`outputs differ: ${key} vs ${check}`);
    times[k].push(res.ms);
  });
rmSync(dir, { recursive: true, force: true });
const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
dists.forEach((d, k) => console.log(`${d}\tframeOf ${rows} rows (sep '${sep}')\tCPU ms ${times[k].map((x) => x.toFixed(0)).join(" ")}\tmedian ${median(times[k]).toFixed(0)}`));
console.log(`B/A median ratio ${(median(times[1]) / median(times[0])).toFixed(3)}; frames equal (${check})`);
