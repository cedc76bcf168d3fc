// Hostile input (issues 7 and 12): every bad input ends in a clear error (exit 2, one line on stderr,
// no stack trace) or in NaN rows with a reason, and the rest of the work survives. Run through the
// built CLI (dist/cli.js, built by `npm test`) and, where simpler, through the library.
// Fixtures: test/fixtures/hostile/ (scripts/make-hostile.py) plus files made here in a temp dir.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, chmodSync, statSync, lstatSync, openSync, closeSync, watch } from "node:fs";
import { tmpdir, constants as osConstants } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { parseDelimited, decimalAt, cellNumber, parseNumber, formatDelimited, spreadsheetSafe, NA_TOKENS } from "../../src/io/csv.js";
import { tableFromBytes } from "../../src/io/table.js";
import { readRegularFile } from "../../src/io/files.js";
import { buildFrame } from "../../src/frame/build.js";
import { makeDesign } from "../../src/frame/design.js";
import type { DataSource, ObsColumn } from "../../src/io/h5ad/reader.js";
import { readH5ad, H5adError } from "../../src/io/h5ad/reader.js";
import { didTableMixed, didTable, frameOf } from "../../src/api.js";
import { TrialmixInputError } from "../../src/errors.js";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const FIX = fileURLToPath(new URL("../fixtures/", import.meta.url));
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
  // issue 12: inputs that are not regular files
  for (const f of ["fifo.csv", "fifo.h5ad", "fifo.txt"]) expect(spawnSync("mkfifo", [T(f)]).status).toBe(0);
  symlinkSync("/dev/zero", T("zero.csv"));
  symlinkSync("/dev/urandom", T("urandom.txt"));
  symlinkSync(T("loop2.csv"), T("loop1.csv"));
  symlinkSync(T("loop1.csv"), T("loop2.csv"));
  symlinkSync("/dev/null", T("null.csv"));
  // tables pandas reads differently from Number()
  const design = (k: number, v: string) => `P${k},${v},${k < 4 ? "Treated" : "Control"}`;
  const lines = (cell: (k: number, v: string) => string) => ["Pre", "Post"].flatMap((v) => [0, 1, 2, 3, 4, 5, 6, 7].map((k) => `${design(k, v)},${cell(k, v)}`));
  writeFileSync(T("hex.csv"), ["participant_id,visit,arm,g1,g2", ...lines((k, v) => (k === 2 && v === "Post" ? "0x10" : String(k + (v === "Post" ? 1 : 0))) + `,${k * 0.5}`)].join("\n") + "\n");
  writeFileSync(T("quote.csv"), 'participant_id,visit,arm,g1\nP1,Pre,Treated,1\n"P1,Post,Treated,2\nP2,Pre,Control,3\n');
  const latin1 = Buffer.from(["participant_id,visit,arm,g1", ...lines((k) => String(k)).map((l, i) => (i % 8 === 0 ? l.replace(/^P0/, "M\xfc") : i % 8 === 1 ? l.replace(/^P1/, "M\xe4") : l))].join("\n") + "\n", "latin1");
  writeFileSync(T("latin1.csv"), latin1);
  writeFileSync(T("names.txt"), "g1\n");
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
  ["three visits, one not present", () => ["mixed", H + "values.h5ad", "--visits", "Pre,Post,Week9"], 2, /visit 'Week9' not found/],
  ["three visits with fixed", () => ["fixed", H + "values.h5ad", "--visits", "Pre,Post,Week4"], 2, /--visits with 3 visits \(Pre,Post,Week4\) is for the mixed model/],
  ["three visits with --random-slope", () => ["mixed", H + "values.h5ad", "--visits", "Pre,Post,Week4", "--random-slope"], 2, /--random-slope takes two visits/],
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
  // ---- issue 12 ----
  // inputs must be regular files: a FIFO would block the read, /dev/zero fill memory
  ["CSV input is a FIFO", () => ["mixed", T("fifo.csv"), ...P], 2, /cannot read '.*fifo\.csv': it is a named pipe \(FIFO\); expected a regular file/],
  [".h5ad input is a FIFO", () => ["inspect", T("fifo.h5ad")], 2, /it is a named pipe \(FIFO\); expected a regular file/],
  ["CSV input is a symlink to /dev/zero", () => ["mixed", T("zero.csv"), ...P], 2, /'.*zero\.csv': it is a character device; expected a regular file/],
  ["--features-file is a FIFO", () => ["mixed", H + "values.h5ad", ...P, "--features-file", T("fifo.txt")], 2, /cannot read --features-file '.*fifo\.txt': it is a named pipe/],
  ["--features-file is a symlink to /dev/urandom", () => ["mixed", H + "values.h5ad", ...P, "--features-file", T("urandom.txt")], 2, /--features-file '.*urandom\.txt': it is a character device/],
  ["input is a symlink loop", () => ["mixed", T("loop1.csv"), ...P], 2, /'.*loop1\.csv': too many levels of symbolic links \(a symlink loop\)/],
  // options: ranges named, negative values parsed, no option twice
  ["--threads 1000", () => ["mixed", H + "values.h5ad", ...P, "--threads", "1000"], 2, /--threads expects a whole number from 1 to \d+ \(4 per core; this machine has \d+\), got '1000'/],
  ["--threads 99999999", () => ["mixed", H + "values.h5ad", ...P, "--threads", "99999999"], 2, /--threads expects a whole number from 1 to \d+/],
  ["--threads -1", () => ["mixed", H + "values.h5ad", ...P, "--threads", "-1"], 2, /--threads expects a whole number from 1 to \d+ .*got '-1'/],
  ["--n-boot 1000000000", () => ["fixed", H + "values.h5ad", ...P, "--bootstrap", "--n-boot", "1000000000"], 2, /--n-boot expects a whole number from 1 to 100000, got '1000000000'/],
  ["--features given twice", () => ["mixed", H + "values.h5ad", ...P, "--features", "ok1", "--features", "ok2"], 2, /--features given twice \('ok1', then 'ok2'\); give it once, as one comma-separated list/],
  ["example --out names an existing file", () => ["example", "--out", T("precious.csv"), "--quiet"], 2, /cannot write example --out '.*precious\.csv': it exists and is not a folder/],
  ["example --out under a file", () => ["example", "--out", T("precious.csv") + "/sub", "--quiet"], 2, /cannot write example --out '.*precious\.csv\/sub': a part of the path is not a folder/],
  ["example --out /proc/self/x (Node's recursive mkdir spins there)", () => ["example", "--out", "/proc/self/x", "--quiet"], 2, /cannot write example --out '\/proc\/self\/x': cannot make folder/],
  ["--out a symlink to a device", () => ["mixed", H + "values.h5ad", ...P, "--out", T("null.csv")], 2, /cannot write --out '.*null\.csv': it is not a regular file \(it links to '\/dev\/null'\)/],
  // HDF5 links out of the file: refused, naming the link and its target
  ["external link to a missing file", () => ["mixed", H + "ext_missing.h5ad", ...P], 2, /\/X: is an external link to 'missing\.h5ad' \(object \/X\); .*external links are refused/],
  ["external link to a file that is not HDF5", () => ["mixed", H + "ext_not_hdf5.h5ad", ...P], 2, /\/X: is an external link to 'README\.md'/],
  ["external link to the file itself", () => ["inspect", H + "ext_self.h5ad"], 2, /\/X: is an external link to 'ext_self\.h5ad'/],
  ["external link to a valid AnnData file (not followed)", () => ["mixed", H + "ext_valid.h5ad", ...P], 2, /\/X: is an external link to 'mini\.h5ad'/],
  ["external link inside X", () => ["fixed", H + "ext_data.h5ad", ...P], 2, /\/X\/data: is an external link to 'mini\.h5ad' \(object \/X\/data\)/],
  ["dangling soft link", () => ["mixed", H + "soft_broken.h5ad", ...P], 2, /\/X\/data: is a soft link to '\/nowhere\/data', which does not exist/],
  ["virtual dataset mapping another file", () => ["mixed", H + "vds_external.h5ad", ...P], 2, /\/X\/data: is a virtual dataset mapping data from 'mini\.h5ad'/],
  ["raw data stored in an external file (/etc/passwd)", () => ["mixed", H + "efl_data.h5ad", ...P], 2, /\/X\/data: its data are stored in another file \('\/etc\/passwd'\); .*external storage is refused/],
  // sizes from headers checked before allocating
  ["sparse X declaring 2^28 stored values", () => ["mixed", H + "nnz_2e28.h5ad", ...P], 2, /\/X\/data: declares 268435456 stored values, more than the 108 x 3 matrix has cells/],
  ["sparse X declaring 2^31 stored values (inspect)", () => ["inspect", H + "nnz_2e31.h5ad"], 2, /declares 2147483648 stored values, more than the 108 x 3 matrix/],
  ["sparse X declaring 2^33 stored values in a 2^17 x 2^17 matrix", () => ["mixed", H + "nnz_2e33.h5ad", ...P], 2, /\/X\/data: declares 8589934592 values \(32\.0 GiB\), more than the file \(.* KiB\) can hold/],
  // unsupported dtypes named, not misread as constants
  ["X stored as complex128", () => ["mixed", H + "x_complex128.h5ad", ...P], 2, /\/X\/data: has dtype complex128; expected integer or float/],
  ["X stored as float16", () => ["fixed", H + "x_float16.h5ad", ...P], 2, /\/X\/data: has dtype float16; expected integer or float/],
  ["X stored as a compound", () => ["inspect", H + "x_compound.h5ad"], 2, /\/X\/data: has dtype compound \{a: float64, b: int32\}/],
  ["nullable-integer mask shorter than its values", () => ["inspect", H + "mask_short.h5ad"], 2, /\/obs\/age\/mask: has 107 entries but obs\/age\/values has 108/],
  // text: strict UTF-8, pandas' numbers, quotes
  ["Latin-1 labels in an .h5ad (strict UTF-8)", () => ["mixed", H + "latin1_labels.h5ad", ...P], 2, /\/obs\/participant_id\/categories: value 1 of 12 is not valid UTF-8 \(bytes 0x4D 0xFC\)/],
  ["Latin-1 labels in a CSV (strict UTF-8)", () => ["mixed", T("latin1.csv"), ...P], 2, /latin1\.csv: line 2, column 'participant_id': invalid UTF-8 \(bytes 0xFC/],
  ["0x10 is text, as in pandas: its column is not numeric", () => ["mixed", T("hex.csv"), ...P, "--features", "g1"], 2, /feature 'g1' is an obs column of type string, not numeric/],
  ["unterminated quote", () => ["mixed", T("quote.csv"), ...P], 2, /quote\.csv: line 3: unterminated quoted field/],
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

describe("duplicated var names: made unique as anndata does, one warning, the scan runs", () => {
  it("var_dup.h5ad (ok1, ok1, has_nan)", () => {
    const r = run(["mixed", H + "var_dup.h5ad", ...P, "--threads", "1"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^trialmix: warning: 1 var name\(s\) occur more than once \(ok1\): the 1 repeat\(s\) were renamed as anndata's var_names_make_unique\(\) does \('ok1' -> 'ok1-1', \.\.\.\)\n/);
    expect(rows(r.stdout).map((x) => x.feature)).toEqual(["ok1", "ok1-1", "has_nan"]);
  });
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

describe("hostile values and labels (issue 12)", () => {
  it("pandas' NA tokens are missing in participant and arm columns too (not a label 'NA')", () => {
    const na = ["NA", "N/A", "null", "None", "<NA>", "#N/A", "nan", "NULL", "-nan", "1.#QNAN"];
    // participant P0's label is an NA token (its cells have no participant); P7's arm is one (no arm)
    const path = csv("na.csv", trial({ edit: (c, k) => (k === 0 ? { ...c, p: na[Math.floor(rnd() * 4 + 5) % na.length] } : k === 7 ? { ...c, a: "NA" } : c) }));
    const r = run(["mixed", path, ...P]);
    expect(r.status, r.stderr).toBe(0);
    expect(rows(r.stdout).map((x) => x.n_units)).toEqual(["6", "6"]);
  });

  it("arm labels that differ only by case or spaces are named in a warning with the participants dropped", () => {
    const path = csv("near.csv", trial({ nT: 5, nC: 5, edit: (c, k) => (k === 1 ? { ...c, a: "Treated " } : k === 6 || k === 7 ? { ...c, a: "control" } : c) }));
    const r = run(["mixed", path, ...P]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: arm label 'Treated ' in column 'arm' differs from 'Treated' only by case or spaces: its 1 participant\(s\) were dropped/);
    expect(r.stderr).toMatch(/warning: arm label 'control' in column 'arm' differs from 'Control' only by case or spaces: its 2 participant\(s\) were dropped/);
    expect(rows(r.stdout)[0].n_units).toBe("7");
  });

  it("a table with 100,000 feature columns: every feature fitted (frame building is linear in the columns)", () => {
    const C = 100_000;
    const cols = Array.from({ length: C }, (_, j) => `g${j}`);
    const lines = [["participant_id", "visit", "arm", ...cols].join(",")];
    for (let k = 0; k < 8; k++)
      for (const v of ["Pre", "Post"]) lines.push([`P${k}`, v, k < 4 ? "Treated" : "Control", ...cols.map(() => (5 + 2 * rnd()).toFixed(3))].join(","));
    writeFileSync(T("wide.csv"), lines.join("\n") + "\n");
    const r = run(["mixed", T("wide.csv"), ...P, "--out", T("wide.out.csv")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/trialmix mixed: 100000 features \(by default the table's numeric columns: g0, g1, g2, g3, g4 and 99995 more\), 100000 fitted/);
    expect(r.ms).toBeLessThan(15_000); // the hang guard of the table above: quadratic frame building took ~15 s here
  });
});

/** Run the CLI in `sh -c` (a ulimit, a pipe), returning status and output. */
function sh(script: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("sh", ["-c", script], { encoding: "utf8", timeout: 60_000, maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const NODE = JSON.stringify(process.execPath);
const Q = (p: string) => `'${p.replace(/'/g, "'\\''")}'`;

function oneLine(stderr: string): void {
  expect(stderr.trim().split("\n"), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |internal error|HDF5-DIAG|FATAL|<--- /);
}

describe("resources: address space, closed pipes, full disks, signals (issue 12)", () => {
  it("under ulimit -v 1 GiB a small CSV runs, under 5 GiB an .h5ad on 2 threads (no guard regions for wasm memories)", () => {
    const path = csv("ulimit.csv", trial());
    const r = sh(`ulimit -v ${1 << 20} && ${NODE} ${Q(CLI)} mixed ${Q(path)} --visits Pre,Post --quiet`);
    expect(r.status, r.stderr).toBe(0);
    expect(rows(r.stdout).map((x) => x.feature)).toEqual(["g1", "g2"]);
    // 5 GiB: 2 worker threads fit (at 2-16 GiB h5wasm failed with "filename.startsWith is not a function")
    const e = sh(`ulimit -v ${5 << 20} && ${NODE} ${Q(CLI)} mixed ${Q(FIX + "basic.h5ad")} --visits Pre,Post --quiet --threads 2`);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/^trialmix mixed: \d+ features, \d+ fitted/);
    expect(rows(e.stdout).length).toBeGreaterThan(10);
  });

  it("memory exhausted under ulimit -v: one line, exit 2", () => {
    // 10,000 participants x 100,000 bootstrap draws: 1 GB of sign flips, more than 1.25 GiB leaves beside node and its readers
    const path = csv("many.csv", trial({ nT: 5000, nC: 5000 }));
    const r = sh(`ulimit -v ${(1 << 20) + (1 << 18)} && ${NODE} ${Q(CLI)} fixed ${Q(path)} --visits Pre,Post --quiet --features g1 --bootstrap --n-boot 100000 > /dev/null`);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^trialmix: out of memory/);
    oneLine(r.stderr);
  });

  it("stdout closed early (| head): quiet, status 0", async () => {
    const child = spawn(process.execPath, [CLI, "mixed", H + "values.h5ad", ...P, "--aggregate", "cell"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.once("data", () => child.stdout.destroy()); // the reader goes away after the first chunk
    const code = await new Promise<number | null>((ok) => child.on("close", (c) => ok(c)));
    expect(code, err).toBe(0);
    expect(err).not.toMatch(/EPIPE|\n\s+at |internal error/);
    const r = sh(`${NODE} ${Q(CLI)} mixed ${Q(FIX + "basic.h5ad")} --visits Pre,Post --quiet | head -1`);
    expect(r.stdout).toMatch(/^feature,beta_DiD/);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at |internal error/);
  });

  it("stdout on /dev/full: one line, exit 2", () => {
    const fd = openSync("/dev/full", "w");
    try {
      const r = spawnSync(process.execPath, [CLI, "mixed", H + "values.h5ad", ...P], { stdio: ["ignore", fd, "pipe"], encoding: "utf8" });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^trialmix: cannot write the output to stdout: no space left on the device \(ENOSPC\)/);
      oneLine(r.stderr);
    } finally {
      closeSync(fd);
    }
  });

  /** Start a scan writing `out` and send `sig` at the moment `when` says: one line, exit 2, no temporary file, `out` untouched. */
  /** Waits until the CLI's handlers are set (Linux: /proc/PID/status SigCgt shows SIGHUP caught, which only
   * handleSignals catches; node itself may catch SIGINT and SIGTERM from its start), so a loaded machine's slow
   * start does not turn the test into "killed before the CLI ran" (at most 20 s; elsewhere, 500 ms). */
  async function handlerInstalled(pid: number): Promise<void> {
    const bit = BigInt(1) << BigInt(osConstants.signals.SIGHUP - 1);
    for (let t = 0; t < 400; t++) {
      let mask: bigint | null = null;
      try {
        const m = /SigCgt:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        if (m) mask = BigInt("0x" + m[1]);
      } catch {
        if (t === 0) return new Promise((ok) => setTimeout(ok, 500));
      }
      if (mask !== null && (mask & bit) !== BigInt(0)) return;
      await new Promise((ok) => setTimeout(ok, 50));
    }
  }

  async function interrupt(sig: NodeJS.Signals, when: "computing" | "writing"): Promise<void> {
    const dir = mkdtempSync(join(tmp, "sig-"));
    const out = join(dir, "out.json");
    writeFileSync(out, "precious\n");
    if (!existsSync(T("wide30k.csv"))) {
      const cols = Array.from({ length: 30_000 }, (_, j) => `g${j}`);
      const lines = [["participant_id", "visit", "arm", ...cols].join(",")];
      for (let k = 0; k < 8; k++) for (const v of ["Pre", "Post"]) lines.push([`P${k}`, v, k < 4 ? "Treated" : "Control", ...cols.map(() => (5 + 2 * rnd()).toFixed(3))].join(","));
      writeFileSync(T("wide30k.csv"), lines.join("\n") + "\n");
    }
    // the JSON of 30,000 rows is ~18 MB, written in 1 MiB chunks and flushed: a window to catch
    const child = spawn(process.execPath, [CLI, "mixed", T("wide30k.csv"), ...P, "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const closed = new Promise<number | null>((ok) => child.on("close", (c) => ok(c)));
    if (when === "computing") {
      await handlerInstalled(child.pid!); // the CLI has started and catches the signal; the table is being read or fitted
      child.kill(sig);
    } else {
      // the moment the temporary file appears: freeze the writer, signal it, let it go
      await new Promise<void>((ok) => {
        const w = watch(dir, (_e, name) => {
          if (name && String(name).endsWith(".tmp")) {
            child.kill("SIGSTOP");
            w.close();
            ok();
          }
        });
        void closed.then(() => (w.close(), ok())); // missed (the write finished first): fail below, not by timeout
      });
      expect(readdirSync(dir).some((f) => f.endsWith(".tmp"))).toBe(true);
      child.kill(sig);
      child.kill("SIGCONT");
    }
    expect(await closed, err).toBe(2);
    expect(err).toMatch(new RegExp(`^trialmix: interrupted by ${sig}`));
    oneLine(err);
    expect(readdirSync(dir)).toEqual(["out.json"]);
    expect(readFileSync(out, "utf8")).toBe("precious\n");
  }

  it("SIGINT while computing: one line, exit 2, nothing written", () => interrupt("SIGINT", "computing"), 60_000);
  it("SIGINT during the final write: the temporary file is removed, the target stays", () => interrupt("SIGINT", "writing"), 60_000);
  it("SIGTERM during the final write: the same", () => interrupt("SIGTERM", "writing"), 60_000);
});

describe("output files (issue 12)", () => {
  // root may write anywhere: the permission case needs an ordinary user (CI); /proc/self/x above covers root
  it.skipIf(process.getuid?.() === 0)("example --out in a folder that is not writable: one line, exit 2", () => {
    mkdirSync(T("ro"));
    chmodSync(T("ro"), 0o555);
    const r = run(["example", "--out", T("ro/ex"), "--quiet"]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot write example --out '.*ro\/ex': cannot make folder '.*ro\/ex' \(permission denied\)/);
    oneLine(r.stderr);
  });

  it("overwriting an output keeps its mode; a symlinked --out is written through, the link kept", () => {
    const out = T("mode.csv");
    writeFileSync(out, "old\n");
    chmodSync(out, 0o640);
    expect(run(["mixed", H + "values.h5ad", ...P, "--features", "ok1", "--out", out]).status).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o640);
    expect(readFileSync(out, "utf8")).toMatch(/^feature,/);
    const real = T("real.csv");
    writeFileSync(real, "old\n");
    symlinkSync(real, T("link.csv"));
    const r = run(["mixed", H + "values.h5ad", ...P, "--features", "ok1", "--out", T("link.csv")]);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(T("link.csv")).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, "utf8")).toMatch(/^feature,/);
    expect(readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("text cells a spreadsheet would evaluate get a leading apostrophe; numbers stay as they are", () => {
    const names = ["=HYPERLINK(1)", "+cmd", "-sum", "@SUM(1)", "-1.5", "plain"];
    const lines = [["participant_id", "visit", "arm", ...names].map((x) => (x.includes(",") ? `"${x}"` : x)).join(",")];
    for (let k = 0; k < 8; k++) for (const v of ["Pre", "Post"]) lines.push([`P${k}`, v, k < 4 ? "Treated" : "Control", ...names.map((_, j) => (k + j + rnd()).toFixed(3))].join(","));
    writeFileSync(T("formula.csv"), lines.join("\n") + "\n");
    for (const ext of ["csv", "tsv"]) {
      const out = T(`formula.out.${ext}`);
      const r = run(["mixed", T("formula.csv"), ...P, "--out", out]);
      expect(r.status, r.stderr).toBe(0);
      const text = readFileSync(out, "utf8");
      const feats = text.trim().split("\n").slice(1).map((l) => (ext === "csv" ? parseDelimited(l + "\n", ",").header[0] : l.split("\t")[0]));
      expect(feats).toEqual(["'=HYPERLINK(1)", "'+cmd", "'-sum", "'@SUM(1)", "-1.5", "plain"]);
      expect(text).toMatch(ext === "csv" ? /,-\d/ : /\t-\d/); // negative statistics are written as numbers
    }
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

describe("the pieces behind issue 12's rows", () => {
  it("decimals read in place equal Number() on the same text (Clinger's fast path or a fallback)", () => {
    const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
    const decimal = fc
      .tuple(fc.constantFrom("", "-", "+"), digits(0, 18), fc.option(digits(0, 18)), fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "-", "+"), digits(1, 3))))
      .map(([sg, a, b, e]) => `${sg}${a}${b === null ? "" : `.${b}`}${e === null ? "" : e.join("")}`)
      .filter((t) => /\d/.test(t.replace(/[eE].*$/, "")));
    fc.assert(
      fc.property(decimal, (t) => {
        const fast = decimalAt(`x${t}y`, 1, 1 + t.length);
        const want = Number(t);
        expect(Object.is(fast ?? cellNumber(t), want), `${t}: ${fast} vs ${want}`).toBe(true);
        expect(Object.is(parseNumber(t), want)).toBe(true);
      }),
      { numRuns: 3000 },
    );
    for (const t of ["0x10", "0o7", "0b1", "1_000", "1e", "--1", ".", "Infinity x"]) expect(cellNumber(t), t).toBeUndefined();
    for (const t of NA_TOKENS) expect(cellNumber(t), t).toBeNaN();
    expect(cellNumber(" ")).toBeNaN();
    expect(cellNumber("-inf")).toBe(-Infinity);
    expect(cellNumber(" 2.5 ")).toBe(2.5);
  });

  it("spreadsheet-safe text: formulas escaped, numbers and plain text untouched", () => {
    expect(["=1+2", "+x", "-x", "@x", "\tx", "\rx"].map(spreadsheetSafe)).toEqual(["'=1+2", "'+x", "'-x", "'@x", "'\tx", "'\rx"]);
    expect(["-1.5", "+2e-3", "-inf", "x=1", "gene-1", ""].map(spreadsheetSafe)).toEqual(["-1.5", "+2e-3", "-inf", "x=1", "gene-1", ""]);
    expect(formatDelimited(["feature", "beta"], [{ feature: "=cmd|' /C calc'!A0", beta: -1.5 }], ",")).toBe("feature,beta\n'=cmd|' /C calc'!A0,-1.5\n");
  });

  it("a table's invalid UTF-8 and open quotes are located; bounded reads refuse larger files", () => {
    const bytes = Buffer.concat([Buffer.from("participant_id,visit,arm\nP1,Pre,Treated\nP2,"), Buffer.from([0x50, 0x72, 0xe9]), Buffer.from(",Control\n")]);
    expect(() => tableFromBytes(bytes, ",", "t.csv")).toThrow(/t\.csv: line 3, column 'visit': invalid UTF-8 \(bytes 0xE9/);
    expect(() => parseDelimited('a,b\n1,"x\n\ny\n')).toThrow(/line 2: unterminated quoted field/);
    expect(parseDelimited('a,b\n1,"x\ny"\n\n2,3\n').lines).toEqual([2, 5]);
    writeFileSync(T("big.txt"), "x".repeat(5000));
    expect(readRegularFile(T("big.txt"), 5000).length).toBe(5000);
    expect(() => readRegularFile(T("big.txt"), 4999, "--features-file")).toThrow(/cannot read --features-file '.*big\.txt': it holds more than/);
  });

  it("a frame larger than the memory there is is refused with its size before anything is allocated", () => {
    // 400,000 cells x 50,000 genes at cell level: 320 GB of doubles
    const n = 400_000;
    const G = 50_000;
    const cat = (name: string, labels: string[], code: (i: number) => number): ObsColumn => {
      const codes = Int32Array.from({ length: n }, (_, i) => code(i));
      return { name, kind: "categorical", codes, categories: labels, values: Array.from(codes, (c) => labels[c]), nMissing: 0 };
    };
    const cols: Record<string, ObsColumn> = {
      participant_id: cat("participant_id", Array.from({ length: 100 }, (_, k) => `P${k}`), (i) => i % 100),
      visit: cat("visit", ["Pre", "Post"], (i) => Math.floor(i / 100) % 2),
      arm: cat("arm", ["Treated", "Control"], (i) => ((i % 100) < 50 ? 0 : 1)),
    };
    const source: DataSource = {
      nObs: n,
      nVars: G,
      obsNames: [],
      varNames: Array.from({ length: G }, (_, j) => `g${j}`),
      obsColumns: Object.keys(cols),
      obsColumn: (c) => cols[c],
      layers: [],
      matrixInfo: () => ({ encoding: "csr_matrix", dtype: "float32", shape: [n, G] }),
      rowChunks: () => {
        throw new Error("the matrix must not be read");
      },
      close: () => undefined,
    };
    expect(() => buildFrame(source, makeDesign(), { visits: ["Pre", "Post"], aggregate: "cell" })).toThrow(
      /the analysis frame would hold 400000 rows x 50000 features \(298\.0 GiB while it is built\), more than the .* GiB this machine can spare .*aggregate per participant-visit/,
    );
  });
});
