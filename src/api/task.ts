import type { ScoringTools, TaskRequest, TaskResponse } from "./types.js";
import type { PyRandom } from "../random/pyRandom.js";

export type Suite = "ja" | "en";

/** How a task draws its few-shot examples. */
export type FewshotRule =
  /** `rnd.sample(trainingDocsInDatasetOrder, k)` (Stability and EleutherAI `fewshot_examples`). */
  | { kind: "random" }
  /** Stability HEAD `_stratified_fewshot_examples` (JNLI 1.3): per-label samples, then a shuffle. */
  | { kind: "stratified" }
  /** The first k docs of the few-shot split in file order, no RNG (MMLU's dev split). */
  | { kind: "first" }
  /** The task takes no shots (xWinograd, TruthfulQA). */
  | { kind: "none" };

/** How per-doc values of one metric become the task's score. */
export type Aggregation =
  | "mean"
  /** XLSum: median of 1000 bootstrap means on numpy's legacy RNG seeded 1234 (rouge-score BootstrapAggregator). */
  | "rouge2_bootstrap_mid";

export interface MetricSpec {
  aggregation: Aggregation;
  higherIsBetter: boolean;
  /**
   * Multiply the aggregated value (results.json `results`) by this to get the 0-100 figure the
   * paper prints: 100 for acc/acc_norm/mc2 (stored 0-1 as the reference does), 1 for
   * exact_match and rouge2 (the reference already reports them 0-100).
   */
  scale: 1 | 100;
  /**
   * Multiply a per-doc value (samples_<task>.jsonl `metrics`) by this to get the 0-100 scale.
   * Absent: the same as `scale` (a mean keeps its values' scale). It differs where the
   * reference aggregates on one scale and reports on another: XLSum's ROUGE-2 F is 0-1 per doc
   * (rouge-score's bootstrap rows) but reported 0-100, so `sampleScale: 100` with `scale: 1`.
   * The evaluator stores the aggregate × sampleScale / scale; compare reads it from results.
   */
  sampleScale?: 1 | 100;
}

/** The factor that turns a per-doc value of this metric into the 0-100 scale. */
export function sampleScaleOf(spec: MetricSpec): 1 | 100 {
  return spec.sampleScale ?? spec.scale;
}

/** One dataset file a task reads, named by its manifest. */
export interface DataFileRef {
  /** Manifest id in `datasets/` (for example `jcommonsenseqa`). */
  dataset: string;
  /** Split name inside that manifest (`validation`, `train`, `test`, `dev`). */
  split: string;
}

export interface Task<Doc = unknown> {
  /** Reference harness name, e.g. `jcommonsenseqa-1.1-0.3`. */
  name: string;
  aliases: string[];
  suite: Suite;
  /** Task VERSION as the reference harness reports it in `versions`. */
  version: string;
  /** Prompt version (`0.3`) where the reference has one. */
  promptVersion?: string;
  /** The metric the paper reports (acc, acc_norm, exact_match, rouge2, mc2). */
  primaryMetric: string;
  metrics: Record<string, MetricSpec>;
  defaultShots: number;
  fewshot: FewshotRule;
  evalData: DataFileRef;
  fewshotData?: DataFileRef;
  /** Text shown by `tasks`: where shots come from. */
  fewshotSource: string;

  /** Parse the records of one split (already read and verified) into docs, in dataset order. */
  parseDocs(split: "eval" | "fewshot", records: unknown[]): Doc[];

  /** Label used by stratified sampling (index into the label set). */
  fewshotLabel?(doc: Doc): number;

  /** `fewshot_context`: description + shots + the doc's text. Shots are already picked. */
  fewshotContext(doc: Doc, shots: Doc[]): string;

  /**
   * The pieces `fewshotContext` joins (`joinPromptParts` of them is `fewshotContext`), so that the
   * evaluator can lay them out as chat turns the way lm-eval v0.4 does.
   */
  promptParts(doc: Doc, shots: Doc[]): PromptParts;

  /** `construct_requests`. */
  constructRequests(doc: Doc, context: string): TaskRequest[];

  /** `process_results`: one value per metric for this doc. */
  processResults(doc: Doc, responses: TaskResponse[], tools: ScoringTools): Record<string, number>;

  /** Anything about the doc worth keeping in the samples file (gold, target). */
  describeDoc?(doc: Doc): Record<string, unknown>;

  /**
   * What `processResults` compares with the target, per request, where it extracts it from a
   * generation (MGSM's number): logged as lm-eval's `filtered_resps`.
   */
  extractedAnswers?(responses: TaskResponse[]): string[];
}

/** The parts of a plain few-shot context, in lm-eval v0.4's terms. */
export interface PromptParts {
  /** The description that opens the context, with whatever separates it from what follows ("" when none). */
  description: string;
  /** Each shot's `doc_to_text` and its target as the context writes it (after `targetDelimiter`). */
  shots: { text: string; target: string }[];
  /** Written after every shot (`fewshot_delimiter`). */
  fewshotDelimiter: string;
  /**
   * lm-eval's `target_delimiter`: what every target and loglikelihood continuation of the task
   * starts with (" " for EleutherAI's tasks, "" for jp-stable's). A chat template drops it.
   */
  targetDelimiter: string;
  /** `doc_to_text` of the evaluated doc. */
  text: string;
}

/** The plain context: description, each shot followed by the few-shot delimiter, the doc's text. */
export function joinPromptParts(parts: PromptParts): string {
  return parts.description + parts.shots.map((s) => s.text + s.target + parts.fewshotDelimiter).join("") + parts.text;
}

/** Picks shots for one doc with the per-task RNG; implemented in src/evaluation/fewshot.ts. */
export type FewshotSampler<Doc> = (rnd: PyRandom, pool: Doc[], k: number, task: Task<Doc>) => Doc[];
