// The result.json of Stability-AI's lm-evaluation-harness (jp-stable branch, lm-eval v0.3's
// `main.py --output_path`), as its models/*/result.json files show: `results` per task with each
// metric and, where it has one, `<metric>_stderr` (acc 0-1; exact_match, f1 and rouge2 0-100),
// `versions` per task as numbers, and `config` (model, model_args, num_fewshot as the list in
// task order, batch_size, device, no_cache, limit, bootstrap_iters, description_dict). Only the
// Japanese suite's tasks are jp-stable tasks.

import { UserError } from "../../util/errors.js";
import { columnKeyOfTask, suiteOfColumn } from "../../paper/suites.js";
import type { ResultsDocument } from "../types.js";
import { flatMetrics, leafTasks, numericVersion } from "./flat.js";

export function jpStableResults(doc: ResultsDocument): Record<string, unknown> {
  const ja = leafTasks(doc).filter((t) => suiteOfColumn(columnKeyOfTask(t) ?? "") === "ja");
  if (ja.length === 0) {
    throw new UserError("usage", "--format jp-stable needs a task of the Japanese suite (--suite ja); use --format lm-eval for the others.");
  }
  const results: Record<string, Record<string, number>> = {};
  const versions: Record<string, number> = {};
  for (const task of ja) {
    results[task] = flatMetrics(doc, task);
    versions[task] = numericVersion(doc.versions[task]);
  }
  const gpu = doc.rakuten_eval.engine.gpu;
  return {
    results,
    versions,
    config: {
      model: "llama.cpp",
      model_args: String(doc.config.model_args ?? ""),
      num_fewshot: ja.map((t) => doc["n-shot"][t] ?? 0),
      batch_size: doc.rakuten_eval.engine.batchSize,
      device: gpu === false ? "cpu" : String(gpu),
      no_cache: false,
      limit: (doc.config.limit as number | null | undefined) ?? null,
      bootstrap_iters: (doc.config.bootstrap_iters as number | undefined) ?? 100000,
      description_dict: {},
    },
  };
}
