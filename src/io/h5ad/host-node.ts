// The h5wasm build and the file-system helpers of the .h5ad reader (reader.ts and its modules),
// Node flavour (real files, random access through h5wasm/node's NODEFS). The browser bundle swaps
// this module for host-browser.ts (scripts/build-web.mjs), which has the same exports on h5wasm's
// Emscripten file system (MEMFS / WORKERFS), so the reader itself never names node:fs.
import fs from "node:fs";
import os from "node:os";
import nodePath from "node:path";
import { fileURLToPath } from "node:url";
import h5wasm from "h5wasm/node";
import { notRegularFile, addressSpaceLimit } from "../files.js";
import { TrialmixRunError } from "../../errors.js";
import { OpenGate } from "./gate.js";
import { installPlugins, pluginsUnavailable, type PluginModule } from "./plugins.js";

import type { H5Heap } from "./blocks.js";

export { h5wasm };

// The wasm module is initialised once, when this module is imported (top-level await), so
// that readH5ad can be synchronous.
const module = await load();

/** The filter plugins shipped with the package (h5plugins/ at its root: dist/io/h5ad/ or src/io/h5ad/ is three levels down). */
const PLUGIN_DIR = fileURLToPath(new URL("../../../h5plugins", import.meta.url));
if (fs.existsSync(nodePath.join(PLUGIN_DIR, "libH5Zlzf_js.so"))) installPlugins(module as unknown as PluginModule, PLUGIN_DIR);
else pluginsUnavailable(module as unknown as PluginModule, `the filter plugins are not at ${PLUGIN_DIR} (was trialmix bundled without its h5plugins/ folder?)`);

/**
 * h5wasm's module, or one line saying why it cannot start. Under an address-space limit (ulimit -v)
 * V8 cannot reserve the guard regions of a WebAssembly memory (10 GiB each) and Emscripten's
 * fallback fails with an unrelated TypeError; its own messages are muted meanwhile.
 */
async function load(): Promise<H5Heap> {
  const stderr = process.stderr as unknown as { write: (...a: unknown[]) => boolean };
  const write = stderr.write;
  stderr.write = () => true;
  try {
    return (await h5wasm.ready) as unknown as H5Heap;
  } catch (e) {
    const limited = Number.isFinite(addressSpaceLimit()) && !process.execArgv.includes("--disable-wasm-trap-handler");
    // Emscripten's fallback after a failed instantiation throws an unrelated TypeError: name the cause instead
    const why = limited && !(e instanceof RangeError) ? "its WebAssembly memory could not be reserved" : ((e as Error)?.message ?? String(e));
    throw new TrialmixRunError(
      `cannot start the HDF5 reader (h5wasm): ${why}` +
        (limited ? "; the address space is limited (ulimit -v): run node with --disable-wasm-trap-handler (the trialmix command does)" : ""),
    );
  } finally {
    stderr.write = write;
  }
}

/** h5wasm's module (initialised). */
export function h5heap(): H5Heap {
  return module;
}

let tmpCounter = 0;

// HDF5 may open only the files readH5ad was given, while trialmix's calls run (gate.ts), and the
// plugin directory with its files (HDF5 opens the directory to list it when it needs a filter).
const gate = new OpenGate();
const inPluginDir = (p: string): boolean => p === PLUGIN_DIR || (p.startsWith(PLUGIN_DIR + nodePath.sep) && p.endsWith(".so"));
{
  const FS = (module as unknown as { FS: { open: (...a: unknown[]) => unknown; ErrnoError: new (errno: number) => Error } }).FS;
  const open = FS.open;
  FS.open = function (path: unknown, ...rest: unknown[]) {
    const p = nodePath.resolve(String(path));
    if (!gate.permits(p, inPluginDir(p))) throw new FS.ErrnoError(2); // EACCES in Emscripten's numbering
    return open.call(this, path, ...rest);
  };
}

export const host = {
  /**
   * Mute the wasm module's own printing until the returned function is called: HDF5's diagnostic
   * stack (written to fd 2) and Emscripten's abort and invalid-UTF-8 messages (console.error, bound
   * when h5wasm loaded, so muted at process.stderr). A corrupt file's problem reaches the user as one
   * H5adError line instead. The caller unmutes in a finally outside any time-limited call (a timeout
   * ends the call without running its finally blocks). Meanwhile HDF5 may open only allowed files.
   */
  mute(): () => void {
    const leave = gate.enter();
    const f = fs as unknown as { writeSync: (...a: unknown[]) => number };
    const orig = f.writeSync;
    f.writeSync = function (fd: unknown, ...rest: unknown[]): number {
      if (fd === 2) {
        const b = rest[0] as { length: number } | string;
        if (typeof b === "string") return b.length;
        return typeof rest[2] === "number" ? (rest[2] as number) : b.length;
      }
      return orig.call(fs, fd, ...rest);
    };
    const stderr = process.stderr as unknown as { write: (...a: unknown[]) => boolean };
    const origWrite = stderr.write;
    stderr.write = () => true;
    return () => {
      leave();
      f.writeSync = orig;
      stderr.write = origWrite;
    };
  },

  /** Let HDF5 open `path` until the returned function is called. */
  allow(path: string): () => void {
    return gate.allow(nodePath.resolve(path));
  },

  /** The paths HDF5 tried to open and was refused since the last call (and forget them). */
  takeRefused(): string[] {
    return gate.takeRefused();
  },

  /** The size of a file in bytes. */
  size(path: string): number {
    return fs.statSync(path).size;
  },

  /** null for a regular file; otherwise why it cannot be opened ("no such file", "it is a named pipe (FIFO)", a symlink loop). */
  check(path: string): string | null {
    return notRegularFile(path);
  },

  /** fn with the file's size and a reader of bytes at an offset (the file is closed afterwards). */
  withFile<T>(path: string, fn: (size: number, readAt: (buf: Uint8Array, offset: number) => void) => T): T {
    const fd = fs.openSync(path, "r");
    try {
      return fn(fs.fstatSync(fd).size, (buf, offset) => void fs.readSync(fd, buf, 0, buf.length, offset));
    } finally {
      fs.closeSync(fd);
    }
  },

  /** Write bytes to a temporary file h5wasm can open; returns its path. */
  writeTemp(bytes: Uint8Array): string {
    const tmp = nodePath.join(os.tmpdir(), `trialmix-${process.pid}-${Date.now()}-${tmpCounter++}.h5ad`);
    fs.writeFileSync(tmp, bytes);
    return tmp;
  },

  /** Remove a temporary file made by writeTemp (or a path handed over with `owned`). */
  remove(path: string): void {
    try {
      fs.rmSync(path, { force: true });
    } catch {
      /* ignore */
    }
  },
};
