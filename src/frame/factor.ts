// Labels to group codes: the one group index of the project.

/** Labels -> 0..G-1 in first-seen order. */
export function groupIndex(labels: ArrayLike<string>): { index: Int32Array; count: number } {
  const map = new Map<string, number>();
  const index = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let g = map.get(labels[i]);
    if (g === undefined) {
      g = map.size;
      map.set(labels[i], g);
    }
    index[i] = g;
  }
  return { index, count: map.size };
}
