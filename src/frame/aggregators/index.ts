// The aggregation functions of participant-visit rows, by name. To add one: a file here exporting a
// SumAggregator (a per-value transform and a finish step over the streaming sums) or an OwnAggregator
// (its own path, as the median), one line in AGGREGATORS below, and its test in test/frame/aggregators/.
import type { Aggregator } from "./types.js";
import { mean } from "./mean.js";
import { median } from "./median.js";
import { pct_pos } from "./pct_pos.js";

export type { Aggregator, SumAggregator } from "./types.js";

/** In the order the CLI and the page list them. */
const AGGREGATORS = [mean, median, pct_pos] as const;

export type AggFunc = (typeof AGGREGATORS)[number]["name"];

/** The names of the aggregation functions. */
export const AGG_FUNCS: readonly AggFunc[] = AGGREGATORS.map((a) => a.name);

const BY_NAME = new Map<string, Aggregator<AggFunc>>(AGGREGATORS.map((a) => [a.name, a]));

/** The aggregator called `name`, or undefined. */
export function aggregator(name: string): Aggregator<AggFunc> | undefined {
  return BY_NAME.get(name);
}
