// The RakutenAI-7B paper's two suites as data (arXiv:2403.15484v1 Tables 1-4; spec
// reference-harnesses.md §1, §7, §8): the tasks in table order, what each column reports and
// how the averages are formed. Everything that lays out, scores or compares a suite reads this
// module, so adding a task to a suite is one edit here. Data and tiny pure helpers only: it
// imports nothing above the API contracts (no tasks, evaluator or reports).

import type { Suite } from "../api/task.js";
import type { TokenizationRule } from "../api/types.js";

export type SuiteId = Suite;
export type AverageId = "ja_avg" | "ja_7avg" | "en_avg";

/** One column of the paper's tables. */
export interface PaperColumn {
  /** Column key: the summary row's `key` in results.json and the published tables' key. */
  key: string;
  /** Display label in tables, reports and charts. */
  label: string;
  /** The reference task the suite runs for it (`mmlu` is the group of 57 subject tasks). */
  task: string;
  /** The paper's shots. */
  shots: number;
  /** The metric the paper prints. */
  metric: string;
  /**
   * Multiply the reference harness's aggregate of `metric` by this to get the 0-100 figure the
   * paper prints: acc/acc_norm/mc2 are stored 0-1, exact_match and rouge2 already 0-100.
   */
  metricScale: 1 | 100;
  /**
   * Docs the paper's run scored, for an unpaired test against a published figure (the paper
   * prints no n). JA sizes: spec §3 and §8.3 (every Rakuten cell is an integer count over
   * these N); ARC/HellaSwag: spec §4.1-4.2; MMLU: the 57 cais/mmlu test splits; TruthfulQA:
   * the 817 questions of truthful_qa multiple_choice validation.
   */
  paperDocs: number;
}

export interface PaperAverage {
  id: AverageId;
  suite: SuiteId;
  label: string;
  /** Column keys averaged, in table order. */
  columns: readonly string[];
}

export interface PaperSuite {
  id: SuiteId;
  /** Heading of the suite's section in reports. */
  name: string;
  /** What a run of the suite reproduces: harness, commit and prompt version. */
  title: string;
  /** Caption of the suite's section in reports: which of the paper's tables it mirrors. */
  tablesTitle: string;
  /** The harness the paper ran the suite with (spec §1). */
  harness: { repository: string; commit: string };
  /** How that harness tokenizes a (context, continuation) pair (api/types.ts `TokenizationRule`). */
  tokenization: TokenizationRule;
  columns: readonly PaperColumn[];
}

export const PAPER_SUITES: Record<SuiteId, PaperSuite> = {
  ja: {
    id: "ja",
    name: "Japanese",
    title: "Japanese (Stability-AI lm-evaluation-harness 0fa86429, prompt 0.3)",
    tablesTitle: "Japanese (Stability-AI lm-evaluation-harness, Tables 1 and 3)",
    harness: { repository: "Stability-AI/lm-evaluation-harness", commit: "0fa86429679f521161d5b81a94c0c385e0a0976d" },
    tokenization: "separate",
    columns: [
      { key: "jcommonsenseqa", label: "JCommonsenseQA", task: "jcommonsenseqa-1.1-0.3", shots: 3, metric: "acc", metricScale: 100, paperDocs: 1119 },
      { key: "jnli", label: "JNLI", task: "jnli-1.1-0.3", shots: 3, metric: "acc", metricScale: 100, paperDocs: 2434 },
      { key: "marc_ja", label: "MARC-ja", task: "marc_ja-1.1-0.3", shots: 3, metric: "acc", metricScale: 100, paperDocs: 5654 },
      { key: "jsquad", label: "JSQuAD", task: "jsquad-1.1-0.3", shots: 2, metric: "exact_match", metricScale: 1, paperDocs: 4442 },
      { key: "jaqket_v2", label: "JAQKET v2", task: "jaqket_v2-0.1-0.3", shots: 1, metric: "exact_match", metricScale: 1, paperDocs: 1164 },
      { key: "xlsum_ja", label: "XLSum-ja", task: "xlsum_ja-1.0-0.3", shots: 1, metric: "rouge2", metricScale: 1, paperDocs: 766 },
      { key: "xwinograd_ja", label: "xWinograd-ja", task: "xwinograd_ja", shots: 0, metric: "acc", metricScale: 100, paperDocs: 959 },
      { key: "mgsm", label: "MGSM", task: "mgsm-1.0-0.3", shots: 5, metric: "acc", metricScale: 100, paperDocs: 250 },
    ],
  },
  en: {
    id: "en",
    name: "English",
    title: "English (EleutherAI lm-evaluation-harness b281b09, Open LLM Leaderboard v1)",
    tablesTitle: "English (Open LLM Leaderboard v1 tasks, Tables 2 and 4)",
    harness: { repository: "EleutherAI/lm-evaluation-harness", commit: "b281b0921b636bc36ad05c0b0b0763bd6dd43463" },
    tokenization: "encode_pair",
    columns: [
      { key: "arc_challenge", label: "ARC-Challenge", task: "arc_challenge", shots: 25, metric: "acc_norm", metricScale: 100, paperDocs: 1172 },
      { key: "hellaswag", label: "HellaSwag", task: "hellaswag", shots: 10, metric: "acc_norm", metricScale: 100, paperDocs: 10042 },
      { key: "mmlu", label: "MMLU", task: "mmlu", shots: 5, metric: "acc", metricScale: 100, paperDocs: 14042 },
      // The paper says "6-shot", but the Leaderboard v1 task takes no shots: its prompt holds six fixed QA pairs.
      { key: "truthfulqa_mc", label: "TruthfulQA", task: "truthfulqa_mc", shots: 0, metric: "mc2", metricScale: 100, paperDocs: 817 },
    ],
  },
};

