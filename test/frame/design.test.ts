import { describe, expect, it } from "vitest";
import { DESIGN_DEFAULTS, TrialDesign, makeDesign, resolveDesign } from "../../src/frame/design.js";
import { TrialmixInputError } from "../../src/errors.js";

describe("design defaults", () => {
  it("are participant_id / visit / arm / Treated / Control, applied to the unset fields only", () => {
    expect(DESIGN_DEFAULTS).toEqual({ participant: "participant_id", visit: "visit", arm: "arm", treated: "Treated", control: "Control" });
    expect(resolveDesign()).toEqual(DESIGN_DEFAULTS);
    expect(resolveDesign({ arm: "group", treated: "drug", celltype: "ct", crossover: "", baselineVisit: "V1" })).toEqual({
      ...DESIGN_DEFAULTS,
      arm: "group",
      treated: "drug",
      celltype: "ct",
      baselineVisit: "V1",
    });
  });
  it("TrialDesign and makeDesign are resolveDesign's fields", () => {
    const partial = { participant: "pid", control: "placebo", crossover: "x" };
    const d = new TrialDesign(partial);
    expect({ ...d }).toMatchObject(resolveDesign(partial));
    expect(d.celltype).toBeUndefined();
    expect(makeDesign(partial)).toEqual(d);
  });
  it("equal treated and control labels are an input error", () => {
    expect(() => resolveDesign({ treated: "A", control: "A" })).toThrow(TrialmixInputError);
    expect(() => makeDesign({ control: "Treated" })).toThrow(/treated and control labels are both 'Treated'/);
  });
});
