// The paper comparison rows of a run (`rakuten_eval.summary`) and MMLU's group score, both the
// Open LLM Leaderboard v1 way (macro mean of the 57 subjects: the paper's number) and the
// lm-evaluation-harness v0.4 way (weighted by subject size, its pooled stderr:
// lm_eval/api/metrics.py aggregate_subtask_metrics and pooled_sample_stderr).

import { sampleScaleOf } from "../api/task.js";
import type { TaskResult } from "../evaluation/evaluator.js";
import { publishedColumn, referenceFigures } from "../paper/published.js";
import { columnKeyOfTask, MMLU_GROUP, MMLU_SUBJECT_PREFIX, MMLU_SUBSET } from "../paper/suites.js";
import { mmluTaskNames } from "../tasks/registry.js";
import type { MmluAggregate, PaperRow } from "./types.js";

/** Is this result an MMLU subject (run through the `mmlu` group or named by `--tasks`)? */
export function isMmluSubject(r: TaskResult): boolean {
  return r.group === MMLU_GROUP || r.task.name.startsWith(MMLU_SUBJECT_PREFIX);
}

/**
 * The MMLU subjects that ran, and how they are reported: as the paper's "mmlu" only when every
 * one of the 57 subjects has a score; otherwise as "mmlu_subset" ("mmlu subset (k of 57
 * subjects)"), which no published figure or average uses.
 */
export function mmluGroup(taskResults: readonly TaskResult[]): { key: string; label: string; results: TaskResult[] } | null {
  const results = taskResults.filter(isMmluSubject);
  if (results.length === 0) return null;
  const all = mmluTaskNames();
  const ran = new Set(results.map((r) => r.task.name));
  const complete = all.every((name) => ran.has(name));
  return complete
    ? { key: MMLU_GROUP, label: `mmlu (${results.length} subjects)`, results }
    : { key: MMLU_SUBSET, label: `mmlu subset (${ran.size} of ${all.length} subjects)`, results };
}

/** lm-eval's `aggregate_subtask_metrics(metrics, sizes, weight_by_size)`. */
export function aggregateSubtaskMetrics(values: readonly number[], sizes: readonly number[], weightBySize: boolean): number {
  const w = weightBySize ? sizes : sizes.map(() => 1);
  let num = 0;
  let den = 0;
  values.forEach((v, i) => {
    num += v * w[i]!;
    den += w[i]!;
  });
  return num / den;
}

/** lm-eval's `pooled_sample_stderr(stderrs, sizes)`: sqrt(Σ (n_i - 1) se_i² n_i / (Σ n_i - k) / Σ n_i). */
export function pooledSampleStderr(stderrs: readonly number[], sizes: readonly number[]): number {
  let num = 0;
  let total = 0;
  stderrs.forEach((se, i) => {
    num += (sizes[i]! - 1) * se * se * sizes[i]!;
    total += sizes[i]!;
  });
  return Math.sqrt(num / (total - sizes.length) / total);
}

/** MMLU's acc both ways (0-1); null when a subject has no acc. */
export function mmluAggregates(subjects: readonly TaskResult[]): { lm_eval_v0_4: MmluAggregate; open_llm_leaderboard_v1: MmluAggregate } | null {
  const accs = subjects.map((m) => m.metrics.acc?.value);
  if (subjects.length === 0 || accs.some((v) => v === undefined)) return null;
  const values = accs as number[];
  const sizes = subjects.map((m) => m.nEffective);
  const stderrs = subjects.map((m) => m.metrics.acc?.stderr ?? null);
  const known = stderrs.every((v): v is number => v !== null);
  return {
    lm_eval_v0_4: {
      label: "lm-evaluation-harness v0.4 group: subjects weighted by size (micro mean over docs), pooled stderr",
      acc: aggregateSubtaskMetrics(values, sizes, true),
      acc_stderr: known && sizes.reduce((a, n) => a + n, 0) > sizes.length ? pooledSampleStderr(stderrs, sizes) : "N/A",
    },
    open_llm_leaderboard_v1: {
      label: "Open LLM Leaderboard v1 (the paper's MMLU): unweighted mean of the subject accuracies",
      acc: aggregateSubtaskMetrics(values, sizes, false),
      // Subjects are independent samples: the stderr of their unweighted mean is sqrt(Σ se_i²) / k.
      acc_stderr: known ? Math.sqrt(stderrs.reduce((a, v) => a + v * v, 0)) / stderrs.length : "N/A",
    },
  };
}

/** Scores of the paper's columns (0-100, unrounded) with the rows that show them. */
export function paperRows(taskResults: TaskResult[]): PaperRow[] {
  const rows: PaperRow[] = [];
  const seen = new Set<string>();
  const published = (key: string) => referenceFigures((m) => publishedColumn(m, key));
  const group = mmluGroup(taskResults);
  const mmlu = group?.results ?? [];
  for (const r of taskResults) {
    if (isMmluSubject(r)) {
      if (seen.has(MMLU_GROUP)) continue;
      seen.add(MMLU_GROUP);
      const both = mmluAggregates(mmlu);
      if (!both) continue;
      // The leaderboard's MMLU (the paper's number): the unweighted mean of the subject accuracies.
      const v1 = both.open_llm_leaderboard_v1;
      rows.push({
        key: group!.key,
        task: group!.label,
        metric: "acc",
        sampleScale: sampleScaleOf(r.task.metrics.acc!),
        shots: r.shots,
        score: v1.acc * 100,
        stderr: v1.acc_stderr === "N/A" ? null : v1.acc_stderr * 100,
        n: mmlu.reduce((a, m) => a + m.nEffective, 0),
        // A subset is not the paper's MMLU: no published figure beside it.
        published: group!.key === MMLU_GROUP ? published(MMLU_GROUP) : referenceFigures(() => undefined),
        partialData: mmlu.some((m) => m.data.eval.partial !== null || (m.data.fewshot?.partial ?? null) !== null),
      });
      continue;
    }
    const key = columnKeyOfTask(r.task.name);
    const metric = r.task.primaryMetric;
    const m = r.metrics[metric];
    const spec = r.task.metrics[metric];
    if (!m || !spec) continue;
    const isPaperColumn = key !== undefined && !seen.has(key);
    if (key) seen.add(key);
    rows.push({
      key: isPaperColumn ? key! : r.task.name,
      task: r.task.name,
      metric,
      sampleScale: sampleScaleOf(spec),
      shots: r.shots,
      score: m.value * spec.scale,
      stderr: m.stderr === null ? null : m.stderr * spec.scale,
      n: r.nEffective,
      published: isPaperColumn ? published(key!) : referenceFigures(() => undefined),
      partialData: r.data.eval.partial !== null || (r.data.fewshot?.partial ?? null) !== null,
    });
  }
  return rows;
}
