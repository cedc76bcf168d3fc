// Per-group aggregation of matrix chunks and of obs vectors, by the registered aggregation
// functions (aggregators/): the sum aggregators through the streaming sum kernels (sums.ts), the
// others by their own path.
//
// Groups are given per cell (`groupOf[cell]` in 0..nGroups-1, or -1 to skip the cell); output
// columns per matrix column (`colMap[col]` in 0..nOut-1, or -1 to skip). Results are
// feature-major: out[j * nGroups + g] (column j of the analysis frame is a contiguous run). Missing
// values (NaN) are skipped as pandas does; a group without any finite value gives NaN.
import type { MatrixChunk } from "../io/h5ad/reader.js";
import type { FeatureValues } from "../types.js";
import { type AggFunc, type Aggregator, aggregator } from "./aggregators/index.js";
import { sumChunks } from "./sums.js";

export { AGG_FUNCS, type AggFunc } from "./aggregators/index.js";

/** Cells per group (groupOf[i] = -1 skips cell i). */
export function groupSizes(groupOf: Int32Array, nGroups: number): Float64Array {
  const n = new Float64Array(nGroups);
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i];
    if (g >= 0) n[g]++;
  }
  return n;
}

function registered(name: AggFunc): Aggregator {
  const agg = aggregator(name);
  if (!agg) throw new Error(`unknown aggregation function '${name}'`);
  return agg;
}

/**
 * Aggregate matrix chunks per group. `float32`: the matrix is float32, so results are rounded as
 * pandas rounds a float32 column's (mean and median).
 */
export function aggregateChunks(
  chunks: Iterable<MatrixChunk>,
  groupOf: Int32Array,
  nGroups: number,
  colMap: Int32Array,
  nOut: number,
  name: AggFunc,
  opts: { float32?: boolean } = {},
): FeatureValues {
  const agg = registered(name);
  const nCells = groupSizes(groupOf, nGroups);
  const float32 = opts.float32 === true;
  if (agg.kind === "own") return agg.chunks(chunks, groupOf, nGroups, colMap, nOut, nCells, float32);
  return sumChunks(chunks, agg, groupOf, nGroups, colMap, nOut, nCells, float32);
}

/** Aggregate one per-cell vector (an obs feature or covariate) per group; NaN skipped. */
export function aggregateVector(values: ArrayLike<number>, groupOf: Int32Array, nGroups: number, name: AggFunc): Float64Array {
  const out = new Float64Array(nGroups);
  aggregateVectorInto(values, groupOf, nGroups, name, out, new Float64Array(nGroups));
  return out;
}

/**
 * aggregateVector into `out` (nGroups values, zeroed), with `count` (nGroups, any contents) as scratch:
 * a table of 100,000 obs features is aggregated into one block, without two fresh arrays a feature.
 */
export function aggregateVectorInto(values: ArrayLike<number>, groupOf: Int32Array, nGroups: number, name: AggFunc, out: Float64Array, count: Float64Array): void {
  const agg = registered(name);
  if (agg.kind === "own") return agg.vector(values, groupOf, nGroups, out);
  count.fill(0);
  const value = agg.value ?? null;
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i];
    const v = values[i];
    if (g < 0 || v !== v) continue;
    count[g]++;
    out[g] += value === null ? v : value(v);
  }
  for (let g = 0; g < nGroups; g++) out[g] = count[g] > 0 ? agg.finish(out[g], count[g], false) : NaN;
}
