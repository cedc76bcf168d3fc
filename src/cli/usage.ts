// The usage text (`trialmix --help`), made from the commands and the option declarations.
import { CLI_FLAGS, DEFAULTS, SCAN_OPTIONS, type OptionSpec } from "../options.js";

/** The commands, as the usage text lists them. */
export const COMMANDS: [usage: string, doc: string][] = [
  ["mixed   INPUT", "mixed-model DiD, one row per feature (did_table_mixed)"],
  ["fixed   INPUT", "fixed-effects DiD (did_table)"],
  ["compare INPUT", "fixed vs mixed, merged on feature (compare_fixed_vs_mixed)"],
  ["example [--out DIR]", "the mixed scan and the comparison on the bundled example data"],
  ["inspect INPUT [--json]", "shape, obs columns, layers, var names"],
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

function optionLine(key: string, spec: OptionSpec): string {
  const d = spec.kind === "flag" ? "" : defaultText(key, spec);
  const modes = spec.modes && spec.modes.length < 3 ? ` [${spec.modes.join(", ")}]` : "";
  return `  ${flagText(spec).padEnd(30)} ${spec.doc}${d ? ` (default ${d})` : ""}${modes}`;
}

/** The whole usage text. */
export function usage(): string {
  return [
    "usage: trialmix <command> INPUT [options]",
    "",
    "commands:",
    ...COMMANDS.map(([u, doc]) => `  ${u.padEnd(24)} ${doc}`),
    "",
    "INPUT is an .h5ad file or a .csv/.tsv long table.",
    "options:",
    ...Object.entries(SCAN_OPTIONS).map(([k, s]) => optionLine(k, s)),
    ...Object.entries(CLI_FLAGS)
      .filter(([k]) => k !== "help")
      .map(([k, s]) => optionLine(k, s)),
    "  -h, --help",
  ].join("\n");
}
