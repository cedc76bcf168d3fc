import { describe, it, expect } from "vitest";
import { fitBatch, getKernel, responseBuffer } from "../../src/kernel/index.js";
import { fitLmm } from "../../src/models/lmm.js";
import { FIT_STATUS, type BatchDesign } from "../../src/types.js";
import { readRef, num, relClose } from "../helpers/refs.js";

interface Frame { design: BatchDesign; features: string[]; Y: Float64Array; labels: string[]; lme4: Map<string, Record<string, string>>; sm: Map<string, Record<string, string>>; }

function loadFrame(name: string, covars: boolean, slope: boolean): Frame {
  const rows = readRef(`ref/${name}.frame.csv`);
  const lme4 = readRef(`ref/${name}.lme4.csv`);
  const sm = readRef(`ref/${name}.statsmodels.csv`);
  const n = rows.length;
  const p = covars ? 6 : 4;
  const q = slope ? 2 : 1;
  const X = new Float64Array(n * p);
  const Z = new Float64Array(n * q);
  const groups = new Int32Array(n);
  const labels: string[] = [];
  const idx = new Map<string, number>();
  rows.forEach((r, i) => {
    const a = r.arm === "Treated" ? 1 : 0;
    const t = r.visit === "Post" ? 1 : 0;
    X.set([1, a, t, a * t], i * p);
    if (covars) { X[i * p + 4] = num(r, "age"); X[i * p + 5] = r.sex === "M" ? 1 : 0; }
    Z[i * q] = 1;
    if (slope) Z[i * q + 1] = t;
    let g = idx.get(r.participant_id);
    if (g === undefined) { g = labels.length; idx.set(r.participant_id, g); labels.push(r.participant_id); }
    groups[i] = g;
  });
  const features = lme4.map((r) => r.feature).filter((f) => rows.every((r) => Number.isFinite(num(r, f))));
  const Y = new Float64Array(features.length * n);
  features.forEach((f, k) => rows.forEach((r, i) => (Y[k * n + i] = num(r, f))));
  return {
    design: { n, p, q, X, Z, groups, G: labels.length }, features, Y, labels,
    lme4: new Map(lme4.map((r) => [r.feature, r])), sm: new Map(sm.map((r) => [r.feature, r])),
  };
}

