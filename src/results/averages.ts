// The suite averages a results document carries (spec §7), with the paper's figures beside them.

import { pythonRound } from "../metrics/stats.js";
import { publishedAverage, referenceFigures, type ReferenceFigures } from "../paper/published.js";
import { PAPER_AVERAGES, type AverageId } from "../paper/suites.js";

export interface SuiteAverage {
  id: AverageId;
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
  published: ReferenceFigures;
}

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
  const out: SuiteAverage[] = [];
  for (const d of PAPER_AVERAGES) {
    const keys = [...d.columns];
    const present = keys.filter((k) => scores.has(k));
    if (present.length === 0) continue;
    const missing = keys.filter((k) => !scores.has(k));
    const value = missing.length === 0 ? stabilityAverage(keys.map((k) => scores.get(k)!)) : null;
    out.push({
      id: d.id,
      label: d.label,
      value,
      rounded: value === null ? null : pythonRound(value, 2),
      tasks: keys,
      missing,
      partialValue: stabilityAverage(present.map((k) => scores.get(k)!)),
      published: referenceFigures((m) => publishedAverage(m, d)),
    });
  }
  return out;
}
