// Benjamini-Hochberg adjusted p-values: the one implementation of the project (the tables' FDR
// column and the page's volcano plot). Benjamini & Hochberg (1995), as statsmodels'
// multipletests(method="fdr_bh") on the finite subset; NaN (and +-Infinity) give NaN.

/** BH-adjusted p-values of the finite entries of p; NaN elsewhere. */
export function bhAdjust(p: ArrayLike<number>): Float64Array {
  const n = p.length;
  const out = new Float64Array(n).fill(NaN);
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isFinite(p[i])) idx.push(i);
  const m = idx.length;
  if (m === 0) return out;
  // stable ascending order of the finite p-values
  idx.sort((a, b) => p[a] - p[b] || a - b);
  let running = Infinity;
  for (let r = m - 1; r >= 0; r--) {
    const i = idx[r];
    const adj = p[i] / ((r + 1) / m); // as statsmodels: p / ecdf factor
    if (adj < running) running = adj;
    out[i] = running > 1 ? 1 : running;
  }
  return out;
}

/** The tables' FDR column: bhAdjust. */
export const applyFdr: (p: ArrayLike<number>) => Float64Array = bhAdjust;
