// REML fits per second of the kernel alone: the arm x visit model over three visits against the two-visit DiD
// model (y ~ arm * visit + (1 | participant)), 200 participants, the same responses' generator, the two
// alternating in one process (what "three-visit fits per second" costs the kernel; the joint F and the LRT's
// two ML fits of the whole table are on top: bench/visits-ab.mjs). Needs `npm run build`.
// Usage: node bench/visits-kernel-ab.mjs [features=2000] [rounds=9]
import { fitBatch } from "../dist/kernel/index.js";
import { rng } from "./cases.mjs";

const m = Number(process.argv[2] ?? 2000), rounds = Number(process.argv[3] ?? 9);
const P = 200;

/** X (intercept, arm, visit dummies, arm x visit dummies), Z = 1, groups, and m responses. */
function batch(nVisits, seed) {
  const { gauss } = rng(seed);
  const n = P * nVisits, p = 2 * nVisits;
  const X = new Float64Array(n * p), Z = new Float64Array(n).fill(1), groups = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const g = Math.floor(i / nVisits), v = i % nVisits, t = g % 2;
    groups[i] = g;
    const row = [1, t];
    for (let k = 1; k < nVisits; k++) row.push(v === k ? 1 : 0);
    for (let k = 1; k < nVisits; k++) row.push(v === k ? t : 0);
    X.set(row, i * p);
  }
  const Y = new Float64Array(m * n);
  for (let f = 0; f < m; f++) {
    const u = Array.from({ length: P }, gauss);
    for (let i = 0; i < n; i++) Y[f * n + i] = u[Math.floor(i / nVisits)] + gauss();
  }
  return { design: { n, p, q: 1, X, Z, groups, G: P }, Y };
}

const two = batch(2, 1), three = batch(3, 1);
const cpu = (b) => { const t0 = process.cpuUsage(); fitBatch(b.design, b.Y); const d = process.cpuUsage(t0); return (d.user + d.system) / 1000; };
cpu(two); cpu(three); // warm-up
const a = [], b = [];
for (let r = 0; r < rounds; r++) { if (r % 2) { b.push(cpu(three)); a.push(cpu(two)); } else { a.push(cpu(two)); b.push(cpu(three)); } }
const med = (x) => [...x].sort((u, v) => u - v)[Math.floor(x.length / 2)];
const ratios = a.map((x, i) => x / b[i]);
console.log(`two visits: median ${med(a).toFixed(1)} ms CPU for ${m} fits (${Math.round(m / med(a) * 1000)} fits/s)`);
console.log(`three visits: median ${med(b).toFixed(1)} ms CPU for ${m} fits (${Math.round(m / med(b) * 1000)} fits/s)`);
console.log(`three-visit rate / two-visit rate, paired: median ${med(ratios).toFixed(2)} (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)})`);
