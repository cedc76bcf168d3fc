// Hyperslab reads into buffers on h5wasm's own heap, reused block after block: the matrix is
// streamed without a copy per block and without fresh memory per block (h5wasm's slice() copies
// every block out of its heap into a new array, and on a VM fresh pages are the dearest part).
import { h5heap } from "./host-node.js";
import type { NumArray } from "../source.js";
import { numericView, type ViewCtor } from "./dtype.js";
import { utf8Strict } from "../text.js";

/** The parts of h5wasm's Emscripten module read into here (its heap, malloc, the raw read). */
export interface H5Heap {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  get_dataset_data(fileId: bigint, path: string, count: bigint[] | null, offset: bigint[] | null, strides: bigint[] | null, ptr: bigint): number;
  reclaim_vlen_memory(fileId: bigint, path: string, attr: string, ptr: bigint): number;
}

/** The most one buffer on h5wasm's heap may take (its heap is capped at 2 GiB; a size past 2^32 would wrap in wasm32's malloc). */
const MAX_HEAP_BLOCK = 2 ** 30;

/** What a dataset must offer (h5wasm's Dataset). */
export interface HeapDataset {
  file_id: bigint;
  path: string;
  metadata: { type: number; size: number; signed: boolean; vlen?: boolean };
}

/** True when a dataset can be read into the heap (a number of a size the dtype table knows). */
export function heapReadable(ds: HeapDataset): boolean {
  return numericView(ds.metadata) !== null;
}

/**
 * Buffers on h5wasm's heap, one per slot (e.g. CSR data and indices), grown when a block needs more
 * and reused otherwise. view() is valid until the next read: a read may grow the heap, which
 * detaches earlier views, so read every slot of a block first, then view them.
 */
export class HeapBlocks {
  private slots: { ptr: number; bytes: number; len: number; ctor: ViewCtor | null }[] = [];

  /** Make slot hold at least `bytes` (the largest block to come), so that it is allocated once. */
  reserve(slot: number, bytes: number): void {
    const s = this.slots[slot];
    if (s && s.bytes >= bytes) return;
    const m = h5heap();
    if (s) m._free(s.ptr);
    const want = Math.max(8, bytes);
    if (!(want <= MAX_HEAP_BLOCK)) throw new Error(`a read of ${(want / 2 ** 30).toFixed(1)} GiB is more than one block may hold (${MAX_HEAP_BLOCK / 2 ** 30} GiB)`);
    const ptr = m._malloc(want);
    if (!ptr) throw new Error(`cannot allocate ${want} bytes on h5wasm's heap`);
    this.slots[slot] = { ptr, bytes: want, len: 0, ctor: null };
  }

  /** Read rows/elements [start, start + count) of dimension 0 (all of the other dimensions) into `slot`. */
  read(slot: number, ds: HeapDataset, shape: number[], start: number, count: number, run: (f: () => void, bytes: number) => void): void {
    const m = h5heap();
    const ctor = numericView(ds.metadata);
    if (!ctor) throw new Error(`${ds.path}: not a numeric dataset the heap reader can read`);
    const rest = shape.slice(1).reduce((a, b) => a * b, 1);
    const len = count * rest;
    const bytes = Math.max(8, len * ds.metadata.size);
    this.reserve(slot, bytes);
    const s = this.slots[slot];
    s.len = len;
    s.ctor = ctor;
    if (len === 0) return;
    const count_ = [BigInt(count), ...shape.slice(1).map(BigInt)];
    const offset = [BigInt(start), ...shape.slice(1).map(() => 0n)];
    const strides = shape.map(() => 1n);
    const ptr = s.ptr;
    run(() => {
      // h5wasm returns HDF5's status rather than throwing: a failed read must not leave the previous block's values
      const status = m.get_dataset_data(ds.file_id, ds.path, count_, offset, strides, BigInt(ptr));
      if (status < 0) {
        s.len = 0;
        throw new Error(`HDF5 could not read elements ${start}..${start + count - 1} (status ${status})`);
      }
    }, bytes);
  }

  /** The values last read into `slot`, viewed in place (64-bit integers as BigInt arrays: the reader converts). */
  view(slot: number): NumArray | BigInt64Array | BigUint64Array {
    const s = this.slots[slot];
    if (!s || s.len === 0 || !s.ctor) return new Float32Array(0);
    return new s.ctor(h5heap().HEAPU8.buffer as ArrayBuffer, s.ptr, s.len);
  }

  /** Give the buffers back to h5wasm's heap. */
  free(): void {
    const m = h5heap();
    for (const s of this.slots) if (s) m._free(s.ptr);
    this.slots = [];
  }
}

/** A string dataset's values decoded as UTF-8 strictly; `bad` is the first value whose bytes are not UTF-8. */
export interface StringValues {
  values: string[];
  bad?: { index: number; bytes: Uint8Array };
}

/**
 * All `n` values of a 1-d string dataset (fixed-length or variable-length), decoded as strict UTF-8
 * from the raw bytes (h5wasm's own decoding replaces invalid bytes with U+FFFD, which merges labels).
 */
export function readStrings(ds: HeapDataset, n: number, run: (f: () => void, bytes: number) => void): StringValues {
  const m = h5heap();
  const { size, vlen } = ds.metadata;
  const bytes = Math.max(8, n * size);
  if (!(bytes <= MAX_HEAP_BLOCK)) throw new Error(`${n} strings are more than one read may hold`);
  const ptr = m._malloc(bytes);
  if (!ptr) throw new Error(`cannot allocate ${bytes} bytes on h5wasm's heap`);
  let read = false;
  try {
    run(() => {
      const status = m.get_dataset_data(ds.file_id, ds.path, null, null, null, BigInt(ptr));
      if (status < 0) throw new Error(`HDF5 could not read the strings (status ${status})`);
      read = true;
    }, bytes);
    const heap = m.HEAPU8;
    const values = new Array<string>(n);
    let bad: StringValues["bad"];
    for (let i = 0; i < n; i++) {
      let b: Uint8Array;
      if (vlen) {
        const p = new DataView(heap.buffer, ptr + 4 * i, 4).getUint32(0, true);
        b = p === 0 ? new Uint8Array(0) : heap.subarray(p, heap.indexOf(0, p));
      } else {
        b = heap.subarray(ptr + i * size, ptr + (i + 1) * size);
        const z = b.indexOf(0);
        if (z >= 0) b = b.subarray(0, z);
      }
      const s = utf8Strict(b);
      if (s === null) {
        bad ??= { index: i, bytes: b.slice() };
        values[i] = "";
      } else values[i] = s;
    }
    return { values, bad };
  } finally {
    if (read && vlen) m.reclaim_vlen_memory(ds.file_id, ds.path, "", BigInt(ptr));
    m._free(ptr);
  }
}
