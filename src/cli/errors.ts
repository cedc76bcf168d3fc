// How the command line ends on an error: exit status 2 with one line for a usage, input or run
// problem (and for running out of memory), 1 with one line for anything else (a bug).
import { TrialmixInputError, TrialmixRunError, isOutOfMemory } from "../errors.js";

/** A usage error: exit 2 with one line. */
export class UsageError extends Error {}

/** Write the error's one line to stderr; the exit status. */
export function reportError(e: unknown): number {
  const err = e as Error;
  const debug = process.env.TRIALMIX_DEBUG;
  if (err instanceof UsageError || err instanceof TrialmixInputError || err instanceof TrialmixRunError || err.name === "H5adError") {
    process.stderr.write(`trialmix: ${err.message}\n`);
    return 2;
  }
  if (isOutOfMemory(err)) {
    if (debug) process.stderr.write(`${err.stack}\n`);
    process.stderr.write(`trialmix: out of memory (${String(err.message).split("\n")[0]}); the input needs more memory than this process may use\n`);
    return 2;
  }
  if (debug) process.stderr.write(`${err.stack}\n`);
  process.stderr.write(`trialmix: internal error: ${err.message} (set TRIALMIX_DEBUG=1 for details)\n`);
  return 1;
}
