// A suite's grouped bar chart (0-100) as inline SVG: a group per column, a bar per series, the
// 95% interval as an error bar on every bar that has one, the value above it.
//
// The layout rules out overlapping labels by construction, at any number of series:
// - bars are BAR_W wide, wider than a turned value label is tall, so neighbouring value labels
//   never touch; each label starts above its own bar's error bar;
// - a group is at least as wide as its widest axis-label line (estimated generously per
//   character), so axis labels of neighbouring groups never touch; lines are LINE_H apart.
// test/report-html.test.ts measures the rendered boxes in Chromium to hold the rule to account.

import type { ReportSeries, ReportSuite } from "../model.js";
import { fmt2 } from "../markdown.js";
import { escapeHtml } from "../htmlText.js";

const RUN_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const PUBLISHED_COLORS = ["#6b7280", "#a3a3a3", "#44403c", "#b8a98a", "#94a3b8"];

export interface SeriesFill {
  fill: string;
  color: string;
  striped: boolean;
}

/** Fill of each series: runs in colour, published figures in greys with stripes. */
export function seriesFills(series: ReportSeries[]): SeriesFill[] {
  let run = 0;
  let pub = 0;
  return series.map((s) => {
    if (s.kind === "published") {
      const color = PUBLISHED_COLORS[pub++ % PUBLISHED_COLORS.length]!;
      return { fill: color, color, striped: true };
    }
    const color = RUN_COLORS[run++ % RUN_COLORS.length]!;
    return { fill: color, color, striped: false };
  });
}

const r1 = (v: number): string => (Math.round(v * 10) / 10).toString();

const BAR_W = 14;
const GROUP_GAP = 18;
const VALUE_FONT = 9;
const AXIS_FONT = 11;
const LINE_H = 15;

/** Split a column label into at most two lines for the x axis. */
export function axisLines(label: string): string[] {
  if (label.length <= 12) return [label];
  const cut = label.lastIndexOf(" ", 14);
  if (cut <= 0) return [label];
  return [label.slice(0, cut), label.slice(cut + 1)];
}

/** A generous width estimate of a line of text: wide (CJK) characters 1 em, others 0.7 em. */
export function textWidthEstimate(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) em += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 1 : 0.7;
  return em * fontSize;
}

