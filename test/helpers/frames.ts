// Load the shipped analysis frames (test/fixtures/ref/NAME.frame.csv) as AnalysisFrames.
import { readFileSync } from "node:fs";
import { parseDelimited, parseNumber } from "../../src/io/csv.js";
import type { AnalysisFrame, Covariate } from "../../src/types.js";
import { FIXTURES } from "./refs.js";

export type RefFrameName = "basic" | "messy" | "messy_median" | "cells_slope";

const DESIGN = new Set(["participant_id", "visit", "arm", "n_cells"]);
/** Covariate columns the fixtures may carry (never features). `sex` is categorical. */
const COVARIATE_COLUMNS = ["age", "sex"];
const CATEGORICAL = new Set(["sex"]);

/**
 * The analysis frame NAME.frame.csv: participant_id, visit, arm, covariates, n_cells (absent in
 * cells_slope: unit "cell"), then one column per feature (empty cell = NaN). `covariates`
 * chooses which covariate columns to attach (default: all present).
 */
export function frameFromRef(name: RefFrameName, covariates?: string[]): AnalysisFrame {
  const { header, rows } = parseDelimited(readFileSync(`${FIXTURES}ref/${name}.frame.csv`, "utf8"));
  const col = (h: string): string[] => {
    const j = header.indexOf(h);
    if (j < 0) throw new Error(`${name}.frame.csv has no column ${h}`);
    return rows.map((r) => r[j] ?? "");
  };
  const present = COVARIATE_COLUMNS.filter((c) => header.includes(c));
  const wanted = covariates ?? present;
  const covs: Covariate[] = wanted.map((c) => {
    const values = col(c);
    if (CATEGORICAL.has(c) || values.some((v) => v.trim() !== "" && Number.isNaN(parseNumber(v)))) {
      const levels = [...new Set(values.filter((v) => v !== ""))].sort();
      return { name: c, kind: "categorical", values, levels };
    }
    return { name: c, kind: "numeric", values: Float64Array.from(values, parseNumber) };
  });
  const features = header.filter((h) => !DESIGN.has(h) && !COVARIATE_COLUMNS.includes(h));
  const idx = features.map((f) => header.indexOf(f));
  const values = idx.map((j) => Float64Array.from(rows, (r) => parseNumber(r[j] ?? "")));
  const hasCells = header.includes("n_cells");
  return {
    unit: hasCells ? "participant_visit" : "cell",
    participant: col("participant_id"),
    visit: col("visit"),
    arm: col("arm"),
    nCells: hasCells ? Float64Array.from(col("n_cells"), parseNumber) : undefined,
    covariates: covs,
    features,
    values,
  };
}
