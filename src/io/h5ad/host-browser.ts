// Browser flavour of host-node.ts (same exports), swapped in by scripts/build-web.mjs.
// h5wasm's browser ESM build embeds its own wasm; files live in its Emscripten file system:
// bytes are written to MEMFS, a File in a Worker is mounted read-only with WORKERFS (read
// by slices on demand, never copied whole).
import h5wasm from "h5wasm";

import type { H5Heap } from "./blocks.js";
import { OpenGate } from "./gate.js";

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

// HDF5 may open only the files readH5ad was given, while trialmix's calls run (gate.ts).
const gate = new OpenGate();

function guardOpens(fs: EmFS): void {
  const open = fs.open;
  fs.open = function (this: EmFS, path: string, flags: string | number, mode?: number) {
    if (!gate.permits(String(path), String(path).startsWith("/dev/"))) throw new fs.ErrnoError(2); // EACCES in Emscripten's numbering
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

/** Load and initialise h5wasm's wasm (once). */
export function h5wasmReady(): Promise<void> {
  readyPromise ??= (h5wasm.ready as unknown as Promise<{ FS: EmFS } & H5Heap>).then((m) => {
    FS = m.FS;
    heap = m;
    guardOpens(FS);
    try {
      FS.mkdir("/tmp");
    } catch {
      /* exists */
    }
  });
  return readyPromise;
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
