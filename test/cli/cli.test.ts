// The `trialmix` command end to end (dist/cli.js, built by `npm test`) on the reference fixtures.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDelimited, parseNumber } from "../../src/io/csv.js";
import { columnNames } from "../../src/output/schema.js";
import { checkAgainstRefs, type MixedLike } from "../helpers/check.js";
import { readRef, num, relClose, FIXTURES } from "../helpers/refs.js";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "trialmix-cli-"));

function run(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function table(text: string): { header: string[]; rows: Record<string, string>[] } {
  const { header, rows } = parseDelimited(text);
  return { header, rows: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""]))) };
}

/** The references' feature list: sig_demo (an obs column) then every gene. */
function featuresFile(ref: string): string {
  const path = join(tmp, `${ref}.features.txt`);
  writeFileSync(path, readRef(`ref/${ref}.statsmodels.csv`).map((r) => r.feature).join("\n"));
  return path;
}

// The options of each reference (test/fixtures/seed-ref/run_refs.sh).
const REFS = [
  { ref: "basic", file: "basic.h5ad", args: [], slope: false },
  { ref: "messy", file: "messy.h5ad", args: ["--crossover", "crossover", "--covariates", "age,sex"], slope: false },
  { ref: "messy_median", file: "messy.h5ad", args: ["--crossover", "crossover", "--agg", "median"], slope: false },
  { ref: "cells_slope", file: "cells.h5ad", args: ["--aggregate", "cell", "--random-slope"], slope: true },
];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error("dist/cli.js missing: run `npm run build` (npm test does)");
});

describe("trialmix mixed reproduces lme4 on every reference", () => {
  for (const c of REFS) {
    it(c.ref, () => {
      const out = join(tmp, `${c.ref}.mixed.csv`);
      const r = run(["mixed", FIXTURES + c.file, "--visits", "Pre,Post", "--features-file", featuresFile(c.ref), ...c.args, "--out", out, "--quiet"]);
      expect(r.stderr).toMatch(/trialmix mixed: \d+ features/);
      expect(r.status, r.stderr).toBe(0);
      const t = table(readFileSync(out, "utf8"));
      expect(t.header).toEqual(columnNames("mixed", { randomSlope: c.slope }));
      const rows: MixedLike[] = t.rows.map((x) => ({
        feature: x.feature,
        beta_DiD: parseNumber(x.beta_DiD),
        se_DiD: parseNumber(x.se_DiD),
        var_participant: parseNumber(x.var_participant),
        var_residual: parseNumber(x.var_residual),
        df_DiD: parseNumber(x.df_DiD),
        logLik: parseNumber(x.logLik),
        singular: x.singular === "True",
        var_slope: c.slope ? parseNumber(x.var_slope) : undefined,
      }));
      const counts = checkAgainstRefs(c.ref, rows, c.slope);
      expect(counts.interior).toBeGreaterThan(c.slope ? 10 : 60);
    });
  }
});

describe("trialmix fixed reproduces the fixed-effects references", () => {
  for (const c of REFS) {
    it(c.ref, () => {
      const args = c.args.filter((a) => a !== "--random-slope");
      const r = run(["fixed", FIXTURES + c.file, "--visits", "Pre,Post", "--features-file", featuresFile(c.ref), ...args, "--quiet"]);
      expect(r.status, r.stderr).toBe(0);
      const t = table(r.stdout);
      expect(t.header).toEqual(columnNames("fixed"));
      const ours = new Map(t.rows.map((x) => [x.feature, x]));
      const ref = readRef(`ref/${c.ref}.fixed.csv`);
      expect(t.rows.length).toBe(ref.length);
      for (const f of ref) {
        const o = ours.get(f.feature)!;
        for (const key of ["beta_DiD", "se_DiD", "p_DiD", "FDR_DiD"]) {
          expect(relClose(parseNumber(o[key]), num(f, key), 1e-6), `${f.feature} ${key}`).toBe(true);
        }
        expect(o.cov_type_used).toBe(f.cov_type_used);
      }
    });
  }
});

