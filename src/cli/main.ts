// The `trialmix` command: the words of the command line to a command, its exit status.
import { checkRegularFile } from "../io/files.js";
import { writeStdout } from "../output/write.js";
import type { Mode } from "../output/schema.js";
import { parseCommandLine } from "./args.js";
import { reportError, UsageError } from "./errors.js";
import { runExample } from "./example.js";
import { interruptible } from "./process.js";
import { runScan } from "./scan.js";
import { usage } from "./usage.js";

const SCANS: readonly string[] = ["mixed", "fixed", "compare"];

/** Run the command `argv` names; the exit status (0 done, 2 a usage, input or run error, 1 a bug). */
export async function main(argv: string[]): Promise<number> {
  process.stderr.on("error", () => undefined); // a closed stderr must not turn the last line into a crash
  try {
    const { values, positionals } = parseCommandLine(argv);
    const [cmd, input, ...rest] = positionals;
    if (values.help || cmd === undefined || cmd === "help") {
      await writeStdout(usage() + "\n");
      return cmd === undefined && !values.help ? 2 : 0;
    }
    if (cmd === "example") {
      if (input !== undefined) throw new UsageError(`example takes no INPUT (got '${input}'); use --out DIR`);
      await runExample(values);
      return 0;
    }
    if (!SCANS.includes(cmd) && cmd !== "inspect") throw new UsageError(`unknown command '${cmd}'; expected mixed, fixed, compare, example or inspect`);
    if (input === undefined) throw new UsageError(`${cmd} needs an INPUT file (.h5ad, .csv or .tsv)`);
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    checkRegularFile(input); // a FIFO or a device would hang or fill memory; a symlink loop is named
    if (cmd === "inspect") {
      const { inspectInput } = await import("../api.js");
      await writeStdout(interruptible(() => inspectInput(input, values.json === true)));
      return 0;
    }
    await runScan(cmd as Mode, input, values);
    return 0;
  } catch (e) {
    return reportError(e);
  }
}
