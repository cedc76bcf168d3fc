// Streaming aggregation benchmark: participant_visit mean of every gene of a CSR .h5ad
// (default: 200,000 cells x 2,000 genes, ~5% dense, generated in /tmp on first use).
//
// Usage: node bench/aggregate.bench.mjs [FILE.h5ad] [--rows N] [--agg mean|median|pct_pos]
// Needs dist/ (npm run build:ts); TRIALMIX_DIST=DIR points elsewhere.
// Prints stored values per second for the kernel (aggregateChunks over the chunks) and for
// the whole buildFrame (HDF5 reads included), and the peak RSS. The default file's table (200 groups x
// 2,000 genes, 3.2 MB) is summed feature-major; the group-major CSR path (tables over 4 MB) needs a
// wider file: python3 bench/make-big-h5ad.py /tmp/trialmix-bench-200k-6k.h5ad 200000 6000 0.017.
// Two builds side by side, in one process: bench/aggregate-ab.mjs.
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = process.env.TRIALMIX_DIST ?? path.join(here, "..", "dist");
const imp = (m) => import(pathToFileURL(path.join(dist, m)).href);
const { readH5ad, buildFrame, makeDesign } = await imp("index.js");
const { aggregateChunks } = await imp("frame/aggregate.js");

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const rows = Number(opt("--rows", "4096"));
const agg = opt("--agg", "mean");
const file = args[0] ?? path.join(process.env.TMPDIR ?? "/tmp", "trialmix-bench-200k-2k.h5ad");
if (!existsSync(file)) {
  const py = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  console.error(`generating ${file} ...`);
  execFileSync(py, [path.join(here, "make-big-h5ad.py"), file], { stdio: "inherit" });
}

const ad = readH5ad(file);
const info = ad.matrixInfo();
const nnz = ad.file.get("X/data")?.shape?.[0] ?? info.shape[0] * info.shape[1];
console.log(`${file}: ${info.shape[0]} x ${info.shape[1]} ${info.encoding} ${info.dtype}, stored values ${nnz}`);

// 1. end to end: buildFrame streaming from the file
let t0 = performance.now();
const frame = buildFrame(ad, makeDesign(), { visits: ["Pre", "Post"], agg, rowsPerChunk: rows });
const tAll = (performance.now() - t0) / 1000;
console.log(`buildFrame (${agg}, streaming): ${tAll.toFixed(3)} s  (${(nnz / tAll / 1e6).toFixed(1)} M values/s), ${frame.participant.length} rows x ${frame.features.length} features`);
const rssStream = process.resourceUsage().maxRSS;
console.log(`peak RSS after streaming buildFrame: ${(rssStream / 1024).toFixed(0)} MB`);

// 2. I/O only: read all chunks
t0 = performance.now();
const chunks = [...ad.rowChunks(null, rows)];
const tRead = (performance.now() - t0) / 1000;
console.log(`read chunks:        ${tRead.toFixed(3)} s  (${(nnz / tRead / 1e6).toFixed(1)} M values/s)`);

// 3. kernel only: aggregate in-memory chunks (group = participant x visit)
const p = ad.obsColumn("participant_id").codes;
const v = ad.obsColumn("visit").codes;
const nP = ad.obsColumn("participant_id").categories.length;
const groupOf = new Int32Array(ad.nObs);
for (let i = 0; i < ad.nObs; i++) groupOf[i] = p[i] * 2 + v[i];
const colMap = Int32Array.from({ length: info.shape[1] }, (_, j) => j);
let best = Infinity;
for (let rep = 0; rep < 5; rep++) {
  t0 = performance.now();
  aggregateChunks(chunks, groupOf, nP * 2, colMap, info.shape[1], agg);
  best = Math.min(best, (performance.now() - t0) / 1000);
}
console.log(`aggregate (${agg}, kernel): ${best.toFixed(3)} s  (${(nnz / best / 1e6).toFixed(1)} M values/s, best of 5)`);
chunks.length = 0;

ad.close();
console.log(`peak RSS (after holding all chunks in memory for the kernel timing): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
