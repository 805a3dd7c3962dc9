// Small results documents and samples files for the compare/report tests. Every score here is
// written by hand by the test that asks for it; nothing is computed by the code under test.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { columnOf } from "../../src/paper/suites.js";

export interface FixtureTask {
  /** Paper column key (jnli) or, for an extra task, the task name. */
  key: string;
  task: string;
  metric: string;
  /** 0-100 as the summary row shows it. */
  score: number;
  stderr?: number | null;
  n: number;
  /** Per-doc values of `metric` as the run stores them (acc 0/1, exact_match 0/100, rouge2 F 0-100); omit for no samples file. */
  samples?: number[];
  /** doc ids of the samples (default 0..n-1). */
  docIds?: number[];
  /** The recorded per-doc scale (summary `sampleScale`); omitted, the file is like one written before it was recorded. */
  sampleScale?: 1 | 100;
  /** Shots (default: the paper's for a paper column, else 0). */
  shots?: number;
  /** configs[task].prompt_version (default none). */
  promptVersion?: string;
  /** versions[task] (default "1.0"; a number is written as lm-eval's layout does). */
  version?: string | number;
  /** Per doc (same order as samples): loglikelihood continuations and their log-likelihoods, written as requests/responses. */
  choices?: { continuations: string[]; logprobs: number[]; context?: string }[];
  /** Per doc (same order as samples): the samples line's `doc` (gold, target, ...), as a task's describeDoc writes it. */
  describe?: Record<string, unknown>[];
  /** configs[task].tokenization (default none recorded). */
  tokenization?: string;
  /** sha256 of the eval split in rakuten_eval.datasets (default none recorded). */
  datasetSha256?: string;
}

export interface FixtureAverage {
  id: "ja_avg" | "ja_7avg" | "en_avg";
  value: number | null;
  tasks: string[];
}

export interface FixtureRun {
  modelPath?: string;
  tasks: FixtureTask[];
  averages?: FixtureAverage[];
  /** MMLU subjects: task name -> per-doc acc 0/1 (written as samples_<subject>.jsonl). */
  mmluSubjects?: Record<string, number[]>;
  limit?: number | null;
  /** rakuten_eval.complete (default true). */
  complete?: boolean;
  /** rakuten_eval.label (default none). */
  label?: string;
  /** sha256 recorded in rakuten_eval.samples for samples_<task>.jsonl, by task (default none). */
  samplesSha256?: Record<string, string>;
  modelSha256?: string;
  /** Overrides of rakuten_eval.engine (kvCacheType, engineVersion, ...). */
  engine?: Record<string, unknown>;
  /** Extra keys of `config` (the chat template records, ...). */
  config?: Record<string, unknown>;
  /** rakuten_eval.skipped: tasks the run selected and could not score, with the run's reason (default none). */
  skipped?: { task: string; reason: string }[];
}

const SHA = "0".repeat(64);

/** A task's shots: given, else the paper's for its column (so that a fixture matches the paper's setup), else 0. */
function shotsOf(t: FixtureTask | undefined): number {
  if (t?.shots !== undefined) return t.shots;
  return (t && columnOf(t.key)?.shots) ?? 0;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `rakuten-eval-${prefix}-`));
}

