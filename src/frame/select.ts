// The select stage: which features are analysed and which cells are kept (the visits asked for, the two
// arms, no crossover cells, no missing design labels), with the design columns as integer codes.
import { TrialmixInputError } from "../errors.js";
import type { DataSource, ObsColumn } from "../io/h5ad/reader.js";
import type { TrialDesign } from "./design.js";
import { type Factor, factor } from "./factor.js";

/** The features and where they are: obs columns (obsSet) or matrix columns (varIndex: var name -> column). */
export interface FeatureSelection {
  features: string[];
  obsSet: Set<string>;
  varIndex: Map<string, number>;
}

/** The kept cells (keep[i] = 1) and the design columns as codes. */
export interface CellSelection {
  part: Factor;
  vis: Factor;
  arm: Factor;
  ct: Factor | null; // cell type, when stratified
  v0: number; // code of the baseline visit
  v1: number; // code of the (first) follow-up visit
  vcodes: number[]; // codes of every visit, the baseline first
  aT: number; // code of the treated arm
  aC: number; // code of the control arm
  keep: Uint8Array;
  warnings: string[];
}

export function isNumericKind(c: ObsColumn): boolean {
  return c.kind === "float" || c.kind === "int" || c.kind === "bool";
}

/** The requested (or default) features, checked: found, unambiguous, not twice, numeric. */
export function selectFeatures(source: DataSource, design: TrialDesign, requested: string[] | undefined, layer: string | null | undefined, covariates: string[]): FeatureSelection {
  if (!requested && source.nVars === 0 && hasMatrix(source, layer))
    throw new TrialmixInputError("the matrix has 0 genes (n_vars = 0); name obs columns to analyse with --features");
  const features = requested ? requested.slice() : defaultFeatures(source, design, covariates);
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
  return { features, obsSet, varIndex };
}

/**
 * Default features: all var names (h5ad), or all numeric columns of a table that are neither
 * design columns nor in `exclude` (the covariates).
 */
function defaultFeatures(source: DataSource, design: TrialDesign, exclude: string[]): string[] {
  if (source.nVars > 0) return source.varNames.slice();
  const skip = new Set([design.participant, design.visit, design.arm, design.celltype, design.crossover, ...exclude]);
  // numeric as pandas' select_dtypes("number"): ints and floats, not booleans
  return source.obsColumns.filter((c) => {
    if (skip.has(c)) return false;
    const k = source.obsColumn(c).kind;
    return k === "float" || k === "int";
  });
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

/** The cells at either visit, in either arm, with a participant (and cell type when stratified), not crossovers. */
export function selectCells(source: DataSource, design: TrialDesign, visits: readonly string[], byCelltype: boolean, includeCrossovers: boolean): CellSelection {
  const part = factor(source.obsColumn(design.participant));
  const vis = factor(source.obsColumn(design.visit));
  const arm = factor(source.obsColumn(design.arm));
  const ct = byCelltype ? factor(source.obsColumn(design.celltype!)) : null;
  const cross = design.crossover && !includeCrossovers ? crossoverFlags(source.obsColumn(design.crossover)) : null;
  const vcodes = visits.map((v) => vis.code(v));
  const [v0, v1] = vcodes;
  const aT = arm.code(design.treated);
  const aC = arm.code(design.control);
  const keep = new Uint8Array(source.nObs);
  for (let i = 0; i < keep.length; i++) {
    const v = vis.codes[i];
    const a = arm.codes[i];
    if (v < 0 || !vcodes.includes(v)) continue;
    if (a < 0 || (a !== aT && a !== aC)) continue;
    if (part.codes[i] < 0) continue;
    if (ct && ct.codes[i] < 0) continue;
    if (cross && cross[i]) continue;
    keep[i] = 1;
  }
  const warnings = nearMissArms(arm, part, vis, vcodes, [design.treated, design.control], design.arm);
  return { part, vis, arm, ct, v0, v1, vcodes, aT, aC, keep, warnings };
}

const TRUTHY = new Set(["1", "true", "t", "yes", "y"]);
const FALSY = new Set(["0", "false", "f", "no", "n", ""]);

/**
 * Crossover flags per cell: boolean true, numeric finite non-zero, or a string in
 * {1, true, t, yes, y} (case and spaces ignored). A text column with other values is not
 * boolean-like: TrialmixInputError.
 */
function crossoverFlags(col: ObsColumn): Uint8Array {
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
