// `rakuten-eval merge`: rebuild one run from the results and samples of its shards (`run
// --shard i/N`). Nothing is re-scored and no metric is re-implemented: the shards' per-doc
// records are put back in the run's shuffled order and aggregated by the evaluator's own
// `aggregateTasks` (one numpy RNG seeded 1234 over the tasks in plan order, as the unsharded
// run draws XLSum's bootstrap), the document is built by `buildResultsDocument` (MMLU group,
// summary rows, averages) and published by `writeRunOutputs`, as `run` does.

import path from "node:path";
import { UserError, UserErrors } from "../util/errors.js";
import { aggregateTasks, type SampleRecord, type TaskResult } from "../evaluation/evaluator.js";
import type { SkippedTask } from "../evaluation/taskPlan.js";
import type { LoadedSplit } from "../datasets/loadSplit.js";
import type { BackendDescription } from "../api/types.js";
import { buildResultsDocument, chatConfig, type ChatConfig, type ResultsDocument } from "../results/document.js";
import { isoDateOf } from "../results/types.js";
import { loadResultsDocument, readSampleRecords, samplesPathOf } from "../results/read.js";
import { findTask } from "../tasks/registry.js";
import { runFolderOf, writeRunOutputs } from "../run/runOutput.js";
import { checkOutputDir } from "../run/runInput.js";
import type { ShardSplitRecord } from "../shard/shard.js";
import { mergeProblems, type LoadedShard, type Shard } from "./agreement.js";

export interface MergeOptions {
  /** Shard folders (or their results files), in any order. */
  inputs: string[];
  outputDir: string;
  log?: (line: string) => void;
}

export interface MergeOutcome {
  doc: ResultsDocument;
  resultsPath: string;
  samplesPaths: string[];
  shards: number;
}

/** A split as buildResultsDocument reads it: only its provenance and record count survive a shard. */
function splitOf(record: ShardSplitRecord): LoadedSplit {
  return {
    records: Array.from({ length: record.records }),
    path: record.path,
    absolutePath: "",
    sha256: record.sha256,
    partial: record.partial,
    verified: record.verified,
    mismatches: [],
    ...(record.warnings.length > 0 ? { warnings: record.warnings } : {}),
  };
}

/**
 * --output may not put the merged files where a shard's are: in lm-eval's layout the merged run
 * goes to <output>/<model>/ (runFolderOf), so an --output that is a shard's --output folder (or
 * its model folder, or a results file in it) would add a second results file beside the shard's,
 * and the shard's folder would then mean the merged run (resultsFileOf takes the newest).
 */
function outputFolderProblems(output: string, loaded: LoadedShard[]): UserError[] {
  // The merged run is named after the shard it takes its document from; any of them may be that one.
  const names = new Set(loaded.map((s) => s.doc.model_name_sanitized ?? "model"));
  const targets = new Set([path.resolve(output), ...[...names].map((name) => path.resolve(runFolderOf(output, name).dir))]);
  return loaded
    .filter((s) => targets.has(path.resolve(path.dirname(s.file))))
    .map(
      (s) =>
        new UserError(
          "usage",
          `--output ${output} is the folder of shard ${s.source} (its results file ${s.file}); merge into another folder (the merged results would be written into the shard's folder, which would then mean the merged run).`,
        ),
    );
}

/** Read the shards, or every reason they cannot be merged, one line each. */
function loadShards(options: MergeOptions): Shard[] {
  const problems: UserError[] = [];
  if (options.inputs.length === 0) {
    throw new UserError("usage", "Give the shard folders to merge (the --output folders of `run --shard i/N`), e.g. rakuten-eval merge shards/* --output merged.");
  }
  const loaded: LoadedShard[] = [];
  for (const source of options.inputs) {
    try {
      loaded.push({ source, ...loadResultsDocument(source) });
    } catch (e) {
      if (e instanceof UserError) problems.push(e);
      else throw e;
    }
  }
  problems.push(...outputFolderProblems(options.outputDir, loaded));
  if (problems.length === 0) problems.push(...mergeProblems(loaded).map((line) => new UserError("usage", line)));
  // The output folder is made (and checked) only once the shards can be merged: a refusal writes nothing.
  if (problems.length === 0) {
    const outputProblem = checkOutputDir(options.outputDir);
    if (outputProblem) problems.push(outputProblem);
  }
  if (problems.length > 0) throw problems.length === 1 ? problems[0]! : new UserErrors(problems);
  return loaded.map((s) => ({ ...s, shard: s.doc.rakuten_eval.shard! })).sort((a, b) => a.shard.index - b.shard.index);
}

