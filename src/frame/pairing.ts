// The pair stage: a participant stays in one arm, and only participants (per cell type when
// stratified) seen at the baseline and at least one follow-up are kept (with two visits: at both),
// with the rows they have; at least 3 of them, in both arms.
import { TrialmixInputError } from "../errors.js";
import type { TrialDesign } from "./design.js";
import type { CellSelection } from "./select.js";

/**
 * Participants in order of their first kept cell. A participant is randomised to one arm: one seen
 * in both is a data error, not a model input (TrialmixInputError).
 */
export function participantsInOneArm(sel: CellSelection, design: TrialDesign): number[] {
  const { part, arm, keep } = sel;
  const armOf = new Int32Array(part.labels.length).fill(-1);
  const seenOrder: number[] = [];
  for (let i = 0; i < keep.length; i++) {
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
  return seenOrder;
}

/** "at both Pre and Post" (two visits), "at D0 and at least one of D14, D28" (more). */
export function pairedText(visits: readonly string[]): string {
  return visits.length === 2 ? `at both ${visits[0]} and ${visits[1]}` : `at ${visits[0]} and at least one of ${visits.slice(1).join(", ")}`;
}

/**
 * Drop (in sel.keep) the cells of participants not seen at the baseline and at least one follow-up,
 * with a warning naming them (`seenOrder`: participantsInOneArm); a participant missing some
 * follow-ups keeps the rows it has. TrialmixInputError when those left are all in one arm or fewer than 3.
 */
export function keepPaired(sel: CellSelection, design: TrialDesign, visits: readonly string[], seenOrder: number[]): void {
  const { part, vis, arm, ct, keep } = sel;
  const nP = part.labels.length;
  const seenVisits = new Map<number, number>(); // participant (x cell type) -> 1 (baseline seen) | 2 (a follow-up seen)
  const pkey = (i: number): number => (ct ? ct.codes[i] * nP + part.codes[i] : part.codes[i]);
  for (let i = 0; i < keep.length; i++) if (keep[i]) seenVisits.set(pkey(i), (seenVisits.get(pkey(i)) ?? 0) | (vis.codes[i] === sel.v0 ? 1 : 2));
  for (let i = 0; i < keep.length; i++) if (keep[i] && seenVisits.get(pkey(i)) !== 3) keep[i] = 0;
  const paired = new Int32Array(nP).fill(-1); // each kept participant's arm code
  for (let i = 0; i < keep.length; i++) if (keep[i]) paired[part.codes[i]] = arm.codes[i];
  const unpaired = seenOrder.filter((p) => paired[p] < 0).map((p) => part.labels[p]);
  if (unpaired.length > 0)
    sel.warnings.push(
      `${unpaired.length} participant(s) without cells ${pairedText(visits)} dropped: ${unpaired.slice(0, 5).join(", ")}${unpaired.length > 5 ? ", ..." : ""}`,
    );
  let nPaired = 0;
  for (let p = 0; p < nP; p++) if (paired[p] >= 0) nPaired++;
  if (nPaired === 0) return;
  for (const [a, code] of [[design.treated, sel.aT], [design.control, sel.aC]] as const)
    if (!paired.includes(code))
      throw new TrialmixInputError(
        `no participant of arm '${a}' has cells ${pairedText(visits)} (after pairing all ${nPaired} are in one arm): a DiD needs both arms`,
      );
  if (nPaired < 3)
    throw new TrialmixInputError(
      `only ${nPaired} participant(s) have cells ${pairedText(visits)}; a DiD with a participant effect needs at least 3`,
    );
}
