// Every call into the HDF5 library runs muted and under a time limit where the platform can
// interrupt synchronous WebAssembly (Node: node:vm's timeout): a corrupt file can make the library
// loop forever. 5 s (TRIALMIX_H5_TIMEOUT_MS) plus 1 s per 16 MB requested; without node:vm
// (browsers) calls run unguarded.
import { host } from "./host-node.js";
import { H5adError } from "../../errors.js";

/** A read that made no progress inside the HDF5 library (a corrupt file can make it loop forever). */
export class H5adStuckError extends H5adError {}

interface VmLike {
  createContext(o: object): object;
  Script: new (code: string) => { runInContext(ctx: object, o: { timeout: number }): unknown };
}
const nodeProcess = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined> } }).process;
const vm = nodeProcess?.getBuiltinModule?.("node:vm") as VmLike | undefined;
const H5_TIMEOUT_MS = Number(nodeProcess?.env?.TRIALMIX_H5_TIMEOUT_MS) || 5000;
const limiter = vm ? { ctx: vm.createContext({ f: null as null | (() => unknown) }) as { f: null | (() => unknown) }, script: new vm.Script("f()") } : null;
let limitDepth = 0;

/** fn under the time limit for a read of `bytes` (nested calls run inside the outer call's limit). */
export function limited<T>(fn: () => T, bytes: number): T {
  if (!limiter || limitDepth > 0) return fn();
  const ms = Math.round(H5_TIMEOUT_MS + (bytes / 16e6) * 1000);
  limitDepth++;
  limiter.ctx.f = fn;
  try {
    return limiter.script.runInContext(limiter.ctx, { timeout: ms }) as T;
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT")
      throw new H5adStuckError(`the HDF5 library made no progress for ${(ms / 1000).toFixed(1)} s (a corrupt file?)`);
    throw e;
  } finally {
    limiter.ctx.f = null;
    limitDepth--;
  }
}

/**
 * fn time-limited, with HDF5's diagnostic printing (written to fd 2 by the wasm module) muted. The
 * unmute runs here, outside the limited call: a timeout ends that call without running its finally blocks.
 */
export function quiet<T>(fn: () => T, bytes = 0): T {
  const unmute = host.mute();
  try {
    return limited(fn, bytes);
  } finally {
    unmute();
  }
}
