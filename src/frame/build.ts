// The analysis frame: subset to two visits, drop crossover cells and third-arm rows, extract
// features (genes from X / a layer, numeric obs columns), aggregate per participant-visit (or
// keep cells), attach covariates, keep participants seen at both visits. Values stay raw.
import type { AnalysisFrame, Covariate, FeatureValues } from "../types.js";
import { TrialmixInputError } from "../errors.js";
import type { DataSource, ObsColumn } from "../io/h5ad/reader.js";

/** What buildFrame reads: an .h5ad file (readH5ad) or a long table (readTable). */
export type FrameSource = DataSource;
import { type TrialDesign, validateDesign, columnStrings } from "./design.js";
import { type AggFunc, aggregateChunks, aggregateVector, aggregateVectorInto, groupSizes } from "./aggregate.js";

export interface BuildFrameOptions {
  visits: [string, string] | readonly [string, string];
  features?: string[];
  layer?: string | null;
  aggregate?: "participant_visit" | "cell";
  agg?: AggFunc;
  covariates?: string[];
  includeCrossovers?: boolean;
  byCelltype?: boolean;
  /**
   * Round per-group means and medians of a float32 matrix to float32, as pandas' groupby does on
   * float32 columns (the seed's behaviour; default: true when the matrix dtype is float32).
   */
  float32Means?: boolean;
  /** Rows per matrix chunk (default 4096). */
  rowsPerChunk?: number;
}

const TRUTHY = new Set(["1", "true", "t", "yes", "y"]);
const FALSY = new Set(["0", "false", "f", "no", "n", ""]);

/**
 * Crossover flags per cell (FIXED.md): boolean true, numeric finite non-zero, or a string in
 * {1, true, t, yes, y} (case and spaces ignored). A text column with other values is not
 * boolean-like: TrialmixInputError.
 */
export function crossoverFlags(col: ObsColumn): Uint8Array {
  const n = col.values.length;
  const out = new Uint8Array(n);
  const v = col.values;
  if (v instanceof Float64Array) {
    for (let i = 0; i < n; i++) out[i] = Number.isFinite(v[i]) && v[i] !== 0 ? 1 : 0;
    return out;
  }
  for (let i = 0; i < n; i++) {
    const s = v[i];
    if (s === null) continue;
    const t = s.trim().toLowerCase();
    if (TRUTHY.has(t)) out[i] = 1;
    else if (!FALSY.has(t) && !(Number.isFinite(Number(t)) && t !== "")) {
      throw new TrialmixInputError(
        `crossover column '${col.name}' is not boolean-like: value '${s}' (expected true/false, yes/no, 1/0 or numbers)`,
      );
    } else if (Number.isFinite(Number(t)) && Number(t) !== 0) out[i] = 1;
  }
  return out;
}

/**
 * Default features: all var names (h5ad), or all numeric columns of a table that are neither
 * design columns nor in `exclude` (the covariates).
 */
export function defaultFeatures(source: DataSource, design: TrialDesign, exclude: string[] = []): string[] {
  if (source.nVars > 0) return source.varNames.slice();
  const skip = new Set([design.participant, design.visit, design.arm, design.celltype, design.crossover, ...exclude]);
  // numeric as pandas' select_dtypes("number"): ints and floats, not booleans
  return source.obsColumns.filter((c) => {
    if (skip.has(c)) return false;
    const k = source.obsColumn(c).kind;
    return k === "float" || k === "int";
  });
}

function isNumericKind(c: ObsColumn): boolean {
  return c.kind === "float" || c.kind === "int" || c.kind === "bool";
}

/** True when the source has an expression matrix (an .h5ad file), even one with 0 genes. */
function hasMatrix(source: DataSource, layer: string | null | undefined): boolean {
  try {
    source.matrixInfo(layer);
    return true;
  } catch {
    return false;
  }
}

/**
 * The frame's values (rows x features doubles, and as much again while large tables are summed)
 * against the memory there is, before the allocation: a cell-level frame of a large file is one
 * line with its size, not an allocation failure. Node: half the machine's memory; a browser: 2 GiB.
 */
