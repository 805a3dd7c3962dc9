// The three ways `compare` prints a Comparison: a terminal table, Markdown (for a pull
// request comment or a job summary) and JSON (for machines).

import Table from "cli-table3";
import type { Comparison, ComparisonRow, TestKind } from "../compare/compare.js";

export type CompareFormat = "table" | "markdown" | "json";

const TEST_LABELS: Record<TestKind, string> = {
  "mcnemar-exact": "McNemar exact (paired)",
  "paired-bootstrap": "bootstrap (paired)",
  "paired-bootstrap-stratified": "bootstrap by subject (paired)",
  "two-proportion-z": "two-proportion z (unpaired)",
  "normal-unpaired": "normal (unpaired)",
  "normal-combined": "normal over columns",
  none: "–",
};

export const fmtScore = (v: number | null): string => (v === null ? "–" : v.toFixed(2));
export const fmtSigned = (v: number | null): string => (v === null ? "–" : `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)}`);
export const fmtP = (p: number | null): string => (p === null ? "–" : p >= 0.001 ? p.toFixed(3) : p < 1e-300 ? "<1e-300" : p.toExponential(1));
const fmtCi = (ci: [number, number] | null): string => (ci === null ? "–" : `[${fmtSigned(ci[0])}, ${fmtSigned(ci[1])}]`);

function verdict(r: ComparisonRow): string {
  if (r.failed) return "FAIL";
  if (r.pValue === null) return r.diff === null ? "–" : "untested";
  return "pass";
}

function header(c: Comparison): string[] {
  return ["Task", "Metric", c.baseline.label, c.new.label, "Δ", `${Math.round((1 - c.alpha) * 1000) / 10}% CI`, "p", "Test", "Max drop", "Gate"];
}

function cells(r: ComparisonRow): string[] {
  return [
    r.kind === "average" ? r.label : r.tasks.new ?? r.tasks.baseline ?? r.key,
    r.metric,
    fmtScore(r.baselineScore),
    fmtScore(r.newScore),
    fmtSigned(r.diff),
    fmtCi(r.ci),
    fmtP(r.pValue),
    TEST_LABELS[r.test],
    r.maxDrop.toString(),
    verdict(r),
  ];
}

/** One line saying whether the gate passed, naming the rows that failed it. */
export function gateLine(c: Comparison): string {
  const failed = c.rows.filter((r) => r.failed);
  if (failed.length === 0) return `Gate passed: no drop both larger than allowed and significant at alpha = ${c.alpha}.`;
  const list = failed.map((r) => `${r.kind === "average" ? r.label : r.tasks.new ?? r.key} ${fmtSigned(r.diff)} (max drop ${r.maxDrop}, p = ${fmtP(r.pValue)})`);
  return `Gate FAILED: ${failed.length} drop(s) larger than allowed and significant at alpha = ${c.alpha}: ${list.join("; ")}.`;
}

function rowNotes(c: Comparison): string[] {
  const out: string[] = [];
  for (const r of c.rows) for (const n of r.notes) out.push(`${r.kind === "average" ? r.label : r.tasks.new ?? r.tasks.baseline ?? r.key}: ${n}`);
  return [...c.notes, ...out];
}

export function renderComparisonTable(c: Comparison): string {
  const table = new Table({
    head: header(c),
    style: { head: [], border: [] },
    colAligns: ["left", "left", "right", "right", "right", "right", "right", "left", "right", "left"],
  });
  for (const r of c.rows) table.push(cells(r));
  const lines = [`new: ${c.new.label} (${c.new.source})`, `baseline: ${c.baseline.label} (${c.baseline.source})`, table.toString(), gateLine(c)];
  for (const n of rowNotes(c)) lines.push(`note: ${n}`);
  return lines.join("\n");
}

const mdCell = (s: string): string => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderComparisonMarkdown(c: Comparison): string {
  const h = header(c);
  const lines: string[] = [
    `### rakuten-eval: ${mdCell(c.new.label)} vs ${mdCell(c.baseline.label)}`,
    "",
    `${c.failed ? "❌" : "✅"} ${gateLine(c)}`,
    "",
    `| ${h.map(mdCell).join(" | ")} |`,
    `|${["---", "---", "---:", "---:", "---:", "---:", "---:", "---", "---:", "---"].join("|")}|`,
  ];
  for (const r of c.rows) {
    const row = cells(r).map(mdCell);
    if (r.kind === "average") row[0] = `**${row[0]}**`;
    if (r.failed) row[9] = "**FAIL**";
    lines.push(`| ${row.join(" | ")} |`);
  }
  lines.push("", `New: \`${mdCell(c.new.source)}\`. Baseline: \`${mdCell(c.baseline.source)}\`. Δ = new − baseline in points (0–100); a row fails when it dropped by more than its max drop and p < ${c.alpha}.`);
  const notes = rowNotes(c);
  if (notes.length > 0) {
    lines.push("", "<details><summary>Notes</summary>", "");
    for (const n of notes) lines.push(`- ${mdCell(n)}`);
    lines.push("", "</details>");
  }
  return lines.join("\n") + "\n";
}

export function renderComparison(c: Comparison, format: CompareFormat): string {
  if (format === "json") return JSON.stringify(c, null, 2);
  if (format === "markdown") return renderComparisonMarkdown(c);
  return renderComparisonTable(c);
}
