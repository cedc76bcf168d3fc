// The trialmix page: open an .h5ad (picker, drag-and-drop or the bundled example), choose the
// design, run a fixed / mixed / compare scan in a Web Worker, browse the results (sortable,
// filterable table, volcano and forest / scatter plots) and download them (CSV, SVG).
import { formatDelimited } from "../src/io/csv.js";
import { DEFAULTS, SCAN_OPTIONS } from "../src/options.js";
import { columnsNamed, type CellKind, type Column } from "../src/output/schema.js";
import { applyFdr } from "../src/stats/fdr.js";
import { volcanoSvg, forestSvg, scatterSvg, fmtNum, esc, type VolcanoPoint, type ForestRow } from "./plots.js";
import type { ColumnInfo, FileInfo, FromWorker, Mode, RunOptions, ToWorker } from "./protocol.js";

type Row = Record<string, unknown>;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page is missing #${id}`);
  return e as T;
};

const els = {
  fileInput: $<HTMLInputElement>("file-input"),
  drop: $("drop"),
  example: $<HTMLButtonElement>("example"),
  fileInfo: $("fileinfo"),
  setup: $("setup"),
  form: $<HTMLFormElement>("form"),
  run: $<HTMLButtonElement>("run"),
  cancel: $<HTMLButtonElement>("cancel"),
  progress: $("progress"),
  bar: $<HTMLProgressElement>("bar"),
  status: $("status"),
  error: $("error"),
  warnings: $("warnings"),
  output: $("output"),
  summary: $("summary"),
  plotA: $("plot-a"),
  plotB: $("plot-b"),
  plotBTitle: $("plot-b-title"),
  table: $<HTMLTableElement>("results"),
  filter: $<HTMLInputElement>("filter"),
  sigOnly: $<HTMLInputElement>("sig-only"),
  ctFilter: $<HTMLSelectElement>("ct-filter"),
  rowCount: $("row-count"),
  showAll: $<HTMLButtonElement>("show-all"),
  downloadCsv: $<HTMLButtonElement>("download-csv"),
  downloadA: $<HTMLButtonElement>("download-a"),
  downloadB: $<HTMLButtonElement>("download-b"),
  tooltip: $("tooltip"),
};

// ---------------------------------------------------------------- worker

let worker: Worker | null = null;
let currentFile: File | null = null;
let info: FileInfo | null = null;
let runId = 0;
let running = false;
let reopening = false;

function newWorker(): Worker {
  const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module", name: "trialmix-scan" });
  w.onmessage = (ev: MessageEvent<FromWorker>) => onWorkerMessage(ev.data);
  w.onerror = (ev) => {
    ev.preventDefault();
    showError(`the scan worker failed: ${ev.message || "could not load worker.js"}`);
    setRunning(false, "failed");
  };
  return w;
}

function send(msg: ToWorker): void {
  worker ??= newWorker();
  worker.postMessage(msg);
}

function onWorkerMessage(m: FromWorker): void {
  if (m.type === "opened") {
    info = m.info;
    if (reopening) {
      // the same file again, in the worker started after a cancel: keep the form as it is
      reopening = false;
      setStatus("cancelled; ready to run again", "cancelled");
      return;
    }
    setStatus(`opened ${m.info.name} in ${m.info.openMs.toFixed(0)} ms${m.info.mounted ? " (read in place, not copied)" : ""}`, "idle");
    renderFileInfo(m.info);
    buildControls(m.info);
  } else if (m.type === "progress") {
    if (m.id !== runId) return;
    if (m.total > 0) {
      els.bar.max = m.total;
      els.bar.value = m.done;
      setStatus(`${m.phase}: ${m.done} / ${m.total} features`, "running");
    } else {
      els.bar.removeAttribute("value");
      setStatus(`${m.phase}…`, "running");
    }
  } else if (m.type === "result") {
    if (m.id !== runId) return;
    setRunning(false, "done");
    els.bar.max = 1;
    els.bar.value = 1;
    setStatus(`done: ${m.rows.length} features`, "done");
    showWarnings(m.warnings);
    showResults(m.mode, m.rows, m.columns, m.ms, m.threads);
  } else if (m.type === "error") {
    if (m.id !== null && m.id !== runId) return;
    showError(m.message);
    if (m.id === null) {
      // the file could not be opened
      info = null;
      els.setup.hidden = true;
      els.fileInfo.innerHTML = "";
      setStatus("no file open", "idle");
    } else setRunning(false, "error");
  }
}

