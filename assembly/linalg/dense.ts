// Small dense products (row-major f64), summed in index order so results do not depend on the caller.
import { ld, st } from "../mem";

/** out = A x (A: rows x cols). */
export function matVec(A: usize, x: usize, out: usize, rows: i32, cols: i32): void {
  for (let i = 0; i < rows; i++) {
    let a = 0.0;
    for (let k = 0; k < cols; k++) a += ld(A, i * cols + k) * ld(x, k);
    st(out, i, a);
  }
}

/** out = c - A x (A: rows x cols). */
export function residualVec(c: usize, A: usize, x: usize, out: usize, rows: i32, cols: i32): void {
  for (let i = 0; i < rows; i++) {
    let a = ld(c, i);
    for (let k = 0; k < cols; k++) a -= ld(A, i * cols + k) * ld(x, k);
    st(out, i, a);
  }
}

/** C = A B (A: m x k, B: k x n). */
export function matMul(A: usize, B: usize, C: usize, m: i32, k: i32, n: i32): void {
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let a = 0.0;
    for (let l = 0; l < k; l++) a += ld(A, i * k + l) * ld(B, l * n + j);
    st(C, i * n + j, a);
  }
}
