// The select stage: which features are analysed and which cells are kept (the visits asked for, the two
// arms, no crossover cells, no missing design labels), with the design columns as integer codes.
import { TrialmixInputError } from "../errors.js";
import type { DataSource, ObsColumn } from "../io/h5ad/reader.js";
import { type TrialDesign, designColumn } from "./design.js";
import { type Factor, factor } from "./factor.js";
import { cellNumberComma } from "../io/csv.js";

/** The features and where they are: obs columns (obsSet) or matrix columns (varIndex: var name -> column). */
export interface FeatureSelection {
  features: string[];
  obsSet: Set<string>;
  varIndex: Map<string, number>;
  /** Requested columns without a single number (every cell blank, NA or text): NaN rows with this reason. */
  unusable: Map<string, string>;
  /** When the features were taken by default from a table: how many, the first few and what was left out (the summary line says it). */
  note?: string;
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
  const byDefault = requested ? null : defaultFeatures(source, design, covariates);
  const features = requested ? requested.slice() : byDefault!.features;
  if (features.length === 0) throw new TrialmixInputError(`no features to analyse${byDefault?.note ? ` (${byDefault.note})` : ""}`);
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
  // a design column or a covariate is the model's right-hand side: as its outcome too it would be fitted on itself
  const roles = designRoles(design, covariates);
  for (const f of features)
    if (obsSet.has(f) && roles.has(f))
      throw new TrialmixInputError(`feature '${f}' is ${roles.get(f)}, not a feature; name other columns with --features`);
  const unusable = new Map<string, string>();
  for (const f of features) {
    if (!obsSet.has(f) || isNumericKind(source.obsColumn(f))) continue;
    const why = noNumbers(source.obsColumn(f));
    if (why) unusable.set(f, why);
  }
  return { features, obsSet, varIndex, unusable, note: byDefault?.note };
}

/**
 * Why a text column requested as a feature has no value to fit: every cell missing, or every cell
 * text (a spreadsheet's "n.d." or "#DIV/0!" column): its row is NaN with this reason. A categorical
 * column (a declared factor), or text among numbers (a cell that did not parse), is an input error.
 */
function noNumbers(col: ObsColumn): string {
  const n = col.values.length;
  const bad = (): never => {
    throw new TrialmixInputError(`feature '${col.name}' is an obs column of type ${col.kind}, not numeric${example ? `: '${example}' is not a number` : ""}`);
  };
  let example = "";
  if (col.kind !== "string" || col.values instanceof Float64Array) return bad();
  if (col.nMissing === n) return `column '${col.name}' is empty: every cell is blank or NA`;
  let numbers = 0;
  for (const s of col.values) {
    if (s === null) continue;
    const x = cellNumberComma(s.trim());
    if (x !== undefined) numbers++;
    else if (!example) example = s;
  }
  if (numbers > 0) return bad();
  return `column '${col.name}' holds no numbers (text such as '${example}')`;
}

/** The design columns and covariates, with what each is ("the participant column", "a covariate (--covariates)"). */
function designRoles(design: TrialDesign, covariates: string[]): Map<string, string> {
  const roles = new Map<string, string>();
  for (const c of covariates) roles.set(c, "a covariate (--covariates)");
  for (const [role, col] of [["crossover", design.crossover], ["cell-type", design.celltype], ["arm", design.arm], ["visit", design.visit], ["participant", design.participant]] as const)
    if (col) roles.set(col, `the ${role} column`);
  return roles;
}

/** Columns of a table shown by name in a note; the rest are counted. */
const NOTE_NAMES = 5;

/** "a, b, c, d, e and 3 more". */
function someNames(names: string[]): string {
  return names.length <= NOTE_NAMES ? names.join(", ") : `${names.slice(0, NOTE_NAMES).join(", ")} and ${names.length - NOTE_NAMES} more`;
}

/**
 * Default features: all var names (h5ad), or the numeric columns of a table that are neither design
 * columns nor in `exclude` (the covariates), leaving out the table's bookkeeping: a column that varies
 * only between participants (an age, a sex code) or only between visits (a day, a period) has no
 * within-participant change that differs between the arms, so it is no outcome. Empty columns are
 * left out too. The note names what was taken and what was left out.
 */
