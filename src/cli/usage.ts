// The usage text (`trialmix --help`), made from the commands and the option declarations.
import { CLI_FLAGS, DEFAULTS, SCAN_OPTIONS, type OptionSpec } from "../options.js";

/** The commands, as the usage text lists them. */
export const COMMANDS: [usage: string, doc: string][] = [
  ["mixed   INPUT", "mixed-model DiD, one row per feature (did_table_mixed)"],
  ["fixed   INPUT", "fixed-effects DiD (did_table)"],
  ["compare INPUT", "fixed vs mixed, merged on feature (compare_fixed_vs_mixed)"],
  ["example [--out DIR]", "the mixed scan and the comparison on the bundled example data"],
  ["inspect INPUT [--json]", "shape, obs columns, layers, raw, var names and columns"],
];

/** Example command lines, as the usage text ends. */
export const EXAMPLES: string[] = [
  "trialmix mixed data.h5ad --visits D0,D14,D28 --out res.csv   # one row per feature and follow-up (contrast 'D14 vs D0', ...), with the joint arm-by-visit F and LRT",
];

/** `--flag META` or `--flag a|b|c`. */
function flagText(spec: OptionSpec): string {
  const meta = spec.kind === "choice" ? spec.values!.join("|") : spec.meta;
  return meta ? `--${spec.flag} ${meta}` : `--${spec.flag}`;
}

/** The default as the usage text says it ("" when there is none to say). */
function defaultText(key: string, spec: OptionSpec): string {
  if (spec.defaultText) return spec.defaultText;
  const d = (DEFAULTS as Record<string, unknown>)[key];
  return typeof d === "string" || typeof d === "number" ? String(d) : "";
}

function optionLine(key: string, spec: OptionSpec, width: number): string {
  const d = spec.kind === "flag" ? "" : defaultText(key, spec);
  const modes = spec.modes && spec.modes.length < 3 ? ` [${spec.modes.join(", ")}]` : "";
  return `  ${flagText(spec).padEnd(width)} ${spec.doc}${d ? ` (default ${d})` : ""}${modes}`;
}

/** The whole usage text. */
export function usage(): string {
  const flags = [...Object.entries(SCAN_OPTIONS), ...Object.entries(CLI_FLAGS).filter(([k]) => k !== "help")] as [string, OptionSpec][];
  const width = Math.max(...flags.map(([, s]) => flagText(s).length));
  return [
    "usage: trialmix <command> INPUT [options]",
    "",
    "commands:",
    ...COMMANDS.map(([u, doc]) => `  ${u.padEnd(24)} ${doc}`),
    "",
    "INPUT is an .h5ad file or a .csv/.tsv long table.",
    "options:",
    ...flags.map(([k, s]) => optionLine(k, s, width)),
    "  -h, --help",
    "",
    "examples:",
    ...EXAMPLES.map((e) => `  ${e}`),
  ].join("\n");
}
