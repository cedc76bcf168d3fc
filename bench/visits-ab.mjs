// Three-visit scans against two-visit scans (issue "more than two visits"): fits per second of the
// whole mixed table on a built frame (REML fits, and for three visits the joint F and the two ML
// fits of the LRT), 200 participants, alternating A/B runs on this thread. Needs `npm run build`.
// Usage: node bench/visits-ab.mjs [features=2000] [rounds=5]
import { fitMixedTable } from "../dist/models/mixed/index.js";
import { rng } from "./cases.mjs";

const m = Number(process.argv[2] ?? 2000), rounds = Number(process.argv[3] ?? 5);
const P = 200;

/** A frame of P participants (half treated) at `visits`, m features with a participant effect. */
function frame(visits, seed) {
  const { gauss } = rng(seed);
  const participant = [], visit = [], arm = [];
  for (let p = 0; p < P; p++) for (const v of visits) { participant.push(`P${p}`); visit.push(v); arm.push(p % 2 ? "Treated" : "Control"); }
  const n = participant.length;
  const values = [];
  for (let f = 0; f < m; f++) {
    const u = Array.from({ length: P }, gauss), y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = u[Math.floor(i / visits.length)] + gauss();
    values.push(y);
  }
  return { unit: "participant_visit", participant, visit, arm, covariates: [], features: values.map((_, f) => `F${f}`), values };
}

const two = frame(["D0", "D14"], 1), three = frame(["D0", "D14", "D28"], 1);
const run = (fr, visits) => { const t0 = performance.now(); fitMixedTable(fr, { visits, treated: "Treated" }); return performance.now() - t0; };
run(two, ["D0", "D14"]); run(three, ["D0", "D14", "D28"]); // warm-up
const a = [], b = [];
for (let r = 0; r < rounds; r++) { a.push(run(two, ["D0", "D14"])); b.push(run(three, ["D0", "D14", "D28"])); }
const med = (x) => x.slice().sort((p, q) => p - q)[Math.floor(x.length / 2)];
console.log(`${P} participants, ${m} features, ${rounds} alternating rounds (median ms): two visits ${med(a).toFixed(0)} (${(m / med(a) * 1000).toFixed(0)} features/s), three visits ${med(b).toFixed(0)} (${(m / med(b) * 1000).toFixed(0)} features/s); three/two rate ${(med(a) / med(b)).toFixed(2)}`);
