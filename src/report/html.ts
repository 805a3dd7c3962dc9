// The HTML page of `rakuten-eval report`: one file that opens without a network — inline CSS,
// per suite a grouped bar chart drawn as inline SVG (html/chart.ts) and the same numbers as a
// table, then the per-document explorer (explorer/page.ts: inline JSON and an inline script).

import { PAPER_SUITES } from "../paper/suites.js";
import { EXPLORER_CSS, renderExplorer } from "./explorer/page.js";
import type { ExplorerData } from "./explorer/data.js";
import { renderSuiteSvg, seriesFills } from "./html/chart.js";
import { escapeHtml } from "./htmlText.js";
import type { ReportModel, ReportSuite } from "./model.js";
import { cellMarks, fmt2, shotsSummary } from "./markdown.js";

export { escapeHtml } from "./htmlText.js";
export { renderSuiteSvg } from "./html/chart.js";

function legend(suite: ReportSuite): string {
  const fills = seriesFills(suite.series);
  return `<ul class="legend">${suite.series
    .map((s, i) => {
      const f = fills[i]!;
      const swatch = f.striped
        ? `background: repeating-linear-gradient(45deg, ${f.color}, ${f.color} 3px, #ffffff 3px, #ffffff 5px); border-color: ${f.color}`
        : `background: ${f.color}; border-color: ${f.color}`;
      const mark = s.notComparable ? ` <span class="note">‡ not comparable</span>` : "";
      return `<li><span class="swatch" style="${swatch}"></span>${escapeHtml(s.label)}${mark}</li>`;
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
          const ci = s.interval[i];
          const task = s.tasks[i];
          const titleBits = [task && task !== suite.columns[i]!.key ? task : "", ci ? `95% interval ${fmt2(ci[0])}–${fmt2(ci[1])}` : ""].filter((b) => b !== "");
          const title = titleBits.length > 0 ? ` title="${escapeHtml(titleBits.join("; "))}"` : "";
          const marks = cellMarks(suite, s, i);
          const mark = (marks.shots ? `<span class="note"> [${marks.shots}]</span>` : "") + (marks.partial ? `<span class="note" title="partial stand-in data"> †</span>` : "");
          return `<td${title}${suite.columns[i]!.kind === "average" ? ' class="avg"' : ""}>${fmt2(v)}${se !== null && se !== undefined && v !== null ? `<span class="se"> ± ${fmt2(se)}</span>` : ""}${mark}</td>`;
        })
        .join("");
      const name = `${escapeHtml(s.label)}${s.notComparable ? ` <span class="note" title="not comparable with the paper">‡</span>` : ""}`;
      return `<tr class="${s.kind}"><th scope="row">${name}</th><td class="shots">${escapeHtml(shotsSummary(suite, s))}</td>${cells}</tr>`;
    })
    .join("\n");
  return `<table class="scores"><thead><tr><th scope="col">Model</th><th scope="col">Shots</th>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

// The font stack names a CJK font of each platform (Noto CJK on Linux: Debian's fonts-noto-cjk;
// Hiragino on macOS; Yu Gothic, Meiryo on Windows): prompts are Japanese, and a browser left to a
// Latin-only default draws them as tofu (□).
const CSS = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK JP", "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Yu Gothic", Meiryo, sans-serif; margin: 2rem auto; max-width: 1180px; padding: 0 1rem; color: #111827; background: #ffffff; }
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
table.scores td.shots { text-align: left; white-space: normal; min-width: 5.5em; max-width: 14rem; }
.table-wrap { overflow-x: auto; }
footer { margin-top: 2.5rem; color: #6b7280; font-size: .8rem; }
`;

export function renderReportHtml(model: ReportModel, explorer: ExplorerData | null = null): string {
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
<div class="table-wrap">${suiteTable(s)}</div>
</section>`,
    )
    .join("\n");
  const extras =
    model.extras.length === 0
      ? ""
      : `<section id="other"><h2>Other tasks</h2><table class="scores"><thead><tr><th scope="col">Run</th><th scope="col">Task</th><th scope="col">Metric</th><th scope="col">Shots</th><th scope="col">Score</th><th scope="col">n</th></tr></thead><tbody>${model.extras
          .map(
            (e) =>
              `<tr><th scope="row">${escapeHtml(e.run)}</th><td>${escapeHtml(e.task)}</td><td>${escapeHtml(e.metric)}</td><td>${e.shots}</td><td>${fmt2(e.score)}${e.stderr === null ? "" : `<span class="se"> ± ${fmt2(e.stderr)}</span>`}</td><td>${e.n ?? "–"}</td></tr>`,
          )
          .join("")}</tbody></table></section>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(model.title)}</title>
<style>${CSS}${explorer ? EXPLORER_CSS : ""}</style>
</head>
<body>
<h1>${escapeHtml(model.title)}</h1>
<p class="sub">Generated ${escapeHtml(model.generated)}. Scores are 0–100; ± is the standard error of our runs, and the error bars on the charts are 95% intervals (± 1.96 standard errors; for the paper's figures of 0/1 metrics, the binomial standard error from its doc count). † marks a score on partial stand-in data, ‡ a run not comparable with the paper. Striped grey bars and “(paper)” rows are the figures printed in the RakutenAI-7B report (arXiv:2403.15484).</p>
<h2>Runs</h2>
<ul class="runs">
${runs}
</ul>
${suites}
${extras}
${explorer ? renderExplorer(explorer) : ""}
<footer>rakuten-eval report — a single self-contained file: no external resources.</footer>
</body>
</html>
`;
}
