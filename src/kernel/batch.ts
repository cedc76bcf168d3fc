// Marshals a batch into the kernel's memory (one WASM call per batch): the header, the inputs and every
// output of the table in outputs.ts.
import type { BatchDesign, BatchFit, KernelOptions } from "../types.js";
import { TrialmixInputError } from "../errors.js";
import { Field } from "./abi.js";
import { getKernel, type KernelExports } from "./load.js";
import { OUTPUT_ROWS, outputLength, type BatchExtras, type Dims, type KernelFit } from "./outputs.js";
import { MAX_RANDOM_EFFECTS } from "./control.js";
import { KERNEL_DEFAULTS } from "./control.js";

/** The design's shape errors (and q beyond MAX_RANDOM_EFFECTS); returns the number of responses in Y. */
function checkBatch(design: BatchDesign, Y: Float64Array): number {
  const { n, p, q, G } = design;
  if (!(n > 0 && p > 0 && q > 0 && G > 0)) throw new Error(`fitBatch: need n, p, q, G > 0 (got n=${n}, p=${p}, q=${q}, G=${G})`);
  if (q > MAX_RANDOM_EFFECTS) throw new TrialmixInputError(`${q} random-effect columns per group: at most ${MAX_RANDOM_EFFECTS} are supported (the optimiser's work grows as q^6; see docs/lmm.md)`);
  if (design.X.length !== n * p) throw new Error(`fitBatch: X has ${design.X.length} values, expected n*p = ${n * p}`);
  if (design.Z.length !== n * q) throw new Error(`fitBatch: Z has ${design.Z.length} values, expected n*q = ${n * q}`);
  if (design.groups.length !== n) throw new Error(`fitBatch: groups has ${design.groups.length} entries, expected n = ${n}`);
  for (let i = 0; i < n; i++) {
    const g = design.groups[i];
    if (!(g >= 0 && g < G)) throw new Error(`fitBatch: groups[${i}] = ${g} is outside 0..G-1 (G = ${G})`);
  }
  if (Y.length % n !== 0) throw new Error(`fitBatch: Y has ${Y.length} values, not a multiple of n = ${n}`);
  return Y.length / n;
}

/** Addresses of the batch's header, inputs and outputs (out[i]: OUTPUT_ROWS[i]'s, 0 when not wanted, of
 * len[i] elements for an unstructured covariance). */
interface Layout { header: number; pX: number; pZ: number; pG: number; pY: number; out: number[]; len: number[]; pL: number }

/**
 * The kernel's memory for one batch, laid out the same way every time after a reset (the arena is a bump
 * allocator): header, inputs, then the outputs (the optional ones when extras), each 16-byte aligned, in one
 * allocation. Its size does not depend on the options (theta's outputs get q(q+1)/2 slots, enough for a
 * diagonal covariance's q too): so a responseBuffer() view sits exactly where fitBatchFull will read the
 * responses, and the memory it may need to grow is grown when the view is made, not under it.
 */
function layout(k: KernelExports, design: BatchDesign, m: number, extras: boolean, lRows = 0): Layout {
  const { n, p, q, G } = design;
  const most: Dims = { m, p, q, G, nth: (q * (q + 1)) / 2 };
  let end = 0;
  const place = (len: number, size: number) => { const at = end; end += (Math.max(len, 1) * size + 15) & ~15; return at; };
  const header = place(Field.COUNT, 4);
  const pX = place(n * p, 8), pZ = place(n * q, 8), pG = place(n, 4), pY = place(m * n, 8);
  const len = OUTPUT_ROWS.map((o) => outputLength(o, most));
  const out = OUTPUT_ROWS.map((o, i) => (extras || !o.optional ? place(len[i], o.size) : -1));
  const pL = place(lRows * p, 8); // after everything else: the responses' place does not depend on it
  k.reset();
  const base = k.alloc(end);
  return { header: base + header, pX: base + pX, pZ: base + pZ, pG: base + pG, pY: base + pY, out: out.map((a) => (a < 0 ? 0 : base + a)), len, pL: base + pL };
}

/** The header's slots: dimensions, options, inputs' and outputs' addresses (0: an output not wanted). */
function writeHeader(buf: ArrayBufferLike, L: Layout, design: BatchDesign, m: number, reml: boolean, diag: boolean, kr: boolean, lRows: number): void {
  const h = new Uint32Array(buf, L.header, Field.COUNT);
  h[Field.N] = design.n; h[Field.P] = design.p; h[Field.Q] = design.q; h[Field.G] = design.G; h[Field.M] = m;
  h[Field.REML] = reml ? 1 : 0; h[Field.DIAG] = diag ? 1 : 0;
  h[Field.X] = L.pX; h[Field.Z] = L.pZ; h[Field.GROUPS] = L.pG; h[Field.Y] = L.pY;
  for (let i = 0; i < OUTPUT_ROWS.length; i++) h[OUTPUT_ROWS[i].field] = L.out[i];
  h[Field.KR] = kr ? 1 : 0; h[Field.L_ROWS] = lRows; h[Field.L] = lRows > 0 ? L.pL : 0;
}