function checkFrame(name: string, covars: boolean, slope: boolean) {
  const F = loadFrame(name, covars, slope);
  const { p, q } = F.design;
  const t0 = performance.now();
  const fit = fitBatch(F.design, F.Y);
  const ms = performance.now() - t0;
  const bad: string[] = [];
  let nsing = 0;
  let lme4Short = 0;
  F.features.forEach((f, k) => {
    const L = F.lme4.get(f)!;
    const S = F.sm.get(f);
    expect(fit.status[k]).toBe(FIT_STATUS.ok);
    expect(fit.converged[k]).toBe(1);
    const b = fit.beta[k * p + 3], se = fit.se[k * p + 3], df = fit.df[k * p + 3];
    const vp = fit.covRe[k * q * q], vr = fit.scale[k], ll = fit.logLik[k];
    const llL = -num(L, "reml_criterion") / 2;
    const llS = S ? num(S, "llf") : -Infinity;
    const best = Math.max(llL, Number.isFinite(llS) ? llS : -Infinity);
    if (ll < best - 1e-8 * Math.abs(best)) bad.push(`${f}: logLik ${ll} < best ${best}`);
    // Where our REML criterion is strictly better than lme4's (lme4 stopped short of the optimum,
    // which happens on random-slope fits), its parameter values are not the optimum's: only logLik is compared.
    if (ll - llL > 5e-13 * Math.abs(llL)) { lme4Short++; return; }
    const singular = num(L, "var_participant") === 0 || L.singular === "TRUE";
    const tol = singular ? 1e-4 : 1e-5;
    if (singular) nsing++;
    if (num(L, "var_participant") === 0) {
      if (!(vp < 1e-6)) bad.push(`${f}: var ${vp} should be ~0`);
    } else if (!slope && !relClose(vp, num(L, "var_participant"), tol, 1e-6)) bad.push(`${f}: var_participant ${vp} vs ${num(L, "var_participant")}`);
    if (!relClose(b, num(L, "beta_DiD"), tol)) bad.push(`${f}: beta ${b} vs ${num(L, "beta_DiD")}`);
    if (!relClose(se, num(L, "se_DiD"), tol)) bad.push(`${f}: se ${se} vs ${num(L, "se_DiD")}`);
    if (!relClose(vr, num(L, "var_residual"), tol)) bad.push(`${f}: var_res ${vr} vs ${num(L, "var_residual")}`);
    if (!relClose(df, num(L, "df_satterthwaite"), 1e-4)) bad.push(`${f}: df ${df} vs ${num(L, "df_satterthwaite")}`);
    if (slope && !singular) {
      if (!relClose(fit.covRe[k * 4 + 3], num(L, "var_slope"), tol, 1e-6)) bad.push(`${f}: var_slope ${fit.covRe[k * 4 + 3]} vs ${num(L, "var_slope")}`);
      // the covariance is compared on the correlation scale (it is flat along that direction)
      const scaleC = Math.sqrt(num(L, "var_participant") * num(L, "var_slope"));
      if (Math.abs(fit.covRe[k * 4 + 1] - num(L, "cov_int_slope")) > tol * scaleC) bad.push(`${f}: cov ${fit.covRe[k * 4 + 1]} vs ${num(L, "cov_int_slope")}`);
      if (!relClose(vp, num(L, "var_participant"), tol, 1e-6)) bad.push(`${f}: var_participant ${vp} vs ${num(L, "var_participant")}`);
    }
  });
  console.log(`${name}: ${F.features.length} features, ${nsing} singular in lme4, batch ${ms.toFixed(1)} ms; lme4 short of optimum on ${lme4Short}; ${bad.length} mismatches\n` + bad.slice(0, 30).join("\n"));
  expect(bad).toEqual([]);
  expect(lme4Short).toBeLessThanOrEqual(slope ? 12 : 0);
  return { F, fit };
}

describe("batch vs lme4 references", () => {
  it("basic", () => { checkFrame("basic", false, false); });
  it("messy (+ age, sex)", () => { checkFrame("messy", true, false); });
  it("cells_slope (random slope)", () => { checkFrame("cells_slope", false, true); });
});

describe("batch mechanics", () => {
  const F = loadFrame("basic", false, false);
  const { n, p } = F.design;
  it("a non-finite feature gets status nonFinite and does not disturb the others", () => {
    const Y = F.Y.slice(0, 5 * n);
    const ref = fitBatch(F.design, Y);
    Y[2 * n + 7] = NaN;
    Y[3 * n + 1] = Infinity;
    const fit = fitBatch(F.design, Y);
    expect(Array.from(fit.status)).toEqual([0, 0, FIT_STATUS.nonFinite, FIT_STATUS.nonFinite, 0]);
    expect(Number.isNaN(fit.beta[2 * p])).toBe(true);
    for (const k of [0, 1, 4]) {
      expect(fit.beta.subarray(k * p, k * p + p)).toEqual(ref.beta.subarray(k * p, k * p + p));
      expect(fit.logLik[k]).toBe(ref.logLik[k]);
      expect(fit.df[k * p + 3]).toBe(ref.df[k * p + 3]);
    }
  });
  it("zero-copy responses: a responseBuffer view is read in place, fits as a copied array does, and survives repeated calls", () => {
    const m = F.Y.length / n;
    const ref = fitBatch(F.design, F.Y);
    const view = responseBuffer(F.design, m);
    expect(view.buffer).toBe(getKernel().memory.buffer); // the kernel's own memory
    view.set(F.Y);
    for (let r = 0; r < 3; r++) {
      const fit = fitBatch(F.design, view);
      expect(fit.beta).toEqual(ref.beta);
      expect(fit.se).toEqual(ref.se);
      expect(fit.logLik).toEqual(ref.logLik);
      expect(Array.from(view)).toEqual(Array.from(F.Y)); // the kernel does not write over its input
    }
    // a view of fewer features sits at the same place: fitting its first features equals the batch's
    const part = responseBuffer(F.design, 4);
    part.set(F.Y.subarray(0, 4 * n));
    expect(fitBatch(F.design, part).beta).toEqual(ref.beta.subarray(0, 4 * p));
  });
  it("a rank-deficient design flags every feature", () => {
    const X = F.design.X.slice();
    for (let i = 0; i < n; i++) X[i * p + 3] = X[i * p + 1]; // duplicate column
    const fit = fitBatch({ ...F.design, X }, F.Y.slice(0, 3 * n));
    expect(Array.from(fit.status)).toEqual([2, 2, 2]);
  });
  it("results do not depend on batch composition (no warm start) and memory stays bounded", () => {
    const all = fitBatch(F.design, F.Y);
    const k = 17;
    const one = fitBatch(F.design, F.Y.slice(k * n, (k + 1) * n));
    expect(one.beta).toEqual(all.beta.subarray(k * p, (k + 1) * p));
    expect(one.theta[0]).toBe(all.theta[k]);
    const mem = getKernel().memory;
    const size = mem.buffer.byteLength;
    for (let r = 0; r < 30; r++) fitBatch(F.design, F.Y);
    expect(mem.buffer.byteLength).toBe(size);
    expect(getKernel().heapTop()).toBeLessThan(65536 * 2);
  });
  it("ML fits: NaN df, logLik >= REML-optimum's ML criterion", () => {
    const ml = fitBatch(F.design, F.Y.slice(0, 10 * n), { reml: false });
    expect(Number.isNaN(ml.df[3])).toBe(true);
    for (let k = 0; k < 10; k++) expect(ml.scale[k]).toBeGreaterThan(0);
  });
  it("input shape errors", () => {
    expect(() => fitBatch(F.design, new Float64Array(n + 1))).toThrow(/multiple of n/);
    expect(() => fitBatch({ ...F.design, groups: new Int32Array(n).fill(99) }, F.Y)).toThrow(/outside 0..G-1/);
  });
});

