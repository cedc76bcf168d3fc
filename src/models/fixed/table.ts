// The fixed-effects DiD table (docs/FIXED.md): one fit per feature on the shared design, rows without
// statistics saying why, sorted by p with BH FDR; stratified by cell type when the frame has one.
import { FIXED_MIN_SD, MAX_N_BOOT } from "../../output/columns.js";
import { TrialmixInputError } from "../../errors.js";
import { unusableReason, zMoments, zScoreRowsInto, type ZParams } from "../../stats/standardize.js";
import { applyFdr } from "../../stats/fdr.js";
import { rademacher } from "../../stats/rng.js";
import { groupIndex } from "../../frame/factor.js";
import { subsetFrame } from "../../frame/subset.js";
import { fixedBase, fixedDesign, type FixedBase, type FixedDesign } from "./design.js";
import { fitFixedOne } from "./fit.js";
import { wildClusterBootstrap } from "./bootstrap.js";
import { nanRow, sortAndFdr, type FixedRow } from "./rows.js";
import type { AnalysisFrame, FeatureValues } from "../../types.js";
import { DEFAULTS } from "../../options.js";

/** A cell type with fewer participants is skipped with a warning (docs/FIXED.md). */
const MIN_STRATUM_PARTICIPANTS = 4;

export interface FixedOptions {
  visits: [string, string];
  treated: string;
  standardize?: boolean; // default true
  covariates?: string[]; // names of frame.covariates to use
  useBootstrap?: boolean;
  nBoot?: number; // 999
  seed?: number; // 42
  minParticipants?: number; // 4
  onProgress?: (done: number, total: number) => void; // called every 1024 features and at the end
}

/** A residual sd at most this fraction of the response's sd is an exact fit (no residual variation). */
const PERFECT_FIT_RTOL = 1e-10;
/** Designs kept for features with missing values (one per pattern of complete rows). */
const MAX_CACHED_DESIGNS = 256;

/** What the fits of one (unstratified) table share. */
interface TableContext {
  base: FixedBase;
  full: FixedDesign; // the design on all usable rows
  nUnits: number;
  standardize: boolean;
  boot: boolean;
  nBoot: number;
  seed: number;
  minP: number;
  designs: Map<string, FixedDesign>; // by complete rows
  draws: Map<number, Int8Array>; // Rademacher draws by participant count
  yBuf: Float64Array;
}

/** nBoot a whole number in 1..MAX_N_BOOT, seed a safe integer: checked before anything is drawn or allocated. */
export function checkBootstrapOptions(opts: { nBoot?: number; seed?: number }): void {
  const { nBoot, seed } = opts;
  if (nBoot !== undefined && !(Number.isInteger(nBoot) && nBoot >= 1 && nBoot <= MAX_N_BOOT))
    throw new TrialmixInputError(`nBoot (--n-boot) must be a whole number from 1 to ${MAX_N_BOOT}, got ${nBoot}`);
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new TrialmixInputError(`seed (--seed) must be a whole number, got ${seed}`);
}

/**
 * The fixed-effects DiD table (docs/FIXED.md). With `frame.celltype`, one table per cell type with a
 * `celltype` column, FDR_DiD within each cell type and FDR_DiD_stratified over all rows.
 */
export function fitFixedTable(frame: AnalysisFrame, opts: FixedOptions): { rows: FixedRow[]; warnings: string[] } {
  checkBootstrapOptions(opts);
  return frame.celltype ? fitStrata(frame, frame.celltype, opts) : fitTable(frame, opts);
}

/** One table per cell type (in sorted order; types with fewer than minParticipants skipped), FDR over all rows. */
function fitStrata(frame: AnalysisFrame, celltype: string[], opts: FixedOptions): { rows: FixedRow[]; warnings: string[] } {
  const warnings: string[] = [];
  const byType = new Map<string, number[]>();
  celltype.forEach((ct, i) => {
    let a = byType.get(ct);
    if (!a) byType.set(ct, (a = []));
    a.push(i);
  });
  const minP = opts.minParticipants ?? MIN_STRATUM_PARTICIPANTS;
  const all: FixedRow[] = [];
  for (const ct of [...byType.keys()].sort()) {
    const sub = subsetFrame(frame, byType.get(ct)!);
    const nP = groupIndex(sub.participant).count;
    if (nP < minP) {
      warnings.push(`cell type ${ct}: only ${nP} participants, skipped`);
      continue;
    }
    const res = fitTable(sub, opts);
    for (const w of res.warnings) warnings.push(`cell type ${ct}: ${w}`);
    for (const r of res.rows) all.push({ celltype: ct, ...r });
  }
  const fdr = applyFdr(all.map((r) => r.p_DiD));
  all.forEach((r, i) => (r.FDR_DiD_stratified = fdr[i]));
  return { rows: all, warnings };
}

