// The seed's did_mixed: the mixed-model DiD of one feature of a long table (no standardisation, as the seed).
import { fitMixedTable } from "../../exec/driver.js";
import { nanRow, type MixedRow } from "./rows.js";
import type { AnalysisFrame, Covariate } from "../../types.js";
import { DEFAULTS } from "../../options.js";

/** The seed's did_mixed result keys plus the extensions: a table row without the table's columns. */
export type DidMixedResult = Omit<MixedRow, "feature" | "n_units" | "FDR_DiD">;

export interface DidMixedOptions {
  outcome: string;
  participant?: string; // default participant_id
  visit?: string; // default visit
  arm?: string; // default arm
  treated?: string; // default Treated
  randomSlope?: boolean;
  covariates?: string[];
  visits?: [string, string]; // pre, post; default: the two visit levels sorted
}

export type LongTable = Record<string, unknown>[] | Record<string, ArrayLike<unknown>>;

/** Column `name` of a long table given as records or as columns; undefined when absent. */
function tableColumn(table: LongTable, name: string): unknown[] | undefined {
  if (Array.isArray(table)) {
    if (table.length > 0 && !(name in table[0])) return undefined;
    return table.map((r) => r[name]);
  }
  const col = table[name];
  return col === undefined ? undefined : Array.from(col);
}

function withoutTableColumns(row: MixedRow): DidMixedResult {
  const { feature: _f, n_units: _n, FDR_DiD: _q, ...rest } = row;
  return rest;
}

/** did_mixed: one feature of a long table (no standardisation, as the seed). */
export function didMixed(table: LongTable, opts: DidMixedOptions): DidMixedResult {
  const get = (name: string): unknown[] => {
    const c = tableColumn(table, name);
    if (c === undefined) throw new Error(`column '${name}' not found in the table`);
    return c;
  };
  const visit = get(opts.visit ?? DEFAULTS.visit).map(String);
  const levels = [...new Set(visit)].sort();
  const slope = opts.randomSlope ?? DEFAULTS.randomSlope;
  if (levels.length !== 2) return withoutTableColumns(nanRow("", 0, "Requires exactly 2 time points", slope));
  const frame = longTableFrame(table, opts, visit, get);
  const table1 = fitMixedTable(frame, {
    visits: opts.visits ?? (levels as [string, string]),
    treated: opts.treated ?? DEFAULTS.treated,
    standardize: false,
    randomSlope: slope,
    covariates: frame.covariates.map((c) => c.name),
  });
  return withoutTableColumns(table1.rows[0]);
}

/** The one-feature analysis frame of a long table (its covariates numeric when every value is a number). */
function longTableFrame(table: LongTable, opts: DidMixedOptions, visit: string[], get: (name: string) => unknown[]): AnalysisFrame {
  const participant = get(opts.participant ?? DEFAULTS.participant).map(String);
  const covariates = (opts.covariates ?? [])
    .filter((c) => tableColumn(table, c) !== undefined) // the seed skips covariates it does not find
    .map((name): Covariate => {
      const raw = get(name);
      if (raw.every((v) => typeof v === "number")) return { name, kind: "numeric", values: Float64Array.from(raw as number[]) };
      const values = raw.map(String);
      return { name, kind: "categorical", values, levels: [...new Set(values)].sort() };
    });
  return {
    unit: isOneRowPerVisit(participant, visit) ? "participant_visit" : "cell",
    participant,
    visit,
    arm: get(opts.arm ?? DEFAULTS.arm).map(String),
    covariates,
    features: [opts.outcome],
    values: [Float64Array.from(get(opts.outcome), (v) => (v === null || v === undefined ? NaN : Number(v)))],
  };
}

function isOneRowPerVisit(participant: string[], visit: string[]): boolean {
  const seen = new Set<string>();
  for (let i = 0; i < participant.length; i++) {
    const key = participant[i] + "\u0000" + visit[i];
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}
