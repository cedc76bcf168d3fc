// Labels to codes: the one labels -> group index of the project (model groups, design columns).
import type { ObsColumn } from "../io/h5ad/reader.js";
import { columnStrings } from "./design.js";

/** Codes into the distinct labels in first-seen order; -1 for a missing (null) label. */
function indexLabels(values: ArrayLike<string | null>): { codes: Int32Array; labels: string[] } {
  const index = new Map<string, number>();
  const labels: string[] = [];
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x === null) {
      codes[i] = -1;
      continue;
    }
    let c = index.get(x);
    if (c === undefined) {
      c = labels.length;
      index.set(x, c);
      labels.push(x);
    }
    codes[i] = c;
  }
  return { codes, labels };
}

/** Labels -> 0..G-1 in first-seen order. */
export function groupIndex(labels: ArrayLike<string>): { index: Int32Array; count: number } {
  const { codes, labels: distinct } = indexLabels(labels);
  return { index: codes, count: distinct.length };
}

/** An obs column as integer codes (-1 = missing) into its distinct labels. */
export interface Factor {
  codes: Int32Array;
  labels: string[];
  code(label: string): number; // -2 when the label does not occur
}

/** Categorical columns give their codes as they are (when sound); other columns are indexed once. */
export function factor(col: ObsColumn): Factor {
  const { codes, labels } =
    col.kind === "categorical" && col.codes && col.categories && new Set(col.categories).size === col.categories.length && codesInRange(col.codes, col.categories.length)
      ? { codes: col.codes, labels: col.categories }
      : indexLabels(columnStrings(col));
  const byLabel = new Map(labels.map((l, i) => [l, i]));
  return { codes, labels, code: (l) => byLabel.get(l) ?? -2 };
}

function codesInRange(codes: Int32Array, n: number): boolean {
  for (let i = 0; i < codes.length; i++) if (codes[i] < -1 || codes[i] >= n) return false;
  return true;
}