function defaultFeatures(source: DataSource, design: TrialDesign, exclude: string[]): { features: string[]; note?: string } {
  if (source.nVars > 0) return { features: source.varNames.slice() };
  const skip = designRoles(design, exclude);
  const part = designFactor(source, design.participant);
  const vis = designFactor(source, design.visit);
  const taken: string[] = [];
  const byParticipant: string[] = [];
  const byVisit: string[] = [];
  const empty: string[] = [];
  let commaCell = ""; // a text cell that reads as a number with a decimal comma
  for (const c of source.obsColumns) {
    if (skip.has(c)) continue;
    const col = source.obsColumn(c);
    // numeric as pandas' select_dtypes("number"): ints and floats, not booleans
    if (col.kind === "float" || col.kind === "int") {
      const v = col.values as Float64Array;
      if (varies(v) && constantWithin(v, part)) byParticipant.push(c);
      else if (varies(v) && constantWithin(v, vis)) byVisit.push(c);
      else taken.push(c);
    } else if (col.nMissing === col.values.length) empty.push(c);
    else if (!commaCell && !(col.values instanceof Float64Array)) commaCell = decimalCommaCell(c, col.values);
  }
  const left = [
    byVisit.length ? `${someNames(byVisit)} (one value per visit)` : "",
    byParticipant.length ? `${someNames(byParticipant)} (one value per participant)` : "",
    empty.length ? `${someNames(empty)} (empty)` : "",
  ].filter((x) => x);
  // no numbers at all but decimal-comma text: the likely fix is --decimal ,
  const hint = taken.length === 0 && commaCell ? `; ${commaCell}: decimal commas? try --decimal ,` : "";
  const note = `by default the table's numeric columns: ${taken.length ? someNames(taken) : "none"}${left.length ? `; left out: ${left.join(", ")}` : ""}${hint}`;
  return { features: taken, note };
}

/** Factors of design columns by column (a source caches its columns): the default features and the cell selection index them once. */
const FACTORS = new WeakMap<ObsColumn, Factor>();

function designFactor(source: DataSource, name: string): Factor {
  const col = designColumn(source, name);
  let f = FACTORS.get(col);
  if (!f) FACTORS.set(col, (f = factor(col)));
  return f;
}

/** "column 'x' holds '0,5'" for the first cell of a text column that is a number written with a decimal comma, else "". */
function decimalCommaCell(name: string, values: (string | null)[]): string {
  const s = values.find((v) => v !== null);
  return s && /^\s*[+-]?\d*,\d+\s*$/.test(s) ? `column '${name}' holds '${s}'` : "";
}

/** True when the values hold two different numbers. */
function varies(v: Float64Array): boolean {
  let first = NaN;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x !== x) continue;
    if (first !== first) first = x;
    else if (x !== first) return true;
  }
  return false;
}

/** True when every group of `f` (with two values or more in some group) holds one value (NaN ignored). */
function constantWithin(v: Float64Array, f: Factor): boolean {
  const first = new Float64Array(f.labels.length).fill(NaN);
  let repeated = false;
  for (let i = 0; i < v.length; i++) {
    const g = f.codes[i];
    const x = v[i];
    if (g < 0 || x !== x) continue;
    const y = first[g];
    if (y !== y) first[g] = x;
    else if (y !== x) return false;
    else repeated = true;
  }
  return repeated;
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
  const part = designFactor(source, design.participant);
  const vis = designFactor(source, design.visit);
  const arm = designFactor(source, design.arm);
  const ct = byCelltype ? designFactor(source, design.celltype!) : null;
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
  const near = new Set<number>();
  const warnings = nearMissArms(arm, part, vis, vcodes, [design.treated, design.control], design.arm, near);
  // a table's rows are its units; an .h5ad file's are cells
  warnings.push(...otherArms(arm, part, vis, vcodes, design, near, source.labelColumn ? "rows" : "cells"));
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
function nearMissArms(arm: Factor, part: Factor, vis: Factor, visits: number[], labels: string[], column: string, near: Set<number>): string[] {
  const norm = (x: string) => x.trim().toLowerCase();
  const out: string[] = [];
  for (const want of labels) {
    const w = arm.code(want);
    arm.labels.forEach((l, code) => {
      if (code === w || l === want || norm(l) !== norm(want) || labels.includes(l)) return;
      near.add(code);
      const who = new Set<number>();
      for (let i = 0; i < arm.codes.length; i++) if (arm.codes[i] === code && visits.includes(vis.codes[i]) && part.codes[i] >= 0) who.add(part.codes[i]);
      out.push(
        `arm label '${l}' in column '${column}' differs from '${want}' only by case or spaces: its ${who.size} participant(s) were dropped (relabel them, or pass the exact label)`,
      );
    });
  }
  return out;
}

/**
 * Arms that are neither treated nor control (a second dose, a placebo run-in): the DiD compares two
 * arms, so their participants are dropped, each such label named in a warning with how many
 * participants and rows (cells) at the two visits were dropped. `near`: labels already warned
 * about as near misses of --treated / --control.
 */
function otherArms(arm: Factor, part: Factor, vis: Factor, visits: number[], design: TrialDesign, near: Set<number>, unit: string): string[] {
  const aT = arm.code(design.treated);
  const aC = arm.code(design.control);
  const rows = new Float64Array(arm.labels.length);
  const who = arm.labels.map(() => new Set<number>());
  for (let i = 0; i < arm.codes.length; i++) {
    const a = arm.codes[i];
    if (a < 0 || a === aT || a === aC || near.has(a) || !visits.includes(vis.codes[i]) || part.codes[i] < 0) continue;
    rows[a]++;
    who[a].add(part.codes[i]);
  }
  const out: string[] = [];
  arm.labels.forEach((l, a) => {
    if (rows[a] > 0)
      out.push(
        `arm '${l}' in column '${design.arm}' is neither the treated ('${design.treated}') nor the control ('${design.control}') arm: its ${who[a].size} participant(s) (${rows[a]} ${unit}) were dropped`,
      );
  });
  return out;
}
