// The HTML page of `rakuten-eval report`: one file that opens without a network — inline CSS,
// and per suite a grouped bar chart drawn here as inline SVG (no script, no CDN, no fonts to
// fetch), followed by the same numbers as a table.

import { PAPER_SUITES } from "../paper/suites.js";
import type { ReportModel, ReportSeries, ReportSuite } from "./model.js";
import { fmt2 } from "./markdown.js";

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const RUN_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const PUBLISHED_COLORS = ["#6b7280", "#a3a3a3", "#44403c", "#b8a98a", "#94a3b8"];

/** Fill of each series: runs in colour, published figures in greys with stripes. */
function seriesFills(series: ReportSeries[]): { fill: string; color: string; striped: boolean }[] {
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

/** Split a column label into at most two lines for the x axis. */
function axisLines(label: string): string[] {
  if (label.length <= 12) return [label];
  const cut = label.lastIndexOf(" ", 14);
  if (cut <= 0) return [label];
  return [label.slice(0, cut), label.slice(cut + 1)];
}

/** A grouped bar chart (0-100) of one suite: a group per column, a bar per series. */
export function renderSuiteSvg(suite: ReportSuite): string {
  const S = suite.series.length;
  const barW = S <= 4 ? 16 : Math.max(6, Math.floor(64 / S));
  const gap = 22;
  const groupW = S * barW + gap;
  const left = 46;
  const right = 12;
  const top = 44;
  const plotH = 260;
  const bottom = 56;
  const width = left + suite.columns.length * groupW + right;
  const height = top + plotH + bottom;
  const y = (v: number) => top + plotH - (Math.max(0, Math.min(100, v)) / 100) * plotH;
  const fills = seriesFills(suite.series);
  const id = `chart-${suite.id}`;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${id}" data-suite="${suite.id}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title">`,
    `<title id="${id}-title">${escapeHtml(suite.title)}: scores (0–100) per task and average</title>`,
    "<defs>",
  );
  fills.forEach((f, i) => {
    if (!f.striped) return;
    out.push(
      `<pattern id="${id}-p${i}" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="${f.color}" opacity="0.55"/><line x1="0" y1="0" x2="0" y2="6" stroke="${f.color}" stroke-width="3"/></pattern>`,
    );
  });
  out.push("</defs>");
  // Axis and grid.
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
    out.push(`<line x1="${x}" x2="${x}" y1="${top - 10}" y2="${top + plotH}" stroke="#9ca3af" stroke-dasharray="4 3"/>`);
  }
  suite.columns.forEach((col, g) => {
    const gx = left + g * groupW + gap / 2;
    suite.series.forEach((s, i) => {
      const v = s.values[g] ?? null;
      const x = gx + i * barW;
      const f = fills[i]!;
      if (v === null) {
        out.push(`<text class="missing" x="${r1(x + barW / 2)}" y="${top + plotH - 3}" text-anchor="middle" font-size="9" fill="#9ca3af">–</text>`);
        return;
      }
      const fill = f.striped ? `url(#${id}-p${i})` : f.fill;
      const tip = `${s.label} — ${col.label}: ${fmt2(v)}`;
      out.push(
        `<rect class="bar" data-series="${escapeHtml(s.label)}" data-column="${col.key}" data-value="${fmt2(v)}" x="${r1(x + 1)}" y="${r1(y(v))}" width="${barW - 2}" height="${r1(top + plotH - y(v))}" fill="${fill}" stroke="${f.color}" stroke-width="0.8"><title>${escapeHtml(tip)}</title></rect>`,
      );
      // Value label above the bar, turned to fit narrow bars.
      const lx = x + barW / 2 + 3;
      const ly = y(v) - 3;
      out.push(`<text class="value" x="${r1(lx)}" y="${r1(ly)}" transform="rotate(-90 ${r1(lx)} ${r1(ly)})" font-size="9" fill="#111827">${fmt2(v)}</text>`);
    });
    const lines = axisLines(col.label);
    const cx = gx + (S * barW) / 2;
    lines.forEach((line, k) => {
      out.push(
        `<text class="axis-label" x="${r1(cx)}" y="${top + plotH + 16 + k * 13}" text-anchor="middle" font-size="11" fill="#111827"${col.kind === "average" ? ' font-weight="bold"' : ""}>${escapeHtml(line)}</text>`,
      );
    });
  });
  out.push("</svg>");
  return out.join("\n");
}

