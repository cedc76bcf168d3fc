// Writing a table where --out says (or to stdout), checked before the work starts.
import { formatOf, renderTable } from "../output/render.js";
import { checkOutput, writeAtomic, writeStdout } from "../output/write.js";
import { outputWritten } from "./process.js";
import { UsageError } from "./errors.js";

/** The table as text in the format the output path names (.csv, .tsv, .json; stdout: CSV). */
export function render(columns: readonly string[], rows: readonly Record<string, unknown>[], path: string | undefined): string {
  const format = formatOf(path);
  if (format === null) throw new UsageError(`--out must end in .csv, .tsv or .json, got '${path}'`);
  return renderTable(columns, rows, format);
}

/**
 * Check --out before the work starts (a long scan should not fail at the end on a typo): the
 * extension, the folder exists and is writable, the path (or the file a symlink names) is not a
 * folder or a device.
 */
export function checkOut(path: string): void {
  render([], [], path); // the extension
  checkOutput(path);
}

/** Write the table to `out` (atomically) or stdout. */
export async function emit(columns: readonly string[], rows: readonly Record<string, unknown>[], out: string | undefined, label?: string): Promise<void> {
  const text = render(columns, rows, out);
  if (out === undefined) await writeStdout(text);
  else await writeAtomic(out, text, label);
  outputWritten();
}
