// mean: the group's mean over its finite values (pandas groupby().mean()).
import type { SumAggregator } from "./types.js";

export const mean: SumAggregator<"mean"> = {
  name: "mean",
  kind: "sum",
  // pandas keeps a float32 column's group mean in float32
  finish: (sum, n, float32) => (float32 ? Math.fround(Math.fround(sum) / n) : sum / n),
};