/** The table of one frame (no strata): a row per feature, sorted by p_DiD, with FDR_DiD. */
function fitTable(frame: AnalysisFrame, opts: FixedOptions): { rows: FixedRow[]; warnings: string[] } {
  const { base, warnings } = fixedBase(frame, opts);
  const nUnits = base.nParticipants;
  if (nUnits < 10) warnings.push(`only ${nUnits} participants: cluster-robust SEs may be unreliable`);
  const ctx: TableContext = {
    base,
    full: fixedDesign(base, base.usable),
    nUnits,
    standardize: opts.standardize ?? DEFAULTS.standardize,
    boot: opts.useBootstrap ?? DEFAULTS.useBootstrap,
    nBoot: opts.nBoot ?? DEFAULTS.nBoot,
    seed: opts.seed ?? DEFAULTS.seed,
    minP: opts.minParticipants ?? MIN_STRATUM_PARTICIPANTS,
    designs: new Map(),
    draws: new Map(),
    yBuf: new Float64Array(base.usable.length),
  };
  const total = frame.features.length;
  const rows: FixedRow[] = [];
  let nNonrobust = 0;
  for (let f = 0; f < total; f++) {
    const before = frame.featureErrors?.[f]; // known before any fit (an empty column)
    const row = before ? nanRow(frame.features[f], ctx.nUnits, ctx.boot, before) : fitFeature(ctx, frame.features[f], frame.values[f]);
    if (row.cov_type_used === "nonrobust") nNonrobust++;
    rows.push(row);
    if (opts.onProgress && (f + 1) % 1024 === 0) opts.onProgress(f + 1, total);
  }
  opts.onProgress?.(total, total);
  if (nNonrobust > 0) warnings.push(`${nNonrobust} features fell back to non-robust SEs`);
  return { rows: sortAndFdr(rows), warnings };
}

/** One feature's row: its statistics, or NaN with the reason in `error`. */
function fitFeature(ctx: TableContext, name: string, vals: FeatureValues): FixedRow {
  const why = unusableReason(vals, FIXED_MIN_SD, !ctx.standardize);
  if (why) return nanRow(name, ctx.nUnits, ctx.boot, why);
  // z-scores over the frame's rows (pandas: NaN skipped, ddof = 1); on the raw scale the sd only sets the exact-fit threshold
  const z = zMoments(vals);
  // beyond 1e150 the values are z-scored as values / max|v|, and the fixed path asks that spread, too, to reach FIXED_MIN_SD
  if (ctx.standardize && !(z.sd >= FIXED_MIN_SD)) return nanRow(name, ctx.nUnits, ctx.boot, `sd below ${FIXED_MIN_SD}: treated as constant`);
  const { d, y } = response(ctx, vals, ctx.standardize ? z : { mean: 0, sd: 1, scale: 1 });
  if (d.G < ctx.minP || d.n === 0) return nanRow(name, ctx.nUnits, ctx.boot, `fewer than ${ctx.minP} participants with values at both visits`);
  const fit = fitFixedOne(y, d);
  if (fit.resid_sd <= PERFECT_FIT_RTOL * (ctx.standardize ? 1 : z.sd))
    return nanRow(name, ctx.nUnits, ctx.boot, "perfect fit: the feature is an exact linear function of the design (zero residual variance)");
  const row: FixedRow = {
    feature: name,
    beta_DiD: fit.beta_DiD,
    se_DiD: fit.se_DiD,
    p_DiD: fit.p_DiD,
    beta_time: fit.beta_time,
    p_time: fit.p_time,
    n_units: ctx.nUnits,
    resid_sd: fit.resid_sd,
    cov_type_used: fit.cov_type_used,
    FDR_DiD: NaN,
    error: "",
  };
  if (ctx.boot) {
    const bs = wildClusterBootstrap(y, d, fit, drawsFor(ctx, d.G), ctx.nBoot);
    row.p_DiD_boot = bs.p;
    row.se_DiD_boot = bs.se;
    row.ci_lo_boot = bs.ciLo;
    row.ci_hi_boot = bs.ciHi;
    row.p_DiD = bs.p; // p_boot replaces p_DiD (docs/FIXED.md)
  }
  return row;
}

/** The design of the feature's complete rows and its z-scored response on them. */
function response(ctx: TableContext, vals: FeatureValues, z: ZParams): { d: FixedDesign; y: Float64Array } {
  const usable = ctx.base.usable;
  let complete = 0;
  for (let r = 0; r < usable.length; r++) if (Number.isFinite(vals[usable[r]])) complete++;
  if (complete === usable.length) {
    zScoreRowsInto(vals, z, usable, ctx.yBuf);
    return { d: ctx.full, y: ctx.yBuf };
  }
  const sub = new Int32Array(complete);
  let c = 0;
  for (let r = 0; r < usable.length; r++) if (Number.isFinite(vals[usable[r]])) sub[c++] = usable[r];
  const key = sub.join(",");
  let d = ctx.designs.get(key);
  if (!d) {
    d = fixedDesign(ctx.base, sub);
    if (ctx.designs.size < MAX_CACHED_DESIGNS) ctx.designs.set(key, d);
  }
  const y = new Float64Array(complete);
  zScoreRowsInto(vals, z, sub, y);
  return { d, y };
}

/** The Rademacher draws for G participants (the same seed for every feature). */
function drawsFor(ctx: TableContext, G: number): Int8Array {
  let v = ctx.draws.get(G);
  if (!v) ctx.draws.set(G, (v = rademacher(ctx.nBoot, G, ctx.seed)));
  return v;
}
