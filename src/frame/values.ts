// The aggregate stage: each feature's values per frame row (obs features and matrix columns),
// feature-major, by the aggregation function (cell rows: each cell's own value).
import { TrialmixInputError } from "../errors.js";
import type { DataSource, MatrixChunk, NumArray } from "../io/h5ad/reader.js";
import type { FeatureValues } from "../types.js";
import { type AggFunc, aggregateChunks, aggregateVectorInto } from "./aggregate.js";
import type { FeatureSelection } from "./select.js";

export interface ValueOptions {
  layer?: string | null;
  /** Round per-group results of a float32 matrix to float32 (default: the matrix dtype is float32). */
  float32Means?: boolean;
  /** Rows per matrix chunk (default 4096, or about 2^21 values for dense matrices). */
  rowsPerChunk?: number;
  /** Where the raw-count guard's warning goes (the frame's warnings). */
  onWarning?: (warning: string) => void;
}

/** values[j]: feature j over the nRows rows (groupOf: each cell's row, -1 = not kept). */
export function featureValues(source: DataSource, sel: FeatureSelection, groupOf: Int32Array, nRows: number, agg: AggFunc, opts: ValueOptions): FeatureValues[] {
  const { features, obsSet, unusable } = sel;
  const values: FeatureValues[] = new Array(features.length);
  const geneFeats: number[] = []; // positions in `features`
  const obsFeats: number[] = [];
  for (let j = 0; j < features.length; j++) {
    if (unusable.has(features[j])) values[j] = new Float64Array(nRows).fill(NaN); // no numbers: a NaN row with its reason
    else (obsSet.has(features[j]) ? obsFeats : geneFeats).push(j);
  }
  if (obsFeats.length) {
    // one block for every obs feature (feature-major), as for genes below
    const block = new Float64Array(obsFeats.length * nRows);
    const count = new Float64Array(nRows);
    obsFeats.forEach((j, t) => {
      const out = block.subarray(t * nRows, (t + 1) * nRows);
      aggregateVectorInto(source.obsColumn(features[j]).values as Float64Array, groupOf, nRows, agg, out, count);
      values[j] = out;
    });
  }
  if (geneFeats.length) {
    const acc = matrixValues(source, sel, geneFeats, groupOf, nRows, agg, opts);
    for (let t = 0; t < geneFeats.length; t++) values[geneFeats[t]] = acc.subarray(t * nRows, (t + 1) * nRows); // feature-major
  }
  return values;
}

/** The matrix columns of features[geneFeats[t]], streamed in row chunks into one feature-major table. */
function matrixValues(source: DataSource, sel: FeatureSelection, geneFeats: number[], groupOf: Int32Array, nRows: number, agg: AggFunc, opts: ValueOptions): FeatureValues {
  const nVars = source.nVars;
  const nObs = source.nObs;
  const colMap = new Int32Array(nVars).fill(-1);
  const cols: number[] = [];
  geneFeats.forEach((j, t) => {
    const c = sel.varIndex.get(sel.features[j])!;
    colMap[c] = t;
    cols.push(c);
  });
  const info = source.matrixInfo(opts.layer);
  if (info.shape[0] !== nObs || info.shape[1] !== nVars)
    throw new TrialmixInputError(`matrix shape [${info.shape.join(", ")}] does not match n_obs x n_vars = ${nObs} x ${nVars}`);
  // dense rows are read whole: keep a chunk near 2^21 values, so the read buffers stay small and reused
  const rowsPerChunk = opts.rowsPerChunk ?? (info.encoding === "dense" ? Math.max(1, Math.min(4096, Math.floor(2 ** 21 / Math.max(1, nVars)))) : 4096);
  const counts = new CountsWatch();
  const chunks = counts.watch(source.rowChunks(opts.layer, rowsPerChunk, { cols, reuse: true })); // aggregateChunks takes each block before the next
  const f32 = opts.float32Means ?? info.dtype === "float32";
  const out = aggregateChunks(chunks, groupOf, nRows, colMap, geneFeats.length, agg, { float32: f32 });
  if (counts.looksLikeCounts()) opts.onWarning?.(countsWarning(opts.layer, source.layers));
  return out;
}

/**
 * The raw-count guard: do the values read hold only non-negative integers (and some positive)? As
 * scanpy warns, z-scored counts are rarely what was meant. Checked on each block as it streams by (no
 * second read), and no more once a value is not a count, so normalised data pay for a few values only.
 */
export class CountsWatch {
  private integers = true;
  private positive = false;

  *watch(chunks: Iterable<MatrixChunk>): Generator<MatrixChunk> {
    for (const ch of chunks) {
      if (this.integers) this.see(ch.data);
      yield ch;
    }
  }

  see(data: NumArray): void {
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (!(x >= 0 && x < Infinity && Math.floor(x) === x)) {
        this.integers = false; // NaN fails too
        return;
      }
      if (x > 0) this.positive = true;
    }
  }

  /** Only non-negative integers were read, and not all of them zeros (zeros say nothing). */
  looksLikeCounts(): boolean {
    return this.integers && this.positive;
  }
}

/** The guard's one line: which matrix, what it looks like, and the other matrices of the file to choose from. */
export function countsWarning(layer: string | null | undefined, layers: readonly string[]): string {
  const isX = !layer || layer === "X";
  const what = isX ? "X" : layer === "raw" && !layers.includes("raw") ? "adata.raw (raw/X)" : `layer '${layer}'`;
  const others = [...(isX ? [] : ["X"]), ...layers.filter((l) => l !== layer)];
  return (
    `${what} holds only non-negative integers and looks like raw counts (the scan fits them as they are); ` +
    `for normalised values (e.g. scanpy's normalize_total + log1p) choose their matrix with --layer NAME (${others.length ? `this file: ${others.join(", ")}` : "this file has no other"})`
  );
}
