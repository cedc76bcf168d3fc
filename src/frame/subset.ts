// Row subsets of an analysis frame: the one row subset of the project.
import type { AnalysisFrame, FeatureValues } from "../types.js";

/** The frame's rows idx (in that order): every per-row column, covariates and feature values. */
export function subsetFrame(frame: AnalysisFrame, idx: number[]): AnalysisFrame {
  const pick = <T>(a: ArrayLike<T>): T[] => idx.map((i) => a[i]);
  const pickF = (a: FeatureValues): Float64Array => Float64Array.from(idx, (i) => a[i]);
  const sub: AnalysisFrame = {
    ...frame,
    participant: pick(frame.participant),
    visit: pick(frame.visit),
    arm: pick(frame.arm),
    covariates: frame.covariates.map((c) => (c.kind === "numeric" ? { ...c, values: pickF(c.values) } : { ...c, values: pick(c.values) })),
    values: frame.values.map(pickF),
  };
  if (frame.celltype) sub.celltype = pick(frame.celltype);
  if (frame.nCells) sub.nCells = pickF(frame.nCells);
  return sub;
}
