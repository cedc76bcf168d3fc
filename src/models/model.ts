// Design columns shared by the fixed-effects and the mixed-effects DiD.
import type { AnalysisFrame, Covariate } from "../types.js";

/**
 * Covariate design columns: numeric as is; categorical treatment-coded against the first
 * (sorted) level, one column per other level, named like patsy's `C(sex)[T.M]` -> `sex[T.M]`.
 * A categorical value outside the levels (missing) gives NaN in all its columns.
 */
export function covariateColumns(covs: Covariate[]): { names: string[]; columns: Float64Array[] } {
  const names: string[] = [];
  const columns: Float64Array[] = [];
  for (const c of covs) {
    if (c.kind === "numeric") {
      names.push(c.name);
      columns.push(Float64Array.from(c.values));
      continue;
    }
    const levels = [...c.levels].sort();
    const index = new Map(levels.map((l, i) => [l, i] as [string, number]));
    const n = c.values.length;
    const cols = levels.slice(1).map(() => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const k = index.get(c.values[i]);
      if (k === undefined) for (const col of cols) col[i] = NaN;
      else if (k > 0) cols[k - 1][i] = 1;
    }
    levels.slice(1).forEach((l, j) => {
      names.push(`${c.name}[T.${l}]`);
      columns.push(cols[j]);
    });
  }
  return { names, columns };
}

/** DiD indicators: treat = (arm == treated), post = (visit == visits[1]), as 0/1. */
export function didIndicators(
  frame: Pick<AnalysisFrame, "arm" | "visit">,
  visits: readonly [string, string] | readonly string[],
  treated: string,
): { treat: Float64Array; post: Float64Array } {
  const n = frame.arm.length;
  const treat = new Float64Array(n);
  const post = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    treat[i] = frame.arm[i] === treated ? 1 : 0;
    post[i] = frame.visit[i] === visits[1] ? 1 : 0;
  }
  return { treat, post };
}
