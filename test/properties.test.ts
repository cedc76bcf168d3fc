// Property-based tests (fast-check): the REML kernel through fitLmm (row order, group labels,
// affine equivariance in y, the variance boundary) and the .h5ad reader on randomly mutated
// fixture files (never a crash, never a hang: a clean read or the reader's error type).
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fitLmm, type LmmFit } from "../src/models/lmm.js";

// ---- data ------------------------------------------------------------------------------------

interface Data {
  y: number[];
  x: number[]; // a within-and-between covariate
  groups: string[];
  G: number;
}

/** G groups of 2..5 rows: y = 1 + 0.5 x + s_b u_g + e (every draw from fast-check). */
const dataArb = fc
  .record({
    sizes: fc.array(fc.integer({ min: 2, max: 5 }), { minLength: 4, maxLength: 9 }),
    sb: fc.double({ min: 0, max: 2, noNaN: true }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  .map(({ sizes, sb, seed }): Data => {
    let s = seed;
    const u01 = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    const normal = (): number => Math.sqrt(-2 * Math.log(u01())) * Math.cos(2 * Math.PI * u01());
    const y: number[] = [];
    const x: number[] = [];
    const groups: string[] = [];
    sizes.forEach((m, g) => {
      const u = normal();
      for (let j = 0; j < m; j++) {
        const xv = normal();
        x.push(xv);
        y.push(1 + 0.5 * xv + sb * u + normal());
        groups.push(`g${g}`);
      }
    });
    return { y, x, groups, G: sizes.length };
  });

function fit(d: { y: number[]; x: number[]; groups: (string | number)[] }): LmmFit {
  return fitLmm({ y: d.y, X: [d.y.map(() => 1), d.x], groups: d.groups });
}

/** |a - b| <= tol * max(1, |a|, |b|), elementwise. */
function close(a: number[], b: number[], tol: number): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(v), Math.abs(b[i])));
}

/** Two fits of the same model: same optimum (the variance to an absolute tolerance on the boundary). */
function sameFit(f: LmmFit, g: LmmFit, tol = 1e-6): void {
  expect(close(f.beta, g.beta, tol), `beta ${f.beta} vs ${g.beta}`).toBe(true);
  expect(close(f.se, g.se, 1e-5), `se ${f.se} vs ${g.se}`).toBe(true);
  expect(close([f.logLik], [g.logLik], 1e-8), `logLik ${f.logLik} vs ${g.logLik}`).toBe(true);
  expect(Math.abs(f.covRe[0][0] - g.covRe[0][0]) <= 1e-5 * (f.scale + f.covRe[0][0]), `var ${f.covRe[0][0]} vs ${g.covRe[0][0]}`).toBe(true);
  expect(close([f.scale], [g.scale], 1e-5)).toBe(true);
}

// ---- the kernel --------------------------------------------------------------------------------

