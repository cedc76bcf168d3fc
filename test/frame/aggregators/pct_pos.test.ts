import { describe, expect, it } from "vitest";
import { tables } from "./cases.js";

describe("pct_pos", () => {
  it("the percentage of each group's finite values above 0, implicit zeros counted, NaN for a group without one", () => {
    const want = [
      [200 / 3, 0],
      [0, NaN],
      [200 / 3, 50],
    ];
    for (const [path, got] of Object.entries(tables("pct_pos"))) expect(got, path).toEqual(want);
  });
});
