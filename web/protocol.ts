// Messages between the page (app.ts) and the scan worker (worker.ts).
import type { ScanOptions } from "../src/api.js";

export type Mode = "mixed" | "fixed" | "compare";

export interface ColumnInfo {
  name: string;
  kind: "categorical" | "string" | "float" | "int" | "bool";
  /** Distinct values in order of first appearance (categorical / string / bool columns with few levels). */
  levels?: string[];
  categories?: string[];
  ordered?: boolean;
  nMissing: number;
  /** Set when the column cannot be read (an unknown encoding, a wrong length): it is left out of the choices. */
  error?: string;
}

export interface FileInfo {
  name: string;
  kind: "h5ad" | "table";
  nObs: number;
  nVars: number;
  matrix: { encoding: string; dtype: string } | null;
  layers: string[];
  varHead: string[];
  obs: ColumnInfo[];
  openMs: number;
  mounted: boolean;
}

export type RunOptions = Omit<ScanOptions, "onProgress" | "design">;

export type ToWorker =
  | { type: "open"; file: File }
  | { type: "run"; id: number; mode: Mode; opts: RunOptions };

export type FromWorker =
  | { type: "opened"; info: FileInfo }
  | { type: "progress"; id: number; phase: string; done: number; total: number }
  | { type: "result"; id: number; mode: Mode; rows: Record<string, unknown>[]; columns: string[]; warnings: string[]; ms: number; threads: number }
  | { type: "error"; id: number | null; name: string; message: string };
