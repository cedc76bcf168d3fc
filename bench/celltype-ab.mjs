// Per-cell-type scan against the single scan of the same file (issue 15): the matrix is read once
// either way, so the per-cell-type scan costs the single scan plus the fits of the other cell types.
// A/B in alternation, each run a CLI process of its own: wall time, CPU time (user + sys: steadier
// than wall time on a shared machine) and peak RSS; the ratio is the median of the rounds' ratios.
//
// Usage: node bench/celltype-ab.mjs [FILE.h5ad] [--rounds N] [--threads N]
// Default file: $TMPDIR/trialmix-ct8.h5ad, written on first use by bench/make-big-h5ad.py
// (python3-h5py; 600,000 cells x 2,000 genes, 5 % dense CSR, 8 cell types, ~0.5 GB).
import { existsSync, statSync, mkdtempSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, "..", "dist", "cli.js");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const rounds = Number(opt("--rounds", "3"));
const threads = opt("--threads", "1");
const file = args[0] ?? path.join(process.env.TMPDIR ?? tmpdir(), "trialmix-ct8.h5ad");
const py = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
if (!existsSync(file)) {
  console.error(`writing ${file} (600,000 cells x 2,000 genes, 8 cell types; ~0.5 GB) ...`);
  execFileSync(py, [path.join(here, "make-big-h5ad.py"), file, "600000", "2000", "0.05", "8"], { stdio: "inherit" });
}
console.log(`${file}: ${(statSync(file).size / 2 ** 30).toFixed(2)} GiB, ${threads} thread(s), ${rounds} rounds`);
const out = path.join(mkdtempSync(path.join(tmpdir(), "trialmix-ct-")), "scan.csv");

/** One CLI scan: wall and CPU seconds and peak RSS (MB), from GNU time. */
function run(extra) {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", process.execPath, cli, "mixed", file, "--visits", "Pre,Post", "--threads", threads, "--quiet", "--out", out, ...extra], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const [s, u, sys, kb] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { s, cpu: u + sys, mb: kb / 1024 };
}

const A = [];
const B = [];
for (let k = 0; k < rounds; k++) {
  A.push(run([]));
  B.push(run(["--celltype", "celltype"]));
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const show = (xs, k) => `${xs.map((x) => x[k].toFixed(2)).join(" ")} (median ${median(xs.map((x) => x[k])).toFixed(2)})`;
for (const [name, xs] of [["single scan       ", A], ["per cell type (8)", B]])
  console.log(`${name}: wall ${show(xs, "s")} s; CPU ${show(xs, "cpu")} s; peak RSS ${Math.max(...xs.map((x) => x.mb)).toFixed(0)} MB`);
const ratio = (k) => median(A.map((a, i) => B[i][k] / a[k])).toFixed(2);
console.log(`ratio per-cell-type / single (median of ${rounds} paired rounds): wall ${ratio("s")}, CPU ${ratio("cpu")}`);
