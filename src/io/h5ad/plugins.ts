// The HDF5 filter plugins (h5plugins/, see its README) made usable by h5wasm, in Node and in the
// browser alike. HDF5 finds a filter it does not have built in by loading the Emscripten side
// modules on its plugin search path (dlopen, synchronously, through `new WebAssembly.Instance`);
// this module
//   - makes the shipped directory the only entry of that path (h5wasm's defaults name directories
//     of its build machine, which the open gate would otherwise report as refused files),
//   - hands the plugins the few functions they import and h5wasm does not export (a missing one
//     aborts the wasm module at its first call): __errno_location, memcmp, uncompress (blosc's
//     zlib codec, inflate.ts), and the lzf decoder of libH5Zlzf_js.so (h5js_lzf_filter).
import { decoderSet, type DecoderSet } from "./filters.js";
import { inflateZlib } from "./inflate.js";

/** The parts of h5wasm's Emscripten module used here. */
export interface PluginModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  get_plugin_search_paths(): string[];
  insert_plugin_search_path(dir: string, index: number): void;
  remove_plugin_search_path(index: number): void;
}

/** The plugin files, in h5plugins/ and dist-web/h5plugins/ (lzf first: HDF5 tries the files in order). */
export const PLUGIN_FILES = ["libH5Zlzf_js.so", "libH5Zlz4.so", "libH5Zbz2.so", "libH5Zblosc.so", "libH5Zbshuf.so", "libH5Zzstd.so"];

let decoders: DecoderSet = decoderSet(false);

/** The filters the reader decodes now (built-ins only until installPlugins ran). */
export function availableDecoders(): DecoderSet {
  return decoders;
}

/** No plugin directory: HDF5 searches none (h5wasm's defaults are paths of its build machine); `why` ends the filter errors. */
export function pluginsUnavailable(M: PluginModule, why: string): void {
  while (M.get_plugin_search_paths().length > 0) M.remove_plugin_search_path(0);
  decoders = { ...decoderSet(false), note: why };
}

/** Make `dir` (holding PLUGIN_FILES) HDF5's only plugin directory and supply the plugins' missing imports. */
export function installPlugins(M: PluginModule, dir: string): void {
  while (M.get_plugin_search_paths().length > 0) M.remove_plugin_search_path(0);
  M.insert_plugin_search_path(dir, 0);
  shimSideModules(M);
  decoders = decoderSet(true);
}

/** The functions handed to a plugin that imports them (see the header). */
function shims(M: PluginModule): Record<string, (...a: number[]) => number> {
  let errno = 0;
  return {
    h5js_lzf_filter: lzfFilter(M),
    __errno_location: () => (errno ||= M._malloc(4)),
    memcmp: (a, b, n) => {
      const h = M.HEAPU8; // read at each call: a heap growth replaces the buffer
      for (let i = 0; i < n; i++) if (h[a + i] !== h[b + i]) return h[a + i] - h[b + i];
      return 0;
    },
    // int uncompress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen); uLong is 32-bit in wasm32
    uncompress: (dest, destLenPtr, src, srcLen) => {
      let out: Uint8Array;
      try {
        out = inflateZlib(M.HEAPU8.slice(src, src + srcLen));
      } catch {
        return -3; // Z_DATA_ERROR
      }
      const dv = new DataView(M.HEAPU8.buffer);
      if (out.length > dv.getUint32(destLenPtr, true)) return -5; // Z_BUF_ERROR
      M.HEAPU8.set(out, dest);
      dv.setUint32(destLenPtr, out.length, true);
      return 0;
    },
  };
}

type InstanceCtor = typeof WebAssembly.Instance & { trialmixShims?: true };

/**
 * Wrap WebAssembly.Instance (once per realm) so that an Emscripten side module (a `dylink.0`
 * section) importing one of the shim names gets the shim; every other module is instantiated as
 * before. No plugin binary is changed.
 */
