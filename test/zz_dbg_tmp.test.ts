import { it } from "vitest";
import { fitLmm } from "../src/lmm.js";
import { readRef, num } from "./helpers/refs.js";
it("dbg", () => {
  const rows = readRef(`ref/basic.frame.csv`);
  const a = rows.map((r) => (r.arm === "Treated" ? 1 : 0)), t = rows.map((r) => (r.visit === "Post" ? 1 : 0));
  const X = [rows.map(() => 1), a, t, a.map((v, i) => v * t[i])];
  const g = rows.map((r) => r.participant_id);
  const y = rows.map((r) => num(r, "sig_demo"));
  for (const [A, c] of [[0.01, 1.541236609401161], [0.01, 0.45682542299414713], [1, 0], [100, 3]]) {
  const r0 = fitLmm({ y, X, groups: g }), r1 = fitLmm({ y: y.map((v) => A * v + c), X, groups: g });
  const rel = (x: number, y: number) => ((x - y) / y).toExponential(2);
  console.log(A, c, r1.beta.map((b, j) => rel((b - (j == 0 ? c : 0)) / A, r0.beta[j])), r1.se.map((s, j) => rel(s / A, r0.se[j])), rel(r1.scale / A / A, r0.scale), rel(r1.covRe[0][0] / A / A, r0.covRe[0][0]), rel(r1.optSummary.theta[0], r0.optSummary.theta[0]), r1.logLik + 44 * Math.log(A) - r0.logLik, r1.iterations, r0.iterations);
  }
});
