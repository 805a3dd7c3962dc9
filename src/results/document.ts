// The results JSON, laid out like lm-evaluation-harness v0.4's (`results`,
// `groups`, `versions`, `n-shot`, `configs`, `higher_is_better`, `n-samples`,
// `config`), plus what makes a run reproducible and the paper comparison.

import { sampleScaleOf } from "../api/task.js";
import type { BackendDescription } from "../api/types.js";
import type { SkippedTask, TaskResult } from "../evaluator.js";
import type { ShardRecord } from "../shard/shard.js";
import { publishedColumn, referenceFigures, type ReferenceFigures } from "../paper/published.js";
import { columnKeyOfTask, MMLU_GROUP, MMLU_SUBJECT_PREFIX, MMLU_SUBSET } from "../paper/suites.js";
import { mmluTaskNames } from "../tasks/registry.js";
import { suiteAverages, type SuiteAverage } from "./averages.js";

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

/** A samples file as results.json records it (`rakuten_eval.samples[<file name>]`). */
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
   * Multiply a per-doc value of `metric` in samples_<task>.jsonl by this for the 0-100 scale of
   * `score` (the metric spec's `sampleScale`): 100 for acc, mc2 and XLSum's rouge2 F (stored
   * 0-1), 1 for exact_match (stored 0/100). Compare reads it instead of guessing. Always
   * written; optional because results files written before it was recorded lack it.
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

export interface ResultsDocument {
  results: Record<string, Record<string, number | string | null>>;
  groups: Record<string, Record<string, number | string | null>>;
  group_subtasks: Record<string, string[]>;
  versions: Record<string, string>;
  "n-shot": Record<string, number>;
  configs: Record<string, Record<string, unknown>>;
  higher_is_better: Record<string, Record<string, boolean>>;
  "n-samples": Record<string, { original: number; effective: number }>;
  config: Record<string, unknown>;
  rakuten_eval: {
    summary: PaperRow[];
    averages: SuiteAverage[];
    skipped: { task: string; reason: string }[];
    notes: string[];
    complete: boolean;
    /** Why the run stopped early; present when `complete` is false. */
    incomplete_reason?: string;
    /**
     * The samples files published with this document (same folder), by file name: written by
     * the run when it publishes its outputs (see src/runOutput.ts); absent in older files.
     */
    samples?: Record<string, SamplesFileRecord>;
    datasets: Record<string, DatasetRecord[]>;
    engine: BackendDescription;
    harness: { name: string; version: string; git_commit: string | null };
    /** `run --label`, when given. */
    label?: string;
    /**
     * Present in the results of `run --shard i/N`: which shard this is, the docs it scored and
     * what `merge` needs to rebuild the whole run. Such results are a part, not a run: compare
     * and report refuse or mark them.
     */
    shard?: ShardRecord;
    /** Set by `merge`: how many shards these results were rebuilt from. */
    merged_shards?: number;
  };
  date: string;
  total_evaluation_time_seconds: number;
}

export interface ResultsMeta {
  engine: BackendDescription;
  harness: { name: string; version: string; git_commit: string | null };
  limit: number | null;
  dataDir: string;
  date: string;
  durationSeconds: number;
  complete: boolean;
  notes?: string[];
  /** `run --label`: a name for the run in compare and report. */
  label?: string;
}

function datasetRecords(r: TaskResult): DatasetRecord[] {
  const out: DatasetRecord[] = [];
  const add = (ref: { dataset: string; split: string }, d: TaskResult["data"]["eval"]) => {
    out.push({
      dataset: ref.dataset,
      split: ref.split,
      path: d.path,
      sha256: d.sha256,
      records: d.records.length,
      verified: d.verified,
      partial: d.partial !== null,
      ...(d.partial ? { partialNote: d.partial.note } : {}),
    });
  };
  add(r.task.evalData, r.data.eval);
  if (r.data.fewshot && r.task.fewshotData) add(r.task.fewshotData, r.data.fewshot);
  return out;
}

/** Is this result an MMLU subject (run through the `mmlu` group or named by `--tasks`)? */
function isMmluSubject(r: TaskResult): boolean {
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

/** The tokenization rule(s) of a task's loglikelihood requests, as recorded in its config. */
function tokenizationOf(r: TaskResult): { tokenization?: string } {
  const rules = [...new Set(r.samples.flatMap((s) => s.requests.flatMap((q) => ("tokenization" in q ? [q.tokenization] : []))))];
  return rules.length > 0 ? { tokenization: rules.join(",") } : {};
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
      const subjectAccs = mmlu.map((m) => m.metrics.acc?.value).filter((v): v is number => v !== undefined);
      if (subjectAccs.length === 0) continue;
      // The leaderboard's MMLU: the unweighted mean of the subject accuracies.
      let sum = 0;
      for (const v of subjectAccs) sum += v;
      // Subjects are independent samples, so the stderr of their unweighted mean is
      // sqrt(Σ se_i²) / k; null when a subject has no stderr (a single doc).
      const subjectStderrs = mmlu.map((m) => m.metrics.acc?.stderr ?? null);
      const pooled = subjectStderrs.every((v): v is number => v !== null)
        ? (Math.sqrt(subjectStderrs.reduce((a, v) => a + v * v, 0)) / subjectStderrs.length) * 100
        : null;
      rows.push({
        key: group!.key,
        task: group!.label,
        metric: "acc",
        sampleScale: sampleScaleOf(r.task.metrics.acc!),
        shots: r.shots,
        score: (sum / subjectAccs.length) * 100,
        stderr: pooled,
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

export function buildResultsDocument(taskResults: TaskResult[], skipped: SkippedTask[], meta: ResultsMeta): ResultsDocument {
  const results: ResultsDocument["results"] = {};
  const versions: ResultsDocument["versions"] = {};
  const nShot: ResultsDocument["n-shot"] = {};
  const configs: ResultsDocument["configs"] = {};
  const higher: ResultsDocument["higher_is_better"] = {};
  const nSamples: ResultsDocument["n-samples"] = {};
  const datasets: ResultsDocument["rakuten_eval"]["datasets"] = {};
  const notes: string[] = [...(meta.notes ?? [])];

  for (const r of taskResults) {
    const name = r.task.name;
    const entry: Record<string, number | string | null> = { alias: name };
    for (const [metric, value] of Object.entries(r.metrics)) {
      entry[`${metric},none`] = value.value;
      entry[`${metric}_stderr,none`] = value.stderr;
    }
    results[name] = entry;
    versions[name] = r.task.version;
    nShot[name] = r.shots;
    higher[name] = Object.fromEntries(Object.entries(r.task.metrics).map(([k, v]) => [k, v.higherIsBetter]));
    nSamples[name] = { original: r.nOriginal, effective: r.nEffective };
    configs[name] = {
      task: name,
      ...(r.group ? { group: r.group } : {}),
      version: r.task.version,
      ...(r.task.promptVersion ? { prompt_version: r.task.promptVersion } : {}),
      dataset: r.task.evalData.dataset,
      eval_split: r.task.evalData.split,
      ...(r.task.fewshotData ? { fewshot_split: r.task.fewshotData.split } : {}),
      fewshot_sampler: r.task.fewshot.kind,
      fewshot_seed: 42,
      num_fewshot: r.shots,
      requested_num_fewshot: r.requestedShots,
      metric_list: Object.entries(r.task.metrics).map(([metric, s]) => ({
        metric,
        aggregation: s.aggregation,
        higher_is_better: s.higherIsBetter,
      })),
      output_type: [...new Set(r.samples.flatMap((s) => s.requests.map((q) => ("type" in q ? q.type : "generate"))))],
      // How (context, continuation) pairs were tokenized: compare refuses to pair runs that differ.
      ...tokenizationOf(r),
      primary_metric: r.task.primaryMetric,
    };
    datasets[name] = datasetRecords(r);
    if (r.shotsNote) notes.push(r.shotsNote);
    for (const d of datasets[name]!) {
      if (d.partial) notes.push(`${name}: ${d.dataset} ${d.split} uses a partial stand-in (${d.path}); scores are not comparable with the paper`);
    }
    for (const w of [...(r.data.eval.warnings ?? []), ...(r.data.fewshot?.warnings ?? [])]) notes.push(`${name}: ${w}`);
  }

  const groups: ResultsDocument["groups"] = {};
  const groupSubtasks: ResultsDocument["group_subtasks"] = {};
  const group = mmluGroup(taskResults);
  if (group) {
    const mmlu = group.results;
    // A subject without a score has no doc here (only a shard's results can hold one).
    const accs = mmlu.map((m) => m.metrics.acc?.value).filter((v): v is number => v !== undefined);
    let sum = 0;
    for (const v of accs) sum += v;
    let correct = 0;
    let n = 0;
    for (const m of mmlu) {
      for (const s of m.samples) correct += s.metrics.acc ?? 0;
      n += m.nEffective;
    }
    groups[group.key] = {
      alias: group.key === MMLU_GROUP ? MMLU_GROUP : group.label,
      "acc,none": accs.length === 0 ? null : sum / accs.length,
      "acc_weighted,none": n === 0 ? null : correct / n,
      subjects: mmlu.length,
    };
    groupSubtasks[group.key] = mmlu.map((m) => m.task.name);
    if (group.key !== MMLU_GROUP) {
      notes.push(`${group.label}: not the paper's MMLU, which averages all ${mmluTaskNames().length} subjects; reported as ${MMLU_SUBSET}, not compared with the paper and not in the EN average`);
    }
  }

  const summary = paperRows(taskResults);
  const scores = new Map<string, number>();
  for (const row of summary) if (!scores.has(row.key)) scores.set(row.key, row.score);
  for (const s of skipped) notes.push(`${s.task.name} skipped: ${s.reason}`);

  return {
    results,
    groups,
    group_subtasks: groupSubtasks,
    versions,
    "n-shot": nShot,
    configs,
    higher_is_better: higher,
    "n-samples": nSamples,
    config: {
      model: "llama.cpp",
      model_args: `model=${meta.engine.modelPath}`,
      model_sha256: meta.engine.modelSha256,
      batch_size: meta.engine.batchSize,
      limit: meta.limit,
      data_dir: meta.dataDir,
      random_seed: 42,
      numpy_seed: 1234,
      bootstrap_iters: 1000,
    },
    rakuten_eval: {
      summary,
      averages: suiteAverages(scores),
      skipped: skipped.map((s) => ({ task: s.task.name, reason: s.reason })),
      notes,
      complete: meta.complete,
      datasets,
      engine: meta.engine,
      harness: meta.harness,
      ...(meta.label ? { label: meta.label } : {}),
    },
    date: meta.date,
    total_evaluation_time_seconds: meta.durationSeconds,
  };
}
