// HDF5 filters (compression) of a dataset, and whether this reader can decode them. Checked before a
// dataset is read, so that a filter the reader lacks is one line naming the dataset and the filter,
//   /X/data: compressed with filter 32001 (blosc) using its snappy codec, which this reader cannot decode
// never "truncated or corrupt" (HDF5 only reports a failed read), and a plugin never runs on a chunk
// it cannot handle (h5wasm's own value/slice return stale memory on a failed read; an abort inside
// a plugin does not unwind HDF5).

/** Registered HDF5 filter ids (HDF Group's RegisteredFilterPlugins list) and their usual names. */
export const FILTER_NAMES: Readonly<Record<number, string>> = {
  1: "gzip",
  2: "shuffle",
  3: "fletcher32",
  4: "szip",
  5: "nbit",
  6: "scaleoffset",
  307: "bzip2",
  32000: "lzf",
  32001: "blosc",
  32004: "lz4",
  32008: "bitshuffle",
  32013: "zfp",
  32015: "zstd",
  32017: "sz",
  32018: "fcidecomp",
  32019: "jpeg",
  32022: "bitgroom",
  32023: "bitround",
  32024: "sz3",
  32025: "delta-rice",
  32026: "blosc2",
  32028: "sperr",
};

/** Blosc's compressors (cd_values[6] of filter 32001). */
export const BLOSC_CODECS: Readonly<Record<number, string>> = { 0: "blosclz", 1: "lz4", 2: "lz4hc", 3: "snappy", 4: "zlib", 5: "zstd" };

/** Built into h5wasm's HDF5 (no plugin): deflate, shuffle, fletcher32, szip (libaec), nbit, scale-offset. */
const BUILTIN = [1, 2, 3, 4, 5, 6];
/** Provided by the plugins in h5plugins/ (plugins.ts): bzip2, lzf, blosc, lz4, bitshuffle, zstd. */
export const PLUGIN_FILTERS = [307, 32000, 32001, 32004, 32008, 32015];
/** Blosc codecs compiled into h5plugins/libH5Zblosc.so (snappy is not; zlib through plugins.ts's uncompress). */
const BLOSC_BUILT = [0, 1, 2, 4, 5];

/** The filters a reader decodes. */
export interface DecoderSet {
  ids: ReadonlySet<number>;
  bloscCodecs: ReadonlySet<number>;
  /** Why the plugins are missing, when they are (ends the message). */
  note?: string;
}

/** What this reader decodes: the built-ins and, with `plugins`, the shipped plugins. */
export function decoderSet(plugins: boolean): DecoderSet {
  return { ids: new Set([...BUILTIN, ...(plugins ? PLUGIN_FILTERS : [])]), bloscCodecs: new Set(BLOSC_BUILT) };
}

/** One filter of a dataset's pipeline, as h5wasm's Dataset.filters reports it. */
export interface FilterInfo {
  id: number;
  name?: string;
  cd_values?: number[];
}

/** "filter 32015 (zstd)": by id (the stored name is whatever the writer put there), else the stored name. */
export function filterLabel(f: FilterInfo): string {
  return `filter ${f.id} (${FILTER_NAMES[f.id] ?? (f.name ? f.name : "unregistered id")})`;
}

/** null when every filter in `filters` can be decoded with `set`; otherwise why not (no path). */
export function filterProblem(filters: readonly FilterInfo[], set: DecoderSet): string | null {
  for (const f of filters) {
    if (!set.ids.has(f.id)) return `compressed with ${filterLabel(f)}, which this reader cannot decode (it reads ${readable(set)})${set.note ? `; ${set.note}` : ""}`;
    const codec = f.cd_values?.[6];
    if (f.id === 32001 && codec !== undefined && (f.cd_values?.length ?? 0) > 6 && !set.bloscCodecs.has(codec))
      return `compressed with ${filterLabel(f)} using its ${BLOSC_CODECS[codec] ?? `codec ${codec}`} codec, which this reader cannot decode (blosc codecs it reads: ${[...set.bloscCodecs].map((c) => BLOSC_CODECS[c]).join(", ")}); rewrite the file with another compression, e.g. h5py's gzip`;
  }
  return null;
}

/** The compressions a reader decodes, for the message. */
function readable(set: DecoderSet): string {
  return [...set.ids]
    .filter((id) => id !== 2 && id !== 3 && id !== 5 && id !== 6)
    .map((id) => FILTER_NAMES[id])
    .join(", ");
}
