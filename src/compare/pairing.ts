// Per-doc values of one task from two runs, aligned by doc_id and put on the 0-100 scale, for
// the paired tests; or the reason they cannot be paired (noted on the row).

import { MMLU_GROUP } from "../paper/suites.js";
import { loadSampleMetric, type RunScores, type ScoreRow } from "../results/read.js";

/** One task's per-doc values of both runs, aligned by doc_id. */
export interface Pairing {
  /** One stratum per task (57 for MMLU); values on the 0-100 scale, docs both runs scored. */
  strata: { newValues: number[]; baseValues: number[] }[];
  /** Docs paired, and docs left out because only one run scored them (summed over strata). */
  docs: { paired: number; newOnly: number; baselineOnly: number };
}

/** Summary keys of an MMLU row: the 57 subjects, or a subset of them (reported apart). */
export const MMLU_KEYS: ReadonlySet<string> = new Set([MMLU_GROUP, "mmlu_subset"]);

/**
 * LEGACY: results files written before `sampleScale` was recorded say nothing about the scale
 * of their per-doc values (acc 0-1, but exact_match 0-100 and XLSum's F 0-1 under a 0-100
 * score). For those only, take whichever of ×1 and ×100 brings the per-doc mean to the score.
 */
function guessedScale(meanValue: number, score: number): 1 | 100 {
  return Math.abs(meanValue * 100 - score) < Math.abs(meanValue - score) ? 100 : 1;
}

/** The factor from a row's per-doc values to its 0-100 score: recorded, else guessed (legacy). */
export function sampleScale(row: ScoreRow, meanValue: () => number): 1 | 100 {
  return row.sampleScale ?? guessedScale(meanValue(), row.score);
}

export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

export function pairTask(newRun: RunScores, baseRun: RunScores, newRow: ScoreRow, baseRow: ScoreRow, notes: string[]): Pairing | null {
  if (newRun.kind !== "run" || baseRun.kind !== "run" || !newRun.dir || !baseRun.dir) return null;
  if (newRow.task !== baseRow.task) {
    notes.push(`different tasks (${baseRow.task} → ${newRow.task}); compared unpaired`);
    return null;
  }
  let tasks: string[];
  if (MMLU_KEYS.has(newRow.key)) {
    // The group's subjects: under "mmlu", or "mmlu_subset" for a subset.
    const newSubjects = newRun.doc?.group_subtasks[newRow.key] ?? newRun.doc?.group_subtasks[MMLU_GROUP] ?? [];
    const baseSubjects = baseRun.doc?.group_subtasks[baseRow.key] ?? baseRun.doc?.group_subtasks[MMLU_GROUP] ?? [];
    if (newSubjects.length === 0 || newSubjects.join("\n") !== [...baseSubjects].join("\n")) {
      notes.push("the runs scored different MMLU subjects; compared unpaired");
      return null;
    }
    tasks = newSubjects;
  } else {
    tasks = [newRow.task];
  }
  const raw: { newValues: number[]; baseValues: number[] }[] = [];
  const docs = { paired: 0, newOnly: 0, baselineOnly: 0 };
  for (const task of tasks) {
    const a = loadSampleMetric(newRun, task, newRow.metric);
    const b = loadSampleMetric(baseRun, task, baseRow.metric);
    if (!a || !b) {
      notes.push(`no samples file of ${task} in ${!a ? "the new run" : "the baseline"}; compared unpaired`);
      return null;
    }
    // Pair on the docs both runs scored (e.g. --limit 20 against --limit 30: the first 20 of
    // the same shuffled order); the rest cannot be paired and is left out, and said so.
    const ids = [...a.keys()].filter((k) => b.has(k)).sort((x, y) => x - y);
    docs.newOnly += a.size - ids.length;
    docs.baselineOnly += b.size - ids.length;
    docs.paired += ids.length;
    if (ids.length === 0) {
      notes.push(`${tasks.length > 1 ? `${task}: ` : ""}the runs share no doc (${a.size} vs ${b.size} docs); compared unpaired`);
      return null;
    }
    raw.push({ newValues: ids.map((i) => a.get(i)!), baseValues: ids.map((i) => b.get(i)!) });
  }
  if (docs.newOnly + docs.baselineOnly > 0) {
    notes.push(
      `paired on the ${docs.paired} docs both runs scored; left out ${docs.newOnly} scored only by the new run and ${docs.baselineOnly} only by the baseline (Δ and the test are over the shared docs)`,
    );
  }
  // One factor per run (all subjects share the metric); the legacy guess compares the macro
  // mean of the stratum means with the score.
  const macro = (pick: (s: (typeof raw)[number]) => number[]) => () => mean(raw.map((s) => mean(pick(s))));
  const fNew = sampleScale(newRow, macro((s) => s.newValues));
  const fBase = sampleScale(baseRow, macro((s) => s.baseValues));
  return {
    strata: raw.map((s) => ({ newValues: s.newValues.map((v) => v * fNew), baseValues: s.baseValues.map((v) => v * fBase) })),
    docs,
  };
}
