import { describe, expect, it } from "vitest";
import { mulberry32, rademacher } from "../../src/stats/rng.js";

describe("seeded random numbers", () => {
  it("mulberry32: uniform in [0, 1), deterministic for a seed, different for another", () => {
    const a = mulberry32(42);
    const xs = Array.from({ length: 20000 }, () => a());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / xs.length));
    const b = mulberry32(42);
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs.slice(0, 5));
    const c = mulberry32(43);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs.slice(0, 5));
  });

  it("rademacher: B x G signs of +-1, about half each, the same for a seed", () => {
    const v = rademacher(500, 40, 7);
    expect(v.length).toBe(20000);
    expect(v.every((s) => s === 1 || s === -1)).toBe(true);
    const sum = v.reduce((s, x) => s + x, 0);
    expect(Math.abs(sum)).toBeLessThan(4 * Math.sqrt(v.length));
    expect(rademacher(500, 40, 7)).toEqual(v);
    expect(rademacher(500, 40, 8)).not.toEqual(v);
  });
});
