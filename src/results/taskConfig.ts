// `configs[task]` as lm-evaluation-harness v0.4 dumps a task's config (api/task.py
// `TaskConfig.to_dict`: dataset_path, test_split / validation_split, fewshot_split,
// num_fewshot, metric_list, output_type, metadata.version, …), and what of ours it has no key
// for (`rakuten_eval.task_settings[task]`).

import type { TaskResult } from "../evaluation/evaluator.js";
import type { TaskSettingsRecord } from "./types.js";

/** A task VERSION as lm-eval writes it: a float where the version is a number ("1.1" → 1.1), else the text. */
export function versionNumber(version: string): number | string {
  return /^\d+(\.\d+)?$/.test(version) ? Number(version) : version;
}

/** lm-eval's output_type of the task's requests: multiple_choice (loglikelihood over choices) or generate_until. */
function outputType(r: TaskResult): string {
  const types = new Set(r.samples.flatMap((s) => s.requests.map((q) => ("type" in q ? q.type : "generate"))));
  if (types.has("generate")) return "generate_until";
  const perDoc = r.samples.map((s) => s.requests.length);
  return perDoc.some((n) => n > 1) ? "multiple_choice" : "loglikelihood";
}

export function taskConfig(r: TaskResult): Record<string, unknown> {
  const split = r.task.evalData.split;
  return {
    task: r.task.name,
    ...(r.group ? { tag: [r.group] } : {}),
    dataset_path: r.task.evalData.dataset,
    // lm-eval scores test_split when a task has one, else validation_split.
    ...(split === "test" ? { test_split: split } : { validation_split: split }),
    ...(r.task.fewshotData ? { fewshot_split: r.task.fewshotData.split } : {}),
    num_fewshot: r.shots,
    metric_list: Object.entries(r.task.metrics).map(([metric, s]) => ({
      metric,
      aggregation: s.aggregation,
      higher_is_better: s.higherIsBetter,
    })),
    output_type: outputType(r),
    repeats: 1,
    should_decontaminate: false,
    fewshot_config: { sampler: r.task.fewshot.kind === "first" ? "first_n" : "default" },
    metadata: { version: versionNumber(r.task.version) },
  };
}

/** The tokenization rule(s) of a task's loglikelihood requests. */
function tokenizationOf(r: TaskResult): { tokenization?: string } {
  const rules = [...new Set(r.samples.flatMap((s) => s.requests.flatMap((q) => ("tokenization" in q ? [q.tokenization] : []))))];
  return rules.length > 0 ? { tokenization: rules.join(",") } : {};
}

export function taskSettings(r: TaskResult): TaskSettingsRecord {
  return {
    ...(r.group ? { group: r.group } : {}),
    ...(r.task.promptVersion ? { prompt_version: r.task.promptVersion } : {}),
    ...tokenizationOf(r),
    eval_split: r.task.evalData.split,
    ...(r.task.fewshotData ? { fewshot_split: r.task.fewshotData.split } : {}),
    fewshot_sampler: r.task.fewshot.kind,
    requested_num_fewshot: r.requestedShots,
    primary_metric: r.task.primaryMetric,
  };
}
