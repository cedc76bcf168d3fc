import { describe, expect, it } from "vitest";
import { AGG_FUNCS as fromAggregate } from "../../../src/frame/aggregate.js";
import { AGG_FUNCS, aggregator } from "../../../src/frame/aggregators/index.js";

describe("the aggregator registry", () => {
  it("lists exactly the registered aggregators, in the CLI's order, each under its own name", () => {
    expect(AGG_FUNCS).toEqual(["mean", "median", "pct_pos"]);
    expect(fromAggregate).toBe(AGG_FUNCS);
    for (const name of AGG_FUNCS) expect(aggregator(name)?.name).toBe(name);
    expect(aggregator("mode")).toBeUndefined();
  });
  it("every sum aggregator maps 0 to 0 (a sparse matrix's implicit zeros are never visited)", () => {
    for (const name of AGG_FUNCS) {
      const a = aggregator(name)!;
      if (a.kind === "sum" && a.value) expect(a.value(0), name).toBe(0);
    }
  });
});