/** Suites in the order the paper (and every report) shows them. */
export const SUITE_IDS: readonly SuiteId[] = ["ja", "en"];

/** The group name `mmlu` stands for, and the prefix of its 57 subject tasks. */
export const MMLU_GROUP = "mmlu";
export const MMLU_SUBJECT_PREFIX = "hendrycksTest-";
/**
 * Summary key (and `groups` key) of MMLU when not all 57 subjects ran (`--tasks` naming some
 * subjects, a skipped or interrupted subject): its own row, never the paper's MMLU column,
 * never compared with the paper's figure, never in the EN average.
 */
export const MMLU_SUBSET = "mmlu_subset";

/** Column keys of a suite in table order. */
export function suiteColumnKeys(suite: SuiteId): readonly string[] {
  return PAPER_SUITES[suite].columns.map((c) => c.key);
}

/** The paper's averages (spec §7): Avg over 8, 7-Avg without XLSum ("low correlation with human judgements"), EN Avg over 4. */
export const PAPER_AVERAGES: readonly PaperAverage[] = [
  { id: "ja_avg", suite: "ja", label: "JA Avg (8 tasks)", columns: suiteColumnKeys("ja") },
  { id: "ja_7avg", suite: "ja", label: "JA 7-Avg (no XLSum)", columns: suiteColumnKeys("ja").filter((k) => k !== "xlsum_ja") },
  { id: "en_avg", suite: "en", label: "EN Avg (4 tasks)", columns: suiteColumnKeys("en") },
];

/** Every column of both suites, in table order. */
export function allColumns(): PaperColumn[] {
  return SUITE_IDS.flatMap((s) => [...PAPER_SUITES[s].columns]);
}

export function columnOf(key: string): PaperColumn | undefined {
  return allColumns().find((c) => c.key === key);
}

/** The suite a column key belongs to; "other" for an extra task. */
export function suiteOfColumn(key: string): SuiteId | "other" {
  for (const s of SUITE_IDS) if (PAPER_SUITES[s].columns.some((c) => c.key === key)) return s;
  return "other";
}

/**
 * The column a task reports into: its suite entry, an MMLU subject, or a later version of a
 * versioned reference task (`jnli-1.3-0.3` reports in `jnli-1.1-0.3`'s column; the family is the
 * name before the first "-"). Unversioned names (`hellaswag`) have no variants.
 */
export function columnKeyOfTask(taskName: string): string | undefined {
  if (taskName.startsWith(MMLU_SUBJECT_PREFIX)) return MMLU_GROUP;
  const columns = allColumns();
  const exact = columns.find((c) => c.task === taskName);
  if (exact) return exact.key;
  const family = taskName.split("-")[0]!;
  return columns.find((c) => c.task.includes("-") && c.task.split("-")[0] === family)?.key;
}

/** The published models every results document quotes beside its scores (the paper's own two rows). */
export const REFERENCE_MODELS = ["rakuten-ai-7b", "rakuten-ai-7b-instruct"] as const;
export type ReferenceModelId = (typeof REFERENCE_MODELS)[number];

/** `published:rakutenai-7b` names the paper's RakutenAI-7B row by the model's repository name. */
export const PUBLISHED_ALIASES: Readonly<Record<string, string>> = {
  "rakutenai-7b": "rakuten-ai-7b",
  "rakutenai-7b-instruct": "rakuten-ai-7b-instruct",
  "rakutenai-7b-chat": "rakuten-ai-7b-instruct",
};
