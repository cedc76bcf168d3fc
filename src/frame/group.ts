// The group stage: the frame's rows (one per kept cell, or one per participant-visit[-cell type]
// in pandas groupby order) and each kept cell's row.
import type { CellSelection } from "./select.js";

/** The frame's rows: groupOf[cell] = row (-1: not kept) and each row's design labels. */
export interface FrameRows {
  groupOf: Int32Array;
  nRows: number;
  participant: string[];
  visit: string[];
  arm: string[];
  celltype: string[]; // empty unless stratified by cell type
}

/** One row per kept cell, in cell order. */
export function cellRows(sel: CellSelection): FrameRows {
  const { part, vis, arm, ct, keep } = sel;
  const rows: FrameRows = { groupOf: new Int32Array(keep.length).fill(-1), nRows: 0, participant: [], visit: [], arm: [], celltype: [] };
  for (let i = 0; i < keep.length; i++)
    if (keep[i]) {
      rows.groupOf[i] = rows.nRows++;
      rows.participant.push(part.labels[part.codes[i]]);
      rows.visit.push(vis.labels[vis.codes[i]]);
      rows.arm.push(arm.labels[arm.codes[i]]);
      if (ct) rows.celltype.push(ct.labels[ct.codes[i]]);
    }
  return rows;
}

type GroupKey = [participant: string, visit: string, arm: string, celltype: string];

/** One row per participant x visit (x arm, x cell type when stratified): pandas' groupby keys and order. */
export function participantVisitRows(sel: CellSelection): FrameRows {
  const { part, vis, arm, ct, keep } = sel;
  const nV = vis.labels.length;
  const nA = arm.labels.length;
  const nC = ct ? ct.labels.length : 1;
  const keyId = new Map<number, number>();
  const keys: GroupKey[] = [];
  const tmp = new Int32Array(keep.length).fill(-1);
  for (let i = 0; i < keep.length; i++) {
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
  const order = sortedKeys(keys, ct !== null);
  const rank = new Int32Array(keys.length);
  order.forEach((id, r) => (rank[id] = r));
  const rows: FrameRows = { groupOf: new Int32Array(keep.length).fill(-1), nRows: keys.length, participant: [], visit: [], arm: [], celltype: [] };
  for (let i = 0; i < keep.length; i++) if (tmp[i] >= 0) rows.groupOf[i] = rank[tmp[i]];
  for (const id of order) {
    rows.participant.push(keys[id][0]);
    rows.visit.push(keys[id][1]);
    rows.arm.push(keys[id][2]);
    if (ct) rows.celltype.push(keys[id][3]);
  }
  return rows;
}

/** pandas groupby order: sorted keys (participant, visit, arm[, celltype]); celltype first when stratified. */
function sortedKeys(keys: GroupKey[], byCelltype: boolean): number[] {
  const order = keys.map((_, i) => i);
  order.sort((x, y) => {
    const a = keys[x];
    const b = keys[y];
    if (byCelltype) {
      const c0 = cmp(a[3], b[3]);
      if (c0) return c0;
    }
    return cmp(a[0], b[0]) || cmp(a[1], b[1]) || cmp(a[2], b[2]);
  });
  return order;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
