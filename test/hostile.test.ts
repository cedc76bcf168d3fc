// Hostile input (issue 7): every bad input ends in a clear error (exit 2, one line on stderr, no
// stack trace) or in NaN rows with a reason, and the rest of the work survives. Run through the
// built CLI (dist/cli.js, built by `npm test`) and, where simpler, through the library.
// Fixtures: test/fixtures/hostile/ (scripts/make-hostile.py) plus files made here in a temp dir.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDelimited } from "../src/csv.js";
import { readH5ad, H5adError } from "../src/h5ad.js";
import { didTableMixed, didTable, frameOf } from "../src/api.js";
import { TrialmixInputError } from "../src/errors.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const FIX = fileURLToPath(new URL("./fixtures/", import.meta.url));
const H = join(FIX, "hostile") + "/";
const V = join(FIX, "variants") + "/";
const tmp = mkdtempSync(join(tmpdir(), "trialmix-hostile-"));
const T = (name: string): string => join(tmp, name);

function run(args: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: 64 << 20, timeout: 60_000, env: { ...process.env, ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

function rows(text: string): Record<string, string>[] {
  const { header, rows: rs } = parseDelimited(text);
  return rs.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
}

// ---- long tables for the design cases ----------------------------------------------------------
interface Cell {
  p: string;
  v: string;
  a: string;
  extra?: Record<string, string | number>;
}
let seed = 12345;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;

/** nT treated + nC control participants, 2 cells per visit; `edit` may drop (null) or change cells. */
function trial(opts: { nT?: number; nC?: number; visits?: string[]; edit?: (c: Cell, k: number) => Cell | null } = {}): Cell[] {
  const out: Cell[] = [];
  const { nT = 4, nC = 4, visits = ["Pre", "Post"] } = opts;
  for (let k = 0; k < nT + nC; k++)
    for (const v of visits)
      for (let j = 0; j < 2; j++) {
        const c = opts.edit ? opts.edit({ p: `P${k}`, v, a: k < nT ? "Treated" : "Control" }, k) : { p: `P${k}`, v, a: k < nT ? "Treated" : "Control" };
        if (c) out.push(c);
      }
  return out;
}

function csv(name: string, cells: Cell[]): string {
  const extra = [...new Set(cells.flatMap((c) => Object.keys(c.extra ?? {})))];
  const lines = [["participant_id", "visit", "arm", "g1", "g2", ...extra].join(",")];
  for (const c of cells) {
    const u = Number(c.p.slice(1)) * 0.3;
    lines.push([c.p, c.v, c.a, (1 + u + rnd()).toFixed(6), (2 - u + rnd()).toFixed(6), ...extra.map((e) => c.extra?.[e] ?? "")].join(","));
  }
  const path = T(name);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

const P = ["--visits", "Pre,Post", "--quiet"];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error("dist/cli.js missing: run `npm run build` (npm test does)");
  // files that are not (whole) HDF5
  writeFileSync(T("text.h5ad"), "participant_id,visit\nP1,Pre\n");
  writeFileSync(T("empty.h5ad"), "");
  const dense = readFileSync(V + "basic_dense.h5ad");
  writeFileSync(T("trunc100.h5ad"), dense.subarray(0, 100));
  writeFileSync(T("trunc50.h5ad"), dense.subarray(0, dense.length >> 1));
  writeFileSync(T("trunc99.h5ad"), dense.subarray(0, dense.length - 1024));
  mkdirSync(T("folder.h5ad"));
  // a corrupt global heap (3 bytes of a string's heap object zeroed): HDF5 loops forever on it
  const enc = Buffer.from(readFileSync(V + "encodings.h5ad"));
  enc[4832] = enc[4833] = enc[4840] = 0;
  writeFileSync(T("heaploop.h5ad"), enc);
  writeFileSync(T("table.xlsx"), "x");
  writeFileSync(T("ragged.csv"), "participant_id,visit,arm,g1\nP1,Pre,Treated,1\nP1,Post,Treated\n");
  writeFileSync(T("precious.csv"), "precious\n");
  mkdirSync(T("outdir.csv"));
});

type Case = [name: string, args: () => string[], status: number, stderr: RegExp, env?: Record<string, string>];

const cases: Case[] = [
  // --- files
  ["not HDF5 (text named .h5ad)", () => ["mixed", T("text.h5ad"), ...P], 2, /not an HDF5 file/],
  ["empty file", () => ["inspect", T("empty.h5ad")], 2, /not an HDF5 file/],
  ["truncated HDF5 (superblock only)", () => ["mixed", T("trunc100.h5ad"), ...P], 2, /truncated or corrupt/],
  ["truncated HDF5 (half)", () => ["mixed", T("trunc50.h5ad"), ...P], 2, /truncated or corrupt/],
  ["truncated HDF5 (last KB missing)", () => ["inspect", T("trunc99.h5ad")], 2, /truncated or corrupt/],
  ["HDF5 that is not AnnData", () => ["mixed", H + "not_anndata.h5ad", ...P], 2, /\/obs: missing group/],
  ["unknown encodings", () => ["inspect", V + "bad_encoding.h5ad"], 2, /unknown (column|matrix) encoding/],
  ["future encoding-version of X", () => ["mixed", H + "future_version.h5ad", ...P], 2, /csr_matrix encoding-version 9\.0\.0 is newer/],
  ["unknown obs encoding (nullable-float64)", () => ["inspect", H + "future_obs.h5ad"], 2, /unknown column encoding 'nullable-float64'/],
  ["obs column of the wrong length", () => ["inspect", H + "obs_short.h5ad"], 2, /\/obs\/age: expected 108 values \(n_obs\), found 107/],
  ["indptr not monotone", () => ["mixed", H + "indptr_nonmono.h5ad", ...P], 2, /indptr.*must be non-decreasing/],
  ["indptr past the data", () => ["mixed", H + "indptr_past.h5ad", ...P], 2, /indptr\/indices\/data lengths disagree/],
  ["column index out of range", () => ["mixed", H + "indices_oob.h5ad", ...P], 2, /indices: entry 17 is 1000, outside 0\.\.2/],
  ["a compressed chunk of the matrix that HDF5 cannot read", () => ["mixed", H + "data_corrupt_chunk.h5ad", ...P], 2, /\/X\/data: cannot read \(HDF5 could not read elements .*\); the file may be truncated or corrupt/],
  ["negative column index", () => ["fixed", H + "indices_neg.h5ad", ...P], 2, /indices: entry 17 is -1, outside/],
  ["huge declared shape (scan)", () => ["mixed", H + "huge_shape.h5ad", ...P], 2, /refusing to allocate/],
  ["huge declared shape (inspect)", () => ["inspect", H + "huge_shape.h5ad", "--json"], 2, /\/X: declares \d+ values .* more than the file .* can hold/],
  ["0 cells", () => ["mixed", H + "empty_cells.h5ad", ...P], 2, /0 cells/],
  ["0 genes", () => ["mixed", H + "empty_genes.h5ad", ...P], 2, /0 genes/],
  ["input is a folder", () => ["mixed", T("folder.h5ad"), ...P], 2, /it is a folder; expected a regular file/],
  ["HDF5 library loops on a corrupt heap", () => ["inspect", T("heaploop.h5ad")], 2, /made no progress/, { TRIALMIX_H5_TIMEOUT_MS: "1000" }],
  ["unknown input format", () => ["mixed", T("table.xlsx"), ...P], 2, /expected an \.h5ad, \.csv or \.tsv/],
  ["ragged CSV", () => ["mixed", T("ragged.csv"), ...P], 2, /line 3 has 3 fields, the header has 4/],
  // --- designs
  ["one arm only", () => ["mixed", csv("onearm.csv", trial({ nC: 0, nT: 6 })), ...P], 2, /control label 'Control' not found/],
  ["one visit only", () => ["mixed", csv("onevisit.csv", trial({ visits: ["Pre"] })), ...P], 2, /visit 'Post' not found in visit column 'visit'; observed visits: Pre/],
  ["visit label not present", () => ["mixed", csv("v.csv", trial()), "--visits", "Pre,Week9", "--quiet"], 2, /visit 'Week9' not found/],
  ["participant in both arms", () => ["mixed", csv("both.csv", trial({ edit: (c, k) => (k === 0 && c.v === "Post" ? { ...c, a: "Control" } : c) })), ...P], 2, /participant 'P0' appears in both arms \(Treated and Control\)/],
  ["fewer than 3 participants", () => ["mixed", csv("two.csv", trial({ nT: 1, nC: 1 })), ...P], 2, /only 2 participant\(s\) have cells at both Pre and Post; .* at least 3/],
  ["all participants in one arm after pairing", () => ["fixed", csv("pair1.csv", trial({ edit: (c, k) => (k >= 4 && c.v === "Post" ? null : c) })), ...P], 2, /no participant of arm 'Control' has cells at both/],
  ["nobody has both visits", () => ["mixed", csv("nopair.csv", trial({ edit: (c, k) => ((k < 4) === (c.v === "Post") ? null : c) })), ...P], 2, /no participant has cells at both visits/],
  ["crossover column not boolean-like", () => ["mixed", csv("cross.csv", trial({ edit: (c, k) => ({ ...c, extra: { xo: k === 2 ? "maybe" : "no" } }) })), ...P, "--crossover", "xo"], 2, /crossover column 'xo' is not boolean-like: value 'maybe'/],
  ["treated and control labels equal", () => ["mixed", csv("tc.csv", trial()), ...P, "--treated", "X", "--control", "X"], 2, /treated and control labels are both 'X'/],
  ["crossover column missing", () => ["mixed", csv("nocross.csv", trial()), ...P, "--crossover", "xo"], 2, /crossover column 'xo' not found/],
  // --- options
  ["unknown flag", () => ["mixed", H + "values.h5ad", ...P, "--bogus"], 2, /Unknown option '--bogus'/],
  ["flag without its value", () => ["mixed", H + "values.h5ad", ...P, "--out"], 2, /--out.*argument missing/],
  ["bad visit syntax (one label)", () => ["mixed", H + "values.h5ad", "--visits", "Pre"], 2, /--visits expects two different labels/],
  ["bad visit syntax (same twice)", () => ["mixed", H + "values.h5ad", "--visits", "Pre,Pre"], 2, /--visits expects two different labels/],
  ["bad visit syntax (three labels)", () => ["mixed", H + "values.h5ad", "--visits", "Pre,Post,Week4"], 2, /--visits expects two different labels/],
  ["missing --visits", () => ["mixed", H + "values.h5ad"], 2, /--visits BASE,FOLLOWUP is required/],
  ["unwritable output (no such folder)", () => ["mixed", H + "values.h5ad", ...P, "--out", T("no/such/dir/x.csv")], 2, /folder .* does not exist/],
  ["unwritable output (parent is a file)", () => ["mixed", H + "values.h5ad", ...P, "--out", T("precious.csv") + "/x.csv"], 2, /is not a folder/],
  ["output path is a folder", () => ["mixed", H + "values.h5ad", ...P, "--out", T("outdir.csv")], 2, /it is a folder/],
  ["output extension unknown", () => ["mixed", H + "values.h5ad", ...P, "--out", T("x.xlsx")], 2, /--out must end in \.csv, \.tsv or \.json/],
  ["--threads 0", () => ["mixed", H + "values.h5ad", ...P, "--threads", "0"], 2, /--threads expects a whole number from 1 to \d+ \(4 per core/],
  ["--seed not a number", () => ["fixed", H + "values.h5ad", ...P, "--bootstrap", "--seed", "abc"], 2, /--seed expects a whole number/],
  ["--agg unknown", () => ["mixed", H + "values.h5ad", ...P, "--agg", "max"], 2, /--agg expects one of mean, median, pct_pos/],
  ["--aggregate unknown", () => ["mixed", H + "values.h5ad", ...P, "--aggregate", "sample"], 2, /--aggregate expects one of/],
  ["unknown feature", () => ["mixed", H + "values.h5ad", ...P, "--features", "ok1,NOPE"], 2, /feature\(s\) not found .*NOPE/],
  ["feature twice", () => ["mixed", H + "values.h5ad", ...P, "--features", "ok1,ok1"], 2, /feature 'ok1' requested twice/],
  ["text obs column as a feature", () => ["mixed", H + "values.h5ad", ...P, "--features", "sex"], 2, /feature 'sex' is an obs column of type categorical, not numeric/],
  ["missing --features-file", () => ["mixed", H + "values.h5ad", ...P, "--features-file", T("none.txt")], 2, /cannot read --features-file/],
  ["unknown covariate", () => ["mixed", H + "values.h5ad", ...P, "--covariates", "bmi"], 2, /covariate column 'bmi' not found/],
  ["unknown layer", () => ["mixed", H + "values.h5ad", ...P, "--layer", "counts"], 2, /no such layer/],
];

describe("hostile input: exit 2 with one clear line", () => {
  for (const [name, args, status, message, env] of cases) {
    it(name, () => {
      const r = run(args(), env);
      expect(r.status, r.stderr).toBe(status);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at |internal error|HDF5-DIAG/);
      expect(r.stdout).toBe("");
      expect(r.ms).toBeLessThan(15_000);
    });
  }
});

describe("hostile values: NaN rows with reasons, the rest of the scan survives", () => {
  it("mixed: every row written, failed rows say why, the summary counts them", () => {
    const out = T("values.mixed.csv");
    const r = run(["mixed", H + "values.h5ad", ...P, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    const t = new Map(rows(readFileSync(out, "utf8")).map((x) => [x.feature, x]));
    expect([...t.keys()]).toEqual(["ok1", "ok2", "has_nan", "has_inf", "constant", "all_zero", "huge", "tiny", "collinear"]);
    for (const f of ["ok1", "ok2", "has_nan", "huge"]) {
      expect(Number.isFinite(Number(t.get(f)!.beta_DiD)), f).toBe(true);
      expect(t.get(f)!.error, f).toBe("");
    }
    expect(t.get("has_inf")!.error).toMatch(/infinite values/);
    expect(t.get("constant")!.error).toMatch(/constant feature/);
    expect(t.get("all_zero")!.error).toMatch(/constant feature/);
    expect(t.get("tiny")!.error).toMatch(/sd below 1e-12/);
    expect(t.get("collinear")!.error).toMatch(/exact function of the design/);
    for (const f of ["has_inf", "constant", "all_zero", "tiny", "collinear"]) expect(t.get(f)!.beta_DiD, f).toBe("");
    // z-scores are scale free: 1e300-scale values fit like any other
    expect(Number(t.get("huge")!.se_DiD)).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/trialmix mixed: 9 features, 4 fitted, 5 without statistics \(2: standardisation failed: constant feature/);
    expect(r.stderr).toMatch(/infinite values/);
  });

  it("mixed --no-standardize: constant, Inf and extreme magnitudes are NaN rows with reasons", () => {
    const r = run(["mixed", H + "values.h5ad", ...P, "--no-standardize"]);
    expect(r.status, r.stderr).toBe(0);
    const t = new Map(rows(r.stdout).map((x) => [x.feature, x]));
    expect(t.get("constant")!.error).toMatch(/constant feature/);
    expect(t.get("has_inf")!.error).toMatch(/infinite values/);
    expect(t.get("huge")!.error).toMatch(/raw scale; drop --no-standardize/);
    expect(t.get("tiny")!.error).toMatch(/raw scale/);
    expect(Number.isFinite(Number(t.get("ok1")!.beta_DiD))).toBe(true);
    expect(r.stderr).toMatch(/9 features, 3 fitted, 6 without statistics/);
  });

  it("fixed: failed rows are NaN, the summary says why (perfect fit, constant, Inf)", () => {
    const r = run(["fixed", H + "values.h5ad", ...P]);
    expect(r.status, r.stderr).toBe(0);
    const t = new Map(rows(r.stdout).map((x) => [x.feature, x]));
    expect(t.size).toBe(9);
    for (const f of ["has_inf", "constant", "all_zero", "tiny", "collinear"]) expect(t.get(f)!.beta_DiD, f).toBe("");
    for (const f of ["ok1", "ok2", "has_nan", "huge"]) expect(Number.isFinite(Number(t.get(f)!.beta_DiD)), f).toBe(true);
    expect(r.stderr).toMatch(/trialmix fixed: 9 features, 4 fitted, 5 without statistics \(.*constant feature/);
    expect(r.stderr).toMatch(/perfect fit|other reasons/);
  });

  it("an Inf in an obs feature is a NaN row; an obs NaN is skipped like pandas", () => {
    const r = run(["mixed", H + "values.h5ad", ...P, "--features", "score,ok1"]);
    expect(r.status, r.stderr).toBe(0);
    const t = rows(r.stdout);
    expect(t[0].error).toMatch(/infinite values/);
    expect(Number.isFinite(Number(t[1].beta_DiD))).toBe(true);
  });

  it("a missing covariate drops that row (complete cases) with a warning, mixed and fixed alike", () => {
    for (const cmd of ["mixed", "fixed"]) {
      const r = run([cmd, H + "values.h5ad", ...P, "--features", "ok1,ok2", "--covariates", "age", "--aggregate", "cell"]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/warning: 1 rows with missing covariates dropped/);
      expect(r.stderr).toMatch(/2 features, 2 fitted/);
    }
  });

  it("a covariate collinear with the design gives NaN rows that say so", () => {
    const path = csv("collcov.csv", trial({ edit: (c) => ({ ...c, extra: { z: c.a === "Treated" ? 1 : 0 } }) }));
    const r = run(["mixed", path, ...P, "--covariates", "z"]);
    expect(r.status, r.stderr).toBe(0);
    expect(rows(r.stdout).every((x) => x.beta_DiD === "" && /rank deficient/.test(x.error))).toBe(true);
    expect(r.stderr).toMatch(/2 without statistics \(2: fixed-effects design is rank deficient/);
  });

  it("participants without follow-up are dropped with a warning; the rest is fitted", () => {
    const path = csv("nofu.csv", trial({ nT: 5, nC: 5, edit: (c, k) => ((k === 0 || k === 9) && c.v === "Post" ? null : c) }));
    const r = run(["mixed", path, ...P]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: 2 participant\(s\) without cells at both Pre and Post dropped: P0, P9/);
    const t = rows(r.stdout);
    expect(t.map((x) => x.n_units)).toEqual(["8", "8"]);
    expect(t.every((x) => Number.isFinite(Number(x.beta_DiD)))).toBe(true);
  });

  it("boolean-like text crossovers are accepted and excluded", () => {
    const path = csv("xo.csv", trial({ nT: 5, nC: 5, edit: (c, k) => ({ ...c, extra: { xo: k === 1 ? " Yes" : "no" } }) }));
    const r = run(["mixed", path, ...P, "--crossover", "xo"]);
    expect(r.status, r.stderr).toBe(0);
    expect(rows(r.stdout)[0].n_units).toBe("9");
  });
});

describe("output files", () => {
  it("a failed run never truncates an existing output; a good one replaces it and leaves no temp file", () => {
    const out = T("precious.csv");
    expect(run(["mixed", H + "values.h5ad", "--visits", "Pre,Nope", "--quiet", "--out", out]).status).toBe(2);
    expect(run(["mixed", H + "indices_oob.h5ad", ...P, "--out", out]).status).toBe(2);
    expect(readFileSync(out, "utf8")).toBe("precious\n");
    const r = run(["mixed", H + "values.h5ad", ...P, "--features", "ok1", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toMatch(/^feature,beta_DiD/);
    expect(readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("the library raises the reader's error types", () => {
  it("bytes that are not HDF5, truncated HDF5 and corrupt sparse matrices: H5adError", () => {
    expect(() => readH5ad(new TextEncoder().encode("not hdf5 at all"))).toThrow(H5adError);
    const dense = readFileSync(V + "basic_dense.h5ad");
    expect(() => readH5ad(dense.subarray(0, dense.length >> 1))).toThrow(H5adError);
    expect(() => didTableMixed(H + "indptr_nonmono.h5ad", { visits: ["Pre", "Post"] })).toThrow(H5adError);
    expect(() => didTable(H + "huge_shape.h5ad", { visits: ["Pre", "Post"] })).toThrow(/refusing to allocate/);
  });

  it("design errors are TrialmixInputError; value problems are rows with reasons", () => {
    expect(() => frameOf(H + "values.h5ad", { visits: ["Pre", "Post"], arm: "both_arms" })).toThrow(TrialmixInputError);
    expect(() => frameOf(H + "values.h5ad", { visits: ["Pre", "Post"], crossover: "cross_text" })).toThrow(/not boolean-like/);
    const t = didTableMixed(H + "values.h5ad", { visits: ["Pre", "Post"] });
    expect(t.rows).toHaveLength(9);
    expect(t.failed).toBe(5);
    for (const r of t.rows) expect(Number.isFinite(r.beta_DiD) || r.error.length > 0, r.feature).toBe(true);
  });
});
