// The kernel's output columns, one row each: the header slot the kernel writes it through (abi.ts Field),
// its element type and its length. The host allocates, reads and transfers every output from this table,
// and BatchFit (src/types.ts) is this table's type: a new kernel output is its writer in
// assembly/batch/outputs.ts, its Field, one row here, and the schema and a test.
import { Field } from "./abi.js";

/** The sizes an output's length depends on (nth: theta's length, q or q(q+1)/2). */
export interface Dims { m: number; p: number; q: number; G: number; nth: number }
type Dim = Exclude<keyof Dims, "m">;

type Elem = "f64" | "i32" | "u8";
/** An output: its header slot, element type, and its length per feature as a product of sizes ([] = 1). */
interface OutputSpec { field: Field; elem: Elem; per: readonly Dim[]; optional?: true }

export const OUTPUTS = {
  beta: { field: Field.BETA, elem: "f64", per: ["p"] },
  se: { field: Field.SE, elem: "f64", per: ["p"] },
  df: { field: Field.DF, elem: "f64", per: ["p"] }, // Satterthwaite df per coefficient (lmerTest's)
  covRe: { field: Field.COV_RE, elem: "f64", per: ["q", "q"] },
  scale: { field: Field.SCALE, elem: "f64", per: [] }, // residual variances
  logLik: { field: Field.LOG_LIK, elem: "f64", per: [] }, // REML/ML log-likelihoods on R's scale
  theta: { field: Field.THETA, elem: "f64", per: ["nth"] },
  converged: { field: Field.CONVERGED, elem: "u8", per: [] },
  singular: { field: Field.SINGULAR, elem: "u8", per: [] },
  iterations: { field: Field.ITERATIONS, elem: "i32", per: [] },
  status: { field: Field.STATUS, elem: "i32", per: [] }, // FIT_STATUS
  reason: { field: Field.REASON, elem: "i32", per: [] }, // reasonText(code)
  gradient: { field: Field.GRADIENT, elem: "f64", per: ["nth"] }, // the criterion's, in theta
  // Kenward-Roger (NaN unless the batch asks for it: KernelOptions.ddf): pbkrtest's adjusted se and df per
  // coefficient, and the joint test of KernelOptions.contrasts (scaled F, denominator df)
  seKr: { field: Field.SE_KR, elem: "f64", per: ["p"] },
  dfKr: { field: Field.DF_KR, elem: "f64", per: ["p"] },
  fKr: { field: Field.F_KR, elem: "f64", per: [] },
  ddfKr: { field: Field.DDF_KR, elem: "f64", per: [] },
  // fitLmm's
  vcov: { field: Field.VCOV, elem: "f64", per: ["p", "p"], optional: true },
  ranef: { field: Field.RANEF, elem: "f64", per: ["G", "q"], optional: true },
  condVar: { field: Field.COND_VAR, elem: "f64", per: ["G", "q", "q"], optional: true },
  objective: { field: Field.OBJECTIVE, elem: "f64", per: [], optional: true }, // -2 logLik
} as const satisfies Record<string, OutputSpec>;

type Table = typeof OUTPUTS;
export type OutputName = keyof Table;
type ArrayOf<E extends Elem> = E extends "f64" ? Float64Array : E extends "i32" ? Int32Array : Uint8Array;
type Arrays<Optional extends boolean> = {
  -readonly [K in OutputName as (Table[K] extends { optional: true } ? true : false) extends Optional ? K : never]: ArrayOf<Table[K]["elem"]>;
};

/** Every array of a batch fit (feature-major). */
export type KernelFit = { m: number; p: number; q: number } & Arrays<false>;
/** The optional outputs (fitLmm's). */
export type BatchExtras = Arrays<true>;

type Output = Float64Array | Int32Array | Uint8Array;
/** A copy of len elements at ptr: one shared function per element type, so the host's read loop calls one
 * of three (V8 inlines them; a closure per row would make the call site megamorphic). */
const READ: Record<Elem, (buf: ArrayBufferLike, ptr: number, len: number) => Output> = {
  f64: (buf, ptr, len) => new Float64Array(buf, ptr, len).slice(),
  i32: (buf, ptr, len) => new Int32Array(buf, ptr, len).slice(),
  u8: (buf, ptr, len) => new Uint8Array(buf, ptr, len).slice(),
};
const ELEM_BYTES: Record<Elem, number> = { f64: 8, i32: 4, u8: 1 };

/** A row of the table as the host uses it. */
export interface OutputRow {
  name: OutputName;
  field: Field;
  per: readonly Dim[];
  optional: boolean;
  /** Bytes of one element. */
  size: number;
  read(buf: ArrayBufferLike, ptr: number, len: number): Output;
}

/** The table's rows in allocation order. */
export const OUTPUT_ROWS: readonly OutputRow[] = (Object.entries(OUTPUTS) as [OutputName, OutputSpec][]).map(([name, o]) => ({
  name, field: o.field, per: o.per, optional: o.optional === true, size: ELEM_BYTES[o.elem], read: READ[o.elem],
}));

/** The output's length in elements for the batch's sizes. */
export function outputLength(o: { per: readonly Dim[] }, d: Dims): number {
  let len = d.m;
  for (let i = 0; i < o.per.length; i++) len *= d[o.per[i]];
  return len;
}