/** The Kenward-Roger joint test's contrasts: rows x p finite values, or none. */
function checkContrasts(c: KernelOptions["contrasts"], p: number): number {
  if (!c) return 0;
  if (!(Number.isInteger(c.rows) && c.rows >= 1 && c.rows <= p)) throw new TrialmixInputError(`contrasts: ${c.rows} rows; expected 1 to p = ${p}`);
  if (c.L.length !== c.rows * p) throw new TrialmixInputError(`contrasts: L has ${c.L.length} values, expected rows*p = ${c.rows * p}`);
  if (!c.L.every(Number.isFinite)) throw new TrialmixInputError("contrasts: L has non-finite values");
  return c.rows;
}

/** Fit m responses sharing one design; returns the batch fit (and the optional outputs when asked). */
export function fitBatchFull(design: BatchDesign, Y: Float64Array, opts: KernelOptions = {}, extras = false): BatchFit & { extras?: BatchExtras } {
  const k = getKernel();
  const m = checkBatch(design, Y);
  const { n, p, q, G } = design;
  const reml = opts.reml ?? KERNEL_DEFAULTS.reml;
  const diag = (opts.covariance ?? KERNEL_DEFAULTS.covariance) === "diagonal";
  const dims: Dims = { m, p, q, G, nth: diag ? q : (q * (q + 1)) / 2 };
  const kr = (opts.ddf ?? KERNEL_DEFAULTS.ddf) === "kenward-roger";
  const lRows = kr ? checkContrasts(opts.contrasts, p) : 0;
  const L = layout(k, design, m, extras, lRows);
  // views after all allocations (memory may have grown)
  const buf = k.memory.buffer;
  new Float64Array(buf, L.pX, n * p).set(design.X);
  new Float64Array(buf, L.pZ, n * q).set(design.Z);
  new Int32Array(buf, L.pG, n).set(design.groups);
  // responses already in place (responseBuffer) are not copied
  if (!(Y.buffer === buf && Y.byteOffset === L.pY)) new Float64Array(buf, L.pY, m * n).set(Y);
  if (lRows > 0) new Float64Array(buf, L.pL, lRows * p).set(opts.contrasts!.L);
  writeHeader(buf, L, design, m, reml, diag, kr, lRows);
  k.fitBatch(L.header);
  const out = k.memory.buffer; // (grown inside the kernel, maybe)
  // filled from the table (KernelFit's arrays are typed from the same table)
  const fit: KernelFit & { extras?: BatchExtras } = { m, p, q } as KernelFit;
  const optional = {} as BatchExtras;
  for (let i = 0; i < OUTPUT_ROWS.length; i++) {
    const o = OUTPUT_ROWS[i], ptr = L.out[i];
    if (ptr === 0) continue;
    const into: Record<string, unknown> = o.optional ? optional : fit;
    into[o.name] = o.read(out, ptr, diag ? outputLength(o, dims) : L.len[i]);
  }
  k.reset();
  if (extras) fit.extras = optional;
  return fit;
}

/** Fit every feature (row of the m x n feature-major Y) against the shared design in one WASM call. */
export function fitBatch(design: BatchDesign, Y: Float64Array, opts: KernelOptions = {}): BatchFit {
  return fitBatchFull(design, Y, opts, false);
}

/**
 * Zero-copy input: a view of the kernel's memory where the next fitBatch(design, view) of m responses
 * reads them, so the caller writes them there (e.g. standardises into it) and nothing is copied.
 * Valid until the next kernel call.
 */
export function responseBuffer(design: BatchDesign, m: number): Float64Array {
  const k = getKernel();
  const { pY } = layout(k, design, m, false);
  return new Float64Array(k.memory.buffer, pY, m * design.n);
}

/** The buffers of a fit's arrays, to hand to another thread without copying (every array of the table it has). */
export function fitBuffers(fit: KernelFit): ArrayBuffer[] {
  const arrays: Record<string, unknown> = fit;
  const buffers = OUTPUT_ROWS.filter((o) => !o.optional).map((o) => (arrays[o.name] as ArrayBufferView).buffer as ArrayBuffer);
  return [...new Set(buffers)];
}
