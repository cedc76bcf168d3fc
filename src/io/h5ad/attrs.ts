// HDF5 attributes as anndata writes them (strings may arrive as 1-element arrays, booleans as
// numbers or text) and the encoding versions this reader understands.
import { H5adError } from "../../errors.js";
import { H5adStuckError, limited, quiet } from "./timeouts.js";

/** The newest encoding-version of each anndata encoding this reader understands. */
const KNOWN_VERSIONS: Readonly<Record<string, string>> = {
  anndata: "0.1.0",
  dataframe: "0.2.0",
  categorical: "0.2.0",
  array: "0.2.0",
  "string-array": "0.2.0",
  csr_matrix: "0.1.0",
  csc_matrix: "0.1.0",
  "nullable-integer": "0.1.0",
  "nullable-boolean": "0.1.0",
  "nullable-string-array": "0.1.0",
};

/** An object's attributes as JSON values (undefined for references and other non-JSON attributes). */
export function attrsOf(e: { attrs: Record<string, { json_value: unknown }>; path?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  return quiet(() => {
    let attrs: Record<string, { json_value: unknown }>;
    try {
      attrs = e.attrs;
    } catch (err) {
      throw new H5adError(`${e.path ?? ""}: cannot list attributes (${(err as Error).message}); the file is corrupt`);
    }
    for (const [k, a] of Object.entries(attrs)) {
      try {
        out[k] = limited(() => a.json_value, 0);
      } catch (err) {
        if (err instanceof H5adStuckError) throw err;
        out[k] = undefined;
      }
    }
    return out;
  });
}

/** A string attribute (h5py may store it as a 1-element array), or undefined. */
export function strAttr(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === "string") return v[0];
  return undefined;
}

/** A boolean attribute as anndata writes it (true, 1, "True"; possibly in a 1-element array). */
export function truthyAttr(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0 && truthyAttr(v[0]);
  return v === true || v === 1 || v === "True" || v === "true";
}

/**
 * Why an `encoding-version` cannot be read (malformed, or newer than this reader knows: a future
 * anndata layout), or null. Unknown encodings are the caller's to report.
 */
export function versionProblem(enc: string | undefined, ver: string | undefined): string | null {
  if (enc === undefined || ver === undefined) return null;
  const known = Object.hasOwn(KNOWN_VERSIONS, enc) ? KNOWN_VERSIONS[enc] : undefined; // not "constructor" and the like
  if (known === undefined) return null;
  const a = ver.split(".").map(Number);
  const b = known.split(".").map(Number);
  if (a.some((x) => !Number.isInteger(x))) return `malformed encoding-version '${ver}' for ${enc}`;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d < 0) return null;
    if (d > 0) return `${enc} encoding-version ${ver} is newer than this reader supports (up to ${known}); re-save the file with an older anndata or update trialmix`;
  }
  return null;
}
