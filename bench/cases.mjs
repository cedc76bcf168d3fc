// Synthetic DiD designs for the benchmarks: participants alternate arms, two visits, optional cells per visit.
export function rng(seed) {
  let s = seed >>> 0 || 1;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return { u, gauss };
}

/** Design (X = [1, arm, post, arm:post], Z = [1] or [1, post]) and m responses, plus the frame as CSV. */
export function makeDidCase({ participants, cellsPerVisit = 1, slope = false, features, seed = 1 }) {
  const { gauss } = rng(seed);
  const P = participants, c = cellsPerVisit, n = P * 2 * c, p = 4, q = slope ? 2 : 1;
  const X = new Float64Array(n * p), Z = new Float64Array(n * q), groups = new Int32Array(n);
  const pid = [], visit = [], arm = [];
  let r = 0;
  for (let i = 0; i < P; i++)
    for (let v = 0; v < 2; v++)
      for (let k = 0; k < c; k++, r++) {
        const a = i % 2;
        X.set([1, a, v, a * v], r * p);
        Z[r * q] = 1;
        if (slope) Z[r * q + 1] = v;
        groups[r] = i;
        pid.push(`P${String(i).padStart(4, "0")}`);
        visit.push(v ? "Post" : "Pre");
        arm.push(a ? "Treated" : "Control");
      }
  const Y = new Float64Array(features * n);
  for (let f = 0; f < features; f++) {
    const sdU = f % 5 === 0 ? 0 : Math.abs(gauss()) * 0.7; // every fifth feature: no participant variance
    const sdV = slope ? Math.abs(gauss()) * 0.4 : 0;
    const did = f % 4 === 0 ? 0.5 : 0;
    const u = Array.from({ length: P }, () => sdU * gauss());
    const w = Array.from({ length: P }, () => sdV * gauss());
    for (let row = 0; row < n; row++) {
      const i = groups[row], a = X[row * p + 1], v = X[row * p + 2];
      Y[f * n + row] = u[i] + w[i] * v + 0.2 * v + did * a * v + gauss();
    }
  }
  // the frame as CSV, made on demand (a 20,000-feature frame is too long for one string)
  const frameCsv = () => {
    const names = Array.from({ length: features }, (_, f) => `f${f}`);
    const lines = [["participant_id", "visit", "arm", ...names].join(",")];
    for (let row = 0; row < n; row++) {
      const vals = names.map((_, f) => Y[f * n + row].toPrecision(17));
      lines.push([pid[row], visit[row], arm[row], ...vals].join(","));
    }
    return lines.join("\n") + "\n";
  };
  return { design: { n, p, q, X, Z, groups, G: P }, Y, frameCsv };
}
