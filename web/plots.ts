// SVG plots as self-contained strings (inline styles, so a downloaded .svg looks the same):
// volcano (beta vs -log10 p, FDR 0.05 line), forest (top features with 95% CIs) and the
// fixed-vs-mixed scatter. Each point carries data-feature/data-tip for the page's tooltip.

export interface VolcanoPoint {
  feature: string;
  beta: number;
  p: number;
  fdr: number;
}

export interface ForestRow {
  feature: string;
  beta: number;
  lo: number;
  hi: number;
  p: number;
}

export interface ScatterPoint {
  feature: string;
  x: number;
  y: number;
  agree: boolean;
}

const FONT = `font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"`;
const UP = "#c2410c";
const DOWN = "#1d4ed8";
const NS = "#9ca3af";
const AXIS = "#374151";
const GRID = "#e5e7eb";

/** Text made safe inside HTML and SVG markup (the page's tables use it too). */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** Compact number for labels and tips. */
export function fmtNum(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NA" : x > 0 ? "Inf" : "-Inf";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) return x.toExponential(Math.max(0, digits - 1));
  return String(Number(x.toPrecision(digits)));
}

/** About `count` round ticks covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  return out;
}

interface Frame {
  w: number;
  h: number;
  l: number;
  r: number;
  t: number;
  b: number;
}

function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

function axes(f: Frame, xd: [number, number], yd: [number, number], xLabel: string, yLabel: string, title: string, yTicks = true): string[] {
  const sx = scale(xd[0], xd[1], f.l, f.w - f.r);
  const sy = scale(yd[0], yd[1], f.h - f.b, f.t);
  const out: string[] = [];
  out.push(`<rect x="0" y="0" width="${f.w}" height="${f.h}" fill="#ffffff"/>`);
  for (const t of ticks(xd[0], xd[1])) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${f.t}" y2="${f.h - f.b}" stroke="${GRID}"/>`);
    out.push(`<text x="${x}" y="${f.h - f.b + 16}" text-anchor="middle" font-size="11" fill="${AXIS}" ${FONT}>${esc(fmtNum(t))}</text>`);
  }
  if (yTicks)
    for (const t of ticks(yd[0], yd[1], 5)) {
      const y = sy(t).toFixed(1);
      out.push(`<line x1="${f.l}" x2="${f.w - f.r}" y1="${y}" y2="${y}" stroke="${GRID}"/>`);
      out.push(`<text x="${f.l - 6}" y="${y}" dy="0.32em" text-anchor="end" font-size="11" fill="${AXIS}" ${FONT}>${esc(fmtNum(t))}</text>`);
    }
  out.push(`<rect x="${f.l}" y="${f.t}" width="${f.w - f.l - f.r}" height="${f.h - f.t - f.b}" fill="none" stroke="${AXIS}"/>`);
  out.push(`<text x="${(f.l + f.w - f.r) / 2}" y="${f.h - 8}" text-anchor="middle" font-size="12" fill="${AXIS}" ${FONT}>${esc(xLabel)}</text>`);
  if (yLabel)
    out.push(
      `<text transform="translate(14 ${(f.t + f.h - f.b) / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="${AXIS}" ${FONT}>${esc(yLabel)}</text>`,
    );
  out.push(`<text x="${f.l}" y="${f.t - 10}" font-size="13" font-weight="600" fill="#111827" ${FONT}>${esc(title)}</text>`);
  return out;
}

function svg(f: Frame, body: string[], testid: string, label: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" data-testid="${testid}" role="img" aria-label="${esc(label)}" ` +
    `viewBox="0 0 ${f.w} ${f.h}" width="${f.w}" height="${f.h}">${body.join("")}</svg>`
  );
}

/** -log10 p, finite even for p = 0 (clamped to the smallest double). */
function nlog10(p: number): number {
  return -Math.log10(Math.max(p, Number.MIN_VALUE));
}

/**
 * Volcano plot: one circle (class "pt") per feature with a finite p and beta. The dashed line
 * is the Benjamini-Hochberg 0.05 boundary: the largest p whose FDR is <= 0.05 (or, when none
 * passes, 0.05/m, the smallest p that could).
 */
