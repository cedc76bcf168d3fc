// The analysis frame, in stages: select (features; cells at the visits asked for in the two arms, no
// crossovers) -> strata (--celltypes, --min-cells) -> pair (participants seen at the baseline and a follow-up) -> group (participant-visit rows, or cells)
// -> aggregate (feature values per row) -> covariates. Values stay raw.
import type { AnalysisFrame } from "../types.js";
import { TrialmixInputError } from "../errors.js";
import type { DataSource } from "../io/h5ad/reader.js";
import { type TrialDesign, validateDesign } from "./design.js";
import { AGG_FUNCS, type AggFunc, groupSizes } from "./aggregate.js";
import { selectCells, selectFeatures } from "./select.js";
import { keepPaired, pairedText, participantsInOneArm } from "./pairing.js";
import { dropSmallGroups, keepCelltypes, typesKept, warnEmptyStrata } from "./strata.js";
import { cellRows, participantVisitRows } from "./group.js";
import { featureValues } from "./values.js";
import { checkCovariateColumns, frameCovariates } from "./covariates.js";
import { DEFAULTS } from "../options.js";

/** What buildFrame reads: an .h5ad file (readH5ad) or a long table (readTable). */
export type FrameSource = DataSource;

export interface BuildFrameOptions {
  visits: readonly string[]; // the baseline, then one or more follow-ups
  features?: string[];
  layer?: string | null;
  aggregate?: "participant_visit" | "cell";
  agg?: AggFunc;
  covariates?: string[];
  includeCrossovers?: boolean;
  byCelltype?: boolean;
  /** With byCelltype: only these cell types. */
  celltypes?: string[];
  /** Drop participant-visits (per cell type when stratified) with fewer cells, before pairing (default 1: none). */
  minCells?: number;
  /**
   * Round per-group means and medians of a float32 matrix to float32, as pandas' groupby does on
   * float32 columns (the seed's behaviour; default: true when the matrix dtype is float32).
   */
  float32Means?: boolean;
  /** Rows per matrix chunk (default 4096). */
  rowsPerChunk?: number;
}

/** Build the analysis frame (raw values) the DiD fits see. */
export function buildFrame(file: DataSource, design: TrialDesign, opts: BuildFrameOptions): AnalysisFrame {
  const source = file.matrixSource?.(opts.layer) ?? file; // --layer raw: adata.raw's genes and matrix
  const visits = opts.visits;
  if (!visits || visits.length < 2) throw new TrialmixInputError("two or more visits are needed: --visits BASELINE,FOLLOWUP[,...]");
  if (source.nObs === 0) throw new TrialmixInputError("the input has 0 cells (n_obs = 0): nothing to analyse");
  validateDesign(design, source, visits);
  const mode = opts.aggregate ?? DEFAULTS.aggregate;
  if (mode !== "participant_visit" && mode !== "cell") throw new TrialmixInputError(`unknown aggregation mode '${mode}' (expected participant_visit or cell)`);
  const agg: AggFunc = opts.agg ?? DEFAULTS.agg;
  if (!AGG_FUNCS.includes(agg)) throw new TrialmixInputError(`unknown aggregation function '${agg}' (expected ${oneOf(AGG_FUNCS)})`);
  if (opts.byCelltype && !design.celltype) throw new TrialmixInputError("stratifying by cell type needs a cell-type column (--celltype COL)");
  const covNames = opts.covariates ?? [];

  // select -> pair -> group
  const feats = selectFeatures(source, design, opts.features, opts.layer, covNames);
  checkCovariateColumns(source, covNames);
  const cells = selectCells(source, design, visits, !!opts.byCelltype, !!opts.includeCrossovers);
  if (opts.celltypes?.length) keepCelltypes(cells, opts.celltypes, design.celltype ?? "");
  const typesBefore = typesKept(cells);
  dropSmallGroups(cells, opts.minCells ?? DEFAULTS.minCells);
  keepPaired(cells, design, visits, participantsInOneArm(cells, design));
  warnEmptyStrata(cells, typesBefore, visits);
  const rows = mode === "cell" ? cellRows(cells) : participantVisitRows(cells);
  if (rows.nRows === 0)
    throw new TrialmixInputError(
      visits.length === 2
        ? `no participant has cells at both visits ${visits[0]} and ${visits[1]} in arms ${design.treated}/${design.control}`
        : `no participant has cells ${pairedText(visits)} in arms ${design.treated}/${design.control}`,
    );

  // aggregate -> covariates (cell rows: each cell's own value, the mean of one)
  checkFrameMemory(rows.nRows, feats.features.length, mode);
  const valueWarnings: string[] = [];
  const values = featureValues(source, feats, rows.groupOf, rows.nRows, mode === "cell" ? "mean" : agg, { ...opts, onWarning: (w) => valueWarnings.push(w) });
  const covariates = frameCovariates(source, covNames, rows);

  const frame: AnalysisFrame = { unit: mode, participant: rows.participant, visit: rows.visit, arm: rows.arm, covariates, features: feats.features, values };
  if (feats.unusable.size) frame.featureErrors = feats.features.map((f) => feats.unusable.get(f) ?? "");
  if (feats.note) frame.featureNote = feats.note;
  if (cells.ct) frame.celltype = rows.celltype;
  if (mode === "participant_visit") frame.nCells = groupSizes(rows.groupOf, rows.nRows);
  const warnings = [...(source.warnings ?? []), ...cells.warnings, ...valueWarnings];
  if (warnings.length) frame.warnings = warnings;
  return frame;
}

/** "a, b or c". */
function oneOf(names: readonly string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names.join("");
}

/**
 * The frame's values (rows x features doubles, and as much again while large tables are summed)
 * against the memory there is, before the allocation: a cell-level frame of a large file is one
 * line with its size, not an allocation failure. Node: half the machine's memory; a browser: 2 GiB.
 */
function checkFrameMemory(nRows: number, nFeatures: number, mode: string): void {
  const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.("node:os") as { totalmem(): number } | undefined;
  const budget = os ? os.totalmem() / 2 : 2 ** 31;
  const bytes = 2 * 8 * nRows * nFeatures;
  if (bytes > budget)
    throw new TrialmixInputError(
      `the analysis frame would hold ${nRows} rows x ${nFeatures} features (${(bytes / 2 ** 30).toFixed(1)} GiB while it is built), more than the ${(budget / 2 ** 30).toFixed(1)} GiB this ${os ? "machine can spare (half its memory)" : "page may use"}; ` +
        (mode === "cell" ? "aggregate per participant-visit or choose fewer --features" : "choose fewer --features"),
    );
}
