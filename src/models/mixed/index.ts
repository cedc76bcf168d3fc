// The mixed-model DiD (the seed's did_mixed / did_table_mixed): its design (design.ts), the row of one
// feature (rows.ts) and the one-feature API on long tables (didMixed.ts). A table's scan runs in exec/:
// one driver over an in-thread, worker-thread or Web Worker fitter.
export type { MixedOptions } from "./design.js";
export { SLOPE_ON_PSEUDOBULK, type MixedRow, type MixedTable } from "./rows.js";
export { didMixed, type DidMixedOptions, type DidMixedResult, type LongTable } from "./didMixed.js";
export { fitMixedTable, type Progress } from "../../exec/driver.js";