export function volcanoSvg(points: VolcanoPoint[], opts: { title?: string; xLabel?: string; testid?: string } = {}): string {
  const f: Frame = { w: 600, h: 420, l: 58, r: 18, t: 34, b: 46 };
  const pts = points.filter((d) => Number.isFinite(d.p) && Number.isFinite(d.beta));
  const pass = pts.filter((d) => d.fdr <= 0.05);
  const thrP = pass.length ? Math.max(...pass.map((d) => d.p)) : 0.05 / Math.max(1, pts.length);
  const thrY = nlog10(thrP);
  const bmax = Math.max(1e-9, ...pts.map((d) => Math.abs(d.beta))) * 1.08;
  const ymax = Math.max(thrY, ...pts.map((d) => nlog10(d.p)), 1) * 1.06;
  const xd: [number, number] = [-bmax, bmax];
  const yd: [number, number] = [0, ymax];
  const sx = scale(xd[0], xd[1], f.l, f.w - f.r);
  const sy = scale(yd[0], yd[1], f.h - f.b, f.t);
  const body = axes(f, xd, yd, opts.xLabel ?? "beta (DiD effect)", "-log10 p", opts.title ?? "Volcano");
  body.push(`<line x1="${sx(0)}" x2="${sx(0)}" y1="${f.t}" y2="${f.h - f.b}" stroke="${AXIS}" stroke-opacity="0.35"/>`);
  const ty = sy(thrY).toFixed(1);
  body.push(`<line class="fdr-line" x1="${f.l}" x2="${f.w - f.r}" y1="${ty}" y2="${ty}" stroke="#b91c1c" stroke-dasharray="5 4"/>`);
  body.push(
    `<text x="${f.w - f.r - 4}" y="${Number(ty) - 5}" text-anchor="end" font-size="11" fill="#b91c1c" ${FONT}>FDR 0.05${pass.length ? "" : " (none pass)"}</text>`,
  );
  // non-significant first, so the significant points are drawn on top
  const sorted = [...pts].sort((a, b) => (a.fdr <= 0.05 ? 1 : 0) - (b.fdr <= 0.05 ? 1 : 0));
  for (const d of sorted) {
    const sig = d.fdr <= 0.05;
    const color = sig ? (d.beta > 0 ? UP : DOWN) : NS;
    const tip = `${d.feature}: beta ${fmtNum(d.beta)}, p ${fmtNum(d.p)}, FDR ${fmtNum(d.fdr)}`;
    body.push(
      `<circle class="pt" data-feature="${esc(d.feature)}" data-tip="${esc(tip)}" cx="${sx(d.beta).toFixed(2)}" cy="${sy(nlog10(d.p)).toFixed(2)}" r="${sig ? 3.6 : 2.8}" fill="${color}" fill-opacity="${sig ? 0.9 : 0.6}"><title>${esc(tip)}</title></circle>`,
    );
  }
  body.push(
    `<text x="${f.w - f.r}" y="${f.t - 10}" text-anchor="end" font-size="11" fill="${AXIS}" ${FONT}>${pts.length} features, ${pass.length} at FDR &lt;= 0.05</text>`,
  );
  return svg(f, body, opts.testid ?? "volcano", "volcano plot");
}

