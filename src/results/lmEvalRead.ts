// Reading a results file written by lm-evaluation-harness v0.4 itself (no `rakuten_eval` key)
// as a run that compare and report can use: its tasks mapped to ours (src/tasks/registry.ts
// names and aliases; lm-eval's `mmlu_<subject>` are our `hendrycksTest-<subject>`, its
// `truthfulqa_mc1`/`truthfulqa_mc2` report `acc` for our `truthfulqa_mc`'s mc1/mc2), its
// values put on the paper's 0-100 scale through the paper's columns (src/paper/suites.ts), and
// its samples files (`samples_<task>_<date>.jsonl` beside it) used for paired tests. Tasks that
// map to none of ours are listed in a note and not compared.

import { existsSync } from "node:fs";
import path from "node:path";
import type { Task } from "../api/task.js";
import { sampleScaleOf } from "../api/task.js";
import type { BackendDescription } from "../api/types.js";
import { columnKeyOfTask, MMLU_GROUP, MMLU_SUBSET } from "../paper/suites.js";
import { referenceFigures, publishedColumn } from "../paper/published.js";
import { allTasks, mmluTaskNames } from "../tasks/registry.js";
import { suiteAverages } from "./averages.js";
import { dateIdOf, samplesFileName } from "./layout.js";
import { aggregateSubtaskMetrics } from "./summary.js";
import type { PaperRow, ResultsDocument, TaskMetrics } from "./types.js";

/** Where a task's per-doc values are: the samples file and, per our metric, lm-eval's key for it. */
export interface SampleSource {
  file: string;
  metricKeys: Record<string, string>;
}

/** Our task and the metric renames (ours → lm-eval's) for an lm-eval task name; null when none of ours. */
export function ourTaskFor(lmTask: string): { task: Task<unknown>; metrics: Record<string, string> } | null {
  const tasks = allTasks();
  const byName = (n: string) => tasks.find((t) => t.name === n || t.aliases.includes(n));
  if (lmTask === "truthfulqa_mc1" || lmTask === "truthfulqa_mc2") {
    const task = byName("truthfulqa_mc");
    return task ? { task, metrics: { [lmTask === "truthfulqa_mc1" ? "mc1" : "mc2"]: "acc" } } : null;
  }
  const task = byName(lmTask);
  return task ? { task, metrics: Object.fromEntries(Object.keys(task.metrics).map((m) => [m, m])) } : null;
}

