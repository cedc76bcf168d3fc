import { describe, it, expect } from "vitest";
import { symEigen } from "../../src/kernel/eigen.js";
import { responseBuffer } from "../../src/kernel/batch.js";
import type { BatchDesign } from "../../src/types.js";

/** The fixed-effects model's former plain-JS cyclic Jacobi (src/fixed.ts before the kernel's symEigen
 * replaced it), kept here as the oracle the kernel's must agree with. */
function jsSymEigen(S: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(S);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < k; i++) {
      diag += a[i * k + i] * a[i * k + i];
      for (let j = i + 1; j < k; j++) off += a[i * k + j] * a[i * k + j];
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q];
        if (apq === 0) continue;
        const theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) { const arp = a[r * k + p], arq = a[r * k + q]; a[r * k + p] = c * arp - s * arq; a[r * k + q] = s * arp + c * arq; }
        for (let r = 0; r < k; r++) { const apr = a[p * k + r], aqr = a[q * k + r]; a[p * k + r] = c * apr - s * aqr; a[q * k + r] = s * apr + c * aqr; }
        for (let r = 0; r < k; r++) { const vrp = v[r * k + p], vrq = v[r * k + q]; v[r * k + p] = c * vrp - s * vrq; v[r * k + q] = s * vrp + c * vrq; }
      }
    }
  }
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = a[i * k + i];
  return { values, vectors: v };
}

let seed = 4242;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;

/** Q D Q' with Q the Householder reflection I - 2 u u' / u'u: known eigenpairs (d_e, column e of Q). */
function known(d: number[]): { S: Float64Array; Q: Float64Array } {
  const k = d.length, u = d.map(() => rnd()), uu = u.reduce((s, x) => s + x * x, 0);
  const Q = new Float64Array(k * k), S = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) Q[i * k + j] = (i === j ? 1 : 0) - (2 * u[i] * u[j]) / uu;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) { let s = 0; for (let e = 0; e < k; e++) s += Q[i * k + e] * d[e] * Q[j * k + e]; S[i * k + j] = s; }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) S[j * k + i] = S[i * k + j]; // exactly symmetric
  return { S, Q };
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** max |V diag(values) V' - S| and max |V'V - I|. */
function residuals(S: Float64Array, k: number, r: { values: Float64Array; vectors: Float64Array }): { rec: number; orth: number } {
  let rec = 0, orth = 0;
  const V = r.vectors;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let s = 0, o = 0;
    for (let e = 0; e < k; e++) { s += V[i * k + e] * r.values[e] * V[j * k + e]; o += V[e * k + i] * V[e * k + j]; }
    rec = Math.max(rec, Math.abs(s - S[i * k + j]));
    orth = Math.max(orth, Math.abs(o - (i === j ? 1 : 0)));
  }
  return { rec, orth };
}

describe("symEigen (the kernel's cyclic Jacobi, the project's one eigen)", () => {
  it("finds known eigenpairs: a 2 x 2, a diagonal, and Q D Q' for k = 1..8 (values to 1e-13, vectors up to sign)", () => {
    const two = symEigen(Float64Array.from([2, 1, 1, 2]), 2);
    const order = Array.from(two.values).map((v, e) => ({ v, e })).sort((a, b) => a.v - b.v);
    expect(order[0].v).toBeCloseTo(1, 14);
    expect(order[1].v).toBeCloseTo(3, 14);
    const lo = order[0].e;
    expect(Math.abs(two.vectors[0 * 2 + lo] + two.vectors[1 * 2 + lo])).toBeLessThan(1e-15); // (1, -1) / sqrt(2)
    expect(Math.abs(Math.abs(two.vectors[lo]) - Math.SQRT1_2)).toBeLessThan(1e-15);
    const dg = symEigen(Float64Array.from([5, 0, 0, 0, -2, 0, 0, 0, 0]), 3);
    expect(Array.from(dg.values)).toEqual([5, -2, 0]);
    expect(Array.from(dg.vectors)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    for (let k = 1; k <= 8; k++) {
      const d = Array.from({ length: k }, (_, e) => (e + 1) * (e % 2 ? -1.5 : 2.25));
      const { S, Q } = known(d);
      const r = symEigen(S, k);
      for (let e = 0; e < k; e++) {
        // the computed pair whose value is d_e: its vector is +-(column e of Q)
        const f = Array.from(r.values).findIndex((v) => Math.abs(v - d[e]) <= 1e-13 * maxAbs(d));
        expect(f, `k=${k} value ${d[e]} in ${Array.from(r.values)}`).toBeGreaterThanOrEqual(0);
        const sign = Math.sign(r.vectors[f] * Q[e]) || Math.sign(r.vectors[k + f] * Q[k + e]) || 1;
        for (let i = 0; i < k; i++) expect(Math.abs(r.vectors[i * k + f] - sign * Q[i * k + e])).toBeLessThan(1e-13);
      }
    }
  });

  it("agrees with the former plain-JS Jacobi of the fixed-effects model: values and reconstructions to 1e-13", () => {
    for (let trial = 0; trial < 60; trial++) {
      const k = 1 + (trial % 10);
      const S = new Float64Array(k * k);
      if (trial % 3 === 2) {
        // positive semi-definite of rank k - 1 (a centred design's cross-products)
        const rows = k + 2, B = Array.from({ length: rows }, () => Array.from({ length: k }, () => rnd()));
        for (const b of B) { const m = b.reduce((s, x) => s + x, 0) / k; for (let j = 0; j < k; j++) b[j] -= m; }
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) S[i * k + j] = B.reduce((s, b) => s + b[i] * b[j], 0);
      } else for (let i = 0; i < k; i++) for (let j = 0; j <= i; j++) S[i * k + j] = S[j * k + i] = rnd() * (trial % 3 === 1 ? 1e6 : 1);
      const w = symEigen(S, k), js = jsSymEigen(S, k);
      const scale = Math.max(maxAbs(S), 1e-300);
      const wv = Array.from(w.values).sort((a, b) => a - b), jv = Array.from(js.values).sort((a, b) => a - b);
      for (let e = 0; e < k; e++) expect(Math.abs(wv[e] - jv[e]), `trial ${trial}`).toBeLessThanOrEqual(1e-13 * scale);
      const rw = residuals(S, k, w), rj = residuals(S, k, js);
      expect(rw.rec).toBeLessThanOrEqual(1e-13 * scale);
      expect(rj.rec).toBeLessThanOrEqual(1e-13 * scale);
      expect(rw.orth).toBeLessThanOrEqual(1e-13);
    }
  });

  it("leaves a responseBuffer view in place (its scratch is released above the batch's layout), and checks its input", () => {
    const n = 4;
    const design: BatchDesign = { n, p: 1, q: 1, X: new Float64Array(n).fill(1), Z: new Float64Array(n).fill(1), groups: Int32Array.from([0, 0, 1, 1]), G: 2 };
    const view = responseBuffer(design, 2);
    view.set([1, 2, 3, 4, 5, 6, 7, 8]);
    symEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(Array.from(view)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => symEigen(new Float64Array(3), 2)).toThrow(/expected k\*k/);
    expect(symEigen(new Float64Array(0), 0).values.length).toBe(0);
  });
});