function checkFrameMemory(nRows: number, nFeatures: number, mode: string): void {
  const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.("node:os") as { totalmem(): number } | undefined;
  const budget = os ? os.totalmem() / 2 : 2 ** 31;
  const bytes = 2 * 8 * nRows * nFeatures;
  if (bytes > budget)
    throw new TrialmixInputError(
      `the analysis frame would hold ${nRows} rows x ${nFeatures} features (${(bytes / 2 ** 30).toFixed(1)} GiB while it is built), more than the ${(budget / 2 ** 30).toFixed(1)} GiB this ${os ? "machine can spare (half its memory)" : "page may use"}; ` +
        (mode === "cell" ? "aggregate per participant-visit or choose fewer --features" : "choose fewer --features"),
    );
}

/** A design column as integer codes (-1 = missing) into distinct labels. */
interface Factor {
  codes: Int32Array;
  labels: string[];
  code(label: string): number; // -2 when the label does not occur
}

/** Categorical columns give their codes as they are; other columns are factorised once. */
function factor(col: ObsColumn): Factor {
  let codes: Int32Array;
  let labels: string[];
  if (col.kind === "categorical" && col.codes && col.categories && new Set(col.categories).size === col.categories.length && codesInRange(col.codes, col.categories.length)) {
    codes = col.codes;
    labels = col.categories;
  } else {
    const strs = columnStrings(col);
    const index = new Map<string, number>();
    labels = [];
    codes = new Int32Array(strs.length);
    for (let i = 0; i < strs.length; i++) {
      const x = strs[i];
      if (x === null) {
        codes[i] = -1;
        continue;
      }
      let c = index.get(x);
      if (c === undefined) {
        c = labels.length;
        index.set(x, c);
        labels.push(x);
      }
      codes[i] = c;
    }
  }
  const byLabel = new Map(labels.map((l, i) => [l, i]));
  return { codes, labels, code: (l) => byLabel.get(l) ?? -2 };
}

/**
 * Arm labels that differ from --treated / --control only by case or surrounding spaces ('treated ',
 * 'TREATED'): their participants are not in either arm and are dropped, most likely by mistake, so
 * each such label is named in a warning with the number of participants dropped.
 */
function nearMissArms(arm: Factor, part: Factor, vis: Factor, visits: number[], labels: string[], column: string): string[] {
  const norm = (x: string) => x.trim().toLowerCase();
  const out: string[] = [];
  for (const want of labels) {
    const w = arm.code(want);
    arm.labels.forEach((l, code) => {
      if (code === w || l === want || norm(l) !== norm(want) || labels.includes(l)) return;
      const who = new Set<number>();
      for (let i = 0; i < arm.codes.length; i++) if (arm.codes[i] === code && visits.includes(vis.codes[i]) && part.codes[i] >= 0) who.add(part.codes[i]);
      out.push(
        `arm label '${l}' in column '${column}' differs from '${want}' only by case or spaces: its ${who.size} participant(s) were dropped (relabel them, or pass the exact label)`,
      );
    });
  }
  return out;
}

