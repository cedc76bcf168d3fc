// Compressed copies of the bench file (issue 14 item 2): the participant x visit mean of every gene,
// read by trialmix (h5wasm; gzip built in, lzf through the JavaScript lzf filter of h5plugins/) and by
// h5py + numpy (native gzip and lzf), from the uncompressed file and from its gzip-4 and lzf copies.
// Both sides stream CSR row blocks of 4,096 cells and run in fresh processes, alternating, in the same
// run; each times open -> means (interpreter start-up and imports excluded) and writes its means, which
// are compared (largest relative difference). The copies are made once by make-compressed-h5ad.py with
// h5py's default chunking (what adata.write_h5ad(compression=...) gets: ~19,500-value chunks of X/data).
//
// Usage: node bench/compressed.bench.mjs [--cells N] [--genes G] [--density D] [--rounds R] [--dir DIR]
// Default: the 200,000 x 2,000 file of aggregate.bench.mjs (/tmp/trialmix-bench-200k-2k.h5ad), 3 rounds.
// Needs dist/ (npm run build:ts) and /usr/bin/python3 with h5py and numpy.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import os from "node:os";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = process.env.TRIALMIX_DIST ?? path.join(here, "..", "dist");
const py = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const ROWS = 4096;

const args = process.argv.slice(2);
if (args[0] === "--one") await one(args[1], args[2]);
else await main();

/** One trialmix measurement in this (fresh) process: open -> means of FILE, written to OUT (float64, feature-major). */
async function one(file, out) {
  const { readH5ad } = await import(pathToFileURL(path.join(dist, "index.js")).href);
  const { aggregateChunks } = await import(pathToFileURL(path.join(dist, "frame/aggregate.js")).href);
  const { writeFileSync } = await import("node:fs");
  const t0 = performance.now();
  const ad = readH5ad(file);
  const p = ad.obsColumn("participant_id");
  const v = ad.obsColumn("visit");
  const nV = v.categories.length;
  const groupOf = new Int32Array(ad.nObs);
  for (let i = 0; i < ad.nObs; i++) groupOf[i] = p.codes[i] * nV + v.codes[i];
  const nGroups = p.categories.length * nV;
  const nVars = ad.nVars;
  const colMap = Int32Array.from({ length: nVars }, (_, j) => j);
  const means = aggregateChunks(ad.rowChunks(null, ROWS, { reuse: true }), groupOf, nGroups, colMap, nVars, "mean");
  const seconds = (performance.now() - t0) / 1000;
  const nnz = ad.file.get("X/data").shape[0];
  ad.close();
  writeFileSync(out, Buffer.from(Float64Array.from(means).buffer));
  console.log(JSON.stringify({ seconds, values: nnz }));
}

function opt(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
}

async function main() {
  const cells = Number(opt("--cells", "200000"));
  const genes = Number(opt("--genes", "2000"));
  const density = opt("--density", "0.05");
  const rounds = Number(opt("--rounds", "3"));
  const dir = opt("--dir", process.env.TMPDIR ?? "/tmp");
  const isDefault = cells === 200000 && genes === 2000 && density === "0.05";
  const base = path.join(dir, isDefault ? "trialmix-bench-200k-2k.h5ad" : `trialmix-bench-${cells}-${genes}-${density}.h5ad`);
  if (!existsSync(base)) {
    console.error(`generating ${base} ...`);
    execFileSync(py, [path.join(here, "make-big-h5ad.py"), base, String(cells), String(genes), density], { stdio: "inherit" });
  }
  const files = { none: base };
  for (const kind of ["gzip4", "lzf"]) {
    files[kind] = base.replace(/\.h5ad$/, `-${kind}.h5ad`);
    if (!existsSync(files[kind])) {
      console.error(`making ${files[kind]} ...`);
      execFileSync(py, [path.join(here, "make-compressed-h5ad.py"), base, files[kind], kind], { stdio: "inherit" });
    }
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), "trialmix-compressed-"));
  const runs = {};
  try {
    for (let r = 0; r < rounds; r++)
      for (const [kind, file] of Object.entries(files)) {
        // alternate the two readers (and which goes first) so that drift of the machine hits both
        const order = r % 2 === 0 ? ["trialmix", "h5py"] : ["h5py", "trialmix"];
        for (const who of order) {
          const out = path.join(tmp, `${kind}-${who}.f64`);
          const res =
            who === "trialmix"
              ? JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--one", file, out], { encoding: "utf8" }))
              : JSON.parse(execFileSync(py, [path.join(here, "group-means.py"), file, out, String(ROWS)], { encoding: "utf8" }));
          ((runs[kind] ??= {})[who] ??= []).push(res.seconds);
          runs[kind].values = res.values;
        }
        runs[kind].diff = maxRelDiff(path.join(tmp, `${kind}-trialmix.f64`), path.join(tmp, `${kind}-h5py.f64`));
      }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  report(files, runs, { cells, genes, density, rounds });
}

function maxRelDiff(a, b) {
  const x = new Float64Array(readFileSync(a).buffer.slice(0));
  const y = new Float64Array(readFileSync(b).buffer.slice(0));
  if (x.length !== y.length) throw new Error(`means differ in length: ${x.length} vs ${y.length}`);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1e-12, Math.abs(y[i])));
  return worst;
}

function report(files, runs, c) {
  const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(`${c.cells} cells x ${c.genes} genes (density ${c.density}), participant x visit means of every gene, CSR row blocks of ${ROWS}; median of ${c.rounds} alternating runs (s)`);
  console.log("| X/data compression | file MB | stored values | trialmix s | h5py + numpy s | trialmix M values/s | h5py M values/s | trialmix / h5py time | max rel. diff of the means |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const [kind, file] of Object.entries(files)) {
    const r = runs[kind];
    const [t, p] = [median(r.trialmix), median(r.h5py)];
    console.log(
      `| ${kind} | ${(statSync(file).size / 1e6).toFixed(0)} | ${r.values} | ${t.toFixed(2)} | ${p.toFixed(2)} | ${(r.values / t / 1e6).toFixed(1)} | ${(r.values / p / 1e6).toFixed(1)} | ${(t / p).toFixed(2)} | ${r.diff.toExponential(1)} |`,
    );
  }
}
