// src/options.ts: every option declared once, checked once, defaults applied once.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { columnNames } from "../src/output/schema.js";
import { checkOptions, checkKernelOptions, cliFlags, DEFAULTS, SCAN_OPTIONS, splitList } from "../src/options.js";
import { AGG_FUNCS } from "../src/frame/aggregate.js";
import { MAX_N_BOOT } from "../src/output/columns.js";
import { TrialmixInputError } from "../src/errors.js";

const V: [string, string] = ["Pre", "Post"];

/** The one-line message checkOptions throws (a TrialmixInputError). */
function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TrialmixInputError);
    return (e as Error).message;
  }
  throw new Error("no error thrown");
}

describe("checkOptions", () => {
  it("applies the defaults once: the design columns, the frame and the models", () => {
    const o = checkOptions({ visits: V });
    expect(o).toEqual({
      visits: V,
      participant: "participant_id",
      visit: "visit",
      arm: "arm",
      treated: "Treated",
      control: "Control",
      includeCrossovers: false,
      minCells: 1,
      aggregate: "participant_visit",
      agg: "mean",
      covariates: [],
      standardize: true,
      randomSlope: false,
      useBootstrap: false,
      nBoot: 999,
      seed: 42,
      sep: "auto",
      decimal: "auto",
      ddf: "satterthwaite",
    });
    expect(() => checkOptions({ visits: V, ddf: "kenwood" as "kenward-roger" })).toThrow(/expects one of satterthwaite, 'kenward-roger', got 'kenwood'/);
    expect("celltype" in o || "celltypes" in o || "features" in o || "layer" in o || "threads" in o).toBe(false); // no default: absent
    expect(o.covariates).not.toBe(DEFAULTS.covariates); // a copy: the caller may extend it
  });

  it("keeps given values and unknown keys, and passes a checked object through as it is", () => {
    const progress = () => undefined;
    const o = checkOptions({ visits: V, agg: "median", standardize: false, nBoot: 5, onProgress: progress });
    expect(o.agg).toBe("median");
    expect(o.standardize).toBe(false);
    expect(o.nBoot).toBe(5);
    expect(o.onProgress).toBe(progress);
    expect(checkOptions(o)).toBe(o);
    expect(checkOptions({ ...o })).not.toBe(o); // a copy (maybe changed) is checked again
  });

  it("reads the command line's text: lists, visits and whole numbers", () => {
    const o = checkOptions({ visits: " Pre , Post ", covariates: "age, sex,", features: "", nBoot: " 12 ", seed: "-3", threads: "2" } as never, { names: "flags", maxThreads: 8 });
    expect(o.visits).toEqual(["Pre", "Post"]);
    expect(o.covariates).toEqual(["age", "sex"]);
    expect(o.features).toEqual([]);
    expect([o.nBoot, o.seed, o.threads]).toEqual([12, -3, 2]);
    expect(splitList(" a,,b ,")).toEqual(["a", "b"]);
  });

  it("a bad value is one line naming the option (its flag on the command line), what it expects and what it got", () => {
    const flags = { names: "flags" as const };
    expect(message(() => checkOptions({ visits: V, agg: "mode" } as never, flags))).toBe("--agg expects one of mean, median, pct_pos, got 'mode'");
    expect(message(() => checkOptions({ visits: V, agg: "mode" } as never))).toBe("agg (--agg) expects one of mean, median, pct_pos, got 'mode'");
    expect(message(() => checkOptions({ visits: V, aggregate: "sample" } as never, flags))).toBe("--aggregate expects one of participant_visit, cell, got 'sample'");
    expect(message(() => checkOptions({ visits: V, nBoot: "1000000000" } as never, flags))).toBe(`--n-boot expects a whole number from 1 to ${MAX_N_BOOT}, got '1000000000'`);
    expect(message(() => checkOptions({ visits: V, nBoot: 0 }))).toBe(`nBoot (--n-boot) expects a whole number from 1 to ${MAX_N_BOOT}, got '0'`);
    expect(message(() => checkOptions({ visits: V, nBoot: 2.5 }))).toMatch(/^nBoot \(--n-boot\) expects a whole number/);
    expect(message(() => checkOptions({ visits: V, seed: "abc" } as never, flags))).toBe("--seed expects a whole number, got 'abc'");
    expect(message(() => checkOptions({ visits: V, threads: "0" } as never, { names: "flags", maxThreads: 8, threadsNote: " (4 per core; this machine has 2)" }))).toBe(
      "--threads expects a whole number from 1 to 8 (4 per core; this machine has 2), got '0'",
    );
    expect(message(() => checkOptions({ visits: V, threads: 0 }))).toBe("threads (--threads) expects a whole number of at least 1, got '0'");
    expect(message(() => checkOptions({} as never, flags))).toBe("--visits BASE,FOLLOWUP is required (e.g. --visits Pre,Post)");
    expect(message(() => checkOptions({ visits: "Pre" } as never, flags))).toBe("--visits expects two different labels BASE,FOLLOWUP (or more: BASE,V2,V3,...), got 'Pre'");
    expect(message(() => checkOptions({ visits: ["Pre", "Pre"] }))).toBe("visits (--visits) expects two different labels BASE,FOLLOWUP (or more: BASE,V2,V3,...), got 'Pre,Pre'");
    expect(message(() => checkOptions({ visits: V, standardize: "no" } as never))).toBe("standardize (--no-standardize) expects true or false, got 'no'");
    expect(checkOptions({ visits: V, covariates: "age" } as never).covariates).toEqual(["age"]); // text is a list too
  });

  it("kernel options: reml and an unstructured G by default", () => {
    expect(checkKernelOptions()).toEqual({ reml: true, covariance: "unstructured" });
    expect(checkKernelOptions({ reml: false, covariance: "diagonal" })).toEqual({ reml: false, covariance: "diagonal" });
    expect(message(() => checkKernelOptions({ covariance: "full" } as never))).toBe("covariance (--covariance) expects one of unstructured, diagonal, got 'full'");
  });
});

