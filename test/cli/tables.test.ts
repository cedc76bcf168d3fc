// The command line's lines for tables from R and spreadsheets (test/fixtures/tables/): the summary
// line naming default features, the third-arm warning, the separator hint, --sep / --decimal.
// Runs the built CLI (dist/cli.js, built by `npm test`).
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseDelimited } from "../../src/io/csv.js";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const T = fileURLToPath(new URL("../fixtures/tables/", import.meta.url));
const P = ["--visits", "Pre,Post", "--threads", "1", "--quiet"];

function run(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function table(text: string): Record<string, string>[] {
  const { header, rows } = parseDelimited(text);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
}

describe("tables on the command line", () => {
  it("the summary line names the default features and what was left out", () => {
    const r = run(["mixed", T + "bookkeeping.csv", ...P]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      "trialmix mixed: 7 features (by default the table's numeric columns: sig_demo, G00000, G00001, G00002, G00003 and 2 more; left out: day, period (one value per visit), age (one value per participant)), 7 fitted\n",
    );
    expect(table(r.stdout).map((x) => x.feature)).toEqual(["sig_demo", "G00000", "G00001", "G00002", "G00003", "G00004", "G00005"]);
    const plain = run(["mixed", T + "plain.csv", ...P]);
    expect(r.stdout).toBe(plain.stdout); // the same table as the plain file's
    const c = run(["compare", T + "bookkeeping.csv", ...P]);
    expect(c.stderr).toMatch(/^trialmix compare: 7 features \(by default the table's numeric columns: sig_demo, .*\), fixed and mixed agree on \d+\n$/);
    const given = run(["fixed", T + "bookkeeping.csv", ...P, "--features", "G00000,G00001"]);
    expect(given.stderr).toBe("trialmix fixed: 2 features, 2 fitted\n");
  });

  it("write.csv2 reads as the plain table; a wrong --sep names the one to try", () => {
    const plain = run(["fixed", T + "plain.csv", ...P]);
    for (const f of ["csv2.csv", "csv2_rownames.csv", "rownames.csv", "semicolon_dot.csv"]) expect(run(["fixed", T + f, ...P]).stdout, f).toBe(plain.stdout);
    expect(run(["fixed", T + "csv2.csv", ...P, "--sep", ";", "--decimal", ","]).stdout).toBe(plain.stdout);
    const bad = run(["mixed", T + "csv2.csv", ...P, "--sep", ","]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(`trialmix: ${T}csv2.csv: line 2 has 8 fields, the header has 1: is the file semicolon-separated? try --sep ';'\n`);
    const opt = run(["mixed", T + "csv2.csv", ...P, "--sep", "|"]);
    expect(opt.status).toBe(2);
    expect(opt.stderr).toMatch(/--sep expects one of auto, ',', ';', tab, got '\|'/);
  });

  it("labels as written; an empty requested column is a NaN row; a third arm is a warning", () => {
    const a = run(["mixed", T + "arm_logical.csv", ...P, "--treated", "TRUE", "--control", "FALSE"]);
    expect(a.status, a.stderr).toBe(0);
    expect(run(["mixed", T + "visit_decimal.csv", "--visits", "0.0,21.0", "--threads", "1", "--quiet"]).status).toBe(0);
    const e = run(["mixed", T + "empty_feature.csv", ...P, "--features", "G00000,G_empty"]);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stderr).toBe("trialmix mixed: 2 features, 1 fitted, 1 without statistics (1: column 'G_empty' is empty: every cell is blank or NA)\n");
    const row = table(e.stdout).find((x) => x.feature === "G_empty")!;
    expect([row.beta_DiD, row.p_DiD, row.error]).toEqual(["", "", "column 'G_empty' is empty: every cell is blank or NA"]);
    const t = run(["fixed", T + "third_arm.csv", ...P]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr.split("\n")[0]).toBe(
      "trialmix: warning: arm 'Low dose' in column 'arm' is neither the treated ('Treated') nor the control ('Control') arm: its 4 participant(s) (8 rows) were dropped",
    );
    expect(t.stdout).toBe(run(["fixed", T + "plain.csv", ...P]).stdout);
  });
});