/** Write results.json (schema-valid) and samples_<task>.jsonl into dir; returns dir. */
export function writeRun(dir: string, run: FixtureRun): string {
  mkdirSync(dir, { recursive: true });
  const results: Record<string, Record<string, number | string | null>> = {};
  const configs: Record<string, Record<string, unknown>> = {};
  const versions: Record<string, string | number> = {};
  const nShot: Record<string, number> = {};
  const nSamples: Record<string, { original: number; effective: number }> = {};
  const higher: Record<string, Record<string, boolean>> = {};
  const writeSamples = (task: string, metric: string, values: number[], ids?: number[], choices?: FixtureTask["choices"], describe?: FixtureTask["describe"]) => {
    const lines = values.map((v, i) => {
      const ch = choices?.[i];
      const requests = ch ? ch.continuations.map((continuation) => ({ type: "loglikelihood", context: ch.context ?? "q", continuation, tokenization: "separate" })) : [];
      const responses = ch ? ch.logprobs.map((logprob) => ({ logprob, isGreedy: false })) : [];
      return JSON.stringify({ task, doc_id: ids?.[i] ?? i, shuffled_index: i, ...(describe?.[i] ? { doc: describe[i] } : {}), request_hashes: ["h"], requests, responses, metrics: { [metric]: v } });
    });
    writeFileSync(path.join(dir, `samples_${task}.jsonl`), lines.join("\n") + "\n");
  };
  const datasets: Record<string, unknown[]> = {};
  const addTask = (task: string, metric: string, value: number, n: number, t?: FixtureTask) => {
    const shots = shotsOf(t);
    const version = t?.version ?? "1.0";
    results[task] = { alias: task, [`${metric},none`]: value };
    configs[task] = {
      task,
      version,
      ...(t?.promptVersion ? { prompt_version: t.promptVersion } : {}),
      ...(t?.tokenization ? { tokenization: t.tokenization } : {}),
      dataset: task,
      num_fewshot: shots,
      metric_list: [{ metric }],
      fewshot_seed: 42,
    };
    if (t?.datasetSha256) datasets[task] = [{ dataset: task, split: "test", path: `/data/${task}.jsonl`, sha256: t.datasetSha256, records: n, verified: "sha256", partial: false }];
    versions[task] = version;
    nShot[task] = shots;
    nSamples[task] = { original: n, effective: n };
    higher[task] = { [metric]: true };
  };
  for (const t of run.tasks) {
    if (t.key !== "mmlu") addTask(t.task, t.metric, t.score, t.n, t);
    if (t.samples) writeSamples(t.task, t.metric, t.samples, t.docIds, t.choices, t.describe);
  }
  const groupSubtasks: Record<string, string[]> = {};
  if (run.mmluSubjects) {
    groupSubtasks.mmlu = Object.keys(run.mmluSubjects);
    for (const [subject, values] of Object.entries(run.mmluSubjects)) {
      addTask(subject, "acc", 0, values.length, { key: "mmlu", task: subject, metric: "acc", score: 0, n: values.length, shots: 5 });
      writeSamples(subject, "acc", values);
    }
  }
  const modelPath = run.modelPath ?? "/models/model.gguf";
  const sha = run.modelSha256 ?? SHA;
  const doc = {
    results,
    groups: {},
    group_subtasks: groupSubtasks,
    versions,
    "n-shot": nShot,
    configs,
    higher_is_better: higher,
    "n-samples": nSamples,
    config: { model: "llama.cpp", model_args: `model=${modelPath}`, model_sha256: sha, limit: run.limit ?? null, ...run.config },
    rakuten_eval: {
      summary: run.tasks.map((t) => ({
        key: t.key,
        task: t.task,
        metric: t.metric,
        ...(t.sampleScale !== undefined ? { sampleScale: t.sampleScale } : {}),
        shots: shotsOf(t),
        score: t.score,
        stderr: t.stderr ?? null,
        n: t.n,
        published: { "rakuten-ai-7b": null, "rakuten-ai-7b-instruct": null },
        partialData: false,
      })),
      averages: (run.averages ?? []).map((a) => ({
        id: a.id,
        label: a.id,
        value: a.value,
        rounded: a.value === null ? null : Math.round(a.value * 100) / 100,
        tasks: a.tasks,
        missing: [],
        partialValue: a.value,
        published: { "rakuten-ai-7b": null, "rakuten-ai-7b-instruct": null },
      })),
      skipped: run.skipped ?? [],
      notes: [],
      complete: run.complete ?? true,
      ...(run.label !== undefined ? { label: run.label } : {}),
      // As `run` records it (src/run/runOutput.ts): samples file name -> { task, sha256, bytes }.
      ...(run.samplesSha256
        ? { samples: Object.fromEntries(Object.entries(run.samplesSha256).map(([t, sha]) => [`samples_${t}.jsonl`, { task: t, sha256: sha, bytes: 0 }])) }
        : {}),
      datasets,
      engine: {
        engine: "llama.cpp",
        engineVersion: "test",
        modelPath,
        modelSha256: sha,
        contextSize: 2048,
        batchSize: 512,
        threads: 2,
        kvCacheType: "f16",
        flashAttention: false,
        gpu: false,
        ...(run.engine ?? {}),
      },
      harness: { name: "rakuten-eval", version: "0.1.0", git_commit: null },
    },
    date: "2024-03-25T00:00:00.000Z",
    total_evaluation_time_seconds: 1,
  };
  writeFileSync(path.join(dir, "results.json"), JSON.stringify(doc, null, 2) + "\n");
  return dir;
}

/** n values: `ones` ones first, then zeros. */
export function bits(n: number, ones: number, one = 1): number[] {
  return Array.from({ length: n }, (_, i) => (i < ones ? one : 0));
}
