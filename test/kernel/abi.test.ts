import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Field, Status, Reason } from "../../src/kernel/abi.js";
import { OUTPUTS, outputLength } from "../../src/kernel/outputs.js";
import { fitBatch, fitBatchFull, fitBuffers, responseBuffer } from "../../src/kernel/batch.js";
import { getKernel } from "../../src/kernel/load.js";
import { kernelTolerances } from "../../src/kernel/control.js";
import { reasonText, FIT_STATUS } from "../../src/kernel/reasons.js";
import type { BatchDesign } from "../../src/types.js";

const assembly = new URL("../../assembly/", import.meta.url).pathname;
const source = (f: string) => readFileSync(f, "utf8").replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
function assemblyFiles(): string[] {
  const files: string[] = [];
  const walk = (d: string) => readdirSync(d).forEach((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : files.push(join(d, f))));
  walk(assembly);
  return files;
}

// a small design: 6 groups x 2 rows, an intercept; features: ordinary, non-finite, constant, ordinary
const n = 12;
const design: BatchDesign = { n, p: 1, q: 1, X: new Float64Array(n).fill(1), Z: new Float64Array(n).fill(1), groups: Int32Array.from({ length: n }, (_, i) => i >> 1), G: 6 };
const y = [0.3, 1.1, -0.4, 0.2, 1.7, 2.1, -1.0, -0.2, 0.5, 0.9, 1.3, 0.4];
const Y = Float64Array.from([...y, ...y.map((v, i) => (i === 3 ? NaN : v)), ...y.map(() => 3), ...y.map((v) => 2 * v - 1)]);

describe("the kernel's header and output table", () => {
  it("the table has one row per output slot of the header, each slot once", () => {
    const fields = Object.values(OUTPUTS).map((o) => o.field).sort((a, b) => a - b);
    const slots = Array.from({ length: Field.COUNT - Field.BETA }, (_, i) => Field.BETA + i);
    expect(fields).toEqual(slots);
  });

  it("a batch fit has every required output of the table (m x its length), the optional ones only as extras", () => {
    const fit = fitBatchFull(design, Y, {}, true);
    const dims = { m: 4, p: 1, q: 1, G: 6, nth: 1 };
    for (const [name, o] of Object.entries(OUTPUTS)) {
      const arr = "optional" in o ? fit.extras![name as keyof typeof fit.extras] : fit[name as keyof typeof fit];
      expect(arr, name).toBeInstanceOf(o.elem === "f64" ? Float64Array : o.elem === "i32" ? Int32Array : Uint8Array);
      expect((arr as ArrayLike<number>).length, name).toBe(outputLength(o, dims));
    }
    expect(Object.keys(fitBatch(design, Y)).sort()).toEqual(["m", "p", "q", ...Object.entries(OUTPUTS).filter(([, o]) => !("optional" in o)).map(([k]) => k)].sort());
  });

  it("a responseBuffer view stays attached through the fit: the layout's memory is grown when the view is made, outputs included", () => {
    const m = 200_000;
    const grown = getKernel().memory.buffer.byteLength;
    const many = new Float64Array(m * n);
    for (let f = 0; f < m; f++) many.set(Y.subarray((f % 4) * n, (f % 4 + 1) * n), f * n);
    const view = responseBuffer(design, m);
    expect(view.buffer.byteLength).toBeGreaterThan(grown); // this batch needs more memory than any before
    view.set(many);
    const fit = fitBatch(design, view);
    expect(view.length).toBe(m * n); // not detached by a growth during the fit's layout
    expect(Array.from(fit.beta.subarray(0, 8))).toEqual(Array.from(fitBatch(design, Y).beta).concat(Array.from(fitBatch(design, Y).beta)));
    expect(fit.status[m - 1]).toBe(Status.OK);
  });

  it("fitBuffers transfers every required output array of the table", () => {
    const fit = fitBatch(design, Y);
    const buffers = fitBuffers(fit);
    const required = Object.entries(OUTPUTS).filter(([, o]) => !("optional" in o));
    expect(buffers.length).toBe(required.length);
    for (const [name] of required) expect(buffers, name).toContain((fit[name as keyof typeof fit] as ArrayBufferView).buffer);
  });

  it("the one failure path: a failed feature has NaN in every output (the optional ones too), its status and reason", () => {
    const fit = fitBatchFull(design, Y, {}, true);
    expect(Array.from(fit.status)).toEqual([Status.OK, Status.NONFINITE, Status.FAILED, Status.OK]);
    expect(Array.from(fit.reason)).toEqual([Reason.NONE, Reason.NONE, Reason.EXACT_BY_X, Reason.NONE]);
    const ex = fit.extras!;
    for (const f of [1, 2]) {
      for (const a of [fit.beta, fit.se, fit.df, fit.covRe, fit.scale, fit.logLik, fit.theta, fit.gradient, ex.vcov, ex.objective]) expect(Number.isNaN(a[f])).toBe(true);
      for (let g = 0; g < 6; g++) { expect(Number.isNaN(ex.ranef[f * 6 + g])).toBe(true); expect(Number.isNaN(ex.condVar[f * 6 + g])).toBe(true); }
      expect(fit.converged[f]).toBe(0);
      expect(fit.iterations[f]).toBe(0);
    }
    for (const f of [0, 3]) expect(Number.isFinite(ex.ranef[f * 6])).toBe(true);
  });

  it("status and reason codes: one definition (abi.ts), FIT_STATUS and reasonText read it", () => {
    expect(FIT_STATUS).toEqual({ ok: Status.OK, nonFinite: Status.NONFINITE, rankDeficient: Status.RANKDEF, failed: Status.FAILED });
    expect(new Set(Object.values(FIT_STATUS)).size).toBe(4);
    for (let r = Reason.NONE; r <= Reason.EVAL_FAILED; r++) expect(reasonText(r) === "").toBe(r === Reason.NONE);
    expect(reasonText(99)).toBe("kernel reason 99");
    // the kernel has no copy of its own: no numbered STATUS_/REASON_ constants in assembly/
    for (const f of assemblyFiles()) expect(source(f), f).not.toMatch(/\b(STATUS|REASON)_[A-Z_]+\s*:\s*i32\s*=/);
  });
});

describe("the kernel's tolerances", () => {
  const decl = /export const ([A-Z0-9_]+): (?:f64|i32) = ([^;]+);/g;
  const tolFile = readFileSync(join(assembly, "tolerances.ts"), "utf8");
  const declared = new Map([...tolFile.matchAll(decl)].map((m) => [m[1], Number(m[2])]));

  it("kernelTolerances() reports exactly the constants of assembly/tolerances.ts, with their values", () => {
    expect(declared.size).toBeGreaterThan(30);
    expect(kernelTolerances()).toEqual(Object.fromEntries(declared));
  });

  it("every one of them is used by the kernel", () => {
    const code = assemblyFiles().filter((f) => !f.endsWith("tolerances.ts")).map(source).join("\n");
    for (const name of declared.keys()) expect(code, name).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it("no unnamed tolerance in assembly/: a literal in exponent notation only as a named constant's value", () => {
    for (const f of assemblyFiles()) {
      source(f).split("\n").forEach((line, i) => {
        if (/\d(\.\d+)?e[-+]?\d/.test(line)) expect(line, `${f}:${i + 1}`).toMatch(/^\s*(export )?const [A-Z0-9_]+: f64 = [-+0-9.e]+;\s*$/);
      });
    }
  });
});
