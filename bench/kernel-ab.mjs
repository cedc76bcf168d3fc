// A/B of two builds of the kernel in one process: the cases of kernel.bench.mjs fitted by each build in
// turn (the order alternating every round), timed by CPU time (process.cpuUsage: robust on a shared,
// loaded machine, where wall time also counts the other processes) and by wall time. Reports each case's
// median over the rounds and the ratio B / A of the medians, and checks the two builds' outputs agree.
// Usage: node bench/kernel-ab.mjs <root A> <root B> [rounds]   (each root holds a built dist/; AB_CASES=0,1
// runs only those cases)
//   e.g. git worktree add /tmp/k-base <commit> && (cd /tmp/k-base && npm run build)
//        node bench/kernel-ab.mjs /tmp/k-base . 15
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { makeDidCase } from "./cases.mjs";

const [rootA, rootB, roundsArg] = process.argv.slice(2);
if (!rootA || !rootB) throw new Error("usage: node bench/kernel-ab.mjs <root A> <root B> [rounds]");
const rounds = Number(roundsArg ?? 11);
// the kernel's entry: dist/kernel/index.js, or dist/kernel.js in builds before src/kernel/
const load = async (root) => {
  const entry = ["dist/kernel/index.js", "dist/kernel.js"].map((f) => resolve(root, f)).find((f) => existsSync(f));
  if (!entry) throw new Error(`${root}: no built kernel (dist/kernel/index.js or dist/kernel.js); run npm run build there`);
  return import(pathToFileURL(entry).href);
};
const A = await load(rootA), B = await load(rootB);

let seed = 12345;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const gauss = () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
/** kernel.bench.mjs's random-intercept DiD case: P participants x 2 visits, m features, every fifth without participant variance. */
function riCase(P, m) {
  const n = 2 * P, p = 4, X = new Float64Array(n * p), Z = new Float64Array(n).fill(1), groups = new Int32Array(n);
  for (let i = 0; i < P; i++) for (let v = 0; v < 2; v++) { X.set([1, i % 2, v, (i % 2) * v], (2 * i + v) * p); groups[2 * i + v] = i; }
  const Y = new Float64Array(m * n);
  for (let f = 0; f < m; f++) {
    const sdU = f % 5 === 0 ? 0 : rnd();
    for (let i = 0; i < P; i++) { const u = sdU * gauss(); for (let v = 0; v < 2; v++) Y[f * n + 2 * i + v] = u + gauss() + 0.3 * (i % 2) * v; }
  }
  return { design: { n, p, q: 1, X, Z, groups, G: P }, Y };
}

const cases = [
  { name: "q=1, 24 participants x 2 visits, 2,000 features", ...riCase(24, 2000), reps: 40 },
  { name: "q=1, 200 participants x 2 visits, 2,000 features", ...riCase(200, 2000), reps: 12 },
  { name: "q=1, 200 participants x 2 visits, 20,000 features in place", ...riCase(200, 20000), reps: 2, inPlace: true },
  { name: "q=2, 16 participants x 2 visits x 20 cells, 500 features", ...makeDidCase({ participants: 16, cellsPerVisit: 20, slope: true, features: 500, seed: 7 }), reps: 3 },
  // one feature a call (the scan's refits of incomplete features, fitLmm): the host's per-call cost
  { name: "q=1, 24 participants x 2 visits, 500 calls of one feature", ...riCase(24, 500), reps: 4, single: true },
];

/** CPU and wall ms of reps fits of the case by kernel K. */
function time(K, c) {
  let Y = c.Y;
  if (c.inPlace) { Y = K.responseBuffer(c.design, c.Y.length / c.design.n); Y.set(c.Y); }
  const c0 = process.cpuUsage(), t0 = performance.now();
  const n = c.design.n, m = Y.length / n;
  for (let r = 0; r < c.reps; r++) {
    if (c.single) for (let f = 0; f < m; f++) K.fitBatch(c.design, Y.subarray(f * n, (f + 1) * n));
    else K.fitBatch(c.design, Y);
  }
  const t = performance.now() - t0, cu = process.cpuUsage(c0);
  return { cpu: (cu.user + cu.system) / 1000 / c.reps, wall: t / c.reps };
}

// AB_CASES=0,2 runs only those cases (indices into the list above)
const only = process.env.AB_CASES?.split(",").map(Number);
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const rows = [];
for (const c of only ? cases.filter((_, i) => only.includes(i)) : cases) {
  const fa = A.fitBatch(c.design, c.Y), fb = B.fitBatch(c.design, c.Y); // warm-up and agreement
  const same = ["beta", "se", "df", "logLik", "theta", "status", "reason", "iterations"].every((k) => fa[k].every((v, i) => Object.is(v, fb[k][i])));
  const ta = [], tb = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) { ta.push(time(A, c)); tb.push(time(B, c)); } else { tb.push(time(B, c)); ta.push(time(A, c)); }
  }
  const ca = median(ta.map((t) => t.cpu)), cb = median(tb.map((t) => t.cpu)), wa = median(ta.map((t) => t.wall)), wb = median(tb.map((t) => t.wall));
  rows.push({ case: c.name, A_cpu_ms: +ca.toFixed(1), B_cpu_ms: +cb.toFixed(1), cpu_ratio: +(cb / ca).toFixed(3),
    A_wall_ms: +wa.toFixed(1), B_wall_ms: +wb.toFixed(1), wall_ratio: +(wb / wa).toFixed(3), identical: same });
}
console.log(`A = ${resolve(rootA)}, B = ${resolve(rootB)}, ${rounds} alternating rounds, medians (ratio B / A)`);
console.table(rows);