// ---------------------------------------------------------------- status, errors

function setStatus(text: string, state: "idle" | "running" | "done" | "error" | "failed" | "cancelled"): void {
  els.status.textContent = text;
  els.progress.dataset.state = state;
}

function setRunning(on: boolean, state: "running" | "done" | "error" | "failed" | "cancelled"): void {
  running = on;
  els.run.disabled = on;
  els.cancel.hidden = !on;
  els.fileInput.disabled = on;
  els.example.disabled = on;
  els.bar.hidden = !on && state !== "done";
  if (!on && state !== "done") setStatus(state === "cancelled" ? "cancelled" : "stopped with an error", state);
}

function showError(msg: string): void {
  els.error.textContent = msg.replace(/^trialmix: /, "");
  els.error.hidden = false;
}

function clearError(): void {
  els.error.textContent = "";
  els.error.hidden = true;
}

function showWarnings(ws: string[]): void {
  const uniq = [...new Set(ws)];
  els.warnings.hidden = uniq.length === 0;
  els.warnings.innerHTML = uniq.map((w) => `<div>${esc(w)}</div>`).join("");
}

// ---------------------------------------------------------------- opening files

function openFile(file: File): void {
  if (running) return;
  clearError();
  showWarnings([]);
  els.output.hidden = true;
  els.setup.hidden = true;
  currentFile = file;
  info = null;
  els.fileInfo.innerHTML = "";
  setStatus(`opening ${file.name} (${(file.size / 1e6).toFixed(1)} MB)…`, "running");
  send({ type: "open", file });
}

els.fileInput.addEventListener("change", () => {
  const f = els.fileInput.files?.[0];
  if (f) openFile(f);
});

for (const ev of ["dragenter", "dragover"]) {
  els.drop.addEventListener(ev, (e) => {
    e.preventDefault();
    els.drop.classList.add("over");
  });
}
for (const ev of ["dragleave", "drop"]) els.drop.addEventListener(ev, () => els.drop.classList.remove("over"));
els.drop.addEventListener("drop", (e) => {
  e.preventDefault();
  const f = (e as DragEvent).dataTransfer?.files?.[0];
  if (f) openFile(f);
});
// a file dropped anywhere else would make the browser navigate away from the page
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", (e) => e.preventDefault());

els.example.addEventListener("click", async () => {
  clearError();
  setStatus("downloading the example…", "running");
  try {
    const r = await fetch(new URL("./example.h5ad", document.baseURI));
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    openFile(new File([await r.blob()], "example.h5ad"));
  } catch (e) {
    showError(`cannot load the example: ${(e as Error).message}`);
    setStatus("no file open", "idle");
  }
});

function kindLabel(c: ColumnInfo): string {
  if (c.kind === "categorical") return `categorical${c.ordered ? ", ordered" : ""}`;
  return c.kind;
}

