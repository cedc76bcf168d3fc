// Single-response linear mixed model (lme4-compatible REML/ML), a one-feature call of the WASM batch kernel.
import { fitBatchFull, kernelTolerances, reasonText, FIT_STATUS, type BatchExtras } from "../kernel/index.js";
import type { OptSummary } from "../types.js";
import { KERNEL_DEFAULTS } from "../kernel/control.js";

export interface LmmInput {
  y: ArrayLike<number>;
  X: ArrayLike<number>[] | Float64Array; // columns (each length n) or rows (each length p), or flat row-major with p
  Z?: ArrayLike<number>[] | Float64Array; // default: a column of ones
  groups: ArrayLike<string | number>;
  p?: number;
  q?: number;
  reml?: boolean;
  covariance?: "unstructured" | "diagonal";
}

export interface LmmFit {
  beta: number[];
  se: number[];
  vcov: number[][];
  covRe: number[][];
  scale: number;
  logLik: number;
  randomEffects: { group: string; mean: number[]; condVar: number[][] }[];
  converged: boolean;
  singular: boolean;
  iterations: number;
  warnings: string[];
  df: number[];
  optSummary: OptSummary;
}

function toMatrix(M: ArrayLike<number>[] | Float64Array, n: number, cols: number | undefined, what: string): { flat: Float64Array; k: number } {
  if (M instanceof Float64Array) {
    if (cols === undefined) {
      if (n > 0 && M.length % n === 0) cols = M.length / n;
      else throw new Error(`${what} is a flat array of ${M.length} values: pass ${what === "X" ? "p" : "q"} (columns), expected n * columns with n = ${n}`);
    }
    if (M.length !== n * cols) throw new Error(`${what} has ${M.length} values, expected n * ${what === "X" ? "p" : "q"} = ${n} * ${cols} = ${n * cols}`);
    return { flat: new Float64Array(M), k: cols };
  }
  if (!Array.isArray(M)) throw new Error(`${what} must be an array of columns or a Float64Array (row-major)`);
  // array of columns (each length n) unless it is an array of n rows of another length
  const asColumns = M.length === 0 || (M[0].length === n && !(M.length === n && M[0].length !== n));
  if (asColumns) {
    const k = M.length;
    const flat = new Float64Array(n * k);
    for (let j = 0; j < k; j++) {
      const c = M[j];
      if (c.length !== n) throw new Error(`${what} column ${j} has length ${c.length}, expected n = ${n} (length of y)`);
      for (let i = 0; i < n; i++) flat[i * k + j] = c[i];
    }
    return { flat, k };
  }
  if (M.length !== n) throw new Error(`${what} has ${M.length} rows, expected n = ${n} (length of y)`);
  const k = M[0].length;
  const flat = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const r = M[i];
    if (r.length !== k) throw new Error(`${what} row ${i} has length ${r.length}, expected ${k}`);
    for (let j = 0; j < k; j++) flat[i * k + j] = r[j];
  }
  return { flat, k };
}

/** A finite response of n > 0 values. */
function responseOf(input: LmmInput): Float64Array {
  const n = input.y?.length ?? 0;
  if (n === 0) throw new Error("y is empty: expected a response vector with one value per row");
  const y = Float64Array.from(input.y as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (!Number.isFinite(y[i])) throw new Error(`y[${i}] is ${y[i]}: expected finite values (drop incomplete rows first)`);
  return y;
}

/** A finite design matrix (X or Z) with at least one column, as a flat row-major array. */
function designOf(M: LmmInput["X"], n: number, cols: number | undefined, what: "X" | "Z"): { flat: Float64Array; k: number } {
  const { flat, k } = toMatrix(M, n, cols, what);
  if (k === 0) throw new Error(what === "X" ? "X has no columns (p = 0): expected at least one fixed-effect column" : "Z has no columns (q = 0): expected at least one random-effect column");
  for (let i = 0; i < flat.length; i++) if (!Number.isFinite(flat[i])) throw new Error(`${what} contains ${flat[i]} at row ${Math.floor(i / k)}, column ${i % k}: expected finite values`);
  return { flat, k };
}

/** Groups -> 0..G-1 in first-seen order, and the labels. */
function groupsOf(keys: ArrayLike<string | number>, n: number): { groups: Int32Array; labels: string[] } {
  const index = new Map<string, number>();
  const labels: string[] = [];
  const groups = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const key = String(keys[i]);
    let g = index.get(key);
    if (g === undefined) { g = labels.length; index.set(key, g); labels.push(key); }
    groups[i] = g;
  }
  if (labels.length < 2) throw new Error(`groups has ${labels.length} distinct level(s): expected at least 2 groups for a random effect`);
  return { groups, labels };
}

