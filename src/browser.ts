// The browser library entry (bundled by scripts/build-web.mjs to dist-web/trialmix.js, ESM).
// The same public API as the Node entry, plus initTrialmix() (loads the kernel wasm and h5wasm)
// and openH5adFile() / openDataFile() for File objects. The bundle swaps h5wasm-node.ts for
// h5wasm-browser.ts, so nothing here needs node:fs. Run long scans in a Worker: there a File
// is mounted with WORKERFS and read by slices instead of being copied into memory.
import { initKernel } from "./kernel.js";
import { readH5ad, type H5ad } from "./h5ad.js";
import { tableFromText, type TableSource } from "./table.js";
import { h5wasmReady, canMountFiles, mountFile, host } from "./h5wasm-browser.js";

export * from "./index.js";
export { H5ad } from "./h5ad.js";
export { TableSource } from "./table.js";

export interface InitOptions {
  /** Where the kernel is: default `trialmix.wasm` next to this module (dist-web/trialmix.wasm). */
  wasmUrl?: string | URL;
  /** The kernel's bytes (or a fetch Response), instead of fetching wasmUrl. */
  wasm?: ArrayBuffer | Uint8Array | Response;
}

let initPromise: Promise<void> | null = null;

/** Load the WebAssembly kernel and h5wasm. Call (and await) once before anything else; repeated calls share the first load. */
export function initTrialmix(opts: InitOptions = {}): Promise<void> {
  initPromise ??= (async () => {
    const src = opts.wasm ?? (opts.wasmUrl instanceof URL ? opts.wasmUrl : new URL(opts.wasmUrl ?? "./trialmix.wasm", import.meta.url));
    await Promise.all([initKernel(src), h5wasmReady()]);
  })().catch((e) => {
    initPromise = null;
    throw e;
  });
  return initPromise;
}

function isFileLike(x: unknown): x is File {
  return typeof File !== "undefined" && x instanceof File;
}

/**
 * Open an .h5ad from a File (or Blob) or from bytes. In a Worker a File is mounted with
 * WORKERFS (no full copy); elsewhere its bytes are written to h5wasm's in-memory FS.
 * Throws H5adError (one-line message) for a file that is not AnnData. close() frees it.
 */
export async function openH5adFile(file: File | Blob | Uint8Array | ArrayBuffer, opts: { name?: string } = {}): Promise<H5ad> {
  await initTrialmix();
  if (file instanceof Uint8Array || file instanceof ArrayBuffer) return readH5ad(file, { name: opts.name ?? "<bytes>" });
  const name = opts.name ?? (isFileLike(file) ? file.name : "<blob>");
  if (isFileLike(file) && canMountFiles()) {
    const path = mountFile(file);
    try {
      return readH5ad(path, { name, owned: true });
    } catch (e) {
      host.remove(path);
      throw e;
    }
  }
  return readH5ad(new Uint8Array(await file.arrayBuffer()), { name });
}

/** Open a long CSV/TSV table from a File or text (tab-separated for .tsv/.tab/.txt names). */
export async function openTableFile(file: File | Blob | string, opts: { name?: string; sep?: string } = {}): Promise<TableSource> {
  const name = opts.name ?? (isFileLike(file) ? file.name : "<table>");
  const text = typeof file === "string" ? file : await file.text();
  const sep = opts.sep ?? (/\.(tsv|tab|txt)$/i.test(name) ? "\t" : ",");
  return tableFromText(text, sep, name);
}

/** Open any supported input by its name: .csv/.tsv/.tab/.txt as a long table, anything else as .h5ad. */
export async function openDataFile(file: File, opts: { name?: string } = {}): Promise<H5ad | TableSource> {
  const name = opts.name ?? file.name;
  return /\.(csv|tsv|tab|txt)$/i.test(name) ? openTableFile(file, { name }) : openH5adFile(file, { name });
}