function codesInRange(codes: Int32Array, n: number): boolean {
  for (let i = 0; i < codes.length; i++) if (codes[i] < -1 || codes[i] >= n) return false;
  return true;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Build the analysis frame (raw values) the DiD fits see. */
export function buildFrame(source: DataSource, design: TrialDesign, opts: BuildFrameOptions): AnalysisFrame {
  const visits = opts.visits;
  if (!visits || visits.length !== 2) throw new TrialmixInputError("exactly two visits are needed: --visits BASELINE,FOLLOWUP");
  if (source.nObs === 0) throw new TrialmixInputError("the input has 0 cells (n_obs = 0): nothing to analyse");
  validateDesign(design, source, visits);
  const mode = opts.aggregate ?? "participant_visit";
  if (mode !== "participant_visit" && mode !== "cell") throw new TrialmixInputError(`unknown aggregation mode '${mode}' (expected participant_visit or cell)`);
  const agg: AggFunc = opts.agg ?? "mean";
  if (agg !== "mean" && agg !== "median" && agg !== "pct_pos") throw new TrialmixInputError(`unknown aggregation function '${agg}' (expected mean, median or pct_pos)`);
  if (opts.byCelltype && !design.celltype) throw new TrialmixInputError("stratifying by cell type needs a cell-type column (--celltype COL)");
  const nObs = source.nObs;

  // --- features
  if (!opts.features && source.nVars === 0 && hasMatrix(source, opts.layer))
    throw new TrialmixInputError("the matrix has 0 genes (n_vars = 0); name obs columns to analyse with --features");
  const features = opts.features ? opts.features.slice() : defaultFeatures(source, design, opts.covariates ?? []);
  if (features.length === 0) throw new TrialmixInputError("no features to analyse");
  const obsSet = new Set(source.obsColumns);
  const varIndex = new Map<string, number>();
  const varDup = new Map<string, number>(); // var names that occur more than once, and how often
  if (source.nVars > 0)
    source.varNames.forEach((v, i) => {
      if (varIndex.has(v)) varDup.set(v, (varDup.get(v) ?? 1) + 1);
      else varIndex.set(v, i);
    });
  const missing = features.filter((f) => !obsSet.has(f) && !varIndex.has(f));
  if (missing.length)
    throw new TrialmixInputError(
      `${missing.length} feature(s) not found in obs columns or var names: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}`,
    );
  // a gene is selected by its var name: a duplicated name is ambiguous (before "requested twice": the default features are the var names)
  for (const f of features)
    if (varDup.has(f) && !obsSet.has(f))
      throw new TrialmixInputError(
        `duplicated var names: '${f}' occurs ${varDup.get(f)} times (${varDup.size} name(s) occur more than once); a gene is selected by its name, so names must be unique (anndata: adata.var_names_make_unique())`,
      );
  const seen = new Set<string>();
  for (const f of features) {
    if (seen.has(f)) throw new TrialmixInputError(`feature '${f}' requested twice`);
    seen.add(f);
  }
  for (const f of features)
    if (obsSet.has(f) && !isNumericKind(source.obsColumn(f)))
      throw new TrialmixInputError(`feature '${f}' is an obs column of type ${source.obsColumn(f).kind}, not numeric`);

  // --- covariates
  const covNames = opts.covariates ?? [];
  for (const c of covNames)
    if (!obsSet.has(c)) throw new TrialmixInputError(`covariate column '${c}' not found; available columns: ${source.obsColumns.join(", ")}`);

  // --- the cells kept (design columns as integer codes: per-cell work without string keys)
  const part = factor(source.obsColumn(design.participant));
  const vis = factor(source.obsColumn(design.visit));
  const arm = factor(source.obsColumn(design.arm));
  const ct = opts.byCelltype ? factor(source.obsColumn(design.celltype!)) : null;
  const cross = design.crossover && !opts.includeCrossovers ? crossoverFlags(source.obsColumn(design.crossover)) : null;
  const v0 = vis.code(visits[0]);
  const v1 = vis.code(visits[1]);
  const aT = arm.code(design.treated);
  const aC = arm.code(design.control);
  const keep = new Uint8Array(nObs);
  for (let i = 0; i < nObs; i++) {
    const v = vis.codes[i];
    const a = arm.codes[i];
    if (v < 0 || (v !== v0 && v !== v1)) continue;
    if (a < 0 || (a !== aT && a !== aC)) continue;
    if (part.codes[i] < 0) continue;
    if (ct && ct.codes[i] < 0) continue;
    if (cross && cross[i]) continue;
    keep[i] = 1;
  }

  const warnings: string[] = nearMissArms(arm, part, vis, [v0, v1], [design.treated, design.control], design.arm);

  // --- a participant is randomised to one arm: one seen in both is a data error, not a model input
  const nP = part.labels.length;
  const armOf = new Int32Array(nP).fill(-1);
  const seenOrder: number[] = []; // participants in order of their first kept cell
  for (let i = 0; i < nObs; i++) {
    if (!keep[i]) continue;
    const p = part.codes[i];
    const prev = armOf[p];
    if (prev < 0) {
      armOf[p] = arm.codes[i];
      seenOrder.push(p);
    } else if (prev !== arm.codes[i])
      throw new TrialmixInputError(
        `participant '${part.labels[p]}' appears in both arms (${arm.labels[prev]} and ${arm.labels[arm.codes[i]]}) in column '${design.arm}'; each participant must stay in one arm (flag switchers with --crossover COL)`,
      );
  }

  // --- pairing: participants (per cell type when stratified) seen at both visits
  const seenVisits = new Map<number, number>();
  const pkey = (i: number): number => (ct ? ct.codes[i] * nP + part.codes[i] : part.codes[i]);
  for (let i = 0; i < nObs; i++) if (keep[i]) seenVisits.set(pkey(i), (seenVisits.get(pkey(i)) ?? 0) | (vis.codes[i] === v0 ? 1 : 2));
  for (let i = 0; i < nObs; i++) if (keep[i] && seenVisits.get(pkey(i)) !== 3) keep[i] = 0;
  const paired = new Int32Array(nP).fill(-1); // each kept participant's arm code
  for (let i = 0; i < nObs; i++) if (keep[i]) paired[part.codes[i]] = arm.codes[i];
  const unpaired = seenOrder.filter((p) => paired[p] < 0).map((p) => part.labels[p]);
  if (unpaired.length > 0)
    warnings.push(
      `${unpaired.length} participant(s) without cells at both ${visits[0]} and ${visits[1]} dropped: ${unpaired.slice(0, 5).join(", ")}${unpaired.length > 5 ? ", ..." : ""}`,
    );
  let nPaired = 0;
  for (let p = 0; p < nP; p++) if (paired[p] >= 0) nPaired++;
  if (nPaired > 0) {
    for (const [a, code] of [[design.treated, aT], [design.control, aC]] as const)
      if (!paired.includes(code))
        throw new TrialmixInputError(
          `no participant of arm '${a}' has cells at both ${visits[0]} and ${visits[1]} (after pairing all ${nPaired} are in one arm): a DiD needs both arms`,
        );
    if (nPaired < 3)
      throw new TrialmixInputError(
        `only ${nPaired} participant(s) have cells at both ${visits[0]} and ${visits[1]}; a DiD with a participant effect needs at least 3`,
      );
  }

  // --- rows
  const groupOf = new Int32Array(nObs).fill(-1);
  let rowCell: Int32Array; // for cell mode: the cell behind each row
  let nRows: number;
  const rowP: string[] = [];
  const rowV: string[] = [];
  const rowA: string[] = [];
  const rowC: string[] = [];
  if (mode === "cell") {
    const cells: number[] = [];
    for (let i = 0; i < nObs; i++)
      if (keep[i]) {
        groupOf[i] = cells.length;
        cells.push(i);
        rowP.push(part.labels[part.codes[i]]);
        rowV.push(vis.labels[vis.codes[i]]);
        rowA.push(arm.labels[arm.codes[i]]);
        if (ct) rowC.push(ct.labels[ct.codes[i]]);
      }
    rowCell = Int32Array.from(cells);
    nRows = cells.length;
  } else {
    const nV = vis.labels.length;
    const nA = arm.labels.length;
    const nC = ct ? ct.labels.length : 1;
    const keyId = new Map<number, number>();
    const keys: [string, string, string, string][] = [];
    const tmp = new Int32Array(nObs).fill(-1);
    for (let i = 0; i < nObs; i++) {
      if (!keep[i]) continue;
      const k = ((part.codes[i] * nV + vis.codes[i]) * nA + arm.codes[i]) * nC + (ct ? ct.codes[i] : 0);
      let id = keyId.get(k);
      if (id === undefined) {
        id = keys.length;
        keyId.set(k, id);
        keys.push([part.labels[part.codes[i]], vis.labels[vis.codes[i]], arm.labels[arm.codes[i]], ct ? ct.labels[ct.codes[i]] : ""]);
      }
      tmp[i] = id;
    }
    const order = keys.map((_, i) => i);
    // pandas groupby order: sorted keys (participant, visit, arm[, celltype]); celltype first when stratified
    order.sort((x, y) => {
      const a = keys[x];
      const b = keys[y];
      if (ct) {
        const c0 = cmp(a[3], b[3]);
        if (c0) return c0;
      }
      return cmp(a[0], b[0]) || cmp(a[1], b[1]) || cmp(a[2], b[2]);
    });
    const rank = new Int32Array(keys.length);
    order.forEach((id, r) => (rank[id] = r));
    for (let i = 0; i < nObs; i++) if (tmp[i] >= 0) groupOf[i] = rank[tmp[i]];
    for (const id of order) {
      rowP.push(keys[id][0]);
      rowV.push(keys[id][1]);
      rowA.push(keys[id][2]);
      if (ct) rowC.push(keys[id][3]);
    }
    nRows = keys.length;
    rowCell = new Int32Array(0);
  }
  void rowCell;
  if (nRows === 0) throw new TrialmixInputError(`no participant has cells at both visits ${visits[0]} and ${visits[1]} in arms ${design.treated}/${design.control}`);

  // --- feature values
  checkFrameMemory(nRows, features.length, mode);
  const values: FeatureValues[] = new Array(features.length);
  const geneFeats: number[] = []; // positions in `features`
  const obsFeats: number[] = [];
  for (let j = 0; j < features.length; j++) (obsSet.has(features[j]) ? obsFeats : geneFeats).push(j);
  if (obsFeats.length) {
    // one block for every obs feature (feature-major), as for genes below
    const block = new Float64Array(obsFeats.length * nRows);
    const count = new Float64Array(nRows);
    obsFeats.forEach((j, t) => {
      const out = block.subarray(t * nRows, (t + 1) * nRows);
      aggregateVectorInto(source.obsColumn(features[j]).values as Float64Array, groupOf, nRows, mode === "cell" ? "mean" : agg, out, count);
      values[j] = out;
    });
  }
  if (geneFeats.length) {
    const nVars = source.nVars;
    const colMap = new Int32Array(nVars).fill(-1);
    const cols: number[] = [];
    geneFeats.forEach((j, t) => {
      const c = varIndex.get(features[j])!;
      colMap[c] = t;
      cols.push(c);
    });
    const info = source.matrixInfo(opts.layer);
    if (info.shape[0] !== nObs || info.shape[1] !== nVars)
      throw new TrialmixInputError(`matrix shape [${info.shape.join(", ")}] does not match n_obs x n_vars = ${nObs} x ${nVars}`);
    // dense rows are read whole: keep a chunk near 2^21 values, so the read buffers stay small and reused
    const rowsPerChunk = opts.rowsPerChunk ?? (info.encoding === "dense" ? Math.max(1, Math.min(4096, Math.floor(2 ** 21 / Math.max(1, nVars)))) : 4096);
    const chunks = source.rowChunks(opts.layer, rowsPerChunk, { cols, reuse: true }); // aggregateChunks takes each block before the next
    const nOut = geneFeats.length;
    const f32 = opts.float32Means ?? info.dtype === "float32";
    const acc = aggregateChunks(chunks, groupOf, nRows, colMap, nOut, mode === "cell" ? "mean" : agg, { float32: f32 });
    for (let t = 0; t < nOut; t++) values[geneFeats[t]] = acc.subarray(t * nRows, (t + 1) * nRows); // feature-major
  }

  // --- covariates
  const covariates: Covariate[] = [];
  for (const name of covNames) {
    const col = source.obsColumn(name);
    if (isNumericKind(col)) {
      covariates.push({ name, kind: "numeric", values: aggregateVector(col.values as Float64Array, groupOf, nRows, "mean") });
    } else {
      const s = columnStrings(col);
      const rv: (string | null)[] = new Array(nRows).fill(null);
      for (let i = 0; i < nObs; i++) {
        const g = groupOf[i];
        if (g < 0) continue;
        const x = s[i];
        if (x === null) throw new TrialmixInputError(`covariate '${name}' has a missing value (cell ${i + 1})`);
        if (rv[g] === null) rv[g] = x;
        else if (rv[g] !== x)
          throw new TrialmixInputError(
            `covariate '${name}' is not constant within participant ${rowP[g]} at visit ${rowV[g]} ('${rv[g]}' and '${x}')`,
          );
      }
      const vals = rv as string[];
      const levels = [...new Set(vals)].sort();
      covariates.push({ name, kind: "categorical", values: vals, levels });
    }
  }

  const frame: AnalysisFrame = {
    unit: mode,
    participant: rowP,
    visit: rowV,
    arm: rowA,
    covariates,
    features,
    values,
  };
  if (ct) frame.celltype = rowC;
  if (mode === "participant_visit") frame.nCells = groupSizes(groupOf, nRows);
  if (warnings.length) frame.warnings = warnings;
  return frame;
}