/** A task's records from every shard, in the run's shuffled order; the shards' records checked against their manifests. */
export function mergedSamples(shards: Shard[], ti: number): SampleRecord[] {
  const task = shards[0]!.shard.tasks[ti]!.task;
  const samples: SampleRecord[] = [];
  for (const s of shards) {
    const listed = s.shard.tasks[ti]!.shuffled_indices;
    if (listed.length === 0) continue;
    const file = samplesPathOf(s.file, s.doc, task);
    const records = readSampleRecords(file, s.file);
    const got = records.map((r) => r.shuffled_index).sort((a, b) => a - b);
    if (got.length !== listed.length || got.some((p, i) => p !== listed[i])) {
      throw new UserError("usage", `${file} holds other docs than ${path.basename(s.file)} lists for shard ${s.shard.index}/${s.shard.count} (${got.length} records, ${listed.length} listed); rerun that shard.`);
    }
    samples.push(...records);
  }
  return samples.sort((a, b) => a.shuffled_index - b.shuffled_index);
}

export async function mergeShards(options: MergeOptions): Promise<MergeOutcome> {
  const shards = loadShards(options);
  const first = shards[0]!;
  const { doc: base, shard } = first;
  options.log?.(`merging ${shards.length} shard(s) of ${shard.tasks.length} task(s)`);

  const parts = shard.tasks.map((t, ti) => ({ plan: t, task: findTask(t.task), samples: mergedSamples(shards, ti) }));
  const metrics = aggregateTasks(parts);
  const taskResults: TaskResult[] = parts.map(({ plan, task, samples }, ti) => ({
    task,
    ...(plan.group ? { group: plan.group } : {}),
    shots: plan.shots,
    requestedShots: plan.requested_shots,
    ...(plan.shots_note ? { shotsNote: plan.shots_note } : {}),
    nOriginal: plan.n_original,
    nEffective: samples.length,
    metrics: metrics[ti]!,
    samples,
    data: { eval: splitOf(plan.splits.eval), ...(plan.splits.fewshot ? { fewshot: splitOf(plan.splits.fewshot) } : {}) },
  }));
  const skipped: SkippedTask[] = base.rakuten_eval.skipped.map((s) => {
    const task = findTask(s.task);
    return { task, shots: task.defaultShots, reason: s.reason };
  });
  // Timing fields: the earliest shard's start, and the shards' evaluation time added up.
  const date = shards.map((s) => isoDateOf(s.doc)).sort()[0]!;
  const duration = shards.reduce((a, s) => a + Number(s.doc.total_evaluation_time_seconds), 0);
  const eos = base.tokenizer_eos_token;
  const limit = base.config.limit;
  const doc = buildResultsDocument(taskResults, skipped, {
    engine: base.rakuten_eval.engine as BackendDescription,
    harness: base.rakuten_eval.harness,
    limit: typeof limit === "number" ? limit : null,
    dataDir: String(base.config.data_dir ?? ""),
    date,
    durationSeconds: duration,
    complete: true,
    ...(base.rakuten_eval.label ? { label: base.rakuten_eval.label } : {}),
    ...(base.model_name !== undefined ? { modelName: base.model_name } : {}),
    ...(eos ? { eosToken: { text: eos[0], id: eos[1] === "None" ? null : Number(eos[1]) } } : {}),
  });
  // The chat settings the shards agree on (src/results/document.ts chatConfig), as they recorded them.
  const record = doc as unknown as Record<string, unknown>;
  for (const key of Object.keys(chatConfig(undefined)) as (keyof ChatConfig)[]) {
    if (key in base.config) doc.config[key] = base.config[key];
    if (key in base && key in record) record[key] = (base as unknown as Record<string, unknown>)[key];
  }
  doc.rakuten_eval.merged_shards = shard.count;
  const { resultsPath, samplesPaths } = await writeRunOutputs(options.outputDir, doc, taskResults);
  return { doc, resultsPath, samplesPaths, shards: shards.length };
}
