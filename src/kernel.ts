// Loads the AssemblyScript/WASM kernel and marshals batches into its memory (one WASM call per batch).
import type { BatchDesign, BatchFit, KernelOptions } from "./types.js";
import { TrialmixInputError } from "./errors.js";

/**
 * The most random-effect columns per group a fit takes (docs/lmm.md). For q >= 2 the search is Newton with
 * a Hessian from q(q+1)/2 gradients an iteration (each O(G q^3)) and an eigen-decomposition of it
 * (O(q^6)), at most 100 iterations a start and at most 3q + 8 starts: bounded; at q = 8 a fit on a few
 * hundred rows takes up to about a second, and the work grows as q^6 beyond it.
 */
export const MAX_RANDOM_EFFECTS = 8;

interface KernelExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  reset(): void;
  heapTop(): number;
  fitBatch(
    n: number, p: number, q: number, G: number, X: number, Z: number, grp: number, m: number, Y: number,
    reml: number, diag: number,
    oBeta: number, oSe: number, oDf: number, oCov: number, oScale: number, oLL: number, oTheta: number,
    oConv: number, oSing: number, oIter: number, oStatus: number, oReason: number, oGrad: number,
    oVcov: number, oRanef: number, oCondVar: number, oObj: number,
  ): number;
  [constant: string]: unknown; // the tolerances and reason codes (assembly/tolerances.ts, reasons.ts) as globals
}

let kernel: KernelExports | null = null;

const imports = {
  env: {
    abort(): never {
      throw new Error("trialmix kernel aborted");
    },
  },
};

function instantiateSync(bytes: Uint8Array): KernelExports {
  const mod = new WebAssembly.Module(bytes as unknown as ArrayBuffer);
  return new WebAssembly.Instance(mod, imports).exports as unknown as KernelExports;
}

/** Initialise from bytes / URL / fetch Response (browsers; optional in Node). */
export async function initKernel(source: ArrayBuffer | Uint8Array | URL | Response): Promise<void> {
  let bytes: ArrayBuffer | Uint8Array;
  if (source instanceof URL) {
    if (source.protocol === "file:") {
      bytes = readFileNode(source);
    } else {
      bytes = await (await fetch(source)).arrayBuffer();
    }
  } else if (typeof Response !== "undefined" && source instanceof Response) {
    bytes = await source.arrayBuffer();
  } else {
    bytes = source as ArrayBuffer | Uint8Array;
  }
  const { instance } = await WebAssembly.instantiate(bytes as unknown as ArrayBuffer, imports);
  kernel = instance.exports as unknown as KernelExports;
}

function readFileNode(url: URL): Uint8Array {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.("node:fs") as { readFileSync(p: URL): Uint8Array; existsSync(p: URL): boolean } | undefined;
  if (!fs) throw new Error("trialmix: cannot read the kernel synchronously here; call initKernel(source) first");
  return fs.readFileSync(url);
}

/** The instantiated kernel; in Node it loads dist/trialmix.wasm synchronously on first use. */
export function getKernel(): KernelExports {
  if (kernel) return kernel;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.("node:fs") as { readFileSync(p: URL): Uint8Array; existsSync(p: URL): boolean } | undefined;
  if (!fs) throw new Error("trialmix: WASM kernel not initialised; call initKernel(source) first");
  const candidates = [new URL("./trialmix.wasm", import.meta.url), new URL("../dist/trialmix.wasm", import.meta.url)];
  for (const u of candidates) {
    if (fs.existsSync(u)) {
      kernel = instantiateSync(fs.readFileSync(u));
      return kernel;
    }
  }
  throw new Error("trialmix: dist/trialmix.wasm not found (run npm run build:wasm)");
}

/** Extra per-feature outputs used by fitLmm. */
export interface BatchExtras {
  vcov: Float64Array; // m x p x p
  ranef: Float64Array; // m x G x q
  condVar: Float64Array; // m x G x q x q
  objective: Float64Array; // m criteria (-2 logLik)
}

