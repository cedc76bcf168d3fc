// What an aggregation function of participant-visit rows declares (one file a function, listed in index.ts).
import type { MatrixChunk } from "../../io/h5ad/reader.js";
import type { FeatureValues } from "../../types.js";

/**
 * A function of the group's streaming sums: the sum kernels add `value(x)` (or x itself) over each
 * group's finite values and `finish` turns the sum and the count of finite values into the result.
 */
export interface SumAggregator<N extends string = string> {
  readonly name: N;
  readonly kind: "sum";
  /**
   * Added in place of each finite value x (omitted: x itself). Must map 0 to 0: the implicit zeros of
   * a sparse matrix are counted, never visited.
   */
  readonly value?: (x: number) => number;
  /** The group's result from the sum of values over its n > 0 finite cells; `float32` when the matrix is float32. */
  readonly finish: (sum: number, n: number, float32: boolean) => number;
}

/** A function with its own path over the chunks (e.g. the median: it needs the values, not their sums). */
export interface OwnAggregator<N extends string = string> {
  readonly name: N;
  readonly kind: "own";
  /** Feature-major table out[j * nGroups + g] (as aggregateChunks); nCells[g] counts a group's cells, implicit zeros included. */
  chunks(chunks: Iterable<MatrixChunk>, groupOf: Int32Array, nGroups: number, colMap: Int32Array, nOut: number, nCells: Float64Array, float32: boolean): FeatureValues;
  /** One per-cell vector into `out` (nGroups values); NaN skipped, NaN for a group without a finite value. */
  vector(values: ArrayLike<number>, groupOf: Int32Array, nGroups: number, out: Float64Array): void;
}

export type Aggregator<N extends string = string> = SumAggregator<N> | OwnAggregator<N>;
