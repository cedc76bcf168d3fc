// Guarded access to one open HDF5 file: every lookup refuses links out of the file, every read is
// bounded by what the header declares and the file can store, time-limited, and any failure is
// reported as this file's H5adError naming the path inside it.
import { h5wasm, host } from "./host-node.js";
import { H5adError } from "../../errors.js";
import { HeapBlocks, heapReadable, readStrings } from "./blocks.js";
import { copyNum, dtypeName, H5T, isReadableNumber } from "./dtype.js";
import { versionProblem, strAttr } from "./attrs.js";
import { quiet } from "./timeouts.js";
import { formatBytes, hexBytes } from "../text.js";
import { filterProblem, type FilterInfo } from "./filters.js";
import { availableDecoders } from "./plugins.js";

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Group = InstanceType<typeof h5wasm.Group>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/** At most this many bytes in one read of one dataset (guards against headers declaring huge shapes). */
const MAX_READ_BYTES = 2 ** 30;

/**
 * The most a dataset's filters can compress: 1 without compression (shuffle and fletcher32 do not
 * compress), 1100 for deflate and szip (deflate stays under 1032:1), unbounded for the others
 * (lzf, lz4, bzip2, zstd, scale-offset, ...).
 */
export function compressionBound(filters: { id: number }[]): number {
  let ratio = 1;
  for (const f of filters) {
    if (f.id === 2 || f.id === 3) continue;
    ratio = f.id === 1 || f.id === 4 ? Math.max(ratio, 1100) : Infinity;
  }
  return ratio;
}

function elements(ds: H5Dataset): number {
  return (ds.shape ?? []).reduce((a, b) => a * b, 1);
}

export class FileAccess {
  readonly file: H5File;
  readonly name: string;
  /** The file's size: no dataset can hold more than it stores (compression aside). */
  readonly fileBytes: number;
  private linksChecked = new Set<string>();
  private filtersChecked = new Set<string>();

  constructor(file: H5File, name: string) {
    this.file = file;
    this.name = name;
    this.fileBytes = host.size(file.filename);
  }

  fail(path: string, expected: string): never {
    throw new H5adError(`${this.name}: ${path}: ${expected}`);
  }

  /** The object at `path`, or null when there is none. Links out of the file are refused first (checkLinks). */
  entity(path: string): unknown {
    let e: unknown;
    try {
      this.checkLinks(path);
      e = quiet(() => this.file.get(path));
    } catch (err) {
      if (err instanceof H5adError) throw err;
      return null;
    }
    // h5wasm reads a dataset's header lazily (shape, dtype): read it once here, where a
    // corrupt header can still be reported as this file's problem
    if (e instanceof h5wasm.Dataset) {
      let meta: H5Dataset["metadata"];
      try {
        meta = quiet(() => (e as H5Dataset).metadata);
      } catch (err) {
        this.fail(`/${path}`, `cannot read the dataset header (${(err as Error).message}); the file is corrupt`);
      }
      const outside = meta.virtual_sources?.find((v) => v.file_name !== ".");
      if (outside) this.fail(`/${path}`, `is a virtual dataset mapping data from '${outside.file_name}'; trialmix reads only the file it is given (data in other files is refused)`);
    }
    return e;
  }

  /**
   * Refuse a path that passes through an external link (to a missing file, a file that is not HDF5,
   * this file itself or a valid other file alike): trialmix reads only the file it is given. Soft
   * links are followed to their targets, which are checked the same way.
   */
  private checkLinks(path: string, hops = 0): void {
    const parts = path.split("/").filter((x) => x.length > 0);
    let p = "";
    for (let i = 0; i < parts.length; i++) {
      p += `/${parts[i]}`;
      if (this.linksChecked.has(p)) continue;
      const here = p;
      const ext = quiet(() => this.file.get_external_link(here)) as { filename?: string; obj_path?: string } | null;
      if (ext?.filename !== undefined)
        this.fail(p, `is an external link to '${ext.filename}' (object ${ext.obj_path}); trialmix reads only the file it is given: external links are refused (copy the data into this file, e.g. with h5py)`);
      const soft = quiet(() => this.file.get_link(here)) as string | null;
      if (typeof soft === "string") {
        if (hops >= 16) this.fail(p, "soft links form a loop");
        const target = soft.startsWith("/") ? soft : `${p.slice(0, p.lastIndexOf("/"))}/${soft}`;
        this.checkLinks(target, hops + 1);
        // h5wasm reports a dangling soft link as a group: say what it is
        if ((quiet(() => this.file.get_type(target)) as number) < 0) this.fail(p, `is a soft link to '${soft}', which does not exist`);
        this.checkLinks([target, ...parts.slice(i + 1)].join("/"), hops + 1);
        return;
      }
      this.linksChecked.add(p);
    }
  }

  /** True when an object exists at `path` (links checked as entity() does). */
  has(path: string): boolean {
    return this.entity(path) !== null;
  }

  /** The members of a group; a corrupt link table is this file's problem (H5adError). */
  keysOf(g: H5Group, path: string): string[] {
    try {
      return quiet(() => g.keys());
    } catch (err) {
      this.fail(path, `cannot list the group (${(err as Error).message}); the file is corrupt`);
    }
  }

  group(path: string, what: string): H5Group {
    const e = this.entity(path);
    if (!(e instanceof h5wasm.Group)) this.fail(`/${path}`, e ? `expected a group (${what})` : `missing group (expected ${what})`);
    return e as H5Group;
  }

  dataset(path: string, what: string): H5Dataset {
    const e = this.entity(path);
    if (!(e instanceof h5wasm.Dataset)) this.fail(`/${path}`, e ? `expected a dataset (${what})` : `missing dataset (expected ${what})`);
    return e as H5Dataset;
  }

