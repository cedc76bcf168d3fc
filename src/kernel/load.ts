// Loads the AssemblyScript/WASM kernel: synchronously from dist/ in Node on first use, or from bytes / a URL
// / a fetch Response (initKernel, browsers).

export interface KernelExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  reset(): void;
  heapTop(): number;
  release(mark: number): void;
  /** Fit the batch whose header (abi.ts Field) is at the address; 0, or 2 when X is rank deficient. */
  fitBatch(header: number): number;
  /** Cyclic Jacobi in place: the k x k matrix at a becomes diagonal (the eigenvalues), v the eigenvectors in columns. */
  symEigen(a: number, v: number, k: number): void;
  [constant: string]: unknown; // the tolerances (assembly/tolerances.ts) as wasm globals
}

let kernel: KernelExports | null = null;

const imports = {
  env: {
    abort(): never {
      throw new Error("trialmix kernel aborted");
    },
  },
};

type NodeFs = { readFileSync(p: URL): Uint8Array; existsSync(p: URL): boolean };

/** node:fs where there is one (Node), without a static import (the same module runs in browsers). */
function nodeFs(): NodeFs | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.("node:fs") as NodeFs | undefined;
}

/** Initialise from bytes / URL / fetch Response (browsers; optional in Node). */
export async function initKernel(source: ArrayBuffer | Uint8Array | URL | Response): Promise<void> {
  let bytes: ArrayBuffer | Uint8Array;
  if (source instanceof URL) {
    if (source.protocol === "file:") {
      const fs = nodeFs();
      if (!fs) throw new Error("trialmix: cannot read the kernel synchronously here; call initKernel(source) first");
      bytes = fs.readFileSync(source);
    } else {
      bytes = await (await fetch(source)).arrayBuffer();
    }
  } else if (typeof Response !== "undefined" && source instanceof Response) {
    bytes = await source.arrayBuffer();
  } else {
    bytes = source as ArrayBuffer | Uint8Array;
  }
  const { instance } = await WebAssembly.instantiate(bytes as unknown as ArrayBuffer, imports);
  kernel = instance.exports as unknown as KernelExports;
}

/** The instantiated kernel; in Node it loads dist/trialmix.wasm synchronously on first use. */
export function getKernel(): KernelExports {
  if (kernel) return kernel;
  const fs = nodeFs();
  if (!fs) throw new Error("trialmix: WASM kernel not initialised; call initKernel(source) first");
  const candidates = [new URL("../trialmix.wasm", import.meta.url), new URL("../../dist/trialmix.wasm", import.meta.url)];
  for (const u of candidates) {
    if (fs.existsSync(u)) {
      const mod = new WebAssembly.Module(fs.readFileSync(u) as unknown as ArrayBuffer);
      kernel = new WebAssembly.Instance(mod, imports).exports as unknown as KernelExports;
      return kernel;
    }
  }
  throw new Error("trialmix: dist/trialmix.wasm not found (run npm run build:wasm)");
}
