// Plain-JS reference implementation of the kernel's random-intercept (q = 1) algorithm, for benchmarking:
// design cross-products once, groups pooled by size, exact boundary test at theta = 0, grid + Brent,
// analytic Satterthwaite df. Same maths as assembly/{reml,optim,batch}.ts, no WASM.

function cholInPlace(a, p) {
  for (let j = 0; j < p; j++) {
    let s = a[j * p + j];
    const orig = s;
    for (let k = 0; k < j; k++) s -= a[j * p + k] ** 2;
    if (!(s > 1e-12 * orig)) return false;
    const d = Math.sqrt(s);
    a[j * p + j] = d;
    for (let i = j + 1; i < p; i++) {
      let t = a[i * p + j];
      for (let k = 0; k < j; k++) t -= a[i * p + k] * a[j * p + k];
      a[i * p + j] = t / d;
    }
  }
  return true;
}
function cholInverse(L, p, out, w) {
  for (let j = 0; j < p; j++) {
    for (let i = 0; i < p; i++) w[i * p + j] = i === j ? 1 : 0;
    for (let i = j; i < p; i++) {
      let t = w[i * p + j];
      for (let k = j; k < i; k++) t -= L[i * p + k] * w[k * p + j];
      w[i * p + j] = t / L[i * p + i];
    }
  }
  for (let i = 0; i < p; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = i; k < p; k++) s += w[k * p + i] * w[k * p + j];
    out[i * p + j] = s; out[j * p + i] = s;
  }
}