/** Fit m responses sharing one design; returns the batch fit (and extras when asked). */
export function fitBatchFull(design: BatchDesign, Y: Float64Array, opts: KernelOptions = {}, extras = false): BatchFit & { extras?: BatchExtras } {
  const k = getKernel();
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
  const m = Y.length / n;
  const reml = opts.reml ?? true;
  const diag = (opts.covariance ?? "unstructured") === "diagonal";
  const nth = diag ? q : (q * (q + 1)) / 2;
  const { pX, pZ, pG, pY, oBeta, oSe, oDf, oCov, oScale, oLL, oTheta, oConv, oSing, oIter, oStatus, oReason, oGrad, oVcov, oRanef, oCondVar, oObj } = layout(k, design, m, extras);
  // views after all allocations (memory may have grown)
  let buf = k.memory.buffer;
  new Float64Array(buf, pX, n * p).set(design.X);
  new Float64Array(buf, pZ, n * q).set(design.Z);
  new Int32Array(buf, pG, n).set(design.groups);
  // responses already in place (responseBuffer) are not copied
  if (!(Y.buffer === buf && Y.byteOffset === pY)) new Float64Array(buf, pY, m * n).set(Y);
  k.fitBatch(n, p, q, G, pX, pZ, pG, m, pY, reml ? 1 : 0, diag ? 1 : 0,
    oBeta, oSe, oDf, oCov, oScale, oLL, oTheta, oConv, oSing, oIter, oStatus, oReason, oGrad, oVcov, oRanef, oCondVar, oObj);
  buf = k.memory.buffer; // re-create views after growth inside the kernel
  const F = (ptr: number, len: number) => new Float64Array(buf, ptr, len).slice();
  const out: BatchFit & { extras?: BatchExtras } = {
    m, p, q,
    beta: F(oBeta, m * p), se: F(oSe, m * p), df: F(oDf, m * p), covRe: F(oCov, m * q * q),
    scale: F(oScale, m), logLik: F(oLL, m), theta: F(oTheta, m * nth),
    converged: new Uint8Array(buf, oConv, m).slice(), singular: new Uint8Array(buf, oSing, m).slice(),
    iterations: new Int32Array(buf, oIter, m).slice(), status: new Int32Array(buf, oStatus, m).slice(),
    reason: new Int32Array(buf, oReason, m).slice(), gradient: F(oGrad, m * nth),
  };
  if (extras) out.extras = { vcov: F(oVcov, m * p * p), ranef: F(oRanef, m * G * q), condVar: F(oCondVar, m * G * q * q), objective: F(oObj, m) };
  k.reset();
  return out;
}

/**
 * The kernel's memory for one batch, laid out the same way every time after a reset (the arena is a
 * bump allocator): so a responseBuffer() view sits exactly where fitBatchFull will read the responses.
 */
