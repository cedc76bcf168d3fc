// Fits/second of the WASM batch kernel vs the plain-JS implementation of the same random-intercept
// algorithm, on the DiD design (1, arm, post, arm:post) + (1 | participant), 2 visits, 2,000 features.
// Run after `npm run build` (uses dist/kernel/index.js + dist/trialmix.wasm).
import { Bench } from "tinybench";
import { fitBatch, responseBuffer } from "../dist/kernel/index.js";
import { fitRiBatch } from "./plain-js-ri.mjs";

const M = Number(process.env.BENCH_FEATURES ?? 2000);
let seed = 12345;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const gauss = () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());

function makeCase(P) {
  const n = 2 * P, p = 4, X = new Float64Array(n * p), Z = new Float64Array(n).fill(1), groups = new Int32Array(n);
  for (let i = 0; i < P; i++) for (let v = 0; v < 2; v++) {
    const r = 2 * i + v, a = i % 2;
    X.set([1, a, v, a * v], r * p);
    groups[r] = i;
  }
  const Y = new Float64Array(M * n);
  for (let f = 0; f < M; f++) {
    const sdU = f % 5 === 0 ? 0 : rnd(); // some boundary fits
    for (let i = 0; i < P; i++) { const u = sdU * gauss(); for (let v = 0; v < 2; v++) Y[f * n + 2 * i + v] = u + gauss() + 0.3 * (i % 2) * v; }
  }
  return { design: { n, p, q: 1, X, Z, groups, G: P }, Y };
}

const results = [];
for (const P of [24, 200]) {
  const { design, Y } = makeCase(P);
  // agreement check (same algorithm)
  const w = fitBatch(design, Y), j = fitRiBatch(design, Y);
  let maxd = 0;
  for (let k = 0; k < M * 4; k++) maxd = Math.max(maxd, Math.abs(w.beta[k] - j.beta[k]) / Math.max(1e-8, Math.abs(j.beta[k])));
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  bench.add(`wasm  P=${P}`, () => { fitBatch(design, Y); });
  bench.add(`plain P=${P}`, () => { fitRiBatch(design, Y); });
  await bench.run();
  const [tw, tj] = bench.tasks.map((t) => t.result.latency?.mean ?? t.result.mean);
  results.push({ participants: P, n: design.n, features: M, wasm_ms: +tw.toFixed(2), wasm_fits_per_s: Math.round((M / tw) * 1000),
    plainjs_ms: +tj.toFixed(2), plainjs_fits_per_s: Math.round((M / tj) * 1000), speedup: +(tj / tw).toFixed(2), max_rel_beta_diff: maxd });
}
console.table(results);
// the target: 20,000 features x 200 participants in < 150 ms
{
  const { design } = makeCase(200);
  const m = 20000, Y = new Float64Array(m * design.n);
  for (let k = 0; k < Y.length; k++) Y[k] = gauss();
  fitBatch(design, Y);
  const ts = [];
  for (let r = 0; r < 5; r++) { const t0 = performance.now(); fitBatch(design, Y); ts.push(performance.now() - t0); }
  console.log(`20,000 features x 400 rows, responses copied in: best ${Math.min(...ts).toFixed(1)} ms, median ${ts.sort((a, b) => a - b)[2].toFixed(1)} ms`);
  // the same with the responses already in the kernel's memory (responseBuffer: how the scan feeds it)
  const view = responseBuffer(design, m);
  view.set(Y);
  const tz = [];
  for (let r = 0; r < 5; r++) { const t0 = performance.now(); fitBatch(design, view); tz.push(performance.now() - t0); }
  console.log(`20,000 features x 400 rows, responses in place: best ${Math.min(...tz).toFixed(1)} ms, median ${tz.sort((a, b) => a - b)[2].toFixed(1)} ms`);
}
// Random slope (q = 2), cell-level rows: 16 participants x 2 visits x 20 cells (n = 640), 2,000 features.
// Reports fits/s and the mean number of criterion evaluations per fit (the iterations field).
{
  const { makeDidCase } = await import("./cases.mjs");
  const { design, Y } = makeDidCase({ participants: 16, cellsPerVisit: 20, slope: true, features: M, seed: 7 });
  const fit = fitBatch(design, Y);
  let ev = 0, maxEv = 0, sing = 0, conv = 0;
  for (let k = 0; k < M; k++) { ev += fit.iterations[k]; maxEv = Math.max(maxEv, fit.iterations[k]); sing += fit.singular[k]; conv += fit.converged[k]; }
  const ts = [];
  for (let r = 0; r < 7; r++) { const t0 = performance.now(); fitBatch(design, Y); ts.push(performance.now() - t0); }
  const t = ts.sort((a, b) => a - b)[3]; // median
  console.table([{ case: "q=2, 16 participants x 2 visits x 20 cells", n: design.n, features: M, median_ms: +t.toFixed(1),
    fits_per_s: Math.round((M / t) * 1000), mean_evals_per_fit: +(ev / M).toFixed(1), max_evals: maxEv, singular: sing, converged: conv }]);
}
