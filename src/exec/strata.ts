// Per-cell-type mixed scans: the frame built once (one read of the matrix, the group index including
// the cell type), then one scan per cell type through the one driver, in sorted cell-type order.
// FDR_DiD is within each cell type (each scan's own); FDR_DiD_global is over every row of the table.
import { TrialmixInputError } from "../errors.js";
import { subsetFrame } from "../frame/subset.js";
import { applyFdr } from "../stats/fdr.js";
import type { MixedOptions } from "../models/mixed/design.js";
import type { MixedRow, MixedTable } from "../models/mixed/rows.js";
import type { AnalysisFrame } from "../types.js";
import { fitMixedTableWith, after, type Maybe, type Progress } from "./driver.js";
import type { BlockFitter, SyncFitter } from "./fitter.js";

/** Fewest participants a cell type needs for its scan (as the unstratified frame does). */
export const MIN_STRATUM_PARTICIPANTS = 3;

/** A stratum of a frame: its cell type and its rows (in frame order). */
export interface Stratum {
  celltype: string;
  rows: number[];
}

/** The frame's cell types, sorted, each with its rows. */
export function strataOf(celltype: readonly string[]): Stratum[] {
  const by = new Map<string, number[]>();
  celltype.forEach((ct, i) => {
    let a = by.get(ct);
    if (!a) by.set(ct, (a = []));
    a.push(i);
  });
  return [...by.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((celltype) => ({ celltype, rows: by.get(celltype)! }));
}

/**
 * The frame of one stratum, as an unstratified scan sees it (no celltype column). A stratified frame
 * has each cell type's rows in one run (frame/group.ts orders them cell type first), so its feature
 * values are views, not copies: the scan only reads them.
 */
export function stratumFrame(frame: AnalysisFrame, s: Stratum): AnalysisFrame {
  const sub = subsetFrame(frame, s.rows, { share: true });
  delete sub.celltype;
  delete sub.warnings;
  return sub;
}

/** Why a stratum cannot be scanned (too few participants, an arm empty), or "" when it can. */
export function stratumProblem(sub: AnalysisFrame, treated: string): string {
  const arms = new Map<string, string>(); // participant -> arm
  sub.participant.forEach((p, i) => arms.set(p, sub.arm[i]));
  const nT = [...arms.values()].filter((a) => a === treated).length;
  const nC = arms.size - nT;
  if (arms.size >= MIN_STRATUM_PARTICIPANTS && nT > 0 && nC > 0) return "";
  return `only ${arms.size} participant(s) left (${nT} treated, ${nC} control); needs at least ${MIN_STRATUM_PARTICIPANTS} in both arms: skipped`;
}

/** The stratified table: each cell type's rows (celltype first), FDR_DiD within it, FDR_DiD_global over all. */
export function fitStrataWith(frame: AnalysisFrame, opts: MixedOptions, fitter: SyncFitter, onProgress?: Progress): MixedTable;
export function fitStrataWith(frame: AnalysisFrame, opts: MixedOptions, fitter: BlockFitter, onProgress?: Progress): Maybe<MixedTable>;
export function fitStrataWith(frame: AnalysisFrame, opts: MixedOptions, fitter: BlockFitter, onProgress?: Progress): Maybe<MixedTable> {
  const strata = strataOf(frame.celltype ?? []);
  const m = frame.features.length;
  const total = m * strata.length;
  const rows: MixedRow[] = [];
  const warnings: string[] = [];
  let failed = 0;
  let k = 0;
  // strata one after another (each scan's blocks spread over the fitter's threads)
  const next = (): Maybe<MixedTable> => {
    if (k === strata.length) return finishStrata(rows, warnings, failed);
    const s = strata[k];
    const done = m * k++;
    const sub = stratumFrame(frame, s);
    const problem = stratumProblem(sub, opts.treated ?? "Treated");
    let t: Maybe<MixedTable> | null = null;
    if (problem) warnings.push(`cell type ${s.celltype}: ${problem}`);
    else
      try {
        t = fitMixedTableWith(sub, opts, fitter, onProgress ? (d) => onProgress(done + d, total) : undefined);
      } catch (e) {
        if (!(e instanceof TrialmixInputError)) throw e;
        warnings.push(`cell type ${s.celltype}: ${e.message}: skipped`);
      }
    if (t === null) {
      onProgress?.(done + m, total);
      return next();
    }
    return after(t, (tab) => {
      for (const w of tab.warnings) warnings.push(`cell type ${s.celltype}: ${w}`);
      for (const r of tab.rows) rows.push({ celltype: s.celltype, ...r });
      failed += tab.failed;
      return next();
    }) as Maybe<MixedTable>;
  };
  return next();
}

function finishStrata(rows: MixedRow[], warnings: string[], failed: number): MixedTable {
  const fdr = applyFdr(rows.map((r) => r.p_DiD));
  rows.forEach((r, i) => (r.FDR_DiD_global = fdr[i]));
  if (rows.length === 0) throw new TrialmixInputError(`no cell type could be scanned: ${warnings.join("; ")}`);
  return { rows, warnings, failed };
}

/** did_table_mixed on a built frame: per cell type when the frame has one, else the one scan. */
export function fitFrameWith(frame: AnalysisFrame, opts: MixedOptions, fitter: SyncFitter, onProgress?: Progress): MixedTable;
export function fitFrameWith(frame: AnalysisFrame, opts: MixedOptions, fitter: BlockFitter, onProgress?: Progress): Maybe<MixedTable>;
export function fitFrameWith(frame: AnalysisFrame, opts: MixedOptions, fitter: BlockFitter, onProgress?: Progress): Maybe<MixedTable> {
  return frame.celltype ? fitStrataWith(frame, opts, fitter, onProgress) : fitMixedTableWith(frame, opts, fitter, onProgress);
}
