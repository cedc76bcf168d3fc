// More than two visits: y ~ arm * visit (+ covariates) + (1 | participant), visit a factor with the
// baseline as reference. Each follow-up's DiD is its arm:visit coefficient; the joint arm-by-visit
// test is lmerTest's type III F (Satterthwaite denominator df) and lme4's anova(m0, m1) LRT.
import { covariateColumns } from "../model.js";
import { groupIndex } from "../../frame/factor.js";
import type { AnalysisFrame, BatchDesign } from "../../types.js";
import type { MixedDesign, MixedOptions } from "./design.js";

/** The follow-ups of a visit-factor design and where their DiD coefficients are. */
export interface VisitContrasts {
  labels: string[]; // the follow-ups, in the order given ("D14", "D28")
  index: number[]; // each follow-up's arm:visit coefficient in X; -1 when not estimable
  reason: string[]; // why a follow-up's contrast is not estimable ("" when it is)
  nullColumns: number[]; // the columns of X without the interaction (the LRT's null model)
}

/** "D14 vs D0": the contrast column's text. */
export function contrastLabel(followup: string, baseline: string): string {
  return `${followup} vs ${baseline}`;
}

/**
 * X = [1, arm_bin, visit[T.V2], ..., arm_bin:visit[T.V2], ..., covariates], Z = [1]. A follow-up
 * without rows loses both its columns; one where an arm has no rows loses its interaction column
 * (aliased with visit[T.Vk], as lme4 drops it): its contrast is NaN with the reason.
 */
export function visitFactorDesign(frame: AnalysisFrame, opts: MixedOptions): MixedDesign {
  const n = frame.participant.length;
  const follow = opts.visits.slice(1);
  const treat = Float64Array.from(frame.arm, (a) => (a === opts.treated ? 1 : 0));
  const cols: Float64Array[] = [new Float64Array(n).fill(1), treat];
  const names = ["Intercept", "arm_bin"];
  const reason = follow.map(() => "");
  const visitCols: Float64Array[] = [];
  const present: number[] = [];
  follow.forEach((v, k) => {
    const ind = Float64Array.from(frame.visit, (x) => (x === v ? 1 : 0));
    let nT = 0, nC = 0;
    for (let i = 0; i < n; i++) {
      if (ind[i] && treat[i]) nT++;
      else if (ind[i]) nC++;
    }
    if (nT + nC === 0) reason[k] = `not estimable: no rows at ${v}`;
    else if (nT === 0 || nC === 0) reason[k] = `not estimable: ${nT === 0 ? `arm ${opts.treated}` : "the control arm"} has no rows at ${v}`;
    if (nT + nC > 0) {
      cols.push(ind);
      names.push(`visit[T.${v}]`);
    }
    visitCols.push(ind);
    if (reason[k] === "") present.push(k);
  });
  const index = follow.map(() => -1);
  for (const k of present) {
    index[k] = cols.length;
    cols.push(Float64Array.from(visitCols[k], (x, i) => x * treat[i]));
    names.push(`arm_bin:visit[T.${follow[k]}]`);
  }
  const nInter = present.length;
  const covs = covariateColumns(frame.covariates.filter((c) => (opts.covariates ?? []).includes(c.name)));
  cols.push(...covs.columns);
  names.push(...covs.names);
  const p = cols.length;
  const X = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) X[i * p + j] = cols[j][i];
  const firstInter = p - covs.columns.length - nInter;
  const nullColumns = [...Array(p).keys()].filter((j) => j < firstInter || j >= firstInter + nInter);
  const { index: groups, count } = groupIndex(frame.participant);
  const design: BatchDesign = { n, p, q: 1, X, Z: new Float64Array(n).fill(1), groups, G: count };
  return { design, names, nUnits: count, contrasts: { labels: follow, index, reason, nullColumns } };
}

/** The design with only the given columns of X (the null model of the LRT). */
export function keepColumns(d: BatchDesign, columns: number[]): BatchDesign {
  const p = columns.length;
  const X = new Float64Array(d.n * p);
  for (let i = 0; i < d.n; i++) for (let j = 0; j < p; j++) X[i * p + j] = d.X[i * d.p + columns[j]];
  return { ...d, p, X };
}
