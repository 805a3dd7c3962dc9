// Reading a results document's per-task metrics the way lm-eval v0.3 and the Open LLM
// Leaderboard v1 wrote them: `{ metric: value, metric_stderr: value }`, without the `,none` filter.

import type { ResultsDocument } from "../types.js";

/** `metric` → value and `metric_stderr` → stderr of one task; a stderr that is "N/A" or null is left out. */
export function flatMetrics(doc: ResultsDocument, task: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(doc.results[task] ?? {})) {
    const comma = key.indexOf(",");
    if (comma < 0 || typeof value !== "number") continue;
    out[key.slice(0, comma)] = value;
  }
  return out;
}

/** The tasks of the run in results order, groups left out. */
export function leafTasks(doc: ResultsDocument): string[] {
  const groups = new Set(Object.keys(doc.group_subtasks));
  return Object.keys(doc.results).filter((t) => !groups.has(t));
}

/** A task version as an integer or float number (Open LLM v1 and lm-eval v0.3 write numbers). */
export function numericVersion(v: number | string | undefined): number {
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}
