// The trial design: which columns hold participant, visit, arm (and cell type, crossover),
// which arm labels are treated/control, and validation against a data source.
import { TrialmixInputError } from "../errors.js";
import type { DataSource, ObsColumn } from "../io/h5ad/reader.js";

/** Column names and labels of a trial (the seed's TrialDesign: participant_col, visit_col, ...). */
export interface TrialDesignSpec {
  participant: string; // participant column
  visit: string; // visit column
  arm: string; // arm column
  treated: string; // treated-arm label
  control: string; // control-arm label
  celltype?: string; // cell-type column
  crossover?: string; // boolean-like crossover column (cells flagged are excluded)
  baselineVisit?: string;
  followupVisit?: string;
}

/** The design's defaults (the seed's and the CLI's): the one place they are written. */
export const DESIGN_DEFAULTS = {
  participant: "participant_id",
  visit: "visit",
  arm: "arm",
  treated: "Treated",
  control: "Control",
} as const satisfies Partial<TrialDesignSpec>;

/**
 * A full design from a partial one: DESIGN_DEFAULTS for the unset columns and labels; an empty
 * celltype / crossover is unset. TrialmixInputError when the treated and control labels are equal.
 */
export function resolveDesign(partial: Partial<TrialDesignSpec> = {}): TrialDesignSpec {
  const d: TrialDesignSpec = {
    participant: partial.participant ?? DESIGN_DEFAULTS.participant,
    visit: partial.visit ?? DESIGN_DEFAULTS.visit,
    arm: partial.arm ?? DESIGN_DEFAULTS.arm,
    treated: partial.treated ?? DESIGN_DEFAULTS.treated,
    control: partial.control ?? DESIGN_DEFAULTS.control,
  };
  if (partial.celltype) d.celltype = partial.celltype;
  if (partial.crossover) d.crossover = partial.crossover;
  if (partial.baselineVisit !== undefined) d.baselineVisit = partial.baselineVisit;
  if (partial.followupVisit !== undefined) d.followupVisit = partial.followupVisit;
  if (d.treated === d.control) throw new TrialmixInputError(`treated and control labels are both '${d.treated}'`);
  return d;
}

/** A trial design: resolveDesign(partial) as an object of its own class. */
export class TrialDesign implements TrialDesignSpec {
  participant!: string;
  visit!: string;
  arm!: string;
  treated!: string;
  control!: string;
  celltype?: string;
  crossover?: string;
  baselineVisit?: string;
  followupVisit?: string;

  constructor(partial: Partial<TrialDesignSpec> = {}) {
    Object.assign(this, resolveDesign(partial));
  }
}

/** The same as `new TrialDesign(partial)`. */
export function makeDesign(partial: Partial<TrialDesignSpec> = {}): TrialDesign {
  return new TrialDesign(partial);
}

function listShort(xs: string[], max = 20): string {
  return xs.length <= max ? xs.join(", ") : `${xs.slice(0, max).join(", ")}, ... (${xs.length} in all)`;
}

/** The distinct labels of a column: the categories in use (categorical), else sorted strings. */
function columnLabels(col: ObsColumn): string[] {
  if (col.kind === "categorical" && col.categories) {
    const used = new Uint8Array(col.categories.length);
    for (const k of col.codes ?? []) if (k >= 0) used[k] = 1;
    return col.categories.filter((_, i) => used[i]);
  }
  const set = new Set<string>();
  const v = col.values;
  if (v instanceof Float64Array) {
    for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i])) set.add(numLabel(v[i], col.kind));
  } else for (const s of v) if (s !== null) set.add(s);
  return [...set].sort();
}

/** String label of a numeric design value (pandas' astype(str) for ints; floats keep a .0). */
function numLabel(x: number, kind: ObsColumn["kind"]): string {
  if (kind === "bool") return x ? "True" : "False";
  if (kind === "float" && Number.isInteger(x)) return `${x}.0`;
  return String(x);
}

/** The column as string labels (null = missing). */
export function columnStrings(col: ObsColumn): (string | null)[] {
  const v = col.values;
  if (v instanceof Float64Array) return Array.from(v, (x) => (Number.isNaN(x) ? null : numLabel(x, col.kind)));
  return v;
}

/**
 * A design column (participant, visit, arm, cell type) as labels: the file's own text where the
 * source keeps it (a table's cells), so the labels the user passes match what the file says.
 */
export function designColumn(source: Pick<DataSource, "obsColumn" | "labelColumn">, name: string): ObsColumn {
  return source.labelColumn ? source.labelColumn(name) : source.obsColumn(name);
}

/**
 * Check the design against a data source: every design column exists, the arm labels and
 * (when given) the visits occur. Throws TrialmixInputError naming what is missing and what
 * is available.
 */
export function validateDesign(design: TrialDesign, source: Pick<DataSource, "obsColumns" | "obsColumn" | "labelColumn">, visits?: readonly string[]): void {
  const available = source.obsColumns;
  const need: [string, string][] = [
    ["participant", design.participant],
    ["visit", design.visit],
    ["arm", design.arm],
  ];
  if (design.celltype) need.push(["cell-type", design.celltype]);
  if (design.crossover) need.push(["crossover", design.crossover]);
  for (const [role, col] of need)
    if (!available.includes(col))
      throw new TrialmixInputError(`${role} column '${col}' not found; available columns: ${listShort(available, 50)}`);
  const arms = columnLabels(designColumn(source, design.arm));
  for (const [role, lab] of [
    ["treated", design.treated],
    ["control", design.control],
  ] as const)
    if (!arms.includes(lab))
      throw new TrialmixInputError(`${role} label '${lab}' not found in arm column '${design.arm}'; observed labels: ${listShort(arms)}`);
  const vis = visits ?? [design.baselineVisit, design.followupVisit].filter((x): x is string => x !== undefined);
  if (vis.length) {
    if (vis.length < 2) throw new TrialmixInputError(`two or more visits are needed (baseline,followup[,...]); got ${vis.length}`);
    if (vis.length === 2 && vis[0] === vis[1]) throw new TrialmixInputError(`baseline and follow-up visits are both '${vis[0]}'`);
    if (new Set(vis).size !== vis.length) throw new TrialmixInputError(`a visit is named twice in ${vis.join(",")}`);
    const observed = columnLabels(designColumn(source, design.visit));
    for (const v of vis)
      if (!observed.includes(v))
        throw new TrialmixInputError(`visit '${v}' not found in visit column '${design.visit}'; observed visits: ${listShort(observed)}`);
  }
}
