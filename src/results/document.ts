// The results document: lm-evaluation-harness v0.4's results file (lm_eval/result_schema.py,
// evaluator.py `simple_evaluate`, evaluator_utils.py `_to_eval_results`,
// loggers/evaluation_tracker.py) with everything of ours under `rakuten_eval`: the paper
// comparison, the averages, what makes the run reproducible. Types are lm-eval's: versions
// and metric values are floats, a missing stderr is "N/A", `date` a Unix time,
// `total_evaluation_time_seconds` a string, `groups` only when a group ran.

import { createHash } from "node:crypto";
import path from "node:path";
import type { ChatSettings } from "../api/chat.js";
import { tokenizerSourceOf, type BackendDescription, type TokenizerDescription } from "../api/types.js";
import type { TaskResult } from "../evaluation/evaluator.js";
import type { SkippedTask } from "../evaluation/taskPlan.js";
import { MMLU_GROUP, MMLU_SUBSET } from "../paper/suites.js";
import { mmluTaskNames } from "../tasks/registry.js";
import { pythonJson } from "../util/pythonJson.js";
import { suiteAverages } from "./averages.js";
import { sanitizeModelName } from "./layout.js";
import { mmluAggregates, mmluGroup, paperRows } from "./summary.js";
import { taskConfig, taskSettings, versionNumber } from "./taskConfig.js";
import type { DatasetRecord, ResultsDocument, TaskMetrics, TokenizerAgreementRecord, TokenizerRecord } from "./types.js";

export type { DatasetRecord, PaperRow, ResultsDocument, SamplesFileRecord } from "./types.js";
export { mmluGroup, paperRows } from "./summary.js";

export interface ResultsMeta {
  engine: BackendDescription;
  harness: { name: string; version: string; git_commit: string | null };
  limit: number | null;
  dataDir: string;
  /** ISO time the run started. */
  date: string;
  durationSeconds: number;
  complete: boolean;
  notes?: string[];
  /** `run --label`: a name for the run in compare and report. */
  label?: string;
  /** lm-eval's `model_name`: the model file's name without `.gguf` unless given. */
  modelName?: string;
  /** The tokenizer's EOS token text and id, where the engine knows them. */
  eosToken?: { text: string; id: number | null };
  /** Chat template, multi-turn shots, system instruction (absent: the paper's plain prompts). */
  chat?: ChatSettings;
  /** `run --model X.gguf --hf-tokenizer`: how the GGUF's own tokenizer agrees with the model's. */
  tokenizerAgreement?: TokenizerAgreementRecord;
}

/** rakuten_eval.tokenizer: who made the ids, from the backend's description of its tokenizer. */
export function tokenizerRecord(engine: BackendDescription, agreement?: TokenizerAgreementRecord): TokenizerRecord {
  const description = engine.tokenizer as TokenizerDescription | undefined;
  return {
    source: tokenizerSourceOf(description),
    ...(description?.vocabulary !== undefined ? { vocabulary: description.vocabulary } : {}),
    ...(description?.files !== undefined ? { files: description.files } : {}),
    ...(agreement ? { gguf_agreement: agreement } : {}),
  };
}

const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** lm-eval v0.4's records of the chat settings (null when unused), which compare checks. */
export interface ChatConfig {
  apply_chat_template: boolean;
  chat_template: string | null;
  chat_template_sha: string | null;
  chat_template_source: string | null;
  fewshot_as_multiturn: boolean;
  system_instruction: string | null;
  system_instruction_sha: string | null;
}