/** Forest plot of the given rows (top features), estimate with 95% CI, line at 0. */
export function forestSvg(rows: ForestRow[], opts: { title?: string; xLabel?: string; testid?: string } = {}): string {
  const rs = rows.filter((r) => Number.isFinite(r.beta));
  const rowH = 18;
  const labelW = Math.min(180, Math.max(60, ...rs.map((r) => r.feature.length * 7 + 10)));
  const f: Frame = { w: 600, h: 34 + 46 + Math.max(1, rs.length) * rowH + 8, l: labelW + 10, r: 70, t: 34, b: 46 };
  let lo = Math.min(0, ...rs.map((r) => (Number.isFinite(r.lo) ? r.lo : r.beta)));
  let hi = Math.max(0, ...rs.map((r) => (Number.isFinite(r.hi) ? r.hi : r.beta)));
  const pad = (hi - lo) * 0.05 || 1;
  lo -= pad;
  hi += pad;
  const sx = scale(lo, hi, f.l, f.w - f.r);
  const body = axes(f, [lo, hi], [0, 1], opts.xLabel ?? "beta with 95% CI", "", opts.title ?? "Top features", false);
  body.push(`<line x1="${sx(0)}" x2="${sx(0)}" y1="${f.t}" y2="${f.h - f.b}" stroke="${AXIS}" stroke-dasharray="3 3"/>`);
  rs.forEach((r, i) => {
    const y = f.t + 4 + rowH * (i + 0.5);
    const color = r.beta > 0 ? UP : DOWN;
    const tip = `${r.feature}: beta ${fmtNum(r.beta)} [${fmtNum(r.lo)}, ${fmtNum(r.hi)}], p ${fmtNum(r.p)}`;
    body.push(`<g class="row" data-feature="${esc(r.feature)}" data-tip="${esc(tip)}"><title>${esc(tip)}</title>`);
    body.push(`<text x="${f.l - 8}" y="${y}" dy="0.32em" text-anchor="end" font-size="11" fill="#111827" ${FONT}>${esc(r.feature)}</text>`);
    if (Number.isFinite(r.lo) && Number.isFinite(r.hi))
      body.push(`<line x1="${sx(r.lo).toFixed(1)}" x2="${sx(r.hi).toFixed(1)}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="1.6"/>`);
    body.push(`<rect x="${(sx(r.beta) - 3.5).toFixed(1)}" y="${y - 3.5}" width="7" height="7" fill="${color}"/>`);
    body.push(`<text x="${f.w - f.r + 6}" y="${y}" dy="0.32em" font-size="10" fill="${AXIS}" ${FONT}>p ${esc(fmtNum(r.p, 2))}</text>`);
    body.push(`</g>`);
  });
  return svg(f, body, opts.testid ?? "forest", "forest plot");
}

/** beta_fixed (x) vs beta_mixed (y), the identity line, points coloured by agreement. */
export function scatterSvg(points: ScatterPoint[], opts: { title?: string; xLabel?: string; yLabel?: string; testid?: string } = {}): string {
  const f: Frame = { w: 600, h: 420, l: 58, r: 18, t: 34, b: 46 };
  const pts = points.filter((d) => Number.isFinite(d.x) && Number.isFinite(d.y));
  const m = Math.max(1e-9, ...pts.map((d) => Math.max(Math.abs(d.x), Math.abs(d.y)))) * 1.08;
  const d: [number, number] = [-m, m];
  const sx = scale(-m, m, f.l, f.w - f.r);
  const sy = scale(-m, m, f.h - f.b, f.t);
  const body = axes(f, d, d, opts.xLabel ?? "beta_fixed", opts.yLabel ?? "beta_mixed", opts.title ?? "Fixed vs mixed");
  body.push(`<line x1="${sx(-m)}" y1="${sy(-m)}" x2="${sx(m)}" y2="${sy(m)}" stroke="${AXIS}" stroke-dasharray="4 4" stroke-opacity="0.6"/>`);
  for (const p of pts) {
    const tip = `${p.feature}: fixed ${fmtNum(p.x)}, mixed ${fmtNum(p.y)}${p.agree ? "" : " (disagree)"}`;
    body.push(
      `<circle class="pt" data-feature="${esc(p.feature)}" data-tip="${esc(tip)}" cx="${sx(p.x).toFixed(2)}" cy="${sy(p.y).toFixed(2)}" r="3" fill="${p.agree ? "#0f766e" : UP}" fill-opacity="0.7"><title>${esc(tip)}</title></circle>`,
    );
  }
  const dis = pts.filter((p) => !p.agree).length;
  body.push(`<text x="${f.w - f.r}" y="${f.t - 10}" text-anchor="end" font-size="11" fill="${AXIS}" ${FONT}>${pts.length} features, ${dis} disagree</text>`);
  return svg(f, body, opts.testid ?? "scatter", "fixed versus mixed scatter plot");
}
