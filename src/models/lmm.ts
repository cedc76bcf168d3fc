// Single-response linear mixed model (lme4-compatible REML/ML), a one-feature call of the WASM batch kernel.
import { fitBatchFull, kernelTolerances, reasonText, FIT_STATUS } from "../kernel/index.js";
import type { OptSummary } from "../types.js";

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

/** Fit y = X b + Z u + e with u_g ~ N(0, s2 Λ Λ') by profiled REML (default) or ML. */
export function fitLmm(input: LmmInput): LmmFit {
  const n = input.y?.length ?? 0;
  if (n === 0) throw new Error("y is empty: expected a response vector with one value per row");
  const y = Float64Array.from(input.y as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (!Number.isFinite(y[i])) throw new Error(`y[${i}] is ${y[i]}: expected finite values (drop incomplete rows first)`);
  if (!input.groups || input.groups.length !== n) throw new Error(`groups has ${input.groups?.length ?? 0} entries, expected n = ${n} (length of y)`);
  const { flat: X, k: p } = toMatrix(input.X, n, input.p, "X");
  if (p === 0) throw new Error("X has no columns (p = 0): expected at least one fixed-effect column");
  for (let i = 0; i < X.length; i++) if (!Number.isFinite(X[i])) throw new Error(`X contains ${X[i]} at row ${Math.floor(i / p)}, column ${i % p}: expected finite values`);
  let Z: Float64Array, q: number;
  if (input.Z === undefined) { Z = new Float64Array(n).fill(1); q = 1; }
  else ({ flat: Z, k: q } = toMatrix(input.Z, n, input.q, "Z"));
  if (q === 0) throw new Error("Z has no columns (q = 0): expected at least one random-effect column");
  for (let i = 0; i < Z.length; i++) if (!Number.isFinite(Z[i])) throw new Error(`Z contains ${Z[i]} at row ${Math.floor(i / q)}, column ${i % q}: expected finite values`);
  // groups -> 0..G-1 in first-seen order
  const index = new Map<string, number>();
  const labels: string[] = [];
  const groups = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const key = String(input.groups[i]);
    let g = index.get(key);
    if (g === undefined) { g = labels.length; index.set(key, g); labels.push(key); }
    groups[i] = g;
  }
  const G = labels.length;
  if (G < 2) throw new Error(`groups has ${G} distinct level(s): expected at least 2 groups for a random effect`);
  const reml = input.reml ?? true;
  const covariance = input.covariance ?? "unstructured";
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
  const beta = Array.from(fit.beta);
  const se = Array.from(fit.se);
  const vcov: number[][] = [];
  for (let i = 0; i < p; i++) vcov.push(Array.from(ex.vcov.subarray(i * p, (i + 1) * p)));
  const covRe: number[][] = [];
  for (let i = 0; i < q; i++) covRe.push(Array.from(fit.covRe.subarray(i * q, (i + 1) * q)));
  // sorted label order (numerically when every label is a number, as R's factor levels)
  const numeric = labels.every((l) => l.trim() !== "" && Number.isFinite(Number(l)));
  const order = labels.map((l, g) => ({ l, g })).sort((a, b) =>
    numeric ? Number(a.l) - Number(b.l) : a.l < b.l ? -1 : a.l > b.l ? 1 : 0);
  const randomEffects = order.map(({ l, g }) => {
    const cv: number[][] = [];
    for (let i = 0; i < q; i++) cv.push(Array.from(ex.condVar.subarray((g * q + i) * q, (g * q + i + 1) * q)));
    return { group: l, mean: Array.from(ex.ranef.subarray(g * q, (g + 1) * q)), condVar: cv };
  });
  const converged = fit.converged[0] === 1;
  const singular = fit.singular[0] === 1;
  const why = reasonText(fit.reason[0]);
  if (!converged) warnings.push(why);
  else if (why) warnings.push(why); // e.g. the df unavailable
  if (singular) warnings.push("boundary (singular) fit: a random-effect variance is estimated as 0 (or a correlation as +-1)");
  const theta = Array.from(fit.theta);
  const optSummary: OptSummary = {
    optimizer: q === 1
      ? "Newton on the analytic derivative in log(theta), bracketed on [0, infinity) (exact boundary test at theta = 0; dense profile scan as fallback)"
      : "Newton on the analytic gradient (Hessian from gradient differences, BFGS updates), exact boundary test; restarts and boundary faces as fallback",
    evaluations: fit.iterations[0],
    finalObjective: ex.objective[0],
    theta,
    gradient: Array.from(fit.gradient),
    certified: converged,
    returnCode: converged ? "CERTIFIED" : why,
    tolerances: kernelTolerances(),
  };
  return {
    beta, se, vcov, covRe, scale: fit.scale[0], logLik: fit.logLik[0], randomEffects, converged, singular,
    iterations: fit.iterations[0], warnings, df: Array.from(fit.df), optSummary,
  };
}
