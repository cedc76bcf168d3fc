// A scan of an .h5ad larger than the 4 GiB wasm32 heap (and than h5wasm's 2 GiB cap): the matrix is
// streamed in row blocks, so peak memory follows the block and the aggregated table, not the file.
//
// Usage: node bench/big-file.mjs [FILE.h5ad] [--threads N] [--check]
// Default file: $TMPDIR/trialmix-big-4g.h5ad, written on first use by bench/make-big-h5ad.py
// (python3-h5py; 600,000 cells x 20,000 genes, 5 % dense CSR = 600 M stored values, ~4.8 GB).
// Prints the wall time, the peak RSS of the scan process and the stored values read per second.
// --check: python3 recomputes three genes' participant-visit means straight from the file (numpy)
// and the script compares them with trialmix's frame (to 1e-6 relative: trialmix rounds float32 means as pandas does).
import { existsSync, statSync, mkdtempSync, readFileSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tmpdir } from "node:os";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "..", "dist");
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 1).length > 0 : false;
};
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const threads = opt("--threads", "1");
const check = flag("--check");
const file = args[0] ?? path.join(process.env.TMPDIR ?? tmpdir(), "trialmix-big-4g.h5ad");
const py = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
if (!existsSync(file)) {
  console.error(`writing ${file} (600,000 cells x 20,000 genes, ~4.8 GB; a few minutes) ...`);
  execFileSync(py, [path.join(here, "make-big-h5ad.py"), file, "600000", "20000", "0.05"], { stdio: "inherit" });
}
const bytes = statSync(file).size;
console.log(`${file}: ${(bytes / 2 ** 30).toFixed(2)} GiB`);

// the scan in a process of its own, which reports its peak RSS
const out = path.join(mkdtempSync(path.join(tmpdir(), "trialmix-big-")), "scan.csv");
const runner = `
  import { main } from ${JSON.stringify(pathToFileURL(path.join(dist, "cli.js")).href)};
  const t = performance.now();
  const code = await main(${JSON.stringify(["mixed", file, "--visits", "Pre,Post", "--threads", threads, "--quiet", "--out", out])});
  process.stdout.write(JSON.stringify({ code, ms: performance.now() - t, maxRssKiB: process.resourceUsage().maxRSS }));`;
const res = spawnSync(process.execPath, ["--input-type=module", "-e", runner], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
const r = JSON.parse(res.stdout);
if (r.code !== 0) throw new Error(`trialmix exited with ${r.code}`);
const nnz = Number(execFileSync(py, ["-c", `import h5py; print(h5py.File(${JSON.stringify(file)})["X/data"].shape[0])`], { encoding: "utf8" }));
console.log(`trialmix mixed, ${threads} thread(s): ${(r.ms / 1000).toFixed(1)} s, peak RSS ${(r.maxRssKiB / 1024).toFixed(0)} MiB (file ${(bytes / 2 ** 20).toFixed(0)} MiB), ${(nnz / 1e6 / (r.ms / 1000)).toFixed(1)} M stored values/s end to end`);
const lines = readFileSync(out, "utf8").trim().split("\n");
console.log(`rows: ${lines.length - 1}`);

if (check) {
  const genes = ["G00000", "G09999", "G19999"];
  const { readH5ad } = await import(pathToFileURL(path.join(dist, "h5ad.js")).href);
  const { buildFrame } = await import(pathToFileURL(path.join(dist, "frame.js")).href);
  const { makeDesign } = await import(pathToFileURL(path.join(dist, "design.js")).href);
  const ad = readH5ad(file);
  const frame = buildFrame(ad, makeDesign({}), { visits: ["Pre", "Post"], features: genes });
  ad.close();
  const script = `
import h5py, numpy as np, json, sys
f = h5py.File(sys.argv[1]); X = f["X"]; obs = f["obs"]
cat = lambda k: np.array([c.decode() if isinstance(c, bytes) else c for c in obs[k]["categories"][:]])[obs[k]["codes"][:]]
p, v = cat("participant_id"), cat("visit")
names = [n.decode() if isinstance(n, bytes) else n for n in f["var/_index"][:]]
cols = [names.index(g) for g in json.loads(sys.argv[2])]
ptr = X["indptr"][:]; n = len(p); acc = {g: {} for g in cols}
B = 50000
for r0 in range(0, n, B):
    r1 = min(n, r0 + B); a, b = ptr[r0], ptr[r1]
    ix = X["indices"][a:b]; d = X["data"][a:b]; rows = np.repeat(np.arange(r0, r1), np.diff(ptr[r0:r1 + 1]))
    for c in cols:
        m = ix == c
        for r, x in zip(rows[m], d[m]): acc[c][(p[r], v[r])] = acc[c].get((p[r], v[r]), 0.0) + float(x)
size = {}
for i in range(n): size[(p[i], v[i])] = size.get((p[i], v[i]), 0) + 1
print(json.dumps([{f"{k[0]}|{k[1]}": acc[c].get(k, 0.0) / size[k] for k in size} for c in cols]))
`;
  const want = JSON.parse(execFileSync(py, ["-c", script, file, JSON.stringify(genes)], { encoding: "utf8", maxBuffer: 1 << 26 }));
  let worst = 0;
  let compared = 0;
  genes.forEach((g, j) => {
    const col = want[j];
    frame.participant.forEach((pp, i) => {
      const w = col[`${pp}|${frame.visit[i]}`];
      const rel = Math.abs(frame.values[j][i] - w) / Math.max(1e-12, Math.abs(w));
      worst = Math.max(worst, rel);
      compared++;
    });
  });
  console.log(`check: ${compared} participant-visit means of ${genes.join(", ")} against numpy, worst relative difference ${worst.toExponential(2)}`);
  if (!(worst < 1e-6)) process.exitCode = 1;
}
