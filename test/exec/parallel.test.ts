// Worker-thread scans give the single-threaded table, row for row (needs dist/exec/fit-worker.js: npm test builds it).
import { describe, it, expect } from "vitest";
import { fitMixedTable } from "../../src/models/mixed/index.js";
import { fitMixedTableParallel } from "../../src/parallel.js";
import { FEATURE_BLOCK } from "../../src/output/columns.js";
import { frameFromRef } from "../helpers/frames.js";
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { workerExecArgv } from "../../src/exec/node-pool.js";

describe("fitMixedTableParallel", () => {
  it("equals the one-thread table exactly, in the same order, across several kernel blocks", async () => {
    const base = frameFromRef("messy", ["age", "sex"]);
    const reps = Math.ceil((2.5 * FEATURE_BLOCK) / base.features.length);
    const frame = { ...base, features: [] as string[], values: [] as Float64Array[] };
    for (let r = 0; r < reps; r++)
      base.features.forEach((f, k) => {
        frame.features.push(`${f}_${r}`);
        // perturb each copy so that no two features are the same fit
        frame.values.push(base.values[k].map((v, i) => v + ((r * 7 + i) % 5) * 1e-3 * r));
      });
    const opts = { visits: ["Pre", "Post"] as [string, string], treated: "Treated", covariates: ["age", "sex"] };
    const one = fitMixedTable(frame, opts);
    const progress: number[] = [];
    const two = await fitMixedTableParallel(frame, opts, 2, (done) => progress.push(done));
    expect(two.rows.length).toBe(frame.features.length);
    expect(two.rows).toEqual(one.rows);
    expect(two.failed).toBe(one.failed);
    expect(progress.at(-1)).toBe(frame.features.length);
    expect(one.rows.filter((r) => Number.isFinite(r.beta_DiD)).length).toBeGreaterThan(2 * FEATURE_BLOCK);
  });

  it("workers start from a `node --input-type=module -e` script too (its flag is not passed to them)", () => {
    expect(workerExecArgv(["--input-type=module", "--max-old-space-size=4096", "--input-type", "module", "--no-warnings"])).toEqual([
      "--max-old-space-size=4096",
      "--no-warnings",
    ]);
    const dist = (f: string) => pathToFileURL(fileURLToPath(new URL(`../../dist/${f}`, import.meta.url))).href;
    const script = `
      import { didTableMixedParallel } from ${JSON.stringify(dist("parallel.js"))};
      const t = await didTableMixedParallel(${JSON.stringify(fileURLToPath(new URL("../../examples/example.h5ad", import.meta.url)))}, { visits: ["Pre", "Post"], threads: 2 });
      process.stdout.write(String(t.rows.filter((r) => Number.isFinite(r.beta_DiD)).length));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(Number(r.stdout)).toBeGreaterThan(250);
  });
});
