// A/B of aggregateChunks between two builds (dist directories) in one process: the same in-memory
// chunks of a CSR .h5ad (bench/make-big-h5ad.py), the two builds alternating, CPU time per call (less
// swayed by other processes than wall time), and the two tables checked bit-identical.
//
// Usage: node bench/aggregate-ab.mjs BASE_DIST NEW_DIST FILE.h5ad [mean|median|pct_pos] [REPS] [f32]
import path from "node:path";
import { pathToFileURL } from "node:url";
const [baseDist, newDist, file, agg = "mean", repsS, f32s] = process.argv.slice(2);
const reps = Number(repsS ?? 15);
const float32 = f32s === "f32";
const base = await import(pathToFileURL(path.resolve(baseDist, "frame/aggregate.js")).href);
const neu = await import(pathToFileURL(path.resolve(newDist, "frame/aggregate.js")).href);
const { readH5ad } = await import(pathToFileURL(path.resolve(newDist, "index.js")).href);
const ad = readH5ad(file);
const info = ad.matrixInfo();
const chunks = [...ad.rowChunks(null, 4096)];
const p = ad.obsColumn("participant_id").codes, v = ad.obsColumn("visit").codes;
const nP = ad.obsColumn("participant_id").categories.length;
const groupOf = new Int32Array(ad.nObs);
for (let i = 0; i < ad.nObs; i++) groupOf[i] = p[i] * 2 + v[i];
const colMap = Int32Array.from({ length: info.shape[1] }, (_, j) => j);
const t = { base: [], new: [] };
let check = null;
for (let r = 0; r < reps; r++)
  for (const [name, m] of r % 2 ? [["new", neu], ["base", base]] : [["base", base], ["new", neu]]) {
    const c0 = process.cpuUsage();
    const out = m.aggregateChunks(chunks, groupOf, nP * 2, colMap, info.shape[1], agg, { float32 });
    const c1 = process.cpuUsage(c0);
    t[name].push((c1.user + c1.system) / 1000); // CPU ms: less swayed by the other processes than wall time
    if (r === 0) {
      if (!check) check = out;
      else for (let i = 0; i < out.length; i++) if (!(Object.is(out[i], check[i]))) { console.log("MISMATCH at", i, out[i], check[i]); process.exit(1); }
    }
  }
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const min = (a) => Math.min(...a);
console.log(`${path.basename(file)} ${agg}${float32 ? " f32" : ""}: CPU base min ${min(t.base).toFixed(1)} ms med ${med(t.base).toFixed(1)}; new min ${min(t.new).toFixed(1)} med ${med(t.new).toFixed(1)}; new/base min ${(min(t.new) / min(t.base)).toFixed(3)} med ${(med(t.new) / med(t.base)).toFixed(3)}`);
ad.close();