function legend(suite: ReportSuite): string {
  const fills = seriesFills(suite.series);
  return `<ul class="legend">${suite.series
    .map((s, i) => {
      const f = fills[i]!;
      const swatch = f.striped
        ? `background: repeating-linear-gradient(45deg, ${f.color}, ${f.color} 3px, #ffffff 3px, #ffffff 5px); border-color: ${f.color}`
        : `background: ${f.color}; border-color: ${f.color}`;
      return `<li><span class="swatch" style="${swatch}"></span>${escapeHtml(s.label)}</li>`;
    })
    .join("")}</ul>`;
}

function suiteTable(suite: ReportSuite): string {
  const head = suite.columns
    .map((c) => `<th scope="col">${escapeHtml(c.label)}${c.kind === "task" ? `<br><span class="metric">${escapeHtml(c.metric)}, ${c.shots}-shot</span>` : ""}</th>`)
    .join("");
  const rows = suite.series
    .map((s) => {
      const cells = s.values
        .map((v, i) => {
          const se = s.stderr[i];
          const task = s.tasks[i];
          const title = task && task !== suite.columns[i]!.key ? ` title="${escapeHtml(task)}"` : "";
          const shots = s.shots[i];
          const paperShots = suite.columns[i]!.shots;
          const mark = v !== null && shots !== null && shots !== undefined && paperShots !== null && shots !== paperShots ? `<span class="note"> [${shots}-shot]</span>` : "";
          return `<td${title}${suite.columns[i]!.kind === "average" ? ' class="avg"' : ""}>${fmt2(v)}${se !== null && se !== undefined && v !== null ? `<span class="se"> ± ${fmt2(se)}</span>` : ""}${mark}</td>`;
        })
        .join("");
      return `<tr class="${s.kind}"><th scope="row">${escapeHtml(s.label)}</th>${cells}</tr>`;
    })
    .join("\n");
  return `<table class="scores"><thead><tr><th scope="col">Model</th>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

const CSS = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK JP", sans-serif; margin: 2rem auto; max-width: 1180px; padding: 0 1rem; color: #111827; background: #ffffff; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
h2 { font-size: 1.25rem; margin-top: 2.25rem; border-bottom: 1px solid #e5e7eb; padding-bottom: .25rem; }
.sub { color: #4b5563; margin-top: 0; }
.runs li { margin: .2rem 0; }
code { font-size: .85em; background: #f3f4f6; padding: 0 .25em; border-radius: 3px; }
.chart-wrap { overflow-x: auto; }
svg.chart { display: block; max-width: 100%; height: auto; font-family: inherit; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; margin: .5rem 0 1rem; }
.legend li { display: flex; align-items: center; gap: .4rem; font-size: .9rem; }
.swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid; border-radius: 2px; }
table.scores { border-collapse: collapse; font-size: .85rem; margin-top: .75rem; font-variant-numeric: tabular-nums; }
table.scores th, table.scores td { border: 1px solid #e5e7eb; padding: .3rem .5rem; text-align: right; vertical-align: top; }
table.scores td { white-space: nowrap; }
table.scores th[scope=row] { text-align: left; white-space: nowrap; }
table.scores thead th { background: #f9fafb; }
table.scores thead th:first-child { text-align: left; }
table.scores tr.published { color: #4b5563; background: #fafafa; }
table.scores td.avg { font-weight: 600; }
.metric, .se { color: #6b7280; font-weight: normal; font-size: .8em; }
.note { color: #92400e; }
footer { margin-top: 2.5rem; color: #6b7280; font-size: .8rem; }
`;

export function renderReportHtml(model: ReportModel): string {
  const runs = model.runs
    .map((r) => {
      const bits = [
        r.model ? `model <code>${escapeHtml(r.model)}</code>` : "",
        r.modelSha256 ? `sha256 <code>${escapeHtml(r.modelSha256.slice(0, 12))}…</code>` : "",
        r.engine ? escapeHtml(r.engine) : "",
        r.date ? `run ${escapeHtml(r.date)}` : "",
        r.complete ? "" : `<span class="note">incomplete run (rakuten_eval.complete false)</span>`,
        r.notComparable.length > 0 ? `<span class="note">not comparable with the paper: ${escapeHtml(r.notComparable.join("; "))}</span>` : "",
      ].filter((b) => b !== "");
      const notes = r.notes.map((n) => `<br><span class="note">note: ${escapeHtml(n)}</span>`).join("");
      return `<li><strong>${escapeHtml(r.label)}</strong>: ${bits.join(", ")} — <code>${escapeHtml(r.source)}</code>${notes}</li>`;
    })
    .join("\n");
  const suites = model.suites
    .map(
      (s) => `<section class="suite" id="suite-${s.id}">
<h2>${PAPER_SUITES[s.id].name}</h2>
<p class="sub">${escapeHtml(s.title)}</p>
${legend(s)}
<div class="chart-wrap">
${renderSuiteSvg(s)}
</div>
${suiteTable(s)}
</section>`,
    )
    .join("\n");
  const extras =
    model.extras.length === 0
      ? ""
      : `<section id="other"><h2>Other tasks</h2><table class="scores"><thead><tr><th scope="col">Run</th><th scope="col">Task</th><th scope="col">Metric</th><th scope="col">Score</th><th scope="col">n</th></tr></thead><tbody>${model.extras
          .map(
            (e) =>
              `<tr><th scope="row">${escapeHtml(e.run)}</th><td>${escapeHtml(e.task)}</td><td>${escapeHtml(e.metric)}</td><td>${fmt2(e.score)}${e.stderr === null ? "" : `<span class="se"> ± ${fmt2(e.stderr)}</span>`}</td><td>${e.n ?? "–"}</td></tr>`,
          )
          .join("")}</tbody></table></section>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(model.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(model.title)}</h1>
<p class="sub">Generated ${escapeHtml(model.generated)}. Scores are 0–100; ± is the standard error of our runs. Striped grey bars and “(paper)” rows are the figures printed in the RakutenAI-7B report (arXiv:2403.15484).</p>
<h2>Runs</h2>
<ul class="runs">
${runs}
</ul>
${suites}
${extras}
<footer>rakuten-eval report — a single self-contained file: no scripts, no external resources.</footer>
</body>
</html>
`;
}
