// The command line's words: flags from the option declarations (src/options.ts), checked by
// node's parseArgs, with "did you mean" for a mistyped flag, negative numbers as values and no
// flag given twice.
import { parseArgs } from "node:util";
import { cliFlags, type OptionSpec } from "../options.js";
import { UsageError } from "./errors.js";

/** The flags parseArgs knows: every declared flag (text for valued ones), and -h. */
function parseArgsOptions(): Record<string, { type: "string" | "boolean"; short?: string }> {
  const out: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [, spec] of cliFlags()) out[spec.flag] = { type: spec.kind === "flag" ? "boolean" : "string" };
  out.help.short = "h";
  return out;
}

const PARSE_OPTIONS = parseArgsOptions();

/** The flags' values by option key (text as given; a boolean flag true when present) and the positional words. */
export interface Args {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** `--threads -1`: a value that looks like a negative number is the option's value, not an unknown flag. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : null;
    const opt = name !== null ? PARSE_OPTIONS[name] : undefined;
    if (opt?.type === "string" && i + 1 < argv.length && /^-(\d|\.\d|inf)/i.test(argv[i + 1])) {
      out.push(`${argv[i]}=${argv[i + 1]}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

/** The declared flag closest to `name` (a typo: 1 edit in a short name, 2 in a longer one; or a prefix of 3+ letters), or null. */
export function closestFlag(name: string): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const [, spec] of cliFlags()) {
    const d = (spec.flag.startsWith(name) && name.length >= 3) || spec.flag === `no-${name}` ? 0.5 : distance(name, spec.flag);
    if (d < bestD) [best, bestD] = [spec.flag, d];
  }
  return bestD <= (name.length <= 4 ? 1 : 2) ? best : null;
}

/** node's message, one line; an unknown flag close to a declared one gets "did you mean". */
function parseError(e: unknown): UsageError {
  const err = e as Error & { code?: string };
  const first = String(err.message).split("\n")[0];
  const unknown = /^Unknown option '(--?([^'=]+))'/.exec(first);
  const near = err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown ? closestFlag(unknown[2]) : null;
  return new UsageError(near ? `Unknown option '${unknown![1]}'; did you mean --${near}?` : first);
}

/** An option given twice would silently keep the last value: say so instead. */
function checkOnce(tokens: ReturnType<typeof parseArgs>["tokens"]): void {
  const seen = new Map<string, string | undefined>();
  for (const t of tokens ?? []) {
    if (t.kind !== "option" || PARSE_OPTIONS[t.name]?.type !== "string") continue;
    if (seen.has(t.name))
      throw new UsageError(
        `--${t.name} given twice ('${seen.get(t.name)}', then '${t.value}'); give it once${t.name === "features" ? ", as one comma-separated list" : ""}`,
      );
    seen.set(t.name, t.value);
  }
}

/** Parse argv: positionals and the flags' values keyed by option (e.g. values.nBoot from --n-boot). */
export function parseCommandLine(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options: PARSE_OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw parseError(e);
  }
  checkOnce(parsed.tokens);
  const values: Args["values"] = {};
  for (const [key, spec] of cliFlags()) values[key] = (parsed.values as Record<string, string | boolean | undefined>)[spec.flag];
  return { values, positionals: parsed.positionals };
}

/** A flag's value as the scan options take it: `--no-standardize` sets standardize to false. */
export function optionValue(spec: OptionSpec, v: string | boolean | undefined): unknown {
  if (spec.kind === "flag" && spec.flag.startsWith("no-")) return v === true ? false : undefined;
  return v;
}
