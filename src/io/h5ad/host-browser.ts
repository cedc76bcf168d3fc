// Browser flavour of host-node.ts (same exports), swapped in by scripts/build-web.mjs.
// h5wasm's browser ESM build embeds its own wasm; files live in its Emscripten file system:
// bytes are written to MEMFS, a File in a Worker is mounted read-only with WORKERFS (read
// by slices on demand, never copied whole).
import h5wasm from "h5wasm";

import type { H5Heap } from "./blocks.js";
import { OpenGate } from "./gate.js";
import { installPlugins, pluginsUnavailable, PLUGIN_FILES, type PluginModule } from "./plugins.js";

export { h5wasm };

/** The parts of Emscripten's FS used here. */
interface EmFS {
  mkdir(path: string): void;
  rmdir(path: string): void;
  mount(type: unknown, opts: { files?: File[]; blobs?: { name: string; data: Blob }[] }, mountpoint: string): void;
  unmount(mountpoint: string): void;
  writeFile(path: string, data: Uint8Array): void;
  unlink(path: string): void;
  stat(path: string): { size: number; mode: number };
  isFile(mode: number): boolean;
  open(path: string, flags: string | number, mode?: number): unknown;
  ErrnoError: new (errno: number) => Error;
  read(stream: unknown, buf: Uint8Array, offset: number, length: number, position: number): number;
  close(stream: unknown): void;
  filesystems: { MEMFS: unknown; WORKERFS?: unknown };
}

let FS: EmFS | null = null;

/** Where the filter plugins are written in h5wasm's in-memory file system. */
const PLUGIN_DIR = "/h5plugins";

// HDF5 may open only the files readH5ad was given, while trialmix's calls run (gate.ts), and the
// plugin directory with its files (HDF5 opens the directory to list it when it needs a filter).
const gate = new OpenGate();
const exempt = (p: string): boolean => p.startsWith("/dev/") || p === PLUGIN_DIR || (p.startsWith(`${PLUGIN_DIR}/`) && p.endsWith(".so"));

function guardOpens(fs: EmFS): void {
  const open = fs.open;
  fs.open = function (this: EmFS, path: string, flags: string | number, mode?: number) {
    if (!gate.permits(String(path), exempt(String(path)))) throw new fs.ErrnoError(2); // EACCES in Emscripten's numbering
    return open.call(this, path, flags, mode);
  };
}
let heap: H5Heap | null = null;

/** h5wasm's module (after h5wasmReady). */
export function h5heap(): H5Heap {
  if (!heap) throw new Error("trialmix: h5wasm is not initialised; await initTrialmix() first");
  return heap;
}
let readyPromise: Promise<void> | null = null;

/**
 * Load and initialise h5wasm's wasm (once), with the filter plugins fetched from `pluginsUrl`
 * (default: h5plugins/ next to this script, where build-web.mjs puts them; null: none, so only
 * gzip/szip files read). A plugin that cannot be fetched is not an error here: a file that needs
 * a filter then gets one line naming it and why the plugins are missing.
 */
export function h5wasmReady(pluginsUrl: string | URL | null = new URL("./h5plugins/", import.meta.url)): Promise<void> {
  readyPromise ??= (h5wasm.ready as unknown as Promise<{ FS: EmFS } & H5Heap>).then(async (m) => {
    FS = m.FS;
    heap = m;
    guardOpens(FS);
    try {
      FS.mkdir("/tmp");
    } catch {
      /* exists */
    }
    await loadPlugins(m as unknown as PluginModule, FS, pluginsUrl);
  });
  return readyPromise;
}

