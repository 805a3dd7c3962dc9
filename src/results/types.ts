// The results document's types: lm-evaluation-harness v0.4's results file (its
// lm_eval/result_schema.py `EvalResults`) with everything of ours under `rakuten_eval`.
// Fields that earlier versions of rakuten-eval did not write are optional, because those files
// are still read (compare, report).

import type { BackendDescription } from "../api/types.js";
import type { ReferenceFigures } from "../paper/published.js";
import type { ShardRecord } from "../shard/shard.js";
import type { SuiteAverage } from "./averages.js";

export interface DatasetRecord {
  dataset: string;
  split: string;
  path: string;
  sha256: string;
  records: number;
  verified: string;
  partial: boolean;
  partialNote?: string;
}

/** A samples file as the results file records it (`rakuten_eval.samples[<file name>]`). */
export interface SamplesFileRecord {
  task: string;
  sha256: string;
  bytes: number;
}

/** One row of the paper comparison: a paper column and our score for it. */
export interface PaperRow {
  key: string;
  task: string;
  metric: string;
  /**
   * Multiply a per-doc value of `metric` in the task's samples file by this for the 0-100 scale
   * of `score` (the metric spec's `sampleScale`): 100 for acc, mc2 and XLSum's rouge2 F (stored
   * 0-1), 1 for exact_match (stored 0/100). Optional: files written before it was recorded lack it.
   */
  sampleScale?: 1 | 100;
  shots: number;
  /** 0-100, unrounded. */
  score: number;
  /** 0-100 */
  stderr: number | null;
  n: number;
  published: ReferenceFigures;
  partialData: boolean;
}

/** What a task's score depends on that lm-eval's `configs` has no key for. */
export interface TaskSettingsRecord {
  group?: string;
  prompt_version?: string;
  /** How (context, continuation) pairs were tokenized: compare refuses to pair runs that differ. */
  tokenization?: string;
  eval_split: string;
  fewshot_split?: string;
  fewshot_sampler: string;
  requested_num_fewshot: number;
  primary_metric: string;
}

/** MMLU's score both ways, each labelled (rakuten_eval.mmlu). */
export interface MmluAggregate {
  label: string;
  /** 0-1, as lm-eval stores acc. */
  acc: number;
  acc_stderr: number | "N/A";
}

/** One task's (or group's) entry in `results`/`groups`: `name`, `alias`, `sample_len`, `<metric>,<filter>` values. */
export type TaskMetrics = Record<string, number | string | null | Record<string, number>>;

/** Which tokenizer made the run's token ids (rakuten_eval.tokenizer). */
export interface TokenizerRecord {
  /** gguf: llama.cpp's reading of the GGUF's vocabulary; hf: the model's own tokenizer files (`--hf-tokenizer`); server: the inference server's. */
  source: "gguf" | "hf" | "server";
  vocabulary?: string;
  /** source hf: the files by name, with their sha256. */
  files?: Record<string, string>;
  /** A run with both a GGUF and `--hf-tokenizer`: how many requests' ids the GGUF's own tokenizer gives alike. */
  gguf_agreement?: TokenizerAgreementRecord;
}

export interface TokenizerAgreementRecord {
  requests: number;
  differing: number;
  tasks: Record<string, { requests: number; differing: number }>;
}

/** The source of a rescored run (`rakuten-eval rescore`). */
export interface RescoredFrom {
  /** `<model folder>/<results file>`: the source's name without this machine's path. */
  file: string;
  /** sha256 of the source results file. */
  sha256: string;
  /** The version of rakuten-eval that wrote the source (the rescored run's `harness` is the one that rescored it). */
  harness: { name: string; version: string; git_commit: string | null };
  /** Samples files of the source whose bytes differed from its record (edited after publishing). */
  edited_samples?: string[];
}

export interface RakutenEvalRecord {
  summary: PaperRow[];
  averages: SuiteAverage[];
  skipped: { task: string; reason: string }[];
  notes: string[];
  complete: boolean;
  /** Why the run stopped early; present when `complete` is false. */
  incomplete_reason?: string;
  /** The samples files published with this document (same folder), by file name (src/run/runOutput.ts). */
  samples?: Record<string, SamplesFileRecord>;
  datasets: Record<string, DatasetRecord[]>;
  /** Per task, the settings lm-eval's configs has no key for (absent in older files: they kept them in `configs`). */
  task_settings?: Record<string, TaskSettingsRecord>;
  /** MMLU both ways: lm-eval v0.4's group (weighted by subject size) and the Open LLM Leaderboard v1's macro mean. */
  mmlu?: { lm_eval_v0_4: MmluAggregate; open_llm_leaderboard_v1: MmluAggregate };
  engine: BackendDescription;
  harness: { name: string; version: string; git_commit: string | null };
  /** `run --label`, when given. */
  label?: string;
  /** Which tokenizer made the token ids (absent in files of earlier versions: the GGUF's). */
  tokenizer?: TokenizerRecord;
  /**
   * Present in the results of `run --shard i/N`: which shard this is, the docs it scored and
   * what `merge` needs to rebuild the whole run. Such results are a part, not a run: compare
   * and report refuse or mark them.
   */
  shard?: ShardRecord;
  /** Set by `merge`: how many shards these results were rebuilt from. */
  merged_shards?: number;
  /** Set by `rescore`: the run whose saved responses these results were scored again from. */
  rescored_from?: RescoredFrom;
  /** The ISO time the run started (lm-eval's `date` is a Unix time). */
  started?: string;
}

export interface ResultsDocument {
  results: Record<string, TaskMetrics>;
  /** Only when a group ran (lm-eval writes it only then; older rakuten-eval files always did). */
  groups?: Record<string, TaskMetrics>;
  group_subtasks: Record<string, string[]>;
  configs: Record<string, Record<string, unknown>>;
  /** Numbers as lm-eval writes task VERSIONs (older rakuten-eval files: strings). */
  versions: Record<string, number | string>;
  "n-shot": Record<string, number>;
  higher_is_better: Record<string, Record<string, boolean | null>>;
  "n-samples": Record<string, { original: number; effective: number }>;
  config: Record<string, unknown>;
  git_hash?: string | null;
  /** Unix time (older rakuten-eval files: an ISO string). */
  date: number | string;
  tokenizer_pad_token?: [string, string];
  tokenizer_eos_token?: [string, string];
  tokenizer_bos_token?: [string, string];
  eot_token_id?: number | null;
  max_length?: number | null;
  model_source?: string;
  model_name?: string;
  model_name_sanitized?: string;
  system_instruction?: string | null;
  system_instruction_sha?: string | null;
  fewshot_as_multiturn?: boolean | null;
  chat_template?: string | null;
  chat_template_sha?: string | null;
  /** lm-eval's perf_counter readings; Unix times here. */
  start_time?: number;
  end_time?: number;
  task_hashes?: Record<string, string>;
  /** A string, as lm-eval writes it (older rakuten-eval files: a number). */
  total_evaluation_time_seconds: string | number;
  rakuten_eval: RakutenEvalRecord;
}

/** `date` as an ISO string, whichever way the file wrote it. */
export function isoDateOf(doc: Pick<ResultsDocument, "date">): string {
  return typeof doc.date === "number" ? new Date(doc.date * 1000).toISOString() : doc.date;
}