/** The groups' BLUPs and conditional variances in sorted label order (numerically when every label is a
 * number, as R's factor levels). */
function randomEffectsOf(labels: string[], q: number, ex: BatchExtras): LmmFit["randomEffects"] {
  const numeric = labels.every((l) => l.trim() !== "" && Number.isFinite(Number(l)));
  const order = labels.map((l, g) => ({ l, g })).sort((a, b) =>
    numeric ? Number(a.l) - Number(b.l) : a.l < b.l ? -1 : a.l > b.l ? 1 : 0);
  return order.map(({ l, g }) => {
    const cv: number[][] = [];
    for (let i = 0; i < q; i++) cv.push(Array.from(ex.condVar.subarray((g * q + i) * q, (g * q + i + 1) * q)));
    return { group: l, mean: Array.from(ex.ranef.subarray(g * q, (g + 1) * q)), condVar: cv };
  });
}

/** Rows of a k x k block of a flat array. */
function rowsOf(a: Float64Array, k: number): number[][] {
  return Array.from({ length: k }, (_, i) => Array.from(a.subarray(i * k, (i + 1) * k)));
}

/** Fit y = X b + Z u + e with u_g ~ N(0, s2 Λ Λ') by profiled REML (default) or ML. */
export function fitLmm(input: LmmInput): LmmFit {
  const y = responseOf(input);
  const n = y.length;
  if (!input.groups || input.groups.length !== n) throw new Error(`groups has ${input.groups?.length ?? 0} entries, expected n = ${n} (length of y)`);
  const { flat: X, k: p } = designOf(input.X, n, input.p, "X");
  const { flat: Z, k: q } = input.Z === undefined ? { flat: new Float64Array(n).fill(1), k: 1 } : designOf(input.Z, n, input.q, "Z");
  const { groups, labels } = groupsOf(input.groups, n);
  const G = labels.length;
  const reml = input.reml ?? KERNEL_DEFAULTS.reml;
  const covariance = input.covariance ?? KERNEL_DEFAULTS.covariance;
  if (covariance !== "unstructured" && covariance !== "diagonal") throw new Error(`covariance "${covariance}" is not supported: expected "unstructured" or "diagonal"`);
  if (n <= p) throw new Error(`n = ${n} rows but p = ${p} fixed-effect columns: expected n > p`);
  const warnings: string[] = [];
  if (n <= q * G) {
    warnings.push(`number of observations (=${n}) <= number of random effects (=${q * G}) for the grouping factor (${G} groups x ${q}); the random-effects parameters and the residual variance (or scale parameter) are probably unidentifiable`);
  }
  const fit = fitBatchFull({ n, p, q, X, Z, groups, G }, y, { reml, covariance }, true);
  const st = fit.status[0];
  if (st === FIT_STATUS.rankDeficient) throw new Error(`X is rank deficient (its ${p} columns are linearly dependent): expected a full-column-rank fixed-effects design`);
  if (st !== FIT_STATUS.ok) throw new Error(`the fit failed: ${reasonText(fit.reason[0]) || "the REML/ML criterion could not be evaluated"}; expected a response with residual variation`);
  const ex = fit.extras!;
  const converged = fit.converged[0] === 1;
  const singular = fit.singular[0] === 1;
  const why = reasonText(fit.reason[0]);
  if (!converged) warnings.push(why);
  else if (why) warnings.push(why); // e.g. the df unavailable
  if (singular) warnings.push("boundary (singular) fit: a random-effect variance is estimated as 0 (or a correlation as +-1)");
  const optSummary: OptSummary = {
    optimizer: q === 1
      ? "Newton on the analytic derivative in log(theta), bracketed on [0, infinity) (exact boundary test at theta = 0; dense profile scan as fallback)"
      : "Newton on the analytic gradient (Hessian from gradient differences, BFGS updates), exact boundary test; restarts and boundary faces as fallback",
    evaluations: fit.iterations[0],
    finalObjective: ex.objective[0],
    theta: Array.from(fit.theta),
    gradient: Array.from(fit.gradient),
    certified: converged,
    returnCode: converged ? "CERTIFIED" : why,
    tolerances: kernelTolerances(),
  };
  return {
    beta: Array.from(fit.beta), se: Array.from(fit.se), vcov: rowsOf(ex.vcov, p), covRe: rowsOf(fit.covRe, q), scale: fit.scale[0],
    logLik: fit.logLik[0], randomEffects: randomEffectsOf(labels, q, ex), converged, singular,
    iterations: fit.iterations[0], warnings, df: Array.from(fit.df), optSummary,
  };
}