export function chatConfig(chat: ChatSettings | undefined): ChatConfig {
  const template = chat?.renderer?.template ?? null;
  const instruction = chat?.systemInstruction ?? null;
  return {
    apply_chat_template: template !== null,
    chat_template: template,
    chat_template_sha: template === null ? null : sha256Hex(template),
    chat_template_source: chat?.renderer?.source ?? null,
    fewshot_as_multiturn: chat?.fewshotAsMultiturn === true,
    system_instruction: instruction,
    system_instruction_sha: instruction === null ? null : sha256Hex(instruction),
  };
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

/** `results[task]`: name, alias, sample_len, then `<metric>,none` and `<metric>_stderr,none` ("N/A" when there is none). */
function taskMetrics(r: TaskResult): TaskMetrics {
  const entry: TaskMetrics = { name: r.task.name, alias: r.task.name, sample_len: r.nEffective };
  for (const [metric, value] of Object.entries(r.metrics)) {
    entry[`${metric},none`] = value.value;
    entry[`${metric}_stderr,none`] = value.stderr ?? "N/A";
  }
  return entry;
}

/** The model's name as lm-eval records it (`model_name`): the file name without `.gguf`. */
export function modelNameOf(modelPath: string): string {
  const base = modelPath.split(/[\\/]/).pop() ?? modelPath;
  return base.replace(/\.gguf$/i, "");
}

/**
 * A skip reason as it goes into the shared results file: the missing file named under the
 * data folder as the user gave it (`data_dir`), never as this machine's absolute path.
 */
export function shareableSkipReason(skip: SkippedTask, dataDir: string): string {
  if (skip.file === undefined || !path.isAbsolute(skip.file)) return skip.reason;
  const inData = path.relative(path.resolve(dataDir), skip.file);
  return skip.reason.split(skip.file).join(path.join(dataDir, inData));
}

export function buildResultsDocument(taskResults: TaskResult[], skipped: SkippedTask[], meta: ResultsMeta): ResultsDocument {
  const chat = chatConfig(meta.chat);
  const results: ResultsDocument["results"] = {};
  const versions: ResultsDocument["versions"] = {};
  const nShot: ResultsDocument["n-shot"] = {};
  const configs: ResultsDocument["configs"] = {};
  const higher: ResultsDocument["higher_is_better"] = {};
  const nSamples: ResultsDocument["n-samples"] = {};
  const settings: NonNullable<ResultsDocument["rakuten_eval"]["task_settings"]> = {};
  const datasets: ResultsDocument["rakuten_eval"]["datasets"] = {};
  const notes: string[] = [...(meta.notes ?? [])];

  for (const r of taskResults) {
    const name = r.task.name;
    results[name] = taskMetrics(r);
    versions[name] = versionNumber(r.task.version);
    nShot[name] = r.shots;
    higher[name] = Object.fromEntries(Object.entries(r.task.metrics).map(([k, v]) => [k, v.higherIsBetter]));
    nSamples[name] = { original: r.nOriginal, effective: r.nEffective };
    configs[name] = taskConfig(r);
    settings[name] = taskSettings(r);
    datasets[name] = datasetRecords(r);
    if (r.shotsNote) notes.push(r.shotsNote);
    for (const d of datasets[name]!) {
      if (d.partial) notes.push(`${name}: ${d.dataset} ${d.split} uses a partial stand-in (${d.path}); scores are not comparable with the paper`);
    }
    for (const w of [...(r.data.eval.warnings ?? []), ...(r.data.fewshot?.warnings ?? [])]) notes.push(`${name}: ${w}`);
  }

  const groups: Record<string, TaskMetrics> = {};
  const groupSubtasks: ResultsDocument["group_subtasks"] = {};
  const group = mmluGroup(taskResults);
  const mmlu = group ? mmluAggregates(group.results) : null;
  if (group) {
    const n = group.results.reduce((a, m) => a + m.nEffective, 0);
    // lm-eval v0.4's group entry (api/group.py `Group.aggregate`): weighted by subject size, pooled stderr.
    const entry: TaskMetrics = {
      name: group.key,
      alias: group.key === MMLU_GROUP ? MMLU_GROUP : group.label,
      sample_len: n,
      ...(mmlu ? { "acc,none": mmlu.lm_eval_v0_4.acc, "acc_stderr,none": mmlu.lm_eval_v0_4.acc_stderr, sample_count: { "acc,none": n } } : {}),
    };
    groups[group.key] = entry;
    results[group.key] = entry;
    versions[group.key] = "N/A";
    groupSubtasks[group.key] = group.results.map((m) => m.task.name);
    // `_propagate_num_fewshot` / `_propagate_higher_is_better`: the group takes its subjects' common values.
    const shots = new Set(group.results.map((m) => m.shots));
    if (shots.size === 1) nShot[group.key] = [...shots][0]!;
    higher[group.key] = { acc: true };
    if (group.key !== MMLU_GROUP) {
      notes.push(`${group.label}: not the paper's MMLU, which averages all ${mmluTaskNames().length} subjects; reported as ${MMLU_SUBSET}, not compared with the paper and not in the EN average`);
    }
  }

  const summary = paperRows(taskResults);
  const scores = new Map<string, number>();
  for (const row of summary) if (!scores.has(row.key)) scores.set(row.key, row.score);
  for (const s of skipped) notes.push(`${s.task.name} skipped: ${shareableSkipReason(s, meta.dataDir)}`);
  const modelName = meta.modelName ?? modelNameOf(meta.engine.modelPath);
  const sorted = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

  return {
    results,
    ...(Object.keys(groups).length > 0 ? { groups } : {}),
    group_subtasks: groupSubtasks,
    configs: sorted(configs),
    versions: sorted(versions),
    "n-shot": sorted(nShot),
    higher_is_better: sorted(higher),
    "n-samples": nSamples,
    config: {
      model: "llama.cpp",
      model_args: `model=${meta.engine.modelPath}`,
      model_sha256: meta.engine.modelSha256,
      batch_size: String(meta.engine.batchSize),
      batch_sizes: [],
      device: meta.engine.gpu === false ? "cpu" : String(meta.engine.gpu),
      use_cache: null,
      limit: meta.limit,
      bootstrap_iters: 1000,
      gen_kwargs: null,
      random_seed: 42,
      numpy_seed: 1234,
      fewshot_seed: 42,
      data_dir: meta.dataDir,
      ...chat,
    },
    git_hash: meta.harness.git_commit ? meta.harness.git_commit.slice(0, 7) : null,
    date: Date.parse(meta.date) / 1000,
    ...(meta.eosToken ? { tokenizer_eos_token: [meta.eosToken.text, String(meta.eosToken.id ?? "None")] as [string, string] } : {}),
    max_length: meta.engine.contextSize,
    model_source: "llama.cpp",
    model_name: modelName,
    model_name_sanitized: sanitizeModelName(modelName),
    // GeneralConfigTracker's fields (asdict writes them all), from the run's chat settings.
    system_instruction: chat.system_instruction,
    system_instruction_sha: chat.system_instruction_sha,
    fewshot_as_multiturn: chat.fewshot_as_multiturn,
    chat_template: chat.chat_template,
    chat_template_sha: chat.chat_template_sha,
    start_time: Date.parse(meta.date) / 1000,
    end_time: Date.parse(meta.date) / 1000 + meta.durationSeconds,
    task_hashes: {},
    total_evaluation_time_seconds: String(meta.durationSeconds),
    rakuten_eval: {
      summary,
      averages: suiteAverages(scores),
      skipped: skipped.map((s) => ({ task: s.task.name, reason: shareableSkipReason(s, meta.dataDir) })),
      notes,
      complete: meta.complete,
      datasets,
      task_settings: settings,
      ...(mmlu ? { mmlu } : {}),
      engine: meta.engine,
      tokenizer: tokenizerRecord(meta.engine, meta.tokenizerAgreement),
      harness: meta.harness,
      started: meta.date,
      ...(meta.label ? { label: meta.label } : {}),
    },
  };
}

/** Which numbers of a results document lm-eval writes as floats: metric values, versions, date. */
function resultsFloat(path: readonly (string | number)[]): boolean {
  const [top, , key] = path;
  if ((top === "results" || top === "groups") && path.length === 3) return key !== "sample_len";
  if (top === "versions") return path.length === 2;
  if (top === "configs") return path.length === 4 && path[2] === "metadata" && path[3] === "version";
  return (top === "date" || top === "start_time" || top === "end_time") && path.length === 1;
}

/** The results file's text, as lm-eval's `json.dumps(results, indent=2, ensure_ascii=False)` writes it. */
export function resultsJson(doc: ResultsDocument): string {
  return pythonJson(doc, resultsFloat, 2);
}
