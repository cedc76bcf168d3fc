// Worker-thread scans give the single-threaded table, row for row (needs dist/fit-worker.js: npm test builds it).
import { describe, it, expect } from "vitest";
import { fitMixedTable } from "../src/mixed.js";
import { fitMixedTableParallel } from "../src/parallel.js";
import { FEATURE_BLOCK } from "../src/columns.js";
import { frameFromRef } from "./helpers/frames.js";

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
});