/** Fetch PLUGIN_FILES from `base` into PLUGIN_DIR and install them (plugins.ts). */
async function loadPlugins(m: PluginModule, fs: EmFS, base: string | URL | null): Promise<void> {
  if (base === null) return pluginsUnavailable(m, "the filter plugins were not loaded (initTrialmix({ pluginsUrl: null }))");
  const dir = typeof base === "string" && !base.endsWith("/") ? `${base}/` : base;
  let files: [string, Uint8Array][];
  try {
    files = await Promise.all(
      PLUGIN_FILES.map(async (name): Promise<[string, Uint8Array]> => {
        const url = new URL(name, dir);
        const r = await fetch(url);
        if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
        const b = new Uint8Array(await r.arrayBuffer());
        if (b.length < 4 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) throw new Error(`${url}: not a WebAssembly module`);
        return [name, b];
      }),
    );
  } catch (e) {
    return pluginsUnavailable(m, `the filter plugins could not be loaded (${(e as Error).message})`);
  }
  fs.mkdir(PLUGIN_DIR);
  for (const [name, b] of files) fs.writeFile(`${PLUGIN_DIR}/${name}`, b);
  installPlugins(m, PLUGIN_DIR);
}

function fsOrThrow(): EmFS {
  if (!FS) throw new Error("trialmix: h5wasm is not initialised; await initTrialmix() first");
  return FS;
}

let counter = 0;
const mounts = new Map<string, string>(); // file path -> WORKERFS mount point

/** True in a dedicated worker, where WORKERFS (FileReaderSync) can be used. */
export function canMountFiles(): boolean {
  const g = globalThis as { WorkerGlobalScope?: unknown; FileReaderSync?: unknown };
  return typeof g.WorkerGlobalScope !== "undefined" && typeof g.FileReaderSync !== "undefined" && !!fsOrThrow().filesystems.WORKERFS;
}

/** Mount a File read-only (Worker only); returns its path in the Emscripten FS. */
export function mountFile(file: File): string {
  const fs = fsOrThrow();
  const dir = `/trialmix-file-${++counter}`;
  fs.mkdir(dir);
  fs.mount(fs.filesystems.WORKERFS, { files: [file] }, dir);
  const path = `${dir}/${file.name}`;
  mounts.set(path, dir);
  return path;
}

export const host = {
  /**
   * Mute HDF5's diagnostic stack (written to fd 2, which Emscripten sends to console.error) until the
   * returned function is called: the page's console gets the one-line error, not the dump. Meanwhile
   * HDF5 may open only allowed files.
   */
  mute(): () => void {
    const leave = gate.enter();
    const s = (fsOrThrow() as unknown as { getStream(fd: number): { tty?: { ops: object } } | null }).getStream(2);
    const tty = s?.tty;
    const ops = tty?.ops;
    if (tty) tty.ops = { put_char() {}, fsync() {} };
    return () => {
      leave();
      if (tty && ops) tty.ops = ops;
    };
  },

  allow(path: string): () => void {
    return gate.allow(path);
  },

  takeRefused(): string[] {
    return gate.takeRefused();
  },

  size(path: string): number {
    return fsOrThrow().stat(path).size;
  },

  /** null for a regular file; otherwise why it cannot be opened. */
  check(path: string): string | null {
    const fs = fsOrThrow();
    try {
      return fs.isFile(fs.stat(path).mode) ? null : "it is not a regular file";
    } catch {
      return "no such file";
    }
  },

  /** fn with the file's size and a reader of bytes at an offset (the file is closed afterwards). */
  withFile<T>(path: string, fn: (size: number, readAt: (buf: Uint8Array, offset: number) => void) => T): T {
    const fs = fsOrThrow();
    const size = fs.stat(path).size;
    const stream = fs.open(path, "r");
    try {
      return fn(size, (buf, offset) => void fs.read(stream, buf, 0, buf.length, offset));
    } finally {
      fs.close(stream);
    }
  },

  writeTemp(bytes: Uint8Array): string {
    const path = `/tmp/trialmix-${++counter}.h5ad`;
    fsOrThrow().writeFile(path, bytes);
    return path;
  },

  remove(path: string): void {
    const fs = fsOrThrow();
    const dir = mounts.get(path);
    try {
      if (dir) {
        mounts.delete(path);
        fs.unmount(dir);
        fs.rmdir(dir);
      } else fs.unlink(path);
    } catch {
      /* ignore */
    }
  },
};