describe("random slope (q = 2) optimiser", () => {
  const F = loadFrame("cells_slope", false, true);
  const { n, p, q } = F.design;
  it("few criterion evaluations per fit; a feature fitted alone equals the same feature in a batch", () => {
    const all = fitBatch(F.design, F.Y);
    const m = all.m;
    const mean = all.iterations.reduce((s, v) => s + v, 0) / m;
    expect(mean).toBeLessThan(80); // was ~330 with finite-difference Newton
    for (const k of [0, 7, m - 1]) {
      const one = fitBatch(F.design, F.Y.slice(k * n, (k + 1) * n));
      expect(one.beta).toEqual(all.beta.subarray(k * p, (k + 1) * p));
      expect(Array.from(one.theta)).toEqual(Array.from(all.theta.subarray(k * 3, (k + 1) * 3)));
      expect(one.df[3]).toBe(all.df[k * p + 3]);
      expect(one.iterations[0]).toBe(all.iterations[k]);
    }
  });
  it("degenerate features end quickly with a status or flag", () => {
    const { X, Z, groups } = F.design;
    const ys: Float64Array[] = [
      Float64Array.from({ length: n }, (_, i) => (i === 5 ? 1 : 0)), // all zero but one
      Float64Array.from({ length: n }, (_, i) => (i === 5 || i === 400 ? 1 : 0)), // two non-zero values
      Float64Array.from({ length: n }, (_, i) => 2 * X[i * p + 1] - X[i * p + 2]), // fitted exactly by X
      Float64Array.from({ length: n }, (_, i) => groups[i] * Z[i * q + 1]), // exactly by X and Z (no maximum)
      Float64Array.from({ length: n }, (_, i) => (groups[i] === 3 ? 1 : 0)), // one participant only
    ];
    const Y = new Float64Array(ys.length * n);
    ys.forEach((y, k) => Y.set(y, k * n));
    const fit = fitBatch(F.design, Y);
    expect(Array.from(fit.status)).toEqual([FIT_STATUS.ok, FIT_STATUS.ok, FIT_STATUS.failed, FIT_STATUS.failed, FIT_STATUS.failed]);
    for (let k = 0; k < ys.length; k++) expect(fit.iterations[k]).toBeLessThan(100);
    for (const k of [0, 1]) { expect(fit.converged[k]).toBe(1); expect(Number.isFinite(fit.logLik[k])).toBe(true); }
  });
});

