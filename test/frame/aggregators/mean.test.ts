import { describe, expect, it } from "vitest";
import { tables } from "./cases.js";

describe("mean", () => {
  it("the mean over each group's finite values, implicit zeros counted, NaN for a group without one", () => {
    const want = [
      [4 / 3, -2],
      [0, NaN],
      [2, 2],
    ];
    for (const [path, got] of Object.entries(tables("mean"))) expect(got, path).toEqual(want);
  });
});
