import Table from "cli-table3";
import { MMLU_GROUP } from "../paper/suites.js";
import type { ResultsDocument } from "../results/document.js";

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : v.toFixed(2));
const diff = (ours: number, ref: number | null): string => {
  if (ref === null) return "–";
  const d = ours - ref;
  return (d >= 0 ? "+" : "") + d.toFixed(2);
};

/** The terminal table: one row per paper column (and extra task), then the suite averages. */
export function renderResultsTable(doc: ResultsDocument): string {
  const table = new Table({
    head: ["Task", "Version", "Shots", "Metric", "Score ± stderr", "n", "RakutenAI-7B", "Δ", "-instruct", "Δ"],
    style: { head: [], border: [] },
    colAligns: ["left", "left", "right", "left", "right", "right", "right", "right", "right", "right"],
  });
  for (const row of doc.rakuten_eval.summary) {
    const version = row.key === MMLU_GROUP ? doc.versions[doc.group_subtasks[MMLU_GROUP]?.[0] ?? ""] ?? "" : doc.versions[row.task] ?? "";
    table.push([
      row.task + (row.partialData ? " *" : ""),
      version,
      String(row.shots),
      row.metric,
      `${fmt(row.score)}${row.stderr === null ? "" : ` ± ${fmt(row.stderr)}`}`,
      String(row.n),
      fmt(row.published["rakuten-ai-7b"]),
      diff(row.score, row.published["rakuten-ai-7b"]),
      fmt(row.published["rakuten-ai-7b-instruct"]),
      diff(row.score, row.published["rakuten-ai-7b-instruct"]),
    ]);
  }
  for (const avg of doc.rakuten_eval.averages) {
    const ours = avg.rounded;
    table.push([
      avg.label,
      "",
      "",
      "",
      ours === null ? `n/a (${avg.missing.length} missing; ${fmt(avg.partialValue)} over the rest)` : fmt(ours),
      "",
      fmt(avg.published["rakuten-ai-7b"]),
      ours === null ? "–" : diff(ours, avg.published["rakuten-ai-7b"]),
      fmt(avg.published["rakuten-ai-7b-instruct"]),
      ours === null ? "–" : diff(ours, avg.published["rakuten-ai-7b-instruct"]),
    ]);
  }
  const lines = [table.toString()];
  if (doc.rakuten_eval.summary.some((r) => r.partialData)) lines.push("* partial data: scores not comparable with the paper");
  return lines.join("\n");
}