/** design = { n, p, X (n x p row-major), groups (Int32Array), G }, Z = 1. Y feature-major. */
export function fitRiBatch(design, Y, reml = true) {
  const { n, p, X, groups, G } = design;
  const m = Y.length / n;
  const XtX = new Float64Array(p * p), ZtX = new Float64Array(G * p), nz = new Float64Array(G);
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    nz[g] += 1;
    for (let a = 0; a < p; a++) {
      ZtX[g * p + a] += X[i * p + a];
      for (let b = 0; b < p; b++) XtX[a * p + b] += X[i * p + a] * X[i * p + b];
    }
  }
  const sizes = [...new Set(nz)];
  const K = sizes.length, pool = Int32Array.from(nz, (z) => sizes.indexOf(z));
  const cnt = new Float64Array(K), S = new Float64Array(K * p * p), Ssum = new Float64Array(p * p);
  let sumZ = 0;
  for (let g = 0; g < G; g++) {
    const k = pool[g]; cnt[k]++; sumZ += nz[g];
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) { const v = ZtX[g * p + a] * ZtX[g * p + b]; S[(k * p + a) * p + b] += v; Ssum[a * p + b] += v; }
  }
  const Xty = new Float64Array(p), Zty = new Float64Array(G), V = new Float64Array(K * p), W = new Float64Array(K);
  const A = new Float64Array(p * p), r = new Float64Array(p), beta = new Float64Array(p), Ainv = new Float64Array(p * p), wk = new Float64Array(p * p);
  let yty = 0, ldL = 0, ldRX = 0, pwrss = 0, ok = true;
  const dfr = reml ? n - p : n;
  function evaluate(theta) {
    const t = theta * theta;
    A.set(XtX); r.set(Xty);
    let s = yty, l = 0;
    for (let k = 0; k < K; k++) {
      const z = sizes[k], c = t / (1 + z * t);
      l += cnt[k] * Math.log1p(z * t);
      for (let i = 0; i < p * p; i++) A[i] -= c * S[k * p * p + i];
      for (let j = 0; j < p; j++) r[j] -= c * V[k * p + j];
      s -= c * W[k];
    }
    ldL = l;
    ok = cholInPlace(A, p);
    if (!ok) return Infinity;
    let prod = 1;
    for (let j = 0; j < p; j++) prod *= A[j * p + j];
    ldRX = 2 * Math.log(prod);
    for (let i = 0; i < p; i++) { let v = r[i]; for (let k = 0; k < i; k++) v -= A[i * p + k] * beta[k]; beta[i] = v / A[i * p + i]; }
    let zz = 0;
    for (let i = 0; i < p; i++) zz += beta[i] * beta[i];
    for (let i = p - 1; i >= 0; i--) { let v = beta[i]; for (let k = i + 1; k < p; k++) v -= A[k * p + i] * beta[k]; beta[i] = v / A[i * p + i]; }
    pwrss = Math.max(s - zz, 1e-300);
    return reml ? ldL + ldRX + dfr * (1 + Math.log((2 * Math.PI * pwrss) / dfr)) : ldL + n * (1 + Math.log((2 * Math.PI * pwrss) / n));
  }
  function brent(ax, bx, tol) {
    const c = 0.5 * (3 - Math.sqrt(5)), eps = Math.sqrt(2.220446e-16);
    let a = ax, b = bx, v = a + c * (b - a), w = v, x = v, d = 0, e = 0;
    let fx = evaluate(x), fv = fx, fw = fx;
    const tol3 = tol / 3;
    for (let it = 0; it < 200; it++) {
      const xm = (a + b) / 2, tol1 = eps * Math.abs(x) + tol3, t2 = 2 * tol1;
      if (Math.abs(x - xm) <= t2 - (b - a) / 2) break;
      let pp = 0, qq = 0, rr = 0, u;
      if (Math.abs(e) > tol1) {
        rr = (x - w) * (fx - fv); qq = (x - v) * (fx - fw); pp = (x - v) * qq - (x - w) * rr; qq = 2 * (qq - rr);
        if (qq > 0) pp = -pp; else qq = -qq;
        rr = e; e = d;
      }
      if (Math.abs(pp) >= Math.abs(qq * 0.5 * rr) || pp <= qq * (a - x) || pp >= qq * (b - x)) { e = x < xm ? b - x : a - x; d = c * e; }
      else { d = pp / qq; u = x + d; if (u - a < t2 || b - u < t2) d = x >= xm ? -tol1 : tol1; }
      u = Math.abs(d) >= tol1 ? x + d : d > 0 ? x + tol1 : x - tol1;
      const fu = evaluate(u);
      if (fu <= fx) { if (u < x) b = x; else a = x; v = w; w = x; x = u; fv = fw; fw = fx; fx = fu; }
      else { if (u < x) a = u; else b = u; if (fu <= fw || w === x) { v = w; fv = fw; w = u; fw = fu; } else if (fu <= fv || v === x || v === w) { v = u; fv = fu; } }
    }
    return x;
  }
  function optimise() {
    const f0 = evaluate(0);
    let dP = 0;
    for (let g = 0; g < G; g++) { let e = Zty[g]; for (let j = 0; j < p; j++) e -= ZtX[g * p + j] * beta[j]; dP -= e * e; }
    let slope = sumZ + (dfr * dP) / pwrss;
    if (reml) { cholInverse(A, p, Ainv, wk); for (let i = 0; i < p * p; i++) slope -= Ainv[i] * Ssum[i]; }
    if (slope >= 0) return 0;
    let best = 0, fbest = f0, prev = 0, next = 0, found = false, last = 0, t = 1 / 16;
    for (let k = 0; k < 16; k++) {
      const ft = evaluate(t);
      if (ft < fbest) { fbest = ft; prev = last; best = t; found = true; next = 4 * t; }
      else if (found) { next = t; if (t >= 16) break; }
      if (t >= 16 && found && ft >= fbest) break;
      last = t; t *= 4; if (t > 1e6) break;
    }
    if (!found) {
      next = 1 / 16; t = 1 / 64;
      for (let k = 0; k < 12; k++) { const ft = evaluate(t); if (ft < fbest) { fbest = ft; best = t; found = true; break; } next = t; t /= 4; }
      prev = 0;
    }
    const x = brent(prev, next, 1e-13);
    const fx = evaluate(x);
    if (fx > fbest) return best;
    if (fx > f0) return 0;
    return x;
  }
  const out = { beta: new Float64Array(m * p), se: new Float64Array(m * p), df: new Float64Array(m * p), theta: new Float64Array(m), scale: new Float64Array(m), logLik: new Float64Array(m) };
  const A1 = new Float64Array(p * p), A2 = new Float64Array(p * p), M1 = new Float64Array(p * p), r1 = new Float64Array(p), r2 = new Float64Array(p), bp = new Float64Array(p), tmp = new Float64Array(p);
  for (let f = 0; f < m; f++) {
    const o = f * n;
    yty = 0; Xty.fill(0); Zty.fill(0); V.fill(0); W.fill(0);
    for (let i = 0; i < n; i++) {
      const yi = Y[o + i];
      yty += yi * yi;
      for (let j = 0; j < p; j++) Xty[j] += X[i * p + j] * yi;
      Zty[groups[i]] += yi;
    }
    for (let g = 0; g < G; g++) { const k = pool[g], zy = Zty[g]; W[k] += zy * zy; for (let j = 0; j < p; j++) V[k * p + j] += ZtX[g * p + j] * zy; }
    const theta = optimise();
    const crit = evaluate(theta);
    const s2 = pwrss / dfr;
    cholInverse(A, p, Ainv, wk);
    for (let j = 0; j < p; j++) { out.beta[f * p + j] = beta[j]; out.se[f * p + j] = Math.sqrt(s2 * Ainv[j * p + j]); }
    out.theta[f] = theta; out.scale[f] = s2; out.logLik[f] = -crit / 2;
    // Satterthwaite (analytic derivatives in t = theta^2, chain rule to theta)
    const sig = Math.sqrt(s2), P0 = pwrss;
    if (!reml) { for (let j = 0; j < p; j++) out.df[f * p + j] = NaN; continue; }
    if (theta === 0) { for (let j = 0; j < p; j++) out.df[f * p + j] = n - p; continue; }
    const t = theta * theta;
    A1.fill(0); A2.fill(0); r1.fill(0); r2.fill(0);
    let s1 = 0, s2d = 0, L1 = 0, L2 = 0;
    for (let k = 0; k < K; k++) {
      const z = sizes[k], u = 1 + z * t, c1 = 1 / (u * u), c2 = (-2 * z) / (u * u * u);
      L1 += (cnt[k] * z) / u; L2 -= (cnt[k] * z * z) / (u * u);
      for (let i = 0; i < p * p; i++) { A1[i] -= c1 * S[k * p * p + i]; A2[i] -= c2 * S[k * p * p + i]; }
      for (let j = 0; j < p; j++) { r1[j] -= c1 * V[k * p + j]; r2[j] -= c2 * V[k * p + j]; }
      s1 -= c1 * W[k]; s2d -= c2 * W[k];
    }
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) { let a = 0; for (let k = 0; k < p; k++) a += Ainv[i * p + k] * A1[k * p + j]; M1[i * p + j] = a; }
    let tr1 = 0, tr2 = 0, trMM = 0;
    for (let i = 0; i < p; i++) { tr1 += M1[i * p + i]; for (let k = 0; k < p; k++) { tr2 += Ainv[i * p + k] * A2[k * p + i]; trMM += M1[i * p + k] * M1[k * p + i]; } }
    for (let i = 0; i < p; i++) { let a = r1[i]; for (let k = 0; k < p; k++) a -= A1[i * p + k] * beta[k]; tmp[i] = a; }
    for (let i = 0; i < p; i++) { let a = 0; for (let k = 0; k < p; k++) a += Ainv[i * p + k] * tmp[k]; bp[i] = a; }
    let r1b = 0, r2b = 0, bA1b = 0, bA2b = 0, r1bp = 0, bpA1b = 0;
    for (let i = 0; i < p; i++) {
      r1b += r1[i] * beta[i]; r2b += r2[i] * beta[i]; r1bp += r1[i] * bp[i];
      for (let k = 0; k < p; k++) { bA1b += beta[i] * A1[i * p + k] * beta[k]; bA2b += beta[i] * A2[i * p + k] * beta[k]; bpA1b += bp[i] * A1[i * p + k] * beta[k]; }
    }
    const Pt = s1 - 2 * r1b + bA1b, Ptt = s2d - 2 * r2b - 2 * r1bp + 2 * bpA1b + bA2b;
    const Ft = L1 + tr1, Ftt = L2 + tr2 - trMM;
    const dF2 = 2 * Ft + 4 * t * Ftt, dP = 2 * theta * Pt, dP2 = 2 * Pt + 4 * t * Ptt;
    const h11 = dF2 + dP2 / s2, h21 = (-2 * dP) / (s2 * sig), h22 = (-2 * dfr) / s2 + (6 * P0) / (s2 * s2);
    const det = h11 * h22 - h21 * h21;
    for (let j = 0; j < p; j++) {
      let a = 0;
      for (let k = 0; k < p; k++) a += M1[j * p + k] * Ainv[k * p + j];
      const g1 = s2 * -2 * theta * a, g2 = 2 * sig * Ainv[j * p + j], C = s2 * Ainv[j * p + j];
      const gHg = (g1 * g1 * h22 - 2 * g1 * g2 * h21 + g2 * g2 * h11) / det;
      out.df[f * p + j] = (C * C) / gHg;
    }
  }
  return out;
}