function shimSideModules(M: PluginModule): void {
  const Orig = WebAssembly.Instance as InstanceCtor;
  if (Orig.trialmixShims) return;
  const fns = shims(M);
  const names = new Set(Object.keys(fns));
  function Instance(module: WebAssembly.Module, imports?: WebAssembly.Imports): WebAssembly.Instance {
    const env = imports?.env;
    const wants =
      env !== undefined &&
      WebAssembly.Module.customSections(module, "dylink.0").length > 0 &&
      WebAssembly.Module.imports(module).some((i) => i.module === "env" && i.kind === "function" && names.has(i.name));
    if (!wants) return new Orig(module, imports);
    const wrapped = new Proxy({}, { get: (_, k) => (typeof k === "string" && names.has(k) ? fns[k] : (env as Record<string | symbol, unknown>)[k]) });
    const wasi = imports?.wasi_snapshot_preview1 === env ? wrapped : imports?.wasi_snapshot_preview1;
    return new Orig(module, { ...imports, env: wrapped, ...(wasi ? { wasi_snapshot_preview1: wasi as WebAssembly.ModuleImports } : {}) });
  }
  Instance.prototype = Orig.prototype;
  (Instance as unknown as InstanceCtor).trialmixShims = true;
  (WebAssembly as { Instance: unknown }).Instance = Instance;
}

/** LZF decompression (liblzf's format, as h5py's lzf filter writes it); throws on malformed input. */
export function lzfDecode(src: Uint8Array): Uint8Array {
  let n = 0; // first pass: the output size (h5py records none for strings)
  let ip = 0;
  while (ip < src.length) {
    const c = src[ip++];
    if (c < 32) {
      n += c + 1;
      ip += c + 1;
    } else {
      let len = c >> 5;
      if (len === 7) len += src[ip++];
      ip++;
      n += len + 2;
    }
  }
  if (ip !== src.length) throw new Error("lzf: truncated input");
  const out = new Uint8Array(n);
  let op = 0;
  ip = 0;
  while (ip < src.length) {
    const c = src[ip++];
    if (c < 32) {
      for (let k = 0; k <= c; k++) out[op + k] = src[ip + k]; // literal runs are at most 32 bytes
      op += c + 1;
      ip += c + 1;
    } else {
      let len = c >> 5;
      let ref = op - ((c & 0x1f) << 8) - 1;
      if (len === 7) len += src[ip++];
      ref -= src[ip++];
      len += 2;
      if (ref < 0 || op + len > n) throw new Error("lzf: back reference out of range");
      if (op - ref >= len && len > 64) out.copyWithin(op, ref, ref + len);
      else for (let k = 0; k < len; k++) out[op + k] = out[ref + k]; // overlapping copies repeat bytes
      op += len;
    }
  }
  return out;
}

/** Chunks decoded by the lzf filter (tests count how often HDF5 decodes a chunk). */
export const lzfStats = { chunks: 0 };

/** HDF5's filter function (H5Z_func_t) for libH5Zlzf_js.so: decode only; 0 = failure. */
function lzfFilter(M: PluginModule): (...a: number[]) => number {
  return (flags, _nCd, _cd, nbytes, bufSizePtr, bufPtrPtr) => {
    if (!(flags & 0x100)) return 0; // H5Z_FLAG_REVERSE: this plugin only decodes
    lzfStats.chunks++;
    const inPtr = new DataView(M.HEAPU8.buffer).getUint32(bufPtrPtr, true);
    let out: Uint8Array;
    try {
      out = lzfDecode(M.HEAPU8.subarray(inPtr, inPtr + nbytes));
    } catch {
      return 0;
    }
    const p = M._malloc(Math.max(1, out.length));
    if (!p) return 0;
    M.HEAPU8.set(out, p); // after malloc: it may have grown the heap
    M._free(inPtr);
    const dv = new DataView(M.HEAPU8.buffer);
    dv.setUint32(bufPtrPtr, p, true);
    dv.setUint32(bufSizePtr, out.length, true);
    return out.length;
  };
}