/** Is this parsed JSON an lm-eval results file (and not one of ours)? */
export function isLmEvalResults(value: unknown): value is Record<string, unknown> & { results: Record<string, TaskMetrics> } {
  if (typeof value !== "object" || value === null || "rakuten_eval" in value) return false;
  const v = value as Record<string, unknown>;
  return typeof v.results === "object" && v.results !== null && typeof v.versions === "object" && ("n-shot" in v || "configs" in v);
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The lm-eval file as one of our documents (our task names, no paper figures beyond the columns it fills). */
export function documentFromLmEval(file: string, raw: Record<string, unknown> & { results: Record<string, TaskMetrics> }): { doc: ResultsDocument; samples: Map<string, SampleSource>; notes: string[] } {
  const nShotIn = (raw["n-shot"] ?? {}) as Record<string, number>;
  const nSamplesIn = (raw["n-samples"] ?? {}) as Record<string, { original: number; effective: number }>;
  const versionsIn = (raw.versions ?? {}) as Record<string, number | string>;
  const results: ResultsDocument["results"] = {};
  const nShot: ResultsDocument["n-shot"] = {};
  const nSamples: ResultsDocument["n-samples"] = {};
  const versions: ResultsDocument["versions"] = {};
  const lmVersions: string[] = [];
  const samples = new Map<string, SampleSource>();
  const unmapped: string[] = [];
  const id = dateIdOf(file);
  // Older v0.4 files list every task in group_subtasks, leaves with no children.
  const groups = new Set(Object.entries((raw.group_subtasks ?? {}) as Record<string, unknown>).filter(([, c]) => Array.isArray(c) && c.length > 0).map(([g]) => g));
  for (const [lmTask, entry] of Object.entries(raw.results)) {
    if (groups.has(lmTask)) continue;
    const mapped = ourTaskFor(lmTask);
    if (!mapped) {
      unmapped.push(lmTask);
      continue;
    }
    const name = mapped.task.name;
    const out: TaskMetrics = results[name] ?? { name, alias: lmTask };
    for (const [ours, theirs] of Object.entries(mapped.metrics)) {
      if (entry[`${theirs},none`] === undefined) continue;
      out[`${ours},none`] = entry[`${theirs},none`] ?? null;
      out[`${ours}_stderr,none`] = entry[`${theirs}_stderr,none`] ?? "N/A";
    }
    results[name] = out;
    if (typeof nShotIn[lmTask] === "number") nShot[name] = nShotIn[lmTask]!;
    const n = nSamplesIn[lmTask] ?? (num(entry.sample_len) !== null ? { original: num(entry.sample_len)!, effective: num(entry.sample_len)! } : undefined);
    if (n) nSamples[name] = n;
    // lm-eval numbers its task versions its own way: noted, never compared with ours.
    lmVersions.push(`${lmTask} ${String(versionsIn[lmTask] ?? "N/A")}`);
    const samplesFile = id === null ? null : path.join(path.dirname(file), samplesFileName(lmTask, id));
    if (samplesFile && existsSync(samplesFile) && (mapped.task.primaryMetric in mapped.metrics || !samples.has(name))) {
      samples.set(name, { file: samplesFile, metricKeys: mapped.metrics });
    }
  }
  const subjects = mmluTaskNames().filter((t) => results[t] !== undefined);
  const groupSubtasks: Record<string, string[]> = subjects.length > 0 ? { [subjects.length === mmluTaskNames().length ? MMLU_GROUP : MMLU_SUBSET]: subjects } : {};
  const { rows, note } = rowsOf(results, nShot, nSamples, subjects);
  const scores = new Map<string, number>();
  for (const row of rows) if (!scores.has(row.key)) scores.set(row.key, row.score);
  const config = (raw.config ?? {}) as Record<string, unknown>;
  const modelName = typeof raw.model_name === "string" ? raw.model_name : String(config.model_args ?? "");
  const notes = [`lm-evaluation-harness results file${typeof raw.lm_eval_version === "string" ? ` (lm_eval ${raw.lm_eval_version})` : ""}: task versions and prompts are its own (check prompts with \`parity\`)`];
  if (note) notes.push(note);
  if (lmVersions.length > 0 && lmVersions.length <= 8) notes.push(`lm-eval task versions: ${lmVersions.join(", ")}`);
  if (unmapped.length > 0) notes.push(`not compared (no rakuten-eval task of that name): ${unmapped.join(", ")}`);
  const engine: BackendDescription = { engine: "lm-evaluation-harness", engineVersion: String(raw.lm_eval_version ?? ""), modelPath: modelName, modelSha256: "", contextSize: 0, batchSize: 0, threads: 0, kvCacheType: "", flashAttention: false, gpu: false };
  const date = num(raw.date) ?? 0;
  const doc: ResultsDocument = {
    results,
    group_subtasks: groupSubtasks,
    configs: {},
    versions,
    "n-shot": nShot,
    higher_is_better: {},
    "n-samples": nSamples,
    config: { model: String(config.model ?? ""), model_args: config.model_args ?? null, limit: config.limit ?? null },
    date,
    total_evaluation_time_seconds: String(raw.total_evaluation_time_seconds ?? ""),
    ...(typeof raw.model_name === "string" ? { model_name: raw.model_name } : {}),
    rakuten_eval: {
      summary: rows,
      averages: suiteAverages(scores),
      skipped: [],
      notes,
      complete: true,
      datasets: {},
      engine,
      harness: { name: "lm-evaluation-harness", version: String(raw.lm_eval_version ?? ""), git_commit: typeof raw.git_hash === "string" ? raw.git_hash : null },
      ...(modelName ? { label: modelName.split("/").pop()! } : {}),
    },
  };
  return { doc, samples, notes };
}

/** Paper rows from mapped results: each task's primary metric on the 0-100 scale; MMLU as the paper's macro mean. */
function rowsOf(results: ResultsDocument["results"], nShot: Record<string, number>, nSamples: ResultsDocument["n-samples"], subjects: string[]): { rows: PaperRow[]; note: string | null } {
  const rows: PaperRow[] = [];
  const seen = new Set<string>();
  const none = referenceFigures(() => undefined);
  const published = (key: string) => referenceFigures((m) => publishedColumn(m, key));
  let note: string | null = null;
  const tasks = allTasks();
  for (const [name, entry] of Object.entries(results)) {
    const task = tasks.find((t) => t.name === name)!;
    if (subjects.includes(name)) continue;
    const metric = task.primaryMetric;
    const value = num(entry[`${metric},none`]);
    const spec = task.metrics[metric];
    if (value === null || !spec) continue;
    const key = columnKeyOfTask(name);
    const isColumn = key !== undefined && !seen.has(key);
    if (key) seen.add(key);
    const se = num(entry[`${metric}_stderr,none`]);
    rows.push({
      key: isColumn ? key! : name,
      task: name,
      metric,
      sampleScale: sampleScaleOf(spec),
      shots: nShot[name] ?? 0,
      score: value * spec.scale,
      stderr: se === null ? null : se * spec.scale,
      n: nSamples[name]?.effective ?? 0,
      published: isColumn ? published(key!) : none,
      partialData: false,
    });
  }
  if (subjects.length > 0) {
    const accs = subjects.map((s) => num(results[s]!["acc,none"]));
    if (accs.every((v): v is number => v !== null)) {
      const sizes = subjects.map((s) => nSamples[s]?.effective ?? 0);
      const complete = subjects.length === mmluTaskNames().length;
      const ses = subjects.map((s) => num(results[s]!["acc_stderr,none"]));
      const macro = aggregateSubtaskMetrics(accs, sizes, false);
      note = `MMLU: the paper's macro mean over ${subjects.length} subjects is compared; lm-eval's own group figure weights subjects by size (${(aggregateSubtaskMetrics(accs, sizes, true) * 100).toFixed(2)})`;
      rows.push({
        key: complete ? MMLU_GROUP : MMLU_SUBSET,
        task: complete ? `mmlu (${subjects.length} subjects)` : `mmlu subset (${subjects.length} of ${mmluTaskNames().length} subjects)`,
        metric: "acc",
        sampleScale: 100,
        shots: nShot[subjects[0]!] ?? 0,
        score: macro * 100,
        stderr: ses.every((v): v is number => v !== null) ? (Math.sqrt(ses.reduce((a, v) => a + v * v, 0)) / ses.length) * 100 : null,
        n: sizes.reduce((a, n) => a + n, 0),
        published: complete ? published(MMLU_GROUP) : none,
        partialData: false,
      });
    }
  }
  return { rows, note };
}
