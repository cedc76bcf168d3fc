// The one scan driver: every fitter (this thread, an asynchronous one, Node worker threads) gives the
// same table through it, block sizes do not change a row, and a scan on this thread stays synchronous.
import { describe, it, expect, afterAll } from "vitest";
import { runScan, fitMixedTableWith } from "../../src/exec/driver.js";
import { prepareScan, blockSize } from "../../src/exec/scan.js";
import { localFitter, type BlockFitter } from "../../src/exec/fitter.js";
import { FitPool } from "../../src/exec/node-pool.js";
import { fitMixedTable } from "../../src/models/mixed/index.js";
import { FEATURE_BLOCK } from "../../src/output/columns.js";
import { frameFromRef } from "../helpers/frames.js";
import type { AnalysisFrame } from "../../src/types.js";

const opts = { visits: ["Pre", "Post"] as [string, string], treated: "Treated", covariates: ["age", "sex"] };

/** The messy reference frame plus a feature with a missing value (refitted on its complete rows) and a constant one (a NaN row). */
function frame(): AnalysisFrame {
  const f = frameFromRef("messy", ["age", "sex"]);
  const withNaN = Float64Array.from(f.values[0]);
  withNaN[3] = NaN;
  return { ...f, features: [...f.features, "with_nan", "constant"], values: [...f.values, withNaN, new Float64Array(withNaN.length).fill(2)] };
}

/** The kernel on this thread behind a promise, handing the responses back as a worker does. */
const asyncLocal: BlockFitter = { threads: 3, minBlock: 1, fit: async (d, Y, o) => ({ ...localFitter.fit(d, Y, o), Y }) };

describe("runScan", () => {
  const pool = new FitPool(2);
  afterAll(() => pool.close());

  it("gives the same table on this thread, on an asynchronous fitter and on worker threads, whatever the block size", async () => {
    const f = frame();
    const one = fitMixedTable(f, opts);
    expect(one.rows.filter((r) => Number.isFinite(r.beta_DiD)).length).toBeGreaterThan(100);
    expect(Number.isFinite(one.rows.at(-2)!.beta_DiD)).toBe(true);
    expect(one.rows.at(-1)!.error).toMatch(/standardisation failed/);
    const progress: number[] = [];
    const tables = [
      await fitMixedTableWith(f, opts, asyncLocal, (done) => progress.push(done)),
      await runScan(prepareScan(f, opts, 37), pool), // more blocks than workers: queued, buffers reused, a short last block
      await runScan(prepareScan(f, opts, 5), asyncLocal),
      runScan(prepareScan(f, opts, 1), localFitter),
    ];
    for (const t of tables) {
      expect(t.rows).toEqual(one.rows);
      expect(t.failed).toBe(one.failed);
      expect(t.warnings).toEqual(one.warnings);
    }
    expect(progress.length).toBeGreaterThan(3);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(f.features.length);
  });

  it("stays synchronous on this thread, and a scan of one block never goes to the workers", () => {
    const f = frame();
    const t = runScan(prepareScan(f, opts), localFitter);
    expect(t).not.toBeInstanceOf(Promise);
    expect(t.rows.length).toBe(f.features.length);
    const refuse: BlockFitter = { threads: 2, minBlock: 1024, fit: () => Promise.reject(new Error("not here")) };
    expect(fitMixedTableWith(f, opts, refuse)).not.toBeInstanceOf(Promise);
  });

  it("a fitter that fails fails the scan", async () => {
    const broken: BlockFitter = { threads: 2, minBlock: 1, fit: () => Promise.reject(new Error("trialmix: fit worker: gone")) };
    await expect(fitMixedTableWith(frame(), opts, broken)).rejects.toThrow(/fit worker: gone/);
  });
});

describe("blockSize", () => {
  it("is FEATURE_BLOCK on one thread, else a few blocks per thread between the smallest block and FEATURE_BLOCK", () => {
    expect(blockSize(100, 1, 256)).toBe(FEATURE_BLOCK);
    expect(blockSize(20000, 2, 256)).toBe(FEATURE_BLOCK);
    expect(blockSize(3000, 2, 256)).toBe(375);
    expect(blockSize(300, 2, 256)).toBe(256);
    expect(blockSize(300, 2, 32)).toBe(38);
  });
});
