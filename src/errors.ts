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
