// End-to-end test of the browser build: build dist-web, serve it on 127.0.0.1, drive Debian's
// headless Chromium with playwright-core, run the mixed scan on the example and compare the
// page's table with what `trialmix mixed examples/example.h5ad --visits Pre,Post` writes.
// Needs /usr/bin/chromium (or TRIALMIX_CHROMIUM=path); TRIALMIX_SKIP_BROWSER=1 skips it.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Server } from "node:http";
import { chromium, type Browser, type Page } from "playwright-core";
import { parseDelimited, parseNumber } from "../../src/io/csv.js";

const root = resolve(__dirname, "..", "..");
const CHROMIUM = process.env.TRIALMIX_CHROMIUM ?? "/usr/bin/chromium";
const SKIP = process.env.TRIALMIX_SKIP_BROWSER === "1";
const haveChromium = existsSync(CHROMIUM);
const artifacts = join(root, "test-artifacts");
const example = join(root, "examples", "example.h5ad");

const CHROME_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function close(a: number, b: number, rel = 1e-9): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + 1e-300;
}

const suite = SKIP && !haveChromium ? describe.skip : describe;

suite("browser build (dist-web) in headless Chromium", () => {
  let server: Server | undefined;
  let url = "";
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleText: string[] = []; // the page's and its workers' console (HDF5's diagnostic dumps must not reach it)

  beforeAll(async () => {
    if (!haveChromium)
      throw new Error(
        `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set TRIALMIX_CHROMIUM=/path/to/chromium; set TRIALMIX_SKIP_BROWSER=1 to skip the browser tests`,
      );
    if (!existsSync(join(root, "dist", "cli.js")))
      throw new Error("dist/cli.js not found: run `npx tsc -p tsconfig.json && node scripts/postbuild.mjs` (npm run build) first");
    const b = spawnSync(process.execPath, [join(root, "scripts", "build-web.mjs")], { cwd: root, encoding: "utf8" });
    if (b.status !== 0) throw new Error(`scripts/build-web.mjs failed:\n${b.stdout}\n${b.stderr}`);
    mkdirSync(artifacts, { recursive: true });
    const { startServer } = (await import("../../scripts/serve-web.mjs")) as {
      startServer(o: { dir: string; port: number }): Promise<{ server: Server; url: string }>;
    };
    ({ server, url } = await startServer({ dir: join(root, "dist-web"), port: 0 }));
    // launch() gives Chromium a new empty profile (--user-data-dir) of its own
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROME_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => consoleText.push(m.text()));
    page.on("worker", (w) => (w as unknown as { on(e: "console", f: (m: { text(): string }) => void): void }).on("console", (m) => consoleText.push(m.text())));
    await page.goto(url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it("runs the mixed scan on the example with the defaults and matches the CLI", async () => {
    await page.getByTestId("file-input").setInputFiles(example);
    await page.getByTestId("run").waitFor({ state: "visible", timeout: 30_000 });
    expect(await page.getByTestId("shape").textContent()).toContain("1,474 cells × 300 features");
    // the CLI defaults, and visits Pre -> Post picked from the levels
    expect(await page.getByTestId("participant").inputValue()).toBe("participant_id");
    expect(await page.getByTestId("baseline").inputValue()).toBe("Pre");
    expect(await page.getByTestId("followup").inputValue()).toBe("Post");
    expect(await page.getByTestId("treated").inputValue()).toBe("Treated");
    expect(await page.getByTestId("control").inputValue()).toBe("Control");
    await page.screenshot({ path: join(artifacts, "web-opened.png"), fullPage: true });

    const t0 = performance.now();
    await page.getByTestId("run").click();
    await page.locator("[data-testid=results] tbody tr").first().waitFor({ timeout: 60_000 });
    const wallMs = performance.now() - t0;
    const pageMs = Number(await page.getByTestId("summary").getAttribute("data-ms"));
    await page.screenshot({ path: join(artifacts, "web-results.png"), fullPage: true });

    // the CLI's output, sorted by p as the page sorts it (stable: ties keep the CLI order)
    const cli = spawnSync(process.execPath, [join(root, "dist", "cli.js"), "mixed", example, "--visits", "Pre,Post", "--quiet"], { encoding: "utf8" });
    expect(cli.status, cli.stderr).toBe(0);
    const { header, rows } = parseDelimited(cli.stdout, ",");
    const col = (n: string) => header.indexOf(n);
    const ref = rows
      .map((r, i) => ({ i, feature: r[col("feature")], beta: parseNumber(r[col("beta_DiD")]), se: parseNumber(r[col("se_DiD")]), p: parseNumber(r[col("p_DiD")]) }))
      .sort((a, b) => (Number.isNaN(a.p) ? 1 : 0) - (Number.isNaN(b.p) ? 1 : 0) || a.p - b.p || a.i - b.i);

    const got = await page.$$eval("[data-testid=results] tbody tr", (trs) =>
      trs.slice(0, 25).map((tr) => {
        const v = (c: string) => tr.querySelector(`td[data-col="${c}"]`)?.getAttribute("data-value") ?? "";
        return { feature: v("feature"), beta: v("beta_DiD"), se: v("se_DiD"), p: v("p_DiD") };
      }),
    );
    expect(got.length).toBe(Math.min(25, ref.length));
    got.forEach((g, k) => {
      const r = ref[k];
      expect(g.feature, `row ${k}`).toBe(r.feature);
      for (const key of ["beta", "se", "p"] as const) {
        const x = g[key] === "" ? NaN : Number(g[key]);
        expect(close(x, r[key]), `row ${k} ${r.feature} ${key}: page ${x} vs CLI ${r[key]}`).toBe(true);
      }
    });

    // one volcano point per fitted feature (finite p), and the hover names the gene
    const fitted = ref.filter((r) => Number.isFinite(r.p) && Number.isFinite(r.beta)).length;
    expect(await page.locator("[data-testid=volcano] circle.pt").count()).toBe(fitted);
    expect(await page.locator("[data-testid=volcano] .fdr-line").count()).toBe(1);
    const first = page.locator(`[data-testid=volcano] circle.pt[data-feature="${ref[0].feature}"]`);
    await first.hover({ force: true });
    expect(await page.getByTestId("tooltip").textContent()).toContain(ref[0].feature);

    // the CSV download is the CLI's output: same columns, rows and text; numbers to 1e-9
    // (not byte for byte: Chromium's V8 and Node's may differ in the last ulp of Math.* results)
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-csv").click()]);
    const csvPath = join(artifacts, "web-example.mixed.csv");
    await dl.saveAs(csvPath);
    const web = parseDelimited(readFileSync(csvPath, "utf8"), ",");
    expect(web.header).toEqual(header);
    expect(web.rows.length).toBe(rows.length);
    web.rows.forEach((r, i) =>
      r.forEach((cell, j) => {
        const want = rows[i][j];
        const a = Number(cell);
        const b = Number(want);
        if (cell === want) return;
        expect(cell !== "" && want !== "" && Number.isFinite(a) && close(a, b), `CSV row ${i + 2}, ${header[j]}: page '${cell}' vs CLI '${want}'`).toBe(true);
      }),
    );

    // timing: the same scan in Node (in-process, as the page times it: open + frame + fit)
    const node = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { didTableMixed } from ${JSON.stringify(join(root, "dist", "index.js"))};
         const o = { visits: ["Pre", "Post"], threads: 1 }; const ms = [];
         for (let i = 0; i < 2; i++) { const t0 = performance.now(); didTableMixed(${JSON.stringify(example)}, o); ms.push(performance.now() - t0); }
         console.log(JSON.stringify(ms));`,
      ],
      { encoding: "utf8" },
    );
    expect(node.status, node.stderr).toBe(0);
    const [nodeCold, nodeWarm] = JSON.parse(node.stdout.trim()) as number[];
    console.log(
      `web e2e timing, mixed scan of examples/example.h5ad (300 features): page ${pageMs.toFixed(0)} ms in the worker ` +
        `(${wallMs.toFixed(0)} ms click to table), Node ${nodeCold.toFixed(0)} ms cold / ${nodeWarm.toFixed(0)} ms warm; ` +
        `page/Node(cold) = ${(pageMs / nodeCold).toFixed(2)}x`,
    );
    writeFileSync(join(artifacts, "web-timing.json"), JSON.stringify({ pageMs, wallMs, nodeCold, nodeWarm }, null, 1));
    expect(pageErrors).toEqual([]);
  }, 120_000);

  let mixedCsv = "";
  /** Run the scan with the form as it is and `threads` fit workers; the CSV download and the page's timing. */
  async function runWithThreads(threads: number): Promise<{ csv: string; ms: number; threads: string | null }> {
    await page.getByTestId("threads").fill(String(threads));
    await page.evaluate("document.querySelector('[data-testid=summary]').removeAttribute('data-ms')");
    await page.getByTestId("run").click();
    const summary = page.locator("[data-testid=summary][data-ms]");
    await summary.waitFor({ state: "attached", timeout: 60_000 });
    const ms = Number(await summary.getAttribute("data-ms"));
    const used = await summary.getAttribute("data-threads");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-csv").click()]);
    const path = join(artifacts, `web-threads-${threads}.csv`);
    await dl.saveAs(path);
    return { csv: readFileSync(path, "utf8"), ms, threads: used };
  }

  it("fits on 2 Web Workers: the same table as on 1 worker and as the CLI; times both", async () => {
    expect(await page.getByTestId("threads").inputValue()).toMatch(/^[1-8]$/); // default: cores, at most 8
    // cold then warm (the pool of fit workers is kept between runs)
    const one = [await runWithThreads(1), await runWithThreads(1)];
    const two = [await runWithThreads(2), await runWithThreads(2)];
    expect(one[1].threads).toBe("1");
    expect(two[1].threads).toBe("2");
    // identical text: same rows, same order, same digits
    for (const t of [...one, ...two]) expect(t.csv).toBe(one[0].csv);
    mixedCsv = one[0].csv;

    const cli = spawnSync(process.execPath, [join(root, "dist", "cli.js"), "mixed", example, "--visits", "Pre,Post", "--quiet"], { encoding: "utf8" });
    expect(cli.status, cli.stderr).toBe(0);
    const ref = parseDelimited(cli.stdout, ",");
    const web = parseDelimited(two[1].csv, ",");
    expect(web.header).toEqual(ref.header);
    expect(web.rows.length).toBe(ref.rows.length);
    web.rows.forEach((r, i) =>
      r.forEach((cell, j) => {
        const want = ref.rows[i][j];
        if (cell === want) return;
        expect(cell !== "" && want !== "" && close(Number(cell), Number(want)), `CSV row ${i + 2}, ${ref.header[j]}: 2 workers '${cell}' vs CLI '${want}'`).toBe(true);
      }),
    );

    // the mixed half of compare on 2 workers: the same table as on 1
    await page.locator("input[name=mode][value=compare]").check();
    const cmp1 = await runWithThreads(1);
    const cmp2 = await runWithThreads(2);
    expect(cmp2.threads).toBe("2");
    expect(cmp2.csv).toBe(cmp1.csv);
    expect(cmp1.csv.split("\n")[0]).toContain("beta_mixed");
    await page.locator("input[name=mode][value=mixed]").check();

    // the cell-level model (1,474 rows per fit: the fits dominate): identical on 1 and 2 workers
    await page.getByTestId("aggregate").selectOption("cell");
    const cell = [await runWithThreads(1), await runWithThreads(2), await runWithThreads(1), await runWithThreads(2)];
    for (const t of cell) expect(t.csv).toBe(cell[0].csv);
    await page.getByTestId("aggregate").selectOption("participant_visit");

    const f = (x: number) => x.toFixed(0);
    console.log(
      `web e2e timing, mixed scan of examples/example.h5ad (300 features) in the page: ` +
        `1 worker ${f(one[0].ms)} ms cold / ${f(one[1].ms)} ms warm, 2 fit workers ${f(two[0].ms)} ms cold / ${f(two[1].ms)} ms warm ` +
        `(speed-up warm ${(one[1].ms / two[1].ms).toFixed(2)}x); cell-level model: 1 worker ${f(cell[2].ms)} ms, 2 fit workers ${f(cell[3].ms)} ms ` +
        `(${(cell[2].ms / cell[3].ms).toFixed(2)}x); compare: ${f(cmp1.ms)} / ${f(cmp2.ms)} ms`,
    );
    writeFileSync(
      join(artifacts, "web-timing-threads.json"),
      JSON.stringify({ oneCold: one[0].ms, oneWarm: one[1].ms, twoCold: two[0].ms, twoWarm: two[1].ms, compareOne: cmp1.ms, compareTwo: cmp2.ms, cellOne: cell[2].ms, cellTwo: cell[3].ms }, null, 1),
    );
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("cancel stops the scan worker and its fit workers", async () => {
    // after a run on 2 workers: the scan worker and its 2 fit workers (kept for the next run)
    expect(page.workers().length).toBeGreaterThanOrEqual(3);
    await page.getByTestId("threads").fill("2");
    await page.getByTestId("aggregate").selectOption("cell"); // a longer scan
    // cancel as soon as the first block of fits is back (a string: vitest would rewrite a function)
    const status = (await page.evaluate(`new Promise((resolve) => {
      const st = document.getElementById("status");
      const obs = new MutationObserver(() => {
        const text = st.textContent;
        if (/fitting on/.test(text)) { obs.disconnect(); document.getElementById("cancel").click(); resolve(text); }
      });
      obs.observe(st, { childList: true, characterData: true, subtree: true });
      document.getElementById("run").click();
    })`)) as string;
    expect(status).toMatch(/fitting on 2 workers: \d+ \/ 300/);
    expect(await page.getByTestId("progress").getAttribute("data-state")).toBe("cancelled");
    await page.getByTestId("aggregate").selectOption("participant_visit");
    // the old workers are gone: only the fresh scan worker is left (its fit workers start with its first run)
    await expect.poll(() => page.workers().length, { timeout: 10_000 }).toBeLessThanOrEqual(1);
    await page.getByTestId("run").waitFor({ state: "visible" });
    const again = await runWithThreads(2);
    expect(again.threads).toBe("2");
    expect(again.csv).toBe(mixedCsv);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("reports a design that cannot be fitted in the error box", async () => {
    await page.getByTestId("control").selectOption("Treated");
    await page.getByTestId("run").click();
    const err = page.getByTestId("error");
    await err.waitFor({ state: "visible", timeout: 30_000 });
    expect(await err.textContent()).toMatch(/treated and control/i);
    await page.getByTestId("control").selectOption("Control");
  }, 60_000);

  it("names a missing design column", async () => {
    await page.getByTestId("file-input").setInputFiles(join(root, "test", "fixtures", "variants", "bad_encoding.h5ad"));
    await page.getByTestId("run").waitFor({ state: "visible", timeout: 30_000 });
    await page.getByTestId("run").click();
    const err = page.getByTestId("error");
    await err.waitFor({ state: "visible", timeout: 30_000 });
    expect(await err.textContent()).toContain("participant column 'participant_id' not found");
  }, 60_000);

  it("the embeddable library (dist-web/trialmix.js) runs a scan on bytes in the page's main thread", async () => {
    const bytes = readFileSync(example).toString("base64");
    // a string, not a function: vitest would rewrite the function's import() for Node
    const script = `(async () => {
      const tm = await import(new URL("./trialmix.js", location.href).href);
      await tm.initTrialmix();
      const u8 = Uint8Array.from(atob(${JSON.stringify(bytes)}), (c) => c.charCodeAt(0));
      const ad = await tm.openH5adFile(u8, { name: "example.h5ad" });
      try {
        const t = tm.didTableMixed(ad, { visits: ["Pre", "Post"] });
        return { n: t.rows.length, first: t.rows[0].feature, beta: t.rows[0].beta_DiD, nObs: ad.nObs };
      } finally {
        ad.close();
      }
    })()`;
    const out = (await page.evaluate(script)) as { n: number; first: string; beta: number; nObs: number };
    expect(out.n).toBe(300);
    expect(out.nObs).toBe(1474);
    const cli = spawnSync(process.execPath, [join(root, "dist", "cli.js"), "mixed", example, "--visits", "Pre,Post", "--quiet"], { encoding: "utf8" });
    const { header, rows } = parseDelimited(cli.stdout, ",");
    expect(out.first).toBe(rows[0][header.indexOf("feature")]);
    expect(close(out.beta, parseNumber(rows[0][header.indexOf("beta_DiD")]))).toBe(true);
  }, 60_000);

  it("shows a clear message for a file that is not AnnData", async () => {
    const bad = join(artifacts, "not-anndata.h5ad");
    writeFileSync(bad, "feature,beta\nG1,0.5\nthis is a text file renamed .h5ad\n");
    await page.getByTestId("file-input").setInputFiles(bad);
    const err = page.getByTestId("error");
    await err.waitFor({ state: "visible", timeout: 30_000 });
    const msg = (await err.textContent()) ?? "";
    expect(msg).toMatch(/not-anndata\.h5ad: not an HDF5 file/);
    expect(msg.split("\n").length).toBe(1);
    await page.screenshot({ path: join(artifacts, "web-error.png"), fullPage: true });
  }, 60_000);

  /** Open a file in the page and run the mixed scan with the form's defaults; the error box's text, or "" when the table came. */
  async function openAndRun(path: string): Promise<string> {
    await page.evaluate("document.getElementById('error').hidden = true");
    await page.getByTestId("file-input").setInputFiles(path);
    const err = page.getByTestId("error");
    await Promise.race([page.getByTestId("run").waitFor({ state: "visible", timeout: 30_000 }), err.waitFor({ state: "visible", timeout: 30_000 })]);
    if (await err.isVisible()) return (await err.textContent()) ?? "";
    await page.getByTestId("threads").fill("1");
    await page.evaluate("document.querySelector('[data-testid=summary]').removeAttribute('data-ms')");
    await page.getByTestId("run").click();
    await Promise.race([err.waitFor({ state: "visible", timeout: 30_000 }), page.locator("[data-testid=summary][data-ms]").waitFor({ state: "attached", timeout: 30_000 })]);
    return (await err.isVisible()) ? ((await err.textContent()) ?? "") : "";
  }

  it("hostile files in the page (issue 12): one clear error each, and no HDF5 dump in the console", async () => {
    const H = join(root, "test", "fixtures", "hostile");
    consoleText.length = 0;
    // a sparse X declaring 2^33 stored values (was "memory access out of bounds" inside h5wasm)
    expect(await openAndRun(join(H, "nnz_2e33.h5ad"))).toMatch(/\/X\/data: declares 8589934592 values .* more than the file .* can hold/);
    expect(await openAndRun(join(H, "ext_valid.h5ad"))).toMatch(/\/X: is an external link to 'mini\.h5ad'.*external links are refused/);
    expect(await openAndRun(join(H, "x_complex128.h5ad"))).toMatch(/has dtype complex128; expected integer or float/);
    expect(await openAndRun(join(H, "data_corrupt_chunk.h5ad"))).toMatch(/\/X\/data: cannot read/);
    // Latin-1 bytes in a table: an error naming line and column, not two participants merged
    const latin1 = join(artifacts, "latin1.csv");
    writeFileSync(latin1, Buffer.from("participant_id,visit,arm,g1\nM\xfc,Pre,Treated,1\nM\xe4,Pre,Treated,2\n", "latin1"));
    expect(await openAndRun(latin1)).toMatch(/latin1\.csv: line 2, column 'participant_id': invalid UTF-8/);
    expect(consoleText.filter((t) => /HDF5-DIAG|#0\d\d:|Aborted\(/.test(t))).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("the CSV download makes formula-like text safe for spreadsheets (issue 12)", async () => {
    const names = ["=HYPERLINK(1)", "+cmd", "-sum", "@SUM(1)", "-1.5", "plain"];
    const lines = [["participant_id", "visit", "arm", ...names].join(",")];
    for (let k = 0; k < 8; k++) for (const v of ["Pre", "Post"]) lines.push([`P${k}`, v, k < 4 ? "Treated" : "Control", ...names.map((_, j) => ((k * 13 + j * 7 + (v === "Post" ? 3 : 0)) % 11) + 0.5 * j)].join(","));
    const path = join(artifacts, "formula.csv");
    writeFileSync(path, lines.join("\n") + "\n");
    expect(await openAndRun(path)).toBe("");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-csv").click()]);
    const saved = join(artifacts, "formula.mixed.csv");
    await dl.saveAs(saved);
    const { header, rows } = parseDelimited(readFileSync(saved, "utf8"), ",");
    const feats = rows.map((r) => r[header.indexOf("feature")]);
    expect(feats).toEqual(["'=HYPERLINK(1)", "'+cmd", "'-sum", "'@SUM(1)", "-1.5", "plain"]);
    expect(pageErrors).toEqual([]);
  }, 60_000);
  it("reads compressed files (zstd, lzf strings of the anndata 0.7 layout, blosc/zlib): the plain file's table; a missing filter is named (issue 14)", async () => {
    const C = join(root, "test", "fixtures", "compressed");
    const tables: string[] = [];
    for (const f of ["plain.h5ad", "f_zstd.h5ad", "legacy070_lzf.h5ad", "f_blosc_zlib.h5ad"]) {
      expect(await openAndRun(join(C, f)), f).toBe("");
      const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-csv").click()]);
      const saved = join(artifacts, `compressed-${f}.csv`);
      await dl.saveAs(saved);
      tables.push(readFileSync(saved, "utf8"));
    }
    expect(tables[0].split("\n").length).toBe(22); // header, 20 genes, final newline
    tables.slice(1).forEach((t, k) => expect(t, `file ${k + 1}`).toBe(tables[0]));
    const msg = await openAndRun(join(C, "neg_blosc_snappy.h5ad"));
    expect(msg).toMatch(/neg_blosc_snappy\.h5ad: \/\S+: compressed with filter 32001 \(blosc\) using its snappy codec, which this reader cannot decode/);
    expect(msg).not.toMatch(/truncated|corrupt/);
    expect(pageErrors).toEqual([]);
  }, 120_000);
  it("per-cell-type mixed scan (issue 15): the cell-type selector filters the table and the plots", async () => {
    const file = join(root, "test", "fixtures", "trial3", "trial3.h5ad");
    await page.getByTestId("file-input").setInputFiles(file);
    await page.getByTestId("run").waitFor({ state: "visible", timeout: 30_000 });
    await page.locator("input[name=mode][value=mixed]").check();
    await page.getByTestId("baseline").selectOption("D0");
    await page.getByTestId("followup").selectOption("D14");
    await page.evaluate("document.querySelector('details.advanced').open = true");
    await page.locator("select[name=celltype]").selectOption("celltype");
    await page.getByTestId("threads").fill("1");
    await page.evaluate("document.querySelector('[data-testid=summary]').removeAttribute('data-ms')");
    await page.getByTestId("run").click();
    await page.locator("[data-testid=summary][data-ms]").waitFor({ state: "attached", timeout: 60_000 });
    const sel = page.getByTestId("ct-filter");
    expect(await sel.isVisible()).toBe(true);
    expect(await sel.locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(["", "B", "Mono", "NK", "T"]);
    expect(await page.getByTestId("warnings").textContent()).toContain("cell type pDC: only 2 participant(s) left");

    // the CLI's NK rows
    const cli = spawnSync(process.execPath, [join(root, "dist", "cli.js"), "mixed", file, "--visits", "D0,D14", "--celltype", "celltype", "--quiet"], { encoding: "utf8" });
    expect(cli.status, cli.stderr).toBe(0);
    const { header, rows } = parseDelimited(cli.stdout, ",");
    const nk = rows.filter((r) => r[header.indexOf("celltype")] === "NK");
    const beta = new Map(nk.map((r) => [r[header.indexOf("feature")], parseNumber(r[header.indexOf("beta_DiD")])]));
    const fitted = nk.filter((r) => Number.isFinite(parseNumber(r[header.indexOf("p_DiD")]))).length;

    expect(await page.locator("[data-testid=results] tbody tr").count()).toBe(rows.length); // all cell types first
    await sel.selectOption("NK");
    const got = await page.$$eval("[data-testid=results] tbody tr", (trs) =>
      trs.map((tr) => {
        const v = (c: string) => tr.querySelector(`td[data-col="${c}"]`)?.getAttribute("data-value") ?? "";
        return { celltype: v("celltype"), feature: v("feature"), beta: v("beta_DiD") };
      }),
    );
    expect(got.length).toBe(nk.length);
    for (const g of got) {
      expect(g.celltype).toBe("NK");
      expect(close(Number(g.beta), beta.get(g.feature)!), `${g.feature}`).toBe(true);
    }
    expect(await page.locator("[data-testid=volcano] circle.pt").count()).toBe(fitted);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
