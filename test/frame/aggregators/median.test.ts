import { describe, expect, it } from "vitest";
import { tables } from "./cases.js";

describe("median", () => {
  it("the median over each group's finite values, implicit zeros counted, NaN for a group without one", () => {
    const want = [
      [1, -2],
      [0, NaN],
      [2, 2],
    ];
    for (const [path, got] of Object.entries(tables("median"))) expect(got, path).toEqual(want);
  });
});