export function renderSuiteSvg(suite: ReportSuite): string {
  const S = suite.series.length;
  const labelW = Math.max(...suite.columns.map((c) => Math.max(...axisLines(c.label).map((l) => textWidthEstimate(l, AXIS_FONT)))));
  const groupW = Math.ceil(Math.max(S * BAR_W + GROUP_GAP, labelW + 12));
  const left = 46;
  const right = 12;
  const top = 52;
  const plotH = 260;
  const maxLines = Math.max(...suite.columns.map((c) => axisLines(c.label).length));
  const bottom = 18 + maxLines * LINE_H;
  const width = left + suite.columns.length * groupW + right;
  const height = top + plotH + bottom;
  const y = (v: number) => top + plotH - (Math.max(0, Math.min(100, v)) / 100) * plotH;
  const fills = seriesFills(suite.series);
  const id = `chart-${suite.id}`;
  const out: string[] = [];
  // Scaled down with the page, but not below 60% (then the chart scrolls): labels stay legible.
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${id}" data-suite="${suite.id}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="min-width: ${Math.round(width * 0.6)}px" role="img" aria-labelledby="${id}-title">`,
    `<title id="${id}-title">${escapeHtml(suite.title)}: scores (0–100) per task and average, with 95% intervals</title>`,
    "<defs>",
  );
  fills.forEach((f, i) => {
    if (!f.striped) return;
    out.push(
      `<pattern id="${id}-p${i}" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="${f.color}" opacity="0.55"/><line x1="0" y1="0" x2="0" y2="6" stroke="${f.color}" stroke-width="3"/></pattern>`,
    );
  });
  out.push("</defs>");
  for (let t = 0; t <= 100; t += 20) {
    out.push(`<line class="grid" x1="${left}" x2="${width - right}" y1="${r1(y(t))}" y2="${r1(y(t))}" stroke="#e5e7eb" stroke-width="1"/>`);
    out.push(`<text class="tick" x="${left - 6}" y="${r1(y(t) + 3.5)}" text-anchor="end" font-size="10" fill="#4b5563">${t}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#9ca3af"/>`);
  out.push(`<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#9ca3af"/>`);
  const firstAverage = suite.columns.findIndex((c) => c.kind === "average");
  if (firstAverage > 0) {
    const x = left + firstAverage * groupW;
    out.push(`<rect x="${x}" y="${top}" width="${(suite.columns.length - firstAverage) * groupW}" height="${plotH}" fill="#f8fafc"/>`);
    out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + plotH}" stroke="#9ca3af" stroke-dasharray="4 3"/>`);
  }
  suite.columns.forEach((col, g) => {
    const gx = left + g * groupW + (groupW - S * BAR_W) / 2;
    suite.series.forEach((s, i) => {
      const v = s.values[g] ?? null;
      const x = gx + i * BAR_W;
      const cx = x + BAR_W / 2;
      const f = fills[i]!;
      if (v === null) {
        out.push(`<text class="missing" x="${r1(cx)}" y="${top + plotH - 3}" text-anchor="middle" font-size="9" fill="#9ca3af">–</text>`);
        return;
      }
      const partial = s.partial[g] === true;
      const fill = f.striped ? `url(#${id}-p${i})` : f.fill;
      const ci = s.interval[g] ?? null;
      const tip = `${s.label} — ${col.label}: ${fmt2(v)}${ci ? ` (95% interval ${fmt2(ci[0])}–${fmt2(ci[1])})` : ""}${partial ? "; partial stand-in data" : ""}`;
      out.push(
        `<rect class="bar${partial ? " partial" : ""}" data-series="${escapeHtml(s.label)}" data-column="${col.key}" data-value="${fmt2(v)}" x="${r1(x + 1)}" y="${r1(y(v))}" width="${BAR_W - 2}" height="${r1(top + plotH - y(v))}" fill="${fill}"${partial ? ' fill-opacity="0.45" stroke-dasharray="3 2"' : ""} stroke="${f.color}" stroke-width="0.8"><title>${escapeHtml(tip)}</title></rect>`,
      );
      let labelBase = y(v);
      if (ci) {
        const [yl, yh] = [y(ci[0]), y(ci[1])];
        const cap = BAR_W * 0.3;
        out.push(
          `<path class="ci" data-series="${escapeHtml(s.label)}" data-column="${col.key}" data-low="${fmt2(ci[0])}" data-high="${fmt2(ci[1])}" d="M${r1(cx)} ${r1(yh)}V${r1(yl)}M${r1(cx - cap)} ${r1(yh)}H${r1(cx + cap)}M${r1(cx - cap)} ${r1(yl)}H${r1(cx + cap)}" stroke="#111827" stroke-width="1.2" fill="none"/>`,
        );
        labelBase = Math.min(labelBase, yh);
      }
      // The value, turned to fit the bar's width, starting just above the bar or its interval.
      const lx = cx + 3;
      const ly = labelBase - 3;
      out.push(
        `<text class="value" data-series="${escapeHtml(s.label)}" data-column="${col.key}" x="${r1(lx)}" y="${r1(ly)}" transform="rotate(-90 ${r1(lx)} ${r1(ly)})" font-size="${VALUE_FONT}" fill="#111827">${fmt2(v)}${partial ? "†" : ""}</text>`,
      );
    });
    const lines = axisLines(col.label);
    const labelX = left + g * groupW + groupW / 2;
    lines.forEach((line, k) => {
      out.push(
        `<text class="axis-label" x="${r1(labelX)}" y="${top + plotH + 16 + k * LINE_H}" text-anchor="middle" font-size="${AXIS_FONT}" fill="#111827"${col.kind === "average" ? ' font-weight="bold"' : ""}>${escapeHtml(line)}</text>`,
      );
    });
  });
  out.push("</svg>");
  return out.join("\n");
}
