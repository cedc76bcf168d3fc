// pct_pos: the percentage of the group's finite values above 0 (e.g. cells expressing a gene).
import type { SumAggregator } from "./types.js";

export const pct_pos: SumAggregator<"pct_pos"> = {
  name: "pct_pos",
  kind: "sum",
  value: (x) => (x > 0 ? 1 : 0),
  finish: (sum, n) => (100 * sum) / n,
};