function renderFileInfo(fi: FileInfo): void {
  const levels = (c: ColumnInfo): string => {
    const l = c.categories ?? c.levels;
    if (!l) return c.kind === "string" ? "many distinct values" : "";
    const shown = l.slice(0, 8).map(esc).join(", ");
    return l.length > 8 ? `${shown}, … (${l.length})` : shown;
  };
  const rows = fi.obs
    .map(
      (c) =>
        c.error
          ? `<tr class="unreadable"><td class="mono">${esc(c.name)}</td><td>unreadable</td><td colspan="2">${esc(c.error)}</td></tr>`
          : `<tr><td class="mono">${esc(c.name)}</td><td>${kindLabel(c)}</td><td>${levels(c)}</td><td class="num">${c.nMissing || ""}</td></tr>`,
    )
    .join("");
  const mat = fi.kind === "table" ? "long table (features are its numeric columns)" : fi.matrix ? `X: ${fi.matrix.encoding}, ${fi.matrix.dtype}` : "no X";
  els.fileInfo.innerHTML =
    `<div class="shape"><strong data-testid="file-name">${esc(fi.name)}</strong>` +
    `<span data-testid="shape">${fi.nObs.toLocaleString("en")} cells × ${fi.nVars.toLocaleString("en")} features</span>` +
    `<span>${esc(mat)}</span>` +
    `<span>layers: ${fi.layers.length ? fi.layers.map(esc).join(", ") : "none"}</span></div>` +
    (fi.varHead.length ? `<div class="muted">var names: ${fi.varHead.map(esc).join(", ")}${fi.nVars > fi.varHead.length ? ", …" : ""}</div>` : "") +
    `<details ${fi.obs.length <= 12 ? "open" : ""}><summary>obs columns (${fi.obs.length})</summary>` +
    `<table class="obs" data-testid="obs-columns"><thead><tr><th>column</th><th>type</th><th>levels</th><th>missing</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

// ---------------------------------------------------------------- controls

const BASELINE = /^(pre|baseline|base|screen|screening|before|bl|v0|visit ?0|day ?0|d0|week ?0|w0|t0|month ?0|m0|c1d1)\b|^pre[-_ ]?/i;

function field<T extends HTMLElement = HTMLSelectElement>(name: string): T {
  const e = els.form.elements.namedItem(name);
  if (!e) throw new Error(`form is missing ${name}`);
  return e as unknown as T;
}

function fillSelect(sel: HTMLSelectElement, values: string[], chosen: string | undefined, missingLabel?: string): void {
  sel.innerHTML = "";
  for (const v of values) sel.add(new Option(v, v, false, v === chosen));
  if (chosen !== undefined && !values.includes(chosen)) {
    // keep the default visible: running with it gives the library's "column not found" message
    const o = new Option(`${chosen} (${missingLabel ?? "not in this file"})`, chosen, false, true);
    o.className = "missing";
    sel.add(o, 0);
  }
  if (chosen !== undefined) sel.value = chosen;
}

function column(name: string): ColumnInfo | undefined {
  return info?.obs.find((c) => c.name === name);
}

function levelsOf(name: string): string[] {
  const c = column(name);
  if (!c) return [];
  if (c.kind === "bool") return c.levels ?? ["True", "False"]; // a table's own text (TRUE/FALSE), an .h5ad's True/False
  if (c.ordered && c.categories) return c.categories.filter((x) => !c.levels || c.levels.includes(x));
  return c.levels ?? c.categories ?? [];
}

/** The CLI has no default for --visits: baseline-like label first, else ordered categories, else first seen. */
function defaultVisits(levels: string[], ordered: boolean): [string, string] | null {
  if (levels.length < 2) return null;
  if (!ordered) {
    const base = levels.find((l) => BASELINE.test(l));
    if (base) return [base, levels.find((l) => l !== base) as string];
  }
  return [levels[0], levels[1]];
}

function pickLabel(levels: string[], want: string, re: RegExp, fallback: number): string | undefined {
  if (levels.includes(want)) return want;
  return levels.find((l) => re.test(l)) ?? levels[fallback] ?? want;
}

function refreshArmLevels(): void {
  const lv = levelsOf(field("arm").value);
  const treated = pickLabel(lv, DEFAULTS.treated, /treat|active|drug|interv/i, 1);
  const control = pickLabel(lv, DEFAULTS.control, /control|placebo|ctrl|sham|soc|standard/i, 0);
  fillSelect(field("treated"), lv, treated, "not a level");
  fillSelect(field("control"), lv, control, "not a level");
}

function refreshVisitLevels(): void {
  const name = field("visit").value;
  const lv = levelsOf(name);
  const dv = defaultVisits(lv, column(name)?.ordered ?? false);
  fillSelect(field("baseline"), lv, dv?.[0]);
  fillSelect(field("followup"), lv, dv?.[1]);
}

function refreshCovariates(): void {
  const used = new Set(["participant", "visit", "arm", "celltype", "crossover"].map((k) => field(k).value));
  const box = $("covariates");
  const checked = new Set([...box.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value));
  box.innerHTML = "";
  for (const c of info?.obs ?? []) {
    if (used.has(c.name) || c.error) continue;
    if (c.kind === "string" && !c.levels) continue; // identifiers, barcodes
    const id = `cov-${c.name}`;
    const lab = document.createElement("label");
    lab.className = "chip";
    lab.innerHTML = `<input type="checkbox" name="covariate" id="${esc(id)}" value="${esc(c.name)}" ${checked.has(c.name) ? "checked" : ""}> ${esc(c.name)} <span class="muted">${c.kind}</span>`;
    box.appendChild(lab);
  }
  if (!box.children.length) box.innerHTML = `<span class="muted">no other obs columns</span>`;
}

function buildControls(fi: FileInfo): void {
  const ok = fi.obs.filter((c) => !c.error);
  const cols = ok.map((c) => c.name);
  const catLike = ok.filter((c) => c.kind !== "float").map((c) => c.name);
  fillSelect(field("participant"), cols, DEFAULTS.participant);
  fillSelect(field("visit"), catLike, DEFAULTS.visit);
  fillSelect(field("arm"), catLike, DEFAULTS.arm);
  const none = ["(none)"];
  fillSelect(field("celltype"), [...none, ...catLike], "(none)");
  fillSelect(field("crossover"), [...none, ...ok.filter((c) => c.kind === "bool" || c.kind === "int" || c.kind === "categorical").map((c) => c.name)], "(none)");
  fillSelect(field("layer"), ["X", ...fi.layers], "X");
  field("layer").disabled = fi.kind === "table";
  refreshArmLevels();
  refreshVisitLevels();
  refreshCovariates();
  const missing = [DEFAULTS.participant, DEFAULTS.visit, DEFAULTS.arm].filter((c) => !cols.includes(c));
  $("design-note").textContent = missing.length
    ? `This file has no ${missing.map((m) => `'${m}'`).join(", ")} column${missing.length > 1 ? "s" : ""}: choose the matching column${missing.length > 1 ? "s" : ""} below.`
    : "";
  els.setup.hidden = false;
}

field("arm").addEventListener("change", () => {
  refreshArmLevels();
  refreshCovariates();
});
field("visit").addEventListener("change", () => {
  refreshVisitLevels();
  refreshCovariates();
});
for (const k of ["participant", "celltype", "crossover"]) field(k).addEventListener("change", refreshCovariates);

/** How the page names the choices of an option (a choice without a label shows its value). */
const CHOICE_LABELS: Record<string, string> = { participant_visit: "participant × visit", cell: "cell", mean: "mean", median: "median", pct_pos: "% positive" };

/** The choices and defaults the options declare (src/options.ts): the unit of analysis, the aggregation, the check boxes. */
function initControls(): void {
  for (const key of ["aggregate", "agg"] as const) {
    const sel = field(key);
    sel.innerHTML = "";
    for (const v of SCAN_OPTIONS[key].values) sel.add(new Option(CHOICE_LABELS[v] ?? v, v, false, v === DEFAULTS[key]));
    sel.value = DEFAULTS[key];
  }
  for (const key of ["standardize", "randomSlope", "includeCrossovers"] as const) field<HTMLInputElement>(key).checked = DEFAULTS[key];
}
initControls();

/** Fit workers by default: one per core, at most 8 (as defaultWebThreads() in the library); at most 4 per core (maxWebThreads()). */
const DEFAULT_THREADS = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
const MAX_THREADS = 4 * Math.max(1, navigator.hardwareConcurrency || 1);
field<HTMLInputElement>("threads").value = String(DEFAULT_THREADS);
field<HTMLInputElement>("threads").max = String(MAX_THREADS);

/** The threads field as a count in 1..MAX_THREADS (a value outside is set to the nearest end, visibly). */
function threadsFromForm(): number {
  const input = field<HTMLInputElement>("threads");
  const n = Math.floor(Number(input.value));
  const t = !Number.isFinite(n) || n < 1 ? DEFAULT_THREADS : Math.min(n, MAX_THREADS);
  input.value = String(t);
  return t;
}

function optionsFromForm(): { mode: Mode; opts: RunOptions } {
  const v = (k: string) => field<HTMLSelectElement | HTMLInputElement>(k).value;
  const checked = (k: string) => field<HTMLInputElement>(k).checked;
  const mode = (els.form.querySelector<HTMLInputElement>("input[name=mode]:checked")?.value ?? "mixed") as Mode;
  let base = v("baseline");
  let follow = v("followup");
  const designMissing = ["participant", "visit", "arm"].some((k) => !column(v(k)) || column(v(k))?.error);
  if (designMissing && (!base || !follow)) {
    // a design column is not in the file or cannot be read (e.g. a compression the reader lacks): let the library name it (its one-line message)
    base = "(baseline)";
    follow = "(follow-up)";
  }
  if (!base || !follow) {
    const visit = v("visit");
    if (levelsOf(visit).length === 0)
      throw new Error(`the visit column '${visit}' has no values${info?.nObs === 0 ? " (the file has 0 cells)" : ""}: nothing to compare`);
    throw new Error("choose the two visits to compare (baseline and follow-up)");
  }
  if (base === follow) throw new Error(`baseline and follow-up are both '${base}': choose two different visits`);
  const covs = [...$("covariates").querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
  const feats = v("features")
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const opt = (s: string) => (s === "(none)" || s === "" ? undefined : s);
  const opts: RunOptions = {
    participant: v("participant"),
    visit: v("visit"),
    arm: v("arm"),
    treated: v("treated"),
    control: v("control"),
    celltype: opt(v("celltype")),
    crossover: opt(v("crossover")),
    includeCrossovers: checked("includeCrossovers"),
    visits: [base, follow],
    layer: info?.kind === "table" || v("layer") === "X" ? undefined : v("layer"),
    aggregate: v("aggregate") as RunOptions["aggregate"],
    agg: v("agg") as RunOptions["agg"],
    standardize: checked("standardize"),
    randomSlope: checked("randomSlope"),
    covariates: covs.length ? covs : undefined,
    features: feats.length ? feats : undefined,
    threads: threadsFromForm(),
  };
  return { mode, opts };
}

els.form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (running || !currentFile || !info) return;
  clearError();
  showWarnings([]);
  let req: { mode: Mode; opts: RunOptions };
  try {
    req = optionsFromForm();
  } catch (err) {
    showError((err as Error).message);
    return;
  }
  runId++;
  setRunning(true, "running");
  els.bar.removeAttribute("value");
  setStatus(`running the ${req.mode} scan…`, "running");
  send({ type: "run", id: runId, mode: req.mode, opts: req.opts });
});

els.cancel.addEventListener("click", () => {
  if (!running) return;
  worker?.terminate();
  worker = null;
  runId++;
  setRunning(false, "cancelled");
  // a fresh worker re-opens the file (a mount, not a copy), keeping the form as it is
  if (currentFile) {
    reopening = true;
    send({ type: "open", file: currentFile });
  }
  setStatus("cancelled", "cancelled");
});

// ---------------------------------------------------------------- results

/** A column of the page's table: the schema's columns that have a page label (src/output/schema.ts). */
type ColSpec = Column & { label: string };

const NUMERIC: ReadonlySet<CellKind> = new Set(["num", "p", "count"]);

/** The page's columns of a table, in the table's (the CLI's) order. */
function pageColumns(columns: string[]): ColSpec[] {
  return columnsNamed(columns).filter((c): c is ColSpec => c.label !== undefined);
}

const PAGE = 500;

const state = {
  mode: "mixed" as Mode,
  rows: [] as Row[],
  columns: [] as string[],
  spec: [] as ColSpec[],
  sortKey: "p_DiD",
  sortDir: 1,
  showAll: false,
  celltype: "", // the cell type the table and plots show ("" = all; per-cell-type tables only)
  svgA: "",
  svgB: "",
  base: "trialmix",
};

function pKey(mode: Mode): string {
  return mode === "compare" ? "p_mixed" : "p_DiD";
}

function showResults(mode: Mode, rows: Row[], columns: string[], ms: number, threads: number): void {
  state.mode = mode;
  state.rows = rows;
  state.columns = columns;
  state.spec = pageColumns(columns);
  state.sortKey = pKey(mode);
  state.sortDir = 1;
  state.showAll = false;
  state.base = (currentFile?.name ?? "trialmix").replace(/\.(h5ad|h5|csv|tsv|txt|tab)$/i, "");
  fillCelltypes(rows);
  const p = (r: Row) => r[pKey(mode)] as number;
  const fdrKey = mode === "compare" ? null : "FDR_DiD";
  const fitted = rows.filter((r) => Number.isFinite(p(r))).length;
  const sig = fdrKey ? rows.filter((r) => (r[fdrKey] as number) <= 0.05).length : rows.filter((r) => r.agreement === true).length;
  els.summary.dataset.ms = String(ms);
  els.summary.dataset.features = String(rows.length);
  els.summary.dataset.threads = String(threads);
  els.summary.textContent =
    `${mode}: ${rows.length} features, ${fitted} fitted` +
    (fdrKey ? `, ${sig} at FDR ≤ 0.05` : `, fixed and mixed agree on ${sig}`) +
    ` — ${ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`} in this tab` +
    (threads > 1 ? ` (${threads} fit workers)` : "");
  $("sig-label").textContent = mode === "compare" ? "p mixed < 0.05 only" : "FDR ≤ 0.05 only";
  renderPlots();
  renderTable();
  els.output.hidden = false;
}

/** The cell-type selector: one option per cell type of a per-cell-type table (hidden otherwise); "" shows all. */
function fillCelltypes(rows: Row[]): void {
  const types = [...new Set(rows.map((r) => r.celltype).filter((c): c is string => typeof c === "string"))];
  state.celltype = "";
  els.ctFilter.innerHTML = types.length ? [`<option value="">all cell types</option>`, ...types.map((t) => `<option value="${esc(t)}">${esc(t)}</option>`)].join("") : "";
  els.ctFilter.value = state.celltype;
  els.ctFilter.hidden = types.length === 0;
}

/** The rows of the chosen cell type (every row when none is chosen). */
function shownRows(): Row[] {
  return state.celltype ? state.rows.filter((r) => r.celltype === state.celltype) : state.rows;
}

function renderPlots(): void {
  const rows = shownRows();
  const num = (r: Row, k: string) => (typeof r[k] === "number" ? (r[k] as number) : NaN);
  if (state.mode === "compare") {
    const pts: VolcanoPoint[] = rows.map((r) => ({ feature: String(r.feature), beta: num(r, "beta_mixed"), p: num(r, "p_mixed"), fdr: NaN }));
    // compare rows carry no FDR: BH over the mixed p-values, as the mixed table would give
    const fdr = applyFdr(pts.map((d) => d.p));
    pts.forEach((d, i) => (d.fdr = fdr[i]));
    state.svgA = volcanoSvg(pts, { title: "Volcano (mixed model)", xLabel: "beta_mixed (DiD effect)" });
    state.svgB = scatterSvg(
      rows.map((r) => ({ feature: String(r.feature), x: num(r, "beta_fixed"), y: num(r, "beta_mixed"), agree: r.agreement === true })),
      { title: "Fixed vs mixed DiD estimates" },
    );
    els.plotBTitle.textContent = "beta_fixed vs beta_mixed";
  } else {
    const pts: VolcanoPoint[] = rows.map((r) => ({ feature: String(r.feature) + (r.celltype ? ` (${r.celltype})` : ""), beta: num(r, "beta_DiD"), p: num(r, "p_DiD"), fdr: num(r, "FDR_DiD") }));
    state.svgA = volcanoSvg(pts, { title: `Volcano (${state.mode} model)` });
    const z = 1.959963984540054;
    const top: ForestRow[] = rows
      .filter((r) => Number.isFinite(num(r, "p_DiD")))
      .sort((a, b) => num(a, "p_DiD") - num(b, "p_DiD"))
      .slice(0, 20)
      .map((r) => {
        const b = num(r, "beta_DiD");
        const se = num(r, "se_DiD");
        const lo = Number.isFinite(num(r, "ci_lower")) ? num(r, "ci_lower") : b - z * se;
        const hi = Number.isFinite(num(r, "ci_upper")) ? num(r, "ci_upper") : b + z * se;
        return { feature: String(r.feature) + (r.celltype ? ` (${r.celltype})` : ""), beta: b, lo, hi, p: num(r, "p_DiD") };
      });
    state.svgB = forestSvg(top, { title: `Top ${top.length} features by p (${state.mode} model)` });
    els.plotBTitle.textContent = "forest plot";
  }
  els.plotA.innerHTML = state.svgA;
  els.plotB.innerHTML = state.svgB;
}

function cmp(a: unknown, b: unknown, kind: CellKind): number {
  if (NUMERIC.has(kind)) {
    const x = typeof a === "number" ? a : NaN;
    const y = typeof b === "number" ? b : NaN;
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 2; // NaN last in both directions (see sortRows)
    if (Number.isNaN(y)) return -2;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (kind === "bool") return (a === true ? 1 : 0) - (b === true ? 1 : 0);
  return String(a ?? "").localeCompare(String(b ?? ""), "en", { numeric: true });
}

function sortedFiltered(): Row[] {
  const spec = state.spec.find((s) => s.key === state.sortKey) ?? state.spec[0];
  const q = els.filter.value.trim().toLowerCase();
  const fdrKey = state.mode === "compare" ? null : "FDR_DiD";
  let rows = shownRows();
  if (q) rows = rows.filter((r) => String(r.feature).toLowerCase().includes(q) || String(r.error ?? "").toLowerCase().includes(q) || String(r.celltype ?? "").toLowerCase().includes(q));
  if (els.sigOnly.checked) rows = rows.filter((r) => (fdrKey ? (r[fdrKey] as number) <= 0.05 : (r.p_mixed as number) < 0.05));
  const dir = state.sortDir;
  const idx = rows.map((r, i) => [r, i] as const);
  idx.sort((a, b) => {
    const c = cmp(a[0][spec.key], b[0][spec.key], spec.kind);
    if (c === 2 || c === -2) return c; // NaN stays last
    return c * dir || a[1] - b[1];
  });
  return idx.map(([r]) => r);
}

function cell(r: Row, s: ColSpec): string {
  const v = r[s.key];
  if (NUMERIC.has(s.kind)) {
    const x = typeof v === "number" ? v : NaN;
    const shown = s.kind === "p" ? fmtNum(x, 3) : s.kind === "count" ? String(x) : fmtNum(x, 4);
    return `<td class="num" data-col="${s.key}" data-value="${Number.isNaN(x) ? "" : String(x)}">${Number.isNaN(x) ? '<span class="na">NA</span>' : shown}</td>`;
  }
  if (s.kind === "bool") {
    const b = v === true;
    return `<td class="bool ${b ? "yes" : "no"}" data-col="${s.key}" data-value="${b}">${v === undefined ? "" : b ? "yes" : "no"}</td>`;
  }
  const t = String(v ?? "");
  return `<td data-col="${s.key}" data-value="${esc(t)}"${s.key === "error" ? ` class="reason" title="${esc(t)}"` : ""}>${esc(t)}</td>`;
}

function renderTable(): void {
  const rows = sortedFiltered();
  const shown = state.showAll ? rows : rows.slice(0, PAGE);
  const head = state.spec
    .map((s) => {
      const on = s.key === state.sortKey;
      const arrow = on ? (state.sortDir > 0 ? "▲" : "▼") : "";
      return `<th data-col="${s.key}" class="${NUMERIC.has(s.kind) ? "num" : ""}${on ? " sorted" : ""}" aria-sort="${on ? (state.sortDir > 0 ? "ascending" : "descending") : "none"}" tabindex="0">${esc(s.label)}<span class="arrow">${arrow}</span></th>`;
    })
    .join("");
  const body = shown.map((r) => `<tr>${state.spec.map((s) => cell(r, s)).join("")}</tr>`).join("");
  els.table.innerHTML = `<thead><tr>${head}</tr></thead><tbody>${body}</tbody>`;
  els.rowCount.textContent = `${shown.length} of ${rows.length} rows${rows.length !== state.rows.length ? ` (filtered from ${state.rows.length})` : ""}`;
  els.showAll.hidden = state.showAll || rows.length <= PAGE;
}

els.table.addEventListener("click", (e) => {
  const th = (e.target as HTMLElement).closest("th");
  if (!th?.dataset.col) return;
  if (state.sortKey === th.dataset.col) state.sortDir = -state.sortDir;
  else {
    state.sortKey = th.dataset.col;
    // estimates and counts largest first; p-values, FDR and the DiD's se smallest first
    const kind = state.spec.find((s) => s.key === th.dataset.col)?.kind;
    state.sortDir = (kind === "num" || kind === "count") && th.dataset.col !== "se_DiD" ? -1 : 1;
  }
  renderTable();
});
els.table.addEventListener("keydown", (e) => {
  if ((e.key === "Enter" || e.key === " ") && (e.target as HTMLElement).tagName === "TH") {
    e.preventDefault();
    (e.target as HTMLElement).click();
  }
});
els.filter.addEventListener("input", () => renderTable());
els.sigOnly.addEventListener("change", () => renderTable());
els.ctFilter.addEventListener("change", () => {
  state.celltype = els.ctFilter.value;
  renderPlots();
  renderTable();
});
els.showAll.addEventListener("click", () => {
  state.showAll = true;
  renderTable();
});

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 2000);
}

