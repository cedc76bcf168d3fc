// The project's one symmetric eigen-decomposition, the kernel's cyclic Jacobi (assembly/linalg/eigen.ts).
import { getKernel } from "./load.js";

/**
 * Eigen-decomposition of the k x k symmetric matrix S (row-major): vectors[i * k + e] is component i of
 * eigenvector e, values[e] its eigenvalue (no ordering). Uses the kernel's scratch above its current
 * allocations and releases it, so a responseBuffer() view stays valid (unless memory has to grow).
 */
export function symEigen(S: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  if (!(Number.isInteger(k) && k >= 0) || S.length !== k * k) throw new Error(`symEigen: S has ${S.length} values, expected k*k with k = ${k}`);
  const K = getKernel();
  const mark = K.heapTop();
  const pa = K.alloc(Math.max(k * k, 1) * 8), pv = K.alloc(Math.max(k * k, 1) * 8);
  new Float64Array(K.memory.buffer, pa, k * k).set(S);
  K.symEigen(pa, pv, k);
  const buf = K.memory.buffer;
  const a = new Float64Array(buf, pa, k * k);
  const values = new Float64Array(k);
  for (let e = 0; e < k; e++) values[e] = a[e * k + e];
  const vectors = new Float64Array(buf, pv, k * k).slice();
  K.release(mark);
  return { values, vectors };
}
