// Scan options from the command line's flags: checked once by src/options.ts (messages name the
// flags), plus --features-file, and the thread count that fits under an address-space limit.
import { checkOptions, SCAN_OPTIONS, type OptionSpec } from "../options.js";
import type { CheckedOptions } from "../api.js";
import { coreCount, maxThreads } from "../exec/node-pool.js";
import { readRegularFile } from "../io/files.js";
import { utf8Strict } from "../io/text.js";
import { optionValue, type Args } from "./args.js";
import { threadsUnderLimit, underLimit } from "./process.js";
import { UsageError } from "./errors.js";
import { TrialmixInputError } from "../errors.js";
import { THREADS_PER_CORE } from "../output/columns.js";

/** Largest --features-file (a list of names). */
const MAX_LIST_BYTES = 64 * 2 ** 20;

/** The names in a --features-file (a regular file of UTF-8 text; names separated by newlines or commas). */
function featuresFromFile(path: string): string[] {
  const text = utf8Strict(readRegularFile(path, MAX_LIST_BYTES, "--features-file"));
  if (text === null) throw new UsageError(`cannot read --features-file '${path}': it is not UTF-8 text`);
  return text
    .split(/[\r\n,]+/)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

/** Checked as the command line names them: a bad value is a UsageError naming its flag. */
export function checkFlags(given: Record<string, unknown>): CheckedOptions {
  try {
    const note = ` (${THREADS_PER_CORE} per core; this machine has ${coreCount()})`;
    return checkOptions(given, { names: "flags", maxThreads: maxThreads(), threadsNote: note }) as unknown as CheckedOptions;
  } catch (e) {
    throw e instanceof TrialmixInputError ? new UsageError(e.message) : e;
  }
}

/** Scan options from the flags (shared by mixed, fixed and compare). */
export function scanOptions(values: Args["values"]): CheckedOptions {
  const given: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SCAN_OPTIONS) as [string, OptionSpec][]) given[key] = optionValue(spec, values[key]);
  const opts = checkFlags(given);
  const file = values.featuresFile;
  if (typeof file === "string") opts.features = [...(opts.features ?? []), ...featuresFromFile(file)];
  return opts;
}

/** Threads under an address-space limit (ulimit -v): what fits, with a warning when fewer than asked. */
export function fitThreads(asked: number | undefined): number | undefined {
  if (!underLimit()) return asked;
  const cap = threadsUnderLimit(Number(process.env.TRIALMIX_ADDRESS_LIMIT));
  if (asked !== undefined && asked > cap)
    process.stderr.write(`trialmix: warning: ${asked} threads do not fit in the address-space limit (ulimit -v); using ${cap}\n`);
  return Math.min(asked ?? coreCount(), cap);
}