// The CSV is what `trialmix <mode> FILE --out x.csv` writes: the CLI's columns and row order.
els.downloadCsv.addEventListener("click", () => download(`${state.base}.${state.mode}.csv`, formatDelimited(state.columns, state.rows, ","), "text/csv"));
els.downloadA.addEventListener("click", () => download(`${state.base}.${state.mode}.volcano.svg`, state.svgA, "image/svg+xml"));
els.downloadB.addEventListener("click", () =>
  download(`${state.base}.${state.mode}.${state.mode === "compare" ? "scatter" : "forest"}.svg`, state.svgB, "image/svg+xml"),
);

// tooltips for plot points (the SVG <title> also works, but appears slowly)
for (const box of [els.plotA, els.plotB]) {
  box.addEventListener("mouseover", (e) => {
    const t = (e.target as Element).closest("[data-tip]");
    if (!t) return;
    els.tooltip.textContent = t.getAttribute("data-tip");
    els.tooltip.hidden = false;
  });
  box.addEventListener("mousemove", (e) => {
    els.tooltip.style.left = `${e.pageX + 12}px`;
    els.tooltip.style.top = `${e.pageY + 12}px`;
  });
  box.addEventListener("mouseout", (e) => {
    if ((e.target as Element).closest("[data-tip]")) els.tooltip.hidden = true;
  });
}

setStatus("open an .h5ad file to start", "idle");
els.bar.hidden = true;