describe("trialmix compare, inspect, example and errors", () => {
  it("compare writes the documented columns, merged on feature", () => {
    const out = join(tmp, "cmp.json");
    const r = run(["compare", FIXTURES + "basic.h5ad", "--visits", "Pre,Post", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>[];
    expect(Object.keys(rows[0])).toEqual(columnNames("compare"));
    expect(rows.length).toBe(150);
    const fixed = new Map(readRef("ref/basic.fixed.csv").map((x) => [x.feature, x]));
    const lme = new Map(readRef("ref/basic.lme4.csv").map((x) => [x.feature, x]));
    for (const row of rows) {
      const f = fixed.get(row.feature as string)!;
      expect(relClose(row.beta_fixed as number, num(f, "beta_DiD"), 1e-6)).toBe(true);
      expect(relClose(row.beta_mixed as number, num(lme.get(row.feature as string)!, "beta_DiD"), 1e-4, 1e-4)).toBe(true);
    }
  });

  it("inspect --json gives the documented shape", () => {
    const r = run(["inspect", FIXTURES + "messy.h5ad", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.n_vars).toBe(150);
    expect(info.X.encoding).toBe("csc_matrix");
    expect(info.var_names_head).toHaveLength(10);
    expect(info.obs.arm.type).toBe("categorical");
    expect(info.obs.arm.categories).toEqual(["Control", "Treated"]);
  });

  it("example runs the main job on the bundled data and writes both tables", () => {
    const dir = join(tmp, "example");
    const r = run(["example", "--out", dir, "--quiet"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/top features by mixed-model DiD p-value/);
    const mixed = table(readFileSync(join(dir, "example.mixed.csv"), "utf8"));
    expect(mixed.header).toEqual(columnNames("mixed"));
    expect(mixed.rows.length).toBe(300);
    expect(table(readFileSync(join(dir, "example.compare.csv"), "utf8")).header).toEqual(columnNames("compare"));
  });

  it("a real trial as a long CSV through --no-standardize matches lme4 (MASS::anorexia, FT vs Cont)", () => {
    const r = run(["mixed", FIXTURES + "real/anorexia.csv", "--visits", "Pre,Post", "--treated", "FT", "--control", "Cont", "--no-standardize"]);
    expect(r.status, r.stderr).toBe(0);
    const row = table(r.stdout).rows[0];
    const ref = readRef("real/anorexia.lme4.csv")[0];
    expect(row.feature).toBe("weight");
    for (const key of ["beta_DiD", "se_DiD", "var_participant", "var_residual"])
      expect(relClose(parseNumber(row[key]), num(ref, key), 1e-5), key).toBe(true);
    expect(relClose(parseNumber(row.df_DiD), num(ref, "df_satterthwaite"), 1e-4)).toBe(true);
    expect(Number(row.n_units)).toBe(43);
  });

  const errors: [string, string[], RegExp][] = [
    ["missing --visits", ["mixed", FIXTURES + "basic.h5ad"], /--visits BASE,FOLLOWUP is required/],
    ["unknown flag", ["mixed", FIXTURES + "basic.h5ad", "--visits", "Pre,Post", "--bogus"], /bogus/],
    ["mistyped flag", ["mixed", FIXTURES + "basic.h5ad", "--visits", "Pre,Post", "--covariate", "age"], /^trialmix: Unknown option '--covariate'; did you mean --covariates\?\n$/],
    ["bad visit syntax", ["mixed", FIXTURES + "basic.h5ad", "--visits", "Pre"], /two different labels/],
    ["unknown visit", ["mixed", FIXTURES + "basic.h5ad", "--visits", "Pre,Week9"], /Week9/],
    ["missing column", ["mixed", FIXTURES + "basic.h5ad", "--visits", "Pre,Post", "--arm", "group"], /group/],
    ["bad treated label", ["mixed", FIXTURES + "basic.h5ad", "--visits", "Pre,Post", "--treated", "Drug"], /Drug/],
    ["unknown feature", ["mixed", FIXTURES + "basic.h5ad", "--visits", "Pre,Post", "--features", "NOPE1"], /NOPE1/],
    ["missing file", ["mixed", join(tmp, "none.h5ad"), "--visits", "Pre,Post"], /no such file/],
    ["not HDF5", ["inspect", FIXTURES + "real/anorexia.csv"], /h5ad/],
    ["bad --out extension", ["mixed", FIXTURES + "basic.h5ad", "--visits", "Pre,Post", "--out", join(tmp, "x.xlsx")], /\.csv, \.tsv or \.json/],
    ["unknown command", ["fit", FIXTURES + "basic.h5ad"], /unknown command 'fit'/],
  ];
  for (const [name, args, message] of errors) {
    it(`exit 2 with one line: ${name}`, () => {
      const r = run(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    });
  }

  it("never truncates an existing output file when the run fails", () => {
    const out = join(tmp, "keep.csv");
    writeFileSync(out, "precious\n");
    const r = run(["mixed", FIXTURES + "basic.h5ad", "--visits", "Pre,Nope", "--out", out]);
    expect(r.status).toBe(2);
    expect(readFileSync(out, "utf8")).toBe("precious\n");
  });
});

describe("mixed over three visits (trial3)", () => {
  it("writes the long table (contrast column, joint tests), the same on 1 and 2 threads, and says what it fitted", () => {
    const args = ["mixed", FIXTURES + "trial3/trial3.h5ad", "--visits", "D0,D14,D28", "--features", "G00002,G00011,G00007,G00023,G00014,G00031", "--quiet"];
    const one = run([...args, "--threads", "1"]);
    const two = run([...args, "--threads", "2"]);
    expect(one.status).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const t = table(one.stdout);
    expect(t.header).toEqual(columnNames("mixed", { contrasts: true }));
    expect(t.rows.map((r) => `${r.feature} ${r.contrast}`).slice(0, 3)).toEqual(["G00002 D14 vs D0", "G00002 D28 vs D0", "G00011 D14 vs D0"]);
    expect(one.stderr).toMatch(/trialmix mixed: 6 features x 2 contrasts, 12 contrast rows fitted/);
    // the planted effects (fixtures README): G00023 at D28 only, G00014 at D14 only
    const p = (f: string, c: string) => num(t.rows.find((r) => r.feature === f && r.contrast === c)!, "p_DiD_satterthwaite");
    expect(p("G00023", "D28 vs D0")).toBeLessThan(1e-5);
    expect(p("G00014", "D14 vs D0")).toBeLessThan(1e-5);
    expect(p("G00023", "D14 vs D0")).toBeGreaterThan(0.01);
  });
});