describe("responses near the ends of the double range", () => {
  const groups = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
  const base = [1.2, 0.7, 2.1, 1.9, -0.3, 0.4, 0.9, 1.5, 2.2, 1.1, -0.8, -0.1];
  const X = base.map(() => [1]);
  const ref = fitLmm({ y: base, X, groups });

  it("scales exactly: y near 1e+-200 and 1e+-300 give the unit fit times the scale", () => {
    for (const s of [1e-300, 1e-200, 1e200, 1e300]) {
      const f = fitLmm({ y: base.map((v) => v * s), X, groups });
      expect(f.converged).toBe(true);
      expect(relClose(f.beta[0] / s, ref.beta[0], 1e-12)).toBe(true);
      expect(relClose(f.se[0] / s, ref.se[0], 1e-12)).toBe(true);
      // logLik moves by the Jacobian of y -> s y: (n - p) log s for REML
      expect(relClose(f.logLik + 11 * Math.log(s), ref.logLik, 1e-12)).toBe(true);
      if (Math.abs(Math.log10(s)) <= 150) expect(relClose(f.scale / s / s, ref.scale, 1e-12)).toBe(true);
    }
  });

  it("a constant response is an exact fit: an error from fitLmm, status failed in a batch", () => {
    expect(() => fitLmm({ y: base.map(() => 3), X, groups })).toThrow(/fitted exactly/);
    const design: BatchDesign = { n: 12, p: 1, q: 1, X: new Float64Array(12).fill(1), Z: new Float64Array(12).fill(1), groups: Int32Array.from(groups), G: 6 };
    const fit = fitBatch(design, Float64Array.from([...base.map(() => 3), ...base]));
    expect(Array.from(fit.status)).toEqual([FIT_STATUS.failed, FIT_STATUS.ok]);
  });
});

describe("the kernel's memory", () => {
  it("allocates nothing outside its arena: no array literal or `new` in assembly/ (the stub runtime would hand out the arena's memory)", async () => {
    const { readdirSync, readFileSync, statSync } = await import("node:fs");
    const { join } = await import("node:path");
    const root = new URL("../../assembly/", import.meta.url).pathname;
    const files: string[] = [];
    const walk = (d: string) => readdirSync(d).forEach((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : files.push(join(d, f))));
    walk(root);
    for (const f of files) {
      const code = readFileSync(f, "utf8").replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
      expect(code, f).not.toMatch(/\bnew\s+[A-Z]/);
      expect(code, f).not.toMatch(/=\s*\[/);
    }
  });

  it("survives many batches whose fits restart the optimiser (regression: a literal leaked per call until out of bounds)", async () => {
    const { makeDidCase } = await import("../../bench/cases.mjs");
    const { design, Y } = makeDidCase({ participants: 16, cellsPerVisit: 20, slope: true, features: 500, seed: 5 });
    const first = fitBatch(design, Y);
    for (let r = 0; r < 70; r++) fitBatch(design, Y);
    const last = fitBatch(design, Y);
    expect(Array.from(last.logLik)).toEqual(Array.from(first.logLik));
    expect(Array.from(last.beta)).toEqual(Array.from(first.beta));
  }, 120_000);
});

describe("random intercept: a response fitted exactly by X and the participants' own means", () => {
  it("has no REML maximum (the variance ratio runs to infinity): status failed at once, not a fit at theta ~ 64", async () => {
    const { makeDidCase } = await import("../../bench/cases.mjs");
    const { design } = makeDidCase({ participants: 24, features: 1, seed: 9 });
    const n = design.n;
    // participant 0 at 1 on both visits, everyone else 0: a participant offset, no within-participant residual
    const y = new Float64Array(n).map((_, i) => (i < 2 ? 1 : 0));
    const ok = new Float64Array(n).map((_, i) => (i === 0 ? 1 : 0)); // one value: residual left, a real fit
    const fit = fitBatch(design, Float64Array.from([...y, ...ok]));
    expect(Array.from(fit.status)).toEqual([FIT_STATUS.failed, FIT_STATUS.ok]);
    expect(fit.iterations[0]).toBe(0);
  });
});
