// The covariates stage: each covariate per frame row; numeric ones averaged over the row's cells,
// categorical ones constant within a row (a participant-visit) and given their sorted levels.
import { TrialmixInputError } from "../errors.js";
import type { DataSource } from "../io/h5ad/reader.js";
import type { Covariate } from "../types.js";
import { aggregateVector } from "./aggregate.js";
import { columnStrings } from "./design.js";
import type { FrameRows } from "./group.js";
import { isNumericKind } from "./select.js";

/** Every covariate names an obs column (TrialmixInputError naming the columns there are). */
export function checkCovariateColumns(source: DataSource, names: string[]): void {
  const obsSet = new Set(source.obsColumns);
  for (const c of names)
    if (!obsSet.has(c)) throw new TrialmixInputError(`covariate column '${c}' not found; available columns: ${source.obsColumns.join(", ")}`);
}

/** The covariates over the frame's rows. */
export function frameCovariates(source: DataSource, names: string[], rows: FrameRows): Covariate[] {
  return names.map((name): Covariate => {
    const col = source.obsColumn(name);
    if (isNumericKind(col)) return { name, kind: "numeric", values: aggregateVector(col.values as Float64Array, rows.groupOf, rows.nRows, "mean") };
    const values = rowLabels(name, columnStrings(col), rows);
    return { name, kind: "categorical", values, levels: [...new Set(values)].sort() };
  });
}

/** A categorical covariate's label per row: TrialmixInputError when missing or not constant within the row. */
function rowLabels(name: string, s: (string | null)[], rows: FrameRows): string[] {
  const rv: (string | null)[] = new Array(rows.nRows).fill(null);
  for (let i = 0; i < s.length; i++) {
    const g = rows.groupOf[i];
    if (g < 0) continue;
    const x = s[i];
    if (x === null) throw new TrialmixInputError(`covariate '${name}' has a missing value (cell ${i + 1})`);
    if (rv[g] === null) rv[g] = x;
    else if (rv[g] !== x)
      throw new TrialmixInputError(
        `covariate '${name}' is not constant within participant ${rows.participant[g]} at visit ${rows.visit[g]} ('${rv[g]}' and '${x}')`,
      );
  }
  return rv as string[];
}
