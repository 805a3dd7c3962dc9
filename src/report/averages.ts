import { pythonRound } from "../metrics/stats.js";
import { publishedModel } from "./published.js";

export interface SuiteAverage {
  id: "ja_avg" | "ja_7avg" | "en_avg";
  label: string;
  /** Unrounded mean on the 0-100 scale; null when a task of the average is missing. */
  value: number | null;
  /** Python `round(value, 2)`: the figure the paper prints. */
  rounded: number | null;
  /** Paper columns the average needs. */
  tasks: string[];
  /** Columns without a score in this run. */
  missing: string[];
  /** Mean over the columns that do have a score (flagged, never presented as the paper's average). */
  partialValue: number | null;
  published: { "rakuten-ai-7b": number | null; "rakuten-ai-7b-instruct": number | null };
}

const JA8 = ["jcommonsenseqa", "jnli", "marc_ja", "jsquad", "jaqket_v2", "xlsum_ja", "xwinograd_ja", "mgsm"];
const JA7 = JA8.filter((k) => k !== "xlsum_ja");
const EN4 = ["arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc"];

/**
 * Stability's `make_leaderboard.py` convention, used by the paper for every average:
 * `round(sum(scores) / (len(scores) * 100) * 100, 2)` over unrounded 0-100 scores.
 */
export function stabilityAverage(scores: readonly number[]): number {
  let sum = 0;
  for (const s of scores) sum += s; // Python sum: left to right
  return (sum / (scores.length * 100)) * 100;
}

/** Suite averages from per-column scores (0-100, unrounded), for the suites that have any score. */
export function suiteAverages(scores: ReadonlyMap<string, number>): SuiteAverage[] {
  const defs: { id: SuiteAverage["id"]; label: string; keys: string[] }[] = [
    { id: "ja_avg", label: "JA Avg (8 tasks)", keys: JA8 },
    { id: "ja_7avg", label: "JA 7-Avg (no XLSum)", keys: JA7 },
    { id: "en_avg", label: "EN Avg (4 tasks)", keys: EN4 },
  ];
  const base = publishedModel("rakuten-ai-7b");
  const instruct = publishedModel("rakuten-ai-7b-instruct");
  const publishedAverage = (m: typeof base, id: SuiteAverage["id"]): number | null => {
    if (!m) return null;
    if (id === "en_avg") return m.en?.averages.en_avg ?? null;
    return (id === "ja_avg" ? m.ja?.averages.ja_avg : m.ja?.averages.ja_7avg) ?? null;
  };
  const out: SuiteAverage[] = [];
  for (const d of defs) {
    const present = d.keys.filter((k) => scores.has(k));
    if (present.length === 0) continue;
    const missing = d.keys.filter((k) => !scores.has(k));
    const value = missing.length === 0 ? stabilityAverage(d.keys.map((k) => scores.get(k)!)) : null;
    out.push({
      id: d.id,
      label: d.label,
      value,
      rounded: value === null ? null : pythonRound(value, 2),
      tasks: d.keys,
      missing,
      partialValue: stabilityAverage(present.map((k) => scores.get(k)!)),
      published: { "rakuten-ai-7b": publishedAverage(base, d.id), "rakuten-ai-7b-instruct": publishedAverage(instruct, d.id) },
    });
  }
  return out;
}
