// The Markdown summary of `rakuten-eval report`: one table per suite laid out like the paper's
// (a row per model, the shots it used, a column per task, then the averages), runs first,
// published rows after.

import { PAPER_SUITES } from "../paper/suites.js";
import type { ReportModel, ReportSeries, ReportSuite } from "./model.js";

const cell = (s: string): string => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");
export const fmt2 = (v: number | null): string => (v === null ? "–" : v.toFixed(2));

/** Marks of a cell: other shots than the paper's, partial stand-in data. */
export function cellMarks(suite: ReportSuite, s: ReportSeries, i: number): { shots: string | null; partial: boolean } {
  const v = s.values[i] ?? null;
  const shots = s.shots[i];
  const paperShots = suite.columns[i]!.shots;
  const otherShots = v !== null && shots !== null && shots !== undefined && paperShots !== null && shots !== paperShots;
  return { shots: otherShots ? `${shots}-shot` : null, partial: v !== null && s.partial[i] === true };
}

/** The shots column: "as paper" when every score used the paper's shots, else the ones that did not. */
export function shotsSummary(suite: ReportSuite, s: ReportSeries): string {
  if (s.kind === "published") return "as paper";
  const scored = suite.columns.map((c, i) => ({ c, shots: s.shots[i], v: s.values[i] ?? null })).filter((x) => x.c.kind === "task" && x.v !== null);
  if (scored.length === 0) return "–";
  const other = scored.filter((x) => x.shots !== null && x.shots !== undefined && x.shots !== x.c.shots);
  if (other.length === 0) return "as paper";
  return other.map((x) => `${x.c.label} ${x.shots} (paper ${x.c.shots})`).join(", ");
}

function seriesName(s: ReportSeries): string {
  if (s.kind === "published") return s.label;
  return `**${s.label}**${s.notComparable ? " ‡" : ""}`;
}

export function renderSuiteMarkdown(suite: ReportSuite): string {
  const head = ["Model", "Shots", ...suite.columns.map((c) => (c.kind === "average" ? c.label : `${c.label} (${c.metric}, ${c.shots}-shot)`))];
  const lines = [`| ${head.map(cell).join(" | ")} |`, `|---|---|${suite.columns.map(() => "---:").join("|")}|`];
  for (const s of suite.series) {
    const values = s.values.map((v, i) => {
      const se = s.stderr[i];
      const marks = cellMarks(suite, s, i);
      const text = se === null || se === undefined || v === null ? fmt2(v) : `${fmt2(v)} ± ${fmt2(se)}`;
      return text + (marks.shots ? ` [${marks.shots}]` : "") + (marks.partial ? " †" : "");
    });
    lines.push(`| ${[seriesName(s), shotsSummary(suite, s), ...values].map((x, i) => (i === 0 ? x : cell(x))).join(" | ")} |`);
  }
  return lines.join("\n");
}

export function renderReportMarkdown(model: ReportModel): string {
  const lines: string[] = [
    `# ${cell(model.title)}`,
    "",
    `Generated ${model.generated}. Scores are 0–100; ± is the standard error of our runs; “(paper)” rows are the RakutenAI-7B report's tables (arXiv:2403.15484); the headers give the paper's shots, the Shots column the runs' own, and [k-shot] marks a score obtained with other shots. † marks a score on partial stand-in data, ‡ a run not comparable with the paper.`,
    "",
  ];
  lines.push("## Runs", "");
  for (const r of model.runs) {
    const bits = [
      r.model ? `model \`${cell(r.model)}\`` : null,
      r.modelSha256 ? `sha256 \`${r.modelSha256.slice(0, 12)}…\`` : null,
      r.engine,
      r.date ? `run ${r.date}` : null,
      r.complete ? null : "**incomplete run** (rakuten_eval.complete false)",
      r.notComparable.length > 0 ? `**not comparable with the paper** (${r.notComparable.join("; ")})` : null,
    ].filter((b): b is string => b !== null);
    lines.push(`- **${cell(r.label)}**: ${bits.join(", ")} — \`${cell(r.source)}\``);
    for (const n of r.notes) lines.push(`  - note: ${cell(n)}`);
  }
  for (const suite of model.suites) {
    lines.push("", `## ${PAPER_SUITES[suite.id].name}`, "", `_${cell(suite.title)}_`, "", renderSuiteMarkdown(suite));
  }
  if (model.extras.length > 0) {
    lines.push("", "## Other tasks", "", "| Run | Task | Metric | Shots | Score | n |", "|---|---|---|---:|---:|---:|");
    for (const e of model.extras) {
      lines.push(`| ${cell(e.run)} | ${cell(e.task)} | ${e.metric} | ${e.shots} | ${fmt2(e.score)}${e.stderr === null ? "" : ` ± ${fmt2(e.stderr)}`} | ${e.n ?? "–"} |`);
    }
  }
  return lines.join("\n") + "\n";
}