describe("the declarations", () => {
  it("every flag once; the aggregation choices are the aggregator registry's", () => {
    const flags = cliFlags().map(([, s]) => s.flag);
    expect(new Set(flags).size).toBe(flags.length);
    expect(SCAN_OPTIONS.agg.values).toBe(AGG_FUNCS);
    expect(DEFAULTS.agg).toBe(AGG_FUNCS[0]);
    for (const [key, d] of Object.entries(DEFAULTS)) {
      const spec = (SCAN_OPTIONS as Record<string, { values?: readonly string[] }>)[key];
      if (spec?.values) expect(spec.values, key).toContain(d);
    }
  });
});

describe("docs/API.md", () => {
  it("documents every option (key and flag) and every mode's columns", () => {
    const doc = readFileSync(new URL("../docs/API.md", import.meta.url), "utf8").replace(/\s+/g, " ");
    for (const [key, spec] of Object.entries(SCAN_OPTIONS)) {
      expect(doc, key).toContain(`\`${key}\``);
      expect(doc, spec.flag).toContain(`--${spec.flag}`);
    }
    for (const mode of ["mixed", "fixed", "compare"] as const) for (const c of columnNames(mode)) expect(doc, `${mode} ${c}`).toContain(c);
    expect(doc).toContain("beta_diff, agreement, error`");
  });
});

describe("the per-cell-type options", () => {
  it("checks --min-cells (a whole number of at least 1) and --celltypes (a list)", () => {
    expect(checkOptions({ visits: V, minCells: "5" as unknown as number }).minCells).toBe(5);
    expect(() => checkOptions({ visits: V, minCells: 0 })).toThrow("minCells (--min-cells) expects a whole number of at least 1, got '0'");
    expect(checkOptions({ visits: V, celltypes: "NK, B" as unknown as string[] }).celltypes).toEqual(["NK", "B"]);
  });
});
