// src/cli/args.ts and usage.ts: flags from the option declarations, "did you mean", the usage text.
import { describe, it, expect } from "vitest";
import { closestFlag, parseCommandLine } from "../../src/cli/args.js";
import { usage } from "../../src/cli/usage.js";
import { UsageError } from "../../src/cli/errors.js";
import { scanOptions } from "../../src/cli/options.js";
import { cliFlags } from "../../src/options.js";

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("no error thrown");
}

describe("parseCommandLine", () => {
  it("keys the flags' values by option and joins negative numbers to their flag", () => {
    const a = parseCommandLine(["fixed", "x.h5ad", "--visits", "Pre,Post", "--n-boot", "9", "--no-standardize", "--seed", "-5", "--features-file", "f.txt"]);
    expect(a.positionals).toEqual(["fixed", "x.h5ad"]);
    expect(a.values.nBoot).toBe("9");
    expect(a.values.seed).toBe("-5");
    expect(a.values.standardize).toBe(true); // --no-standardize given
    expect(a.values.featuresFile).toBe("f.txt");
    const o = scanOptions({ ...a.values, featuresFile: undefined });
    expect([o.nBoot, o.seed, o.standardize, o.randomSlope]).toEqual([9, -5, false, false]);
  });

  it("a mistyped flag: did you mean the nearest one", () => {
    expect(usageError(["mixed", "x", "--n-bot", "5"])).toBe("Unknown option '--n-bot'; did you mean --n-boot?");
    expect(usageError(["mixed", "x", "--radnom-slope"])).toBe("Unknown option '--radnom-slope'; did you mean --random-slope?");
    expect(usageError(["mixed", "x", "--standardize"])).toBe("Unknown option '--standardize'; did you mean --no-standardize?");
    expect(usageError(["mixed", "x", "--thread=2"])).toBe("Unknown option '--thread'; did you mean --threads?");
    // nothing near: node's own line
    expect(usageError(["mixed", "x", "--bogus"])).toMatch(/^Unknown option '--bogus'\. To specify a positional argument/);
    expect(closestFlag("covariate")).toBe("covariates");
    expect(closestFlag("xyz")).toBeNull();
  });

  it("a flag given twice, a missing value: one line", () => {
    expect(usageError(["mixed", "x", "--agg", "mean", "--agg", "median"])).toBe("--agg given twice ('mean', then 'median'); give it once");
    expect(usageError(["mixed", "x", "--out"])).toBe("Option '--out <value>' argument missing");
    expect(() => scanOptions(parseCommandLine(["mixed", "x", "--visits", "Pre,Post", "--agg", "max"]).values)).toThrow(
      new UsageError("--agg expects one of mean, median, pct_pos, got 'max'"),
    );
  });

  it("the usage text lists every flag with its default", () => {
    const text = usage();
    for (const [, spec] of cliFlags()) expect(text).toContain(`--${spec.flag}`);
    expect(text).toMatch(/--agg mean\|median\|pct_pos +aggregation function \(default mean\)/);
    expect(text).toMatch(/--n-boot N +bootstrap draws \(default 999\)/);
  });
});
