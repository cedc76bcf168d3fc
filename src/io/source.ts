// What the frame builder reads, whatever the input: an .h5ad file (h5ad/reader.ts) or a long
// CSV/TSV table (table.ts) behind one DataSource interface.

export type ObsKind = "categorical" | "string" | "float" | "int" | "bool";

/**
 * One obs (or table) column. `values`: strings (null = missing) for categorical/string,
 * Float64Array (NaN = missing; booleans as 0/1) for float/int/bool. Categorical columns also
 * carry `codes` (-1 = missing) into `categories`.
 */
export interface ObsColumn {
  name: string;
  kind: ObsKind;
  values: (string | null)[] | Float64Array;
  codes?: Int32Array;
  categories?: string[];
  ordered?: boolean;
  nMissing: number;
}

export type MatrixEncoding = "dense" | "csr_matrix" | "csc_matrix";

export interface MatrixInfo {
  encoding: MatrixEncoding;
  dtype: string; // float32, float64, int32, int64, uint8, ...
  shape: [number, number];
}

/** The typed arrays a block of the matrix may hold its values in (64-bit integers arrive as Float64Array). */
export type NumArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/**
 * A block of the matrix. `dense`: rows rowStart..rowEnd-1, all columns, row-major.
 * `csr`: the same rows as compressed rows (indptr rebased to 0, length rows + 1).
 * `csc`: columns colStart..colEnd-1 (all rows) as compressed columns; `cols` lists the
 * column numbers when only selected columns were read (indptr has cols.length + 1 entries).
 */
export type MatrixChunk =
  | { kind: "dense"; rowStart: number; rowEnd: number; nCols: number; data: NumArray }
  | { kind: "csr"; rowStart: number; rowEnd: number; indptr: Float64Array; indices: Int32Array; data: NumArray }
  | { kind: "csc"; cols: Int32Array; indptr: Float64Array; indices: Int32Array; data: NumArray };

export interface ChunkOptions {
  cols?: ArrayLike<number>;
  maxValues?: number;
  reuse?: boolean;
}

/**
 * What the frame builder reads: an .h5ad file or a long table. Tables have no matrix
 * (nVars = 0) and expose their numeric columns as obs columns.
 */
export interface DataSource {
  readonly nObs: number;
  readonly nVars: number;
  readonly obsNames: string[];
  readonly varNames: string[];
  readonly obsColumns: string[];
  obsColumn(name: string): ObsColumn;
  /**
   * A column as the labels the file wrote (tables: the cells' text, whatever they look like), for the
   * design columns; absent when obsColumn's labels are the file's own (an .h5ad file's obs).
   */
  labelColumn?(name: string): ObsColumn;
  readonly layers: string[];
  matrixInfo(layer?: string | null): MatrixInfo;
  /**
   * Iterate the matrix in blocks whose memory is bounded by the block. Dense and CSR are
   * read as row blocks of `rowsPerChunk` rows; CSC as column blocks (of at most `maxValues`
   * stored values, or a single column), restricted to `cols` when given. With `reuse`, a block's
   * arrays may be views of one buffer that the next block overwrites (no copy, no fresh memory per
   * block): take what is needed from a block before asking for the next.
   */
  rowChunks(layer: string | null | undefined, rowsPerChunk: number, opts?: ChunkOptions): Iterable<MatrixChunk>;
  close(): void;
  /**
   * The source whose var names are the columns of the matrix `layer` chooses (an .h5ad file: adata.raw
   * for "raw", with raw/var's names); undefined when that matrix is the source's own (so a wrapper of the
   * source stays the source the frame reads).
   */
  matrixSource?(layer: string | null | undefined): DataSource | undefined;
  /** What reading noticed and changed (e.g. repeated var names made unique), for the frame's warnings. */
  readonly warnings?: readonly string[];
}