describe("fitLmm properties", () => {
  it("is invariant to the order of the rows", () => {
    fc.assert(
      fc.property(dataArb, fc.integer({ min: 0, max: 2 ** 30 }), (d, k) => {
        const n = d.y.length;
        const perm = Array.from({ length: n }, (_, i) => i);
        let s = k + 1;
        for (let i = n - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) % 2147483648;
          const j = s % (i + 1);
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        const p = { y: perm.map((i) => d.y[i]), x: perm.map((i) => d.x[i]), groups: perm.map((i) => d.groups[i]) };
        sameFit(fit(d), fit(p));
      }),
      { numRuns: 40 },
    );
  });

  it("is invariant to the group labels (strings, numbers, any order)", () => {
    fc.assert(
      fc.property(dataArb, fc.uniqueArray(fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.integer()), { minLength: 9, maxLength: 9, selector: (v) => String(v) }), (d, labels) => {
        const relabelled = { ...d, groups: d.groups.map((g) => labels[Number(g.slice(1))]) };
        const f = fit(d);
        const g = fit(relabelled);
        sameFit(f, g);
        // the BLUPs follow their groups
        const blup = new Map(g.randomEffects.map((r) => [r.group, r.mean[0]]));
        for (const r of f.randomEffects) {
          const other = blup.get(String(labels[Number(r.group.slice(1))]))!;
          expect(Math.abs(other - r.mean[0])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(r.mean[0])));
        }
      }),
      { numRuns: 40 },
    );
  });

  it("is affine equivariant in y: y -> a y + c scales beta and se by a, variances by a^2", () => {
    fc.assert(
      fc.property(
        dataArb,
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.boolean(),
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        (d, mag, neg, c) => {
          const a = neg ? -mag : mag;
          const f = fit(d);
          const g = fit({ ...d, y: d.y.map((v) => a * v + c) });
          const tol = 1e-5;
          expect(close([g.beta[0]], [a * f.beta[0] + c], tol), `intercept ${g.beta[0]} vs ${a * f.beta[0] + c}`).toBe(true);
          expect(close([g.beta[1] / a], [f.beta[1]], tol), `slope ${g.beta[1] / a} vs ${f.beta[1]}`).toBe(true);
          expect(close(g.se.map((s) => s / Math.abs(a)), f.se, tol), `se ${g.se} / |a| vs ${f.se}`).toBe(true);
          expect(close([g.scale / (a * a)], [f.scale], tol), `scale ${g.scale / (a * a)} vs ${f.scale}`).toBe(true);
          const v0 = f.covRe[0][0];
          expect(Math.abs(g.covRe[0][0] / (a * a) - v0), `var ${g.covRe[0][0] / (a * a)} vs ${v0}`).toBeLessThanOrEqual(tol * (v0 + f.scale));
          expect(g.singular).toBe(f.singular);
          // REML: the log-likelihood moves by -(n - p) log|a|
          const n = d.y.length;
          expect(g.logLik).toBeCloseTo(f.logLik - (n - 2) * Math.log(Math.abs(a)), 5);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("shrinking the between-group signal drives the participant variance monotonically to exactly 0", () => {
    fc.assert(
      fc.property(dataArb, (d) => {
        // residuals centred within each group: with s = 0 the group means are identical, so the
        // REML optimum is the boundary; var_participant must fall monotonically to 0 and stay there.
        const idx = new Map<string, number[]>();
        d.groups.forEach((g, i) => (idx.get(g) ?? idx.set(g, []).get(g)!).push(i));
        const e = d.y.slice();
        const u: number[] = new Array(d.y.length).fill(0);
        for (const [, rows] of idx) {
          const m = rows.reduce((s, i) => s + d.y[i], 0) / rows.length;
          for (const i of rows) e[i] = d.y[i] - m;
          const ug = rows.length + (Number(rows[0]) % 3) - 1; // a between-group pattern
          for (const i of rows) u[i] = ug;
        }
        const scales = [2, 1, 0.5, 0.25, 0.1, 0.05, 0.02, 0.01, 0.001, 0];
        const vars: number[] = [];
        let sawZero = false;
        for (const s of scales) {
          const y = e.map((v, i) => 3 + s * u[i] + v);
          const f = fitLmm({ y, X: [y.map(() => 1)], groups: d.groups });
          const v = f.covRe[0][0];
          expect(v).toBeGreaterThanOrEqual(0);
          if (vars.length) expect(v, `var ${v} after ${vars.at(-1)} at s = ${s} (${vars})`).toBeLessThanOrEqual(vars.at(-1)! * (1 + 1e-6) + 1e-12);
          if (sawZero) expect(v, `var ${v} after an exact zero at s = ${s}`).toBe(0);
          if (v === 0) {
            sawZero = true;
            expect(f.singular).toBe(true);
          }
          vars.push(v);
        }
        expect(vars.at(-1), `s = 0 must give an exact boundary fit (${vars})`).toBe(0);
      }),
      { numRuns: 25 },
    );
  });
});

// ---- the reader on mutated files -----------------------------------------------------------------

const CHILD = fileURLToPath(new URL("./helpers/read-mutant.mjs", import.meta.url));
const DIST = fileURLToPath(new URL("../dist/io/h5ad/reader.js", import.meta.url));
const FIX = fileURLToPath(new URL("./fixtures/", import.meta.url));
const SOURCES = ["variants/encodings.h5ad", "hostile/mini.h5ad", "variants/basic_legacy07.h5ad", "variants/basic_csr.h5ad"];

const mutationArb = fc.record({
  source: fc.integer({ min: 0, max: SOURCES.length - 1 }),
  ops: fc.array(
    fc.record({
      kind: fc.constantFrom("zero", "flip", "random", "truncate"),
      at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
      len: fc.integer({ min: 1, max: 64 }),
      byte: fc.integer({ min: 1, max: 255 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});
type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

function mutate(src: Buffer, m: Mutation): Buffer {
  let b = Buffer.from(src);
  for (const op of m.ops) {
    const off = Math.floor(op.at * b.length);
    if (op.kind === "truncate") {
      b = b.subarray(0, Math.max(8, off));
      continue;
    }
    for (let i = off; i < Math.min(b.length, off + op.len); i++)
      b[i] = op.kind === "zero" ? 0 : op.kind === "flip" ? b[i] ^ op.byte : (b[i] * 31 + op.byte + i) & 255;
  }
  return b;
}

interface Outcome {
  i: number;
  ms: number;
  outcome: "ok" | "input-error" | "crash";
  name: string;
  message: string;
}

/** Read files in a child process (a WASM abort or a hang cannot take vitest down). */
function readInChild(files: string[]): Promise<{ code: number | null; signal: string | null; results: Outcome[]; started: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, ...files], {
      env: { ...process.env, TRIALMIX_H5_TIMEOUT_MS: "2000" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 5_000 * files.length + 10_000,
      killSignal: "SIGKILL",
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("close", (code, signal) => {
      const lines = out.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const results = lines.filter((l) => "outcome" in l) as Outcome[];
      const started = Math.max(-1, ...lines.filter((l) => "start" in l).map((l) => l.start as number));
      resolve({ code, signal, results, started, stderr: err });
    });
  });
}

describe("the reader on randomly mutated .h5ad files", () => {
  it("never crashes or hangs: a clean read or H5adError / TrialmixInputError, each within 5 s", async () => {
    expect(existsSync(DIST), "dist/ missing: run `npm run build` (npm test does)").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "trialmix-mutants-"));
    const sources = SOURCES.map((s) => readFileSync(FIX + s));
    const mutations = fc.sample(mutationArb, { numRuns: 64 });
    const files = mutations.map((m, k) => {
      const path = join(dir, `m${k}.h5ad`);
      writeFileSync(path, mutate(sources[m.source], m));
      return path;
    });
    const batches = [0, 1, 2, 3].map((b) => files.filter((_, k) => k % 4 === b));
    const runs = await Promise.all(batches.map(readInChild));
    const counts = { ok: 0, "input-error": 0 };
    runs.forEach((r, b) => {
      const describeFile = (i: number): string => {
        const k = i * 4 + b;
        return `${files[k]} = ${SOURCES[mutations[k].source]} with ${JSON.stringify(mutations[k].ops)}`;
      };
      expect(r.signal === null && r.code === 0, `child died (${r.signal ?? r.code}) reading ${describeFile(r.started)}: ${r.stderr.slice(0, 500)}`).toBe(true);
      expect(r.results).toHaveLength(batches[b].length);
      for (const o of r.results) {
        expect(o.outcome, `${describeFile(o.i)}: ${o.name}: ${o.message}`).not.toBe("crash");
        expect(o.ms, `${describeFile(o.i)} took ${o.ms} ms`).toBeLessThan(5_000);
        counts[o.outcome as "ok" | "input-error"]++;
      }
      expect(r.stderr, "nothing from HDF5 reaches stderr").toBe("");
    });
    expect(counts.ok + counts["input-error"]).toBe(64);
  }, 30_000);
});
