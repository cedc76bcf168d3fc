// `npm run bench`: the numbers of BENCHMARKS.md, measured in one run on this machine.
//  1. kernel fits/s, random-intercept DiD, 24 / 200 / 1,000 participants x 2,000 / 20,000 features:
//     WASM on one thread, WASM on all threads, and the same algorithm in plain JavaScript
//  2. random slope on cell-level rows (q = 2)
//  3. degenerate features (all zero but one value, a single non-zero, pure noise) vs ordinary ones
//  4. the whole CLI (`trialmix mixed`, file read included) on a generated 20,000-gene x 400-row .h5ad
// Env: BENCH_QUICK=1 for a short run. Needs `npm run build` (the script does it).
import { Bench } from "tinybench";
import { spawnSync } from "node:child_process";
import { mkdtempSync, existsSync } from "node:fs";
import { cpus, availableParallelism, tmpdir, totalmem } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { fitBatch } from "../dist/kernel/index.js";
import { FitPool } from "../dist/exec/node-pool.js";
import { FEATURE_BLOCK } from "../dist/output/columns.js";
import { fitRiBatch } from "./plain-js-ri.mjs";
import { makeDidCase } from "./cases.mjs";
import { makePseudobulk } from "./make-pseudobulk.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === "1";
const threads = availableParallelism?.() ?? cpus().length;
const time = quick ? 300 : 1500;

console.log(`machine: ${cpus()[0].model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);

/** Mean ms of fn over a tinybench run. */
async function measure(name, fn, iterations) {
  const bench = new Bench({ time, warmupTime: quick ? 50 : 200, iterations: iterations ?? 3 });
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0].result;
  return r.latency?.mean ?? r.mean;
}

function blocksOf(Y, n, m) {
  const out = [];
  const size = Math.min(FEATURE_BLOCK, Math.ceil(m / (4 * threads)));
  for (let f = 0; f < m; f += size) out.push(Y.slice(f * n, Math.min(m, f + size) * n));
  return out;
}

// 1. random intercept (the threaded runs use a warm pool: workers started once, as the CLI starts them
// while it reads the file; their start-up is reported on its own)
const t0 = performance.now();
const pool = new FitPool(threads);
await pool.fit(makeDidCase({ participants: 2, features: 1 }).design, new Float64Array(4), {});
const poolStart = performance.now() - t0;
const riRows = [];
for (const P of [24, 200, 1000]) {
  for (const m of quick ? [2000] : [2000, 20000]) {
    const { design, Y } = makeDidCase({ participants: P, features: m, seed: P + m });
    const wasm = await measure(`wasm P=${P} m=${m}`, () => fitBatch(design, Y));
    const plain = await measure(`plain P=${P} m=${m}`, () => fitRiBatch(design, Y), 1);
    const par = await measure(`wasm x${threads} P=${P} m=${m}`, () => Promise.all(blocksOf(Y, design.n, m).map((b) => pool.fit(design, b, {}))));
    riRows.push({
      participants: P,
      features: m,
      "wasm 1 thread ms": +wasm.toFixed(1),
      "fits/s 1 thread": Math.round((m / wasm) * 1e3),
      [`wasm ${threads} threads ms`]: +par.toFixed(1),
      [`fits/s ${threads} threads`]: Math.round((m / par) * 1e3),
      "plain JS ms": +plain.toFixed(1),
      "wasm / plain JS speed-up": +(plain / wasm).toFixed(2),
    });
  }
}
await pool.close();
console.log(`\n1. random intercept, y ~ treat*post + (1 | participant), 2 visits (starting ${threads} workers: ${poolStart.toFixed(0)} ms, not included)`);
console.table(riRows);

// 2. random slope, cell level
{
  const m = quick ? 100 : 500;
  const { design, Y } = makeDidCase({ participants: 16, cellsPerVisit: 20, slope: true, features: m, seed: 5 });
  const ms = await measure("slope", () => fitBatch(design, Y), 1);
  const fit = fitBatch(design, Y);
  const evals = fit.iterations.reduce((s, x) => s + x, 0) / m;
  console.log("\n2. random slope, y ~ treat*post + (1 + post | participant), 16 participants x 2 visits x 20 cells");
  console.table([{ features: m, "ms": +ms.toFixed(1), "fits/s": Math.round((m / ms) * 1e3), "ms/fit": +(ms / m).toFixed(3), "criterion evaluations/fit": +evals.toFixed(0) }]);
}

// 3. degenerate features cost no more than ordinary ones
{
  const m = 2000;
  const { design, Y } = makeDidCase({ participants: 24, features: m, seed: 9 });
  const n = design.n;
  const kinds = {
    ordinary: Y,
    "all zero but one": new Float64Array(m * n).map((_, i) => (i % n === 0 ? 1 : 0)),
    "two values only": new Float64Array(m * n).map((_, i) => (i % n < 2 ? 1 : 0)),
    "exactly fitted by X (no residual)": new Float64Array(m * n).map((_, i) => design.X[(i % n) * 4 + 2]),
  };
  const rows = [];
  for (const [kind, Yk] of Object.entries(kinds)) {
    const ms = await measure(kind, () => fitBatch(design, Yk));
    const fit = fitBatch(design, Yk);
    rows.push({ kind, "ms / 2,000 features": +ms.toFixed(2), "fitted (status ok)": fit.status.filter((s) => s === 0).length });
  }
  console.log("\n3. degenerate features, 24 participants (statsmodels spends minutes on such tables)");
  console.table(rows);
}

// 4. the whole CLI
{
  const dir = mkdtempSync(join(tmpdir(), "trialmix-bench-"));
  const file = join(dir, "pseudobulk-20000x400.h5ad");
  await makePseudobulk(file, 200, 20000);
  const cli = join(here, "..", "dist", "cli.js");
  const rows = [];
  for (const t of [1, threads]) {
    const runs = [];
    for (let r = 0; r < (quick ? 1 : 3); r++) {
      const t0 = performance.now();
      const res = spawnSync(process.execPath, [cli, "mixed", file, "--visits", "Pre,Post", "--threads", String(t), "--quiet", "--out", join(dir, "out.csv")], { encoding: "utf8" });
      if (res.status !== 0) throw new Error(res.stderr);
      runs.push(performance.now() - t0);
    }
    rows.push({ threads: t, "best s": +(Math.min(...runs) / 1e3).toFixed(2), "median s": +(runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)] / 1e3).toFixed(2) });
  }
  console.log("\n4. whole CLI: trialmix mixed on a 20,000-gene x 400-row (200 participants x 2 visits) dense .h5ad, node start-up and file read included");
  console.table(rows);
}

if (!existsSync("/usr/bin/python3")) console.log("\n(aggregation benchmark: node bench/aggregate.bench.mjs, needs python3-h5py to write its file)");
else console.log("\nAggregation from a 200,000-cell CSR file: node bench/aggregate.bench.mjs (writes the file with python3-h5py).");
