// The lines on stderr after a scan: warnings, then how many features were fitted and why the others were not.
import { errorOf } from "../output/schema.js";

type Row = Record<string, unknown>;

function warn(warnings: readonly string[]): void {
  for (const w of new Set(warnings)) process.stderr.write(`trialmix: warning: ${w}\n`);
}

/** Why rows without statistics have none: the 4 commonest reasons with their counts, then the rest. */
function reasons(failed: readonly Row[]): string {
  const count = new Map<string, number>();
  for (const r of failed) {
    const why = errorOf(r) || "no statistics";
    count.set(why, (count.get(why) ?? 0) + 1);
  }
  const sorted = [...count].sort((a, b) => b[1] - a[1]);
  const top = sorted
    .slice(0, 4)
    .map(([k, n]) => `${n}: ${k}`)
    .join("; ");
  return top + (sorted.length > 4 ? `; ${sorted.slice(4).reduce((a, [, n]) => a + n, 0)}: other reasons` : "");
}

/** "N features" and, when they were taken by default from a table, which (the first few) and what was left out. */
function featureCount(n: number, note: string | undefined): string {
  return `${n} features${note ? ` (${note})` : ""}`;
}

/**
 * mixed and fixed: "N features, K fitted, M without statistics (reasons); wrote OUT". Over more than two
 * visits (rows with a contrast): "N features x C contrasts, K contrast rows fitted, ...".
 */
export function scanSummary(cmd: string, rows: readonly Row[], out: string | undefined, warnings: readonly string[], featureNote?: string): void {
  warn(warnings);
  const failed = rows.filter((r) => typeof r.beta_DiD === "number" && !Number.isFinite(r.beta_DiD));
  const nContrasts = new Set(rows.map((r) => r.contrast).filter((c) => typeof c === "string")).size;
  const what = nContrasts > 0
    ? `${featureCount(rows.length / nContrasts, featureNote)} x ${nContrasts} contrasts, ${rows.length - failed.length} contrast rows fitted`
    : `${featureCount(rows.length, featureNote)}, ${rows.length - failed.length} fitted`;
  process.stderr.write(
    `trialmix ${cmd}: ${what}` +
      (failed.length > 0 ? `, ${failed.length} without statistics (${reasons(failed)})` : "") +
      (out ? `; wrote ${out}` : "") +
      "\n",
  );
}

/** ", N without fixed statistics" when some rows of a comparison have no estimate on that side. */
function noStats(rows: readonly Row[], key: string, what: string): string {
  const n = rows.filter((r) => !Number.isFinite(r[key] as number)).length;
  return n > 0 ? `, ${n} without ${what} statistics` : "";
}

/** compare: "N features, fixed and mixed agree on K, ...; wrote OUT". */
export function compareSummary(rows: readonly Row[], out: string | undefined, warnings: readonly string[], featureNote?: string): void {
  warn(warnings);
  const agree = rows.filter((r) => r.agreement).length;
  process.stderr.write(
    `trialmix compare: ${featureCount(rows.length, featureNote)}, fixed and mixed agree on ${agree}` +
      `${noStats(rows, "beta_fixed", "fixed")}${noStats(rows, "beta_mixed", "mixed")}` +
      (out ? `; wrote ${out}` : "") +
      "\n",
  );
}
