// `npm run bench:statsmodels`: trialmix against statsmodels (as the seed calls it) and lme4 on the same
// analysis frames, measured in this one run. Needs Debian's python3-statsmodels and r-cran-lme4; installs nothing.
// Env: SM_FEATURES (features fitted by statsmodels/lme4 per case, default 20).
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { fitBatch } from "../dist/kernel/index.js";
import { parseDelimited } from "../dist/io/csv.js";
import { makeDidCase } from "./cases.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const PY = "/usr/bin/python3";
const probe = (cmd, args) => spawnSync(cmd, args, { encoding: "utf8" }).status === 0;
const missing = [];
if (!probe(PY, ["-c", "import statsmodels"])) missing.push("python3-statsmodels");
if (!probe("Rscript", ["-e", "suppressMessages(library(lme4))"])) missing.push("r-cran-lme4");
if (missing.length > 0) {
  console.error(`bench:statsmodels needs Debian packages that are not installed: apt-get install ${missing.join(" ")}`);
  process.exit(1);
}

const M = Number(process.env.SM_FEATURES ?? 20);
const dir = mkdtempSync(join(tmpdir(), "trialmix-sm-"));
const cases = [
  { name: "random intercept, 24 participants", participants: 24, cellsPerVisit: 1, slope: false },
  { name: "random intercept, 200 participants", participants: 200, cellsPerVisit: 1, slope: false },
  { name: "random slope, cell level, 16 participants x 2 visits x 20 cells", participants: 16, cellsPerVisit: 20, slope: true },
];

function readCsv(path) {
  const { header, rows } = parseDelimited(readFileSync(path, "utf8"));
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, Number.isNaN(Number(r[i])) ? r[i] : Number(r[i])])));
}

const out = [];
for (const c of cases) {
  const { design, Y, frameCsv } = makeDidCase({ ...c, features: M, seed: 7 });
  const path = join(dir, `frame-${c.participants}-${c.slope ? "s" : "i"}.csv`);
  writeFileSync(path, frameCsv());
  const sm = spawnSync(PY, [join(here, "sm_fit.py"), path, path + ".sm.csv", c.slope ? "1" : "0"], { encoding: "utf8" });
  if (sm.status !== 0) throw new Error(`statsmodels failed: ${sm.stderr.split("\n").slice(-3).join(" ")}`);
  const lm = spawnSync("Rscript", [join(here, "lme4_fit.R"), path, path + ".lme4.csv", c.slope ? "1" : "0"], { encoding: "utf8" });
  if (lm.status !== 0) throw new Error(`lme4 failed: ${lm.stderr.split("\n").slice(-3).join(" ")}`);
  const smPer = Number(sm.stdout.trim());
  const lmPer = Number(lm.stdout.trim());
  // trialmix: the same features, repeated until the timing is stable (the batch kernel, one thread)
  const opts = { reml: true };
  const fit = fitBatch(design, Y, opts);
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000 || reps < 3) {
    fitBatch(design, Y, opts);
    reps++;
  }
  const tmPer = (performance.now() - t0) / 1000 / (reps * M);
  const smRows = readCsv(path + ".sm.csv");
  const lmRows = readCsv(path + ".lme4.csv");
  let dBetaLme = 0, dBetaSm = 0, dLlLme = -Infinity, dLlSm = -Infinity;
  for (let k = 0; k < M; k++) {
    const b = fit.beta[k * design.p + 3];
    dBetaLme = Math.max(dBetaLme, Math.abs(b - lmRows[k].beta));
    dBetaSm = Math.max(dBetaSm, Math.abs(b - smRows[k].beta));
    dLlLme = Math.max(dLlLme, lmRows[k].logLik - fit.logLik[k]); // > 0 would mean lme4 found a better optimum
    dLlSm = Math.max(dLlSm, smRows[k].logLik - fit.logLik[k]);
  }
  out.push({
    case: c.name,
    features: M,
    "statsmodels ms/fit": +(smPer * 1e3).toFixed(2),
    "lme4 ms/fit": +(lmPer * 1e3).toFixed(2),
    "trialmix us/fit": +(tmPer * 1e6).toFixed(2),
    "x statsmodels": Math.round(smPer / tmPer),
    "x lme4": Math.round(lmPer / tmPer),
    "max |dbeta| lme4": dBetaLme.toExponential(1),
    "max |dbeta| sm": dBetaSm.toExponential(1),
    "max logLik gain lme4": dLlLme.toExponential(1),
    "max logLik gain sm": dLlSm.toExponential(1),
  });
}
console.table(out);
console.log("'logLik gain' = the other fitter's REML logLik minus trialmix's: <= 0 means trialmix's optimum is as good or better.");
