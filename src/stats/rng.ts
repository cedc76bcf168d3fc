// Seeded random numbers (the fixed model's wild bootstrap draws).

/**
 * mulberry32: a small seeded PRNG with uniform output in [0, 1). numpy's Generator stream cannot be
 * reproduced here, so the draws (and hence bootstrap p-values) differ from the Python package's for
 * the same seed; they are deterministic for a given seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rademacher weights (-1 or +1, each with probability 1/2), B x G row-major, from the seed. */
export function rademacher(B: number, G: number, seed: number): Int8Array {
  const rng = mulberry32(seed);
  const v = new Int8Array(B * G);
  for (let i = 0; i < v.length; i++) v[i] = rng() < 0.5 ? -1 : 1;
  return v;
}
