#!/usr/bin/env node
// The `trialmix` command's entry (package bin: dist/cli.js). The command is src/cli/main.ts, loaded
// after the signal handlers are set: a Ctrl-C while the modules load ends the run with one line too.
import { basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { handleSignals, addressSpaceLimit, underLimit, runUnderLimit } from "./cli/process.js";

/** Run the command `argv` names; the exit status (src/cli/main.ts). */
export async function main(argv: string[]): Promise<number> {
  return (await import("./cli/main.js")).main(argv);
}

// Run when executed (not when imported by tests).
const invoked = process.argv[1] ? resolve(process.argv[1]) : "";
const self = fileURLToPath(import.meta.url);
if (invoked === self || invoked === self.replace(/\.ts$/, ".js") || basename(invoked) === "trialmix") {
  const limit = addressSpaceLimit();
  if (Number.isFinite(limit) && !underLimit()) process.exit(await runUnderLimit(process.argv[1], process.argv.slice(2), limit));
  else {
    handleSignals();
    // exit here: an interrupted step skips the finally blocks that would close worker threads
    process.exit(await main(process.argv.slice(2)));
  }
}
