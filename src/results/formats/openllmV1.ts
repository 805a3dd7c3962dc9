// The Open LLM Leaderboard v1 results file (the details/results repositories' results_<date>.json,
// written by lighteval running EleutherAI lm-evaluation-harness b281b09): `config_general`,
// `results` keyed "harness|<task>|<shots>" with `acc`, `acc_stderr`, `acc_norm`,
// `acc_norm_stderr` (`mc1`/`mc2` for TruthfulQA) plus an "all" entry averaging each metric over
// the tasks that have it, `versions` (with "all": 0), `config_tasks`, `summary_tasks` and
// `summary_general`. Only the English suite's tasks have a leaderboard name.

import { UserError } from "../../util/errors.js";
import { MMLU_SUBJECT_PREFIX } from "../../paper/suites.js";
import { isoDateOf, type ResultsDocument } from "../types.js";
import { flatMetrics, leafTasks, numericVersion } from "./flat.js";

/** The leaderboard's task name of one of ours, or null when the leaderboard has none. */
export function openLlmV1TaskName(task: string): string | null {
  if (task === "arc_challenge") return "arc:challenge";
  if (task === "hellaswag") return "hellaswag";
  if (task === "truthfulqa_mc") return "truthfulqa:mc";
  if (task.startsWith(MMLU_SUBJECT_PREFIX)) return task;
  return null;
}

/** The metrics the leaderboard keeps per task (lm-eval b281b09's, which is what lighteval stored). */
const KEPT = ["acc", "acc_stderr", "acc_norm", "acc_norm_stderr", "mc1", "mc1_stderr", "mc2", "mc2_stderr"];

function mean(values: number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

export function openLlmV1Results(doc: ResultsDocument): Record<string, unknown> {
  const results: Record<string, Record<string, number>> = {};
  const versions: Record<string, number> = { all: 0 };
  const configTasks: Record<string, string> = {};
  const summaryTasks: Record<string, unknown> = {};
  let docs = 0;
  for (const task of leafTasks(doc)) {
    const name = openLlmV1TaskName(task);
    if (name === null) continue;
    const shots = doc["n-shot"][task] ?? 0;
    const key = `harness|${name}|${shots}`;
    const flat = flatMetrics(doc, task);
    results[key] = Object.fromEntries(KEPT.filter((m) => flat[m] !== undefined).map((m) => [m, flat[m]!]));
    versions[key] = Math.trunc(numericVersion(doc.versions[task]));
    configTasks[`harness|${name}`] = "LM Harness task";
    const n = doc["n-samples"][task]?.effective ?? 0;
    docs += n;
    const hash = (doc.task_hashes?.[task] ?? "").slice(0, 16);
    summaryTasks[key] = {
      // lighteval hashes examples, prompts and tokens with xxhash; ours are the lm-eval task hash's first 16 hex digits.
      hashes: { hash_examples: hash, hash_full_prompts: hash, hash_input_tokens: "", hash_cont_tokens: "" },
      truncated: 0,
      non_truncated: n,
      padded: 0,
      non_padded: 0,
      effective_few_shots: shots,
      num_truncated_few_shots: 0,
    };
  }
  if (Object.keys(results).length === 0) {
    throw new UserError("usage", "--format openllm-v1 needs a task of the Open LLM Leaderboard v1 (arc_challenge, hellaswag, mmlu, truthfulqa_mc: --suite en); use --format lm-eval for the others.");
  }
  // "all": each metric averaged over the tasks that report it (stderrs too), as lighteval wrote it.
  const all: Record<string, number> = {};
  for (const m of KEPT) {
    const values = Object.values(results).flatMap((r) => (r[m] === undefined ? [] : [r[m]!]));
    if (values.length > 0) all[m] = mean(values);
  }
  const started = Date.parse(isoDateOf(doc)) / 1000;
  const seconds = Number(doc.total_evaluation_time_seconds);
  return {
    config_general: {
      lighteval_sha: doc.rakuten_eval.harness.git_commit ?? "",
      num_few_shot_default: 0,
      num_fewshot_seeds: 1,
      override_batch_size: doc.rakuten_eval.engine.batchSize,
      max_samples: (doc.config.limit as number | null | undefined) ?? null,
      job_id: "",
      start_time: started,
      end_time: started + seconds,
      total_evaluation_time_secondes: String(seconds),
      model_name: doc.model_name ?? doc.rakuten_eval.engine.modelPath,
      model_sha: doc.rakuten_eval.engine.modelSha256,
      model_dtype: "gguf",
      model_size: "",
    },
    results: { ...results, all },
    versions,
    config_tasks: configTasks,
    summary_tasks: summaryTasks,
    summary_general: {
      hashes: { hash_examples: "", hash_full_prompts: "", hash_input_tokens: "", hash_cont_tokens: "" },
      truncated: 0,
      non_truncated: docs,
      padded: 0,
      non_padded: 0,
      num_truncated_few_shots: 0,
    },
  };
}
