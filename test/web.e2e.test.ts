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
import { parseDelimited, parseNumber } from "../src/csv.js";

const root = resolve(__dirname, "..");
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
    const { startServer } = (await import("../scripts/serve-web.mjs")) as {
      startServer(o: { dir: string; port: number }): Promise<{ server: Server; url: string }>;
    };
    ({ server, url } = await startServer({ dir: join(root, "dist-web"), port: 0 }));
    // launch() gives Chromium a new empty profile (--user-data-dir) of its own
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROME_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page.on("pageerror", (e) => pageErrors.push(e.message));
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
});