function layout(k: KernelExports, design: BatchDesign, m: number, extras: boolean) {
  const { n, p, q, G } = design;
  const nth = (q * (q + 1)) / 2; // theta slots: enough for unstructured (and for diagonal, q)
  k.reset();
  const f8 = (c: number) => k.alloc(Math.max(c, 1) * 8);
  const pX = f8(n * p), pZ = f8(n * q), pG = k.alloc(Math.max(n, 1) * 4), pY = f8(m * n);
  const oBeta = f8(m * p), oSe = f8(m * p), oDf = f8(m * p), oCov = f8(m * q * q), oScale = f8(m), oLL = f8(m);
  const oTheta = f8(m * nth), oConv = k.alloc(m + 8), oSing = k.alloc(m + 8), oIter = k.alloc(m * 4 + 8), oStatus = k.alloc(m * 4 + 8);
  const oReason = k.alloc(m * 4 + 8), oGrad = f8(m * nth);
  let oVcov = 0, oRanef = 0, oCondVar = 0, oObj = 0;
  if (extras) { oVcov = f8(m * p * p); oRanef = f8(m * G * q); oCondVar = f8(m * G * q * q); oObj = f8(m); }
  return { pX, pZ, pG, pY, oBeta, oSe, oDf, oCov, oScale, oLL, oTheta, oConv, oSing, oIter, oStatus, oReason, oGrad, oVcov, oRanef, oCondVar, oObj };
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

/** The typed arrays of a fit, to hand to another thread without copying (every array of BatchFit). */
export function fitBuffers(fit: BatchFit): ArrayBuffer[] {
  const arrays = [fit.beta, fit.se, fit.df, fit.covRe, fit.scale, fit.logLik, fit.theta, fit.converged, fit.singular, fit.iterations, fit.status, fit.reason, fit.gradient];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

/** Fit every feature (row of the m x n feature-major Y) against the shared design in one WASM call. */
export function fitBatch(design: BatchDesign, Y: Float64Array, opts: KernelOptions = {}): BatchFit {
  const r = fitBatchFull(design, Y, opts, false);
  delete r.extras;
  return r;
}

/** A numeric constant the kernel exports (a wasm global of assembly/tolerances.ts or reasons.ts). */
function kernelConstant(name: string): number {
  const g = getKernel()[name];
  if (!(g instanceof WebAssembly.Global)) throw new Error(`trialmix kernel: no exported constant ${name}`);
  return Number(g.value);
}

/** The kernel's tolerances (assembly/tolerances.ts, the single source), by name. */
export function kernelTolerances(): Record<string, number> {
  const names = ["CERT_GRAD_RTOL", "CERT_SCALE_FLOOR", "CERT_BOUNDARY_STEP", "Q1_LOG_XTOL", "Q1_LOG_EXPAND", "Q1_SCAN_POINTS", "BOUNDARY_FTOL", "F_NOISE",
    "NEWTON_DEC_TOL", "NEWTON_STEP_RTOL", "REFINE_RSS", "EXACT_FIT_ULPS", "THETA_BOUND_FACTOR", "THETA_MAX_Q2", "DF_HESS_RTOL"];
  return Object.fromEntries(names.map((n) => [n, kernelConstant(n)]));
}

/** What each reason code of BatchFit.reason means (the codes are the kernel's, assembly/reasons.ts). */
export function reasonText(code: number): string {
  const k = (name: string) => kernelConstant(name);
  switch (code) {
    case k("REASON_NONE"): return "";
    case k("REASON_NOT_CERTIFIED"): return "not certified: the REML gradient at the returned estimate is not 0 to the kernel's tolerance (CERT_GRAD_RTOL), also after the fallback search; the estimates are the best found";
    case k("REASON_BEYOND_RESOLVABLE"): return "no REML optimum resolvable: the criterion still falls at the largest participant/residual variance ratio double precision resolves for this feature (its within-participant residual is at roundoff against its between-participant variation)";
    case k("REASON_EXACT_FIT"): return "no REML optimum: the feature is an exact function of the design and each participant's own random effects (fitted exactly by them: its within-participant residual is 0 to roundoff), so the variance ratio runs to infinity";
    case k("REASON_EXACT_BY_X"): return "no REML optimum: the feature is an exact function of the design (fitted exactly by X, the fixed effects, or constant), leaving no residual variance";
    case k("REASON_NO_MAXIMUM"): return "no REML optimum: the criterion falls without bound as the random-effect variances grow (the feature is fitted exactly by the design and each participant's own random effects)";
    case k("REASON_DF_UNAVAILABLE"): return "Satterthwaite df unavailable: the REML deviance's Hessian in the variance parameters is not positive definite at the estimate";
    case k("REASON_EVAL_FAILED"): return "the REML criterion could not be evaluated at the estimate (X'V^-1X not positive definite)";
    default: return `kernel reason ${code}`;
  }
}