  /**
   * Refuse a read whose declared size is implausible (a corrupt or hostile header declaring a
   * huge shape): the guard runs on the header's shape, before anything is allocated.
   */
  checkDeclared(ds: H5Dataset, count?: number): void {
    this.checkFilters(ds);
    const n = count ?? elements(ds);
    const bytes = n * Math.max(8, ds.metadata?.size ?? 8);
    if (!(bytes <= MAX_READ_BYTES))
      this.fail(ds.path, `declares shape [${(ds.shape ?? []).join(", ")}] (${(bytes / 2 ** 30).toFixed(1)} GiB in one read); refusing to allocate it: the header is corrupt or the file is too large for this reader`);
    this.checkStored(ds);
  }

  /**
   * Refuse a dataset that declares more values than the file can hold: its bytes against the file's
   * size times the most its filters can compress. A chunked dataset declaring 2^33 values with
   * nothing written is a few KB: HDF5 would return fill values, and we would allocate.
   */
  checkStored(ds: H5Dataset): void {
    const meta = ds.metadata;
    if (meta.type !== H5T.INTEGER && meta.type !== H5T.FLOAT) return; // strings and compounds are bounded by checkDeclared
    const n = elements(ds);
    const bytes = n * meta.size;
    if (bytes > this.fileBytes * compressionBound(quiet(() => ds.filters) ?? []))
      this.fail(ds.path, `declares ${n} values (${formatBytes(bytes)}), more than the file (${formatBytes(this.fileBytes)}) can hold: the values are not stored (the header is corrupt or hostile)`);
  }

  /** The dataset's filter pipeline ([] when it has none, e.g. contiguous storage). */
  private filtersOf(ds: H5Dataset): FilterInfo[] {
    try {
      return (quiet(() => ds.filters) as FilterInfo[] | undefined) ?? [];
    } catch {
      return [];
    }
  }

  /**
   * Refuse, before HDF5 reads it, a dataset compressed with a filter this reader cannot decode: one
   * line naming the dataset and the filter (HDF5 itself would only report a failed read). Every read
   * of a dataset passes here (read, checkDeclared, guard); a dataset is checked once.
   */
  checkFilters(ds: H5Dataset): void {
    if (this.filtersChecked.has(ds.path)) return;
    const why = filterProblem(this.filtersOf(ds), availableDecoders());
    if (why !== null) this.fail(ds.path, why);
    this.filtersChecked.add(ds.path);
  }

  /** A dataset of numbers this reader converts exactly, or an error naming its dtype. */
  requireNumbers(ds: H5Dataset, what: string, integerOnly = false): void {
    if (!isReadableNumber(ds.metadata, integerOnly))
      this.fail(ds.path, `has dtype ${dtypeName(ds.metadata)}; expected ${integerOnly ? "integers" : "integer or float"} (${what})`);
  }

  /** An `encoding-version` newer than the reader knows (a future anndata layout): H5adError. */
  checkVersion(path: string, enc: string | undefined, attrs: Record<string, unknown>): void {
    const why = versionProblem(enc, strAttr(attrs["encoding-version"]));
    if (why !== null) this.fail(path, why);
  }

  /** A whole dataset (strings as strict UTF-8), or elements range[0]..range[1]-1 of a 1-d one. */
  read(ds: H5Dataset, range?: [number, number]): unknown {
    this.checkFilters(ds);
    if (!range) this.checkDeclared(ds);
    const shape = ds.shape ?? [];
    if (!range && ds.metadata.type === H5T.STRING && shape.length === 1) return this.readText(ds, shape[0]);
    try {
      const n = range ? range[1] - range[0] : elements(ds);
      if (shape.length === 1 && heapReadable(ds)) {
        // numeric vectors through the heap reader (blocks.ts), which checks HDF5's status (h5wasm's slice/value do not)
        const hb = new HeapBlocks();
        try {
          hb.read(0, ds, shape, range ? range[0] : 0, n, quiet);
          return copyNum(hb.view(0)); // a copy: the buffer is freed below
        } finally {
          hb.free();
        }
      }
      return quiet(() => (range ? ds.slice([range]) : ds.value), n * Math.max(8, ds.metadata?.size ?? 8));
    } catch (err) {
      this.readFailed(ds, err);
    }
  }

  /** A 1-d string dataset, decoded as UTF-8 strictly: invalid bytes name the dataset and the value. */
  private readText(ds: H5Dataset, n: number): string[] {
    let r;
    try {
      r = readStrings(ds, n, quiet);
    } catch (err) {
      this.readFailed(ds, err);
    }
    if (r.bad)
      this.fail(ds.path, `value ${r.bad.index + 1} of ${n} is not valid UTF-8 (bytes ${hexBytes(r.bad.bytes, 0, 4)}); text in an .h5ad must be UTF-8 (re-encode the labels, e.g. in pandas with .str.decode("latin-1"))`);
    return r.values;
  }

  /** f(), its failure (a truncated or corrupt file) as this file's H5adError. */
  guard(ds: H5Dataset, f: () => void): void {
    this.checkFilters(ds);
    try {
      f();
    } catch (err) {
      this.readFailed(ds, err);
    }
  }

  /** A failed read as this file's error: data stored in another file (refused) is named as such. */
  readFailed(ds: H5Dataset, err: unknown): never {
    if (err instanceof H5adError) throw err;
    this.checkFilters(ds);
    const refused = host.takeRefused();
    if (refused.length > 0)
      this.fail(ds.path, `its data are stored in another file ('${refused[0]}'); trialmix reads only the file it is given (external storage is refused)`);
    this.fail(ds.path, `cannot read (${(err as Error).message}); the file may be truncated or corrupt`);
  }
}
