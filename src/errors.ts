// Error classes that the CLI maps to exit status 2 with one line on stderr (no stack trace).

/** A usage or input problem: missing column, unknown label, unknown feature, unreadable file. */
export class TrialmixInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrialmixInputError";
  }
}

/**
 * An .h5ad file that cannot be read: not HDF5, truncated, a missing group or an unknown
 * encoding. The message names the file, the path inside it and what was expected.
 * A subclass of TrialmixInputError, so the CLI treats it as an input error (exit 2).
 */
export class H5adError extends TrialmixInputError {
  constructor(message: string) {
    super(message);
    this.name = "H5adError";
  }
}

/**
 * A run that cannot finish for a reason outside the input: the output cannot be written (a full
 * disk, a closed pipe), memory ran out, a signal. The CLI prints its one line and exits 2.
 */
export class TrialmixRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrialmixRunError";
  }
}

/** True for the errors an allocation raises when memory (or address space) runs out. */
export function isOutOfMemory(e: unknown): boolean {
  const m = (e as Error)?.message ?? "";
  return (
    (e instanceof RangeError &&
      /Array buffer allocation failed|Invalid (typed )?array length|Invalid string length|could not allocate memory|Out of memory|Cannot allocate Wasm memory/i.test(m)) ||
    /^Aborted\(OOM\)|Cannot enlarge memory|out of memory/i.test(m) ||
    (e as { code?: string })?.code === "ERR_WORKER_OUT_OF_MEMORY" ||
    (e as { code?: string })?.code === "ERR_STRING_TOO_LONG"
  );
}
