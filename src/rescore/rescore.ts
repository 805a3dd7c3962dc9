// `rakuten-eval rescore RUN`: recompute a saved run's scores from its samples' responses with
// the installed version's task code, without the model. Each task is planned again from the
// datasets (the run's shots and --limit), the saved requests are checked against what the task
// code sends now (./drift.ts: any difference is refused), every doc is scored by the task's own
// `processResults`, the tasks are aggregated together by the evaluator's `aggregateTasks` (one
// numpy RNG over the run's task order, as the run drew XLSum's bootstrap), and the document is
// built by `buildResultsDocument` and published by `writeRunOutputs`, as `run` does. The source
// run is only read.

import path from "node:path";
import type { ChatSettings } from "../api/chat.js";
import type { BackendDescription, ResolvedGenerateRequest, ScoringTools, TaskRequest } from "../api/types.js";
import type { ChatRenderer } from "../api/chat.js";
import { loadAnyTokenizer, type TokenizerHandle } from "../backend/tokenizers/load.js";

/** A tokenizer for rescoring: any tokenizer file; a GGUF's also renders its chat template. */
type LoadedTokenizer = TokenizerHandle & { chatRenderer?: (name?: string) => ChatRenderer };

/**
 * The run's ids came from one tokenizer (rakuten_eval.tokenizer): --tokenizer must be that one, or
 * generation caps and XL-Sum's ROUGE would be counted in other tokens. Files of earlier versions
 * (no record) were tokenized with the GGUF.
 */
function checkTokenizerSource(doc: ResultsDocument, tokenizer: LoadedTokenizer, file: string): void {
  const recorded = doc.rakuten_eval.tokenizer;
  const given = tokenizer.describe();
  const recordedSource = recorded?.source ?? "gguf";
  const givenSource = given.source ?? "gguf";
  if (recordedSource === "server") return;
  const sameFiles = JSON.stringify(Object.entries(recorded?.files ?? {}).sort()) === JSON.stringify(Object.entries(given.files ?? {}).sort());
  if (recordedSource !== givenSource || (givenSource === "hf" && !sameFiles)) {
    throw new UserError(
      "usage",
      `${file} was tokenized by ${recordedSource === "hf" ? `the model's own tokenizer (${Object.keys(recorded?.files ?? {}).join(", ")})` : "its GGUF's vocabulary"}, and --tokenizer is ${givenSource === "hf" ? "Hugging Face tokenizer files" : "a GGUF"}${givenSource === recordedSource ? " with other files" : ""}; pass the tokenizer the run used.`,
    );
  }
}
import { UserError } from "../util/errors.js";
import { aggregateTasks, requestHash, resolveMaxTokens, type SampleRecord, type TaskResult } from "../evaluation/evaluator.js";
import { buildResultsDocument, type ResultsDocument } from "../results/document.js";
import type { RescoredFrom } from "../results/types.js";
import { planTask, type PlannedTask } from "../evaluation/taskPlan.js";
import { findTask, MMLU_GROUP } from "../tasks/registry.js";
import { harnessInfo } from "../run/runDocument.js";
import { checkOutputDir } from "../run/runInput.js";
import { runFolderOf, writeRunOutputs } from "../run/runOutput.js";
import { requestDrift } from "./drift.js";
import { loadSourceRun, type SourceRun, type SourceTask } from "./source.js";

export interface RescoreOptions {
  /** The run: anything `compare` accepts (a results file, its model folder, an --output folder). */
  run: string;
  /** Where the rescored run goes: `<outputDir>/<model>/results_<date>.json` (default results/rescored). */
  outputDir?: string;
  /** Rescore only these of the run's tasks (names or aliases; `mmlu`: its subjects). */
  tasks?: string[];
  /** The datasets the run read (their sha256 must be the run's). */
  dataDir: string;
  /** The evaluated model's GGUF (only its vocabulary is loaded): for tasks whose caps or scores use its tokens. */
  tokenizer?: string;
  warn?: (line: string) => void;
}

export interface RescoreOutcome {
  doc: ResultsDocument;
  resultsPath: string;
  samplesPaths: string[];
  source: { file: string; sha256: string };
}

/** Default --output: apart from the runs, so that a run's folder keeps meaning that run. */
export function defaultRescoreOutputDir(): string {
  return path.join("results", "rescored");
}

/** The source's tasks that `--tasks` names (all of them without it), in the run's order. */
function selectedTasks(source: SourceRun, names: string[] | undefined): SourceTask[] {
  if (names === undefined) return source.tasks;
  const wanted = new Set<string>();
  for (const name of names) {
    const matching = name === MMLU_GROUP ? source.tasks.filter((t) => t.group === MMLU_GROUP).map((t) => t.name) : [findTask(name).name];
    const missing = matching.filter((t) => !source.tasks.some((s) => s.name === t));
    if (matching.length === 0 || missing.length > 0) {
      throw new UserError("usage", `--tasks: ${name} is not a task of ${source.file} (its tasks: ${source.tasks.slice(0, 8).map((t) => t.name).join(", ")}${source.tasks.length > 8 ? ", …" : ""}).`);
    }
    for (const t of matching) wanted.add(t);
  }
  return source.tasks.filter((t) => wanted.has(t.name));
}

/** The run's chat settings, rebuilt from what it recorded (the template from the tokenizer's GGUF, checked against the recorded text). */
function chatSettingsOf(doc: ResultsDocument, tokenizer: LoadedTokenizer | undefined, file: string): ChatSettings | undefined {
  const config = doc.config as { apply_chat_template?: unknown; chat_template?: unknown; chat_template_source?: unknown; fewshot_as_multiturn?: unknown; system_instruction?: unknown };
  const settings: ChatSettings = {
    ...(config.fewshot_as_multiturn === true ? { fewshotAsMultiturn: true } : {}),
    ...(typeof config.system_instruction === "string" ? { systemInstruction: config.system_instruction } : {}),
  };
  if (config.apply_chat_template === true) {
    if (!tokenizer) throw new UserError("usage", `${file} was run with a chat template; pass --tokenizer with the evaluated model's GGUF (its template is read from it).`);
    const source = typeof config.chat_template_source === "string" ? config.chat_template_source : "tokenizer.chat_template";
    const name = source === "tokenizer.chat_template" ? undefined : source.startsWith("tokenizer.chat_template.") ? source.slice("tokenizer.chat_template.".length) : source;
    if (!tokenizer.chatRenderer) throw new UserError("usage", `${file} was run with a chat template; pass --tokenizer with the evaluated model's GGUF (its template is read from it).`);
    settings.renderer = tokenizer.chatRenderer(name);
    if (settings.renderer.template !== config.chat_template) {
      throw new UserError("usage", `The chat template ${source} of --tokenizer differs from the one ${file} records; pass the evaluated model's GGUF.`);
    }
  }
  return settings.renderer || settings.systemInstruction !== undefined ? settings : undefined;
}

/** The run's EOS text: the tokenizer's when given (it must be the run's), else the one the run recorded. */
function eosTextOf(doc: ResultsDocument, tokenizer: LoadedTokenizer | undefined): string | undefined {
  const recorded = doc.tokenizer_eos_token?.[0];
  if (tokenizer && recorded !== undefined && tokenizer.eosText() !== recorded) {
    throw new UserError("usage", `--tokenizer's EOS token is ${JSON.stringify(tokenizer.eosText())}, the run's was ${JSON.stringify(recorded)}; pass the evaluated model's GGUF.`);
  }
  return tokenizer?.eosText() ?? recorded;
}

/** A generation request resolved as the run resolved it; a rule that needs the model's tokenizer without one is refused. */
function generationResolver(task: string, tokenizer: LoadedTokenizer | undefined, eosText: string | undefined) {
  const needs = (what: string) => new UserError("usage", `${task}: ${what} uses the evaluated model's tokenizer; pass --tokenizer with its GGUF (only the vocabulary is loaded).`);
  return (r: Extract<TaskRequest, { type: "generate" }>): ResolvedGenerateRequest => {
    if (r.maxTokens.kind !== "fixed" && !tokenizer) throw needs("the generation cap");
    return {
      context: r.context,
      until: r.until.map((u) => {
        if (typeof u === "string") return u;
        if (eosText === undefined) throw needs("the EOS stop sequence");
        return eosText;
      }),
      maxTokens: resolveMaxTokens(r.maxTokens, tokenizer ?? { tokenize: () => [] }),
    };
  };
}

/** The planned task's data must be the files the run read: same sha256 per split. */
function dataProblem(plan: PlannedTask, doc: ResultsDocument): string | null {
  const recorded = doc.rakuten_eval.datasets[plan.task.name] ?? [];
  const splits = [
    { ref: plan.task.evalData, data: plan.data.eval },
    ...(plan.task.fewshotData && plan.data.fewshot ? [{ ref: plan.task.fewshotData, data: plan.data.fewshot }] : []),
  ];
  for (const { ref, data } of splits) {
    const run = recorded.find((d) => d.dataset === ref.dataset && d.split === ref.split);
    if (run && run.sha256 !== data.sha256) {
      return `${plan.task.name}: ${data.path} (${ref.dataset} ${ref.split}) has sha256 ${data.sha256.slice(0, 12)}…, the run read ${run.sha256.slice(0, 12)}…; pass --data-dir with the files the run read.`;
    }
  }
  return null;
}

/** The per-doc records scored again: saved requests and responses, metrics from the installed task code. */
function rescoredSamples(plan: PlannedTask, saved: readonly SampleRecord[], tools: ScoringTools): SampleRecord[] {
  const { task } = plan;
  return [...saved]
    .sort((a, b) => a.shuffled_index - b.shuffled_index)
    .map((s) => {
      const doc = plan.docs[s.shuffled_index]!.doc;
      return {
        doc_id: s.doc_id,
        shuffled_index: s.shuffled_index,
        shot_ids: s.shot_ids,
        doc: task.describeDoc ? task.describeDoc(doc) : {},
        request_hashes: s.requests.map(requestHash),
        requests: s.requests,
        responses: s.responses,
        ...(task.extractedAnswers ? { extracted_answers: task.extractedAnswers(s.responses) } : {}),
        metrics: task.processResults(doc, s.responses, tools),
      };
    });
}

/** How the rescored document names its source: model folder and file name (no machine path), sha256, the version that wrote it. */
function rescoredFrom(source: SourceRun): RescoredFrom {
  const file = path.resolve(source.file);
  return {
    file: `${path.basename(path.dirname(file))}/${path.basename(file)}`,
    sha256: source.sha256,
    harness: source.doc.rakuten_eval.harness,
    ...(source.editedSamples.length > 0 ? { edited_samples: source.editedSamples } : {}),
  };
}

/** The rescored run may not land in the source's folder, where it would become what the folder means (the newest results file). */
function outputProblem(output: string, source: SourceRun): UserError | null {
  const target = path.resolve(runFolderOf(output, source.doc.model_name_sanitized ?? "model").dir);
  if (target === path.resolve(path.dirname(source.file))) {
    return new UserError("usage", `--output ${output} would put the rescored run beside ${path.basename(source.file)} in its folder; pass another --output (default results/rescored).`);
  }
  return checkOutputDir(output);
}

/** Build the whole plan and every check first; score and write only when all pass. */
export async function rescoreRun(options: RescoreOptions): Promise<RescoreOutcome> {
  const started = Date.now();
  const warn = options.warn ?? (() => {});
  const source = loadSourceRun(options.run, warn);
  const { doc: base } = source;
  const tasks = selectedTasks(source, options.tasks);
  const output = options.outputDir ?? defaultRescoreOutputDir();
  const tokenizer: LoadedTokenizer | undefined = options.tokenizer ? await loadAnyTokenizer(options.tokenizer) : undefined;
  try {
    if (tokenizer) checkTokenizerSource(base, tokenizer, source.file);
    const chat = chatSettingsOf(base, tokenizer, source.file);
    const eosText = eosTextOf(base, tokenizer);
    const limit = typeof base.config.limit === "number" ? base.config.limit : undefined;
    const plans: { plan: PlannedTask; source: SourceTask }[] = [];
    for (const t of tasks) {
      const plan = await planTask(
        { task: findTask(t.name), shots: t.shots, ...(t.group ? { group: t.group } : {}) },
        // The files are checked against the run's own sha256 below, so a file the run read with --allow-dataset-mismatch is accepted.
        { dataDir: options.dataDir, ...(limit !== undefined ? { limit } : {}), allowDatasetMismatch: true, ...(chat ? { chat } : {}) },
      );
      const problem = dataProblem(plan, base);
      if (problem) throw new UserError("dataset", problem);
      const drift = requestDrift(t.name, t.samples, plan.docs, generationResolver(t.name, tokenizer, eosText));
      if (drift) throw new UserError("usage", drift);
      plans.push({ plan: { ...plan, requestedShots: t.requestedShots }, source: t });
    }
    const problem = outputProblem(output, source);
    if (problem) throw problem;

    const tools: ScoringTools = {
      tokenize: (text) => {
        if (!tokenizer) throw new UserError("usage", "This task's score uses the evaluated model's tokenizer; pass --tokenizer with its GGUF (only the vocabulary is loaded).");
        return tokenizer.tokenize(text);
      },
    };
    const parts = plans.map(({ plan, source: t }) => ({ plan, task: plan.task, samples: rescoredSamples(plan, t.samples, tools) }));
    const metrics = aggregateTasks(parts);
    const taskResults: TaskResult[] = parts.map(({ plan, samples }, i) => ({
      task: plan.task,
      ...(plan.group ? { group: plan.group } : {}),
      shots: plan.shots,
      requestedShots: plan.requestedShots,
      ...(plan.shotsNote ? { shotsNote: plan.shotsNote } : {}),
      nOriginal: plan.nOriginal,
      nEffective: samples.length,
      metrics: metrics[i]!,
      samples,
      data: plan.data,
    }));
    const eos = base.tokenizer_eos_token;
    const doc = buildResultsDocument(taskResults, [], {
      engine: base.rakuten_eval.engine as BackendDescription,
      harness: harnessInfo(),
      limit: limit ?? null,
      dataDir: options.dataDir,
      date: new Date(started).toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      complete: base.rakuten_eval.complete,
      ...(base.rakuten_eval.label ? { label: base.rakuten_eval.label } : {}),
      ...(base.model_name !== undefined ? { modelName: base.model_name } : {}),
      ...(eos ? { eosToken: { text: eos[0], id: eos[1] === "None" ? null : Number(eos[1]) } } : {}),
      ...(chat ? { chat } : {}),
    });
    carryRunRecords(doc, source, new Set(tasks.map((t) => t.name)));
    const written = await writeRunOutputs(output, doc, taskResults);
    return { doc, ...written, source: { file: source.file, sha256: source.sha256 } };
  } finally {
    await tokenizer?.dispose();
  }
}

/**
 * What the source run recorded that rescoring does not recompute: why it stopped, its skipped
 * tasks, the shards it was merged from and its notes (those about tasks not rescored left out),
 * and where the rescored run came from.
 */
function carryRunRecords(doc: ResultsDocument, source: SourceRun, rescored: ReadonlySet<string>): void {
  const record = source.doc.rakuten_eval;
  const others = source.tasks.map((t) => t.name).filter((t) => !rescored.has(t));
  const aboutOthers = (note: string) => others.some((t) => note.startsWith(`${t}:`) || note.startsWith(`${t} `));
  if (record.incomplete_reason !== undefined) doc.rakuten_eval.incomplete_reason = record.incomplete_reason;
  if (record.merged_shards !== undefined) doc.rakuten_eval.merged_shards = record.merged_shards;
  if (others.length === 0) doc.rakuten_eval.skipped = record.skipped;
  const notes = [...doc.rakuten_eval.notes];
  for (const n of record.notes) if (!notes.includes(n) && !aboutOthers(n)) notes.push(n);
  const from = rescoredFrom(source);
  const writer = `${from.harness.name} ${from.harness.version}${from.harness.git_commit ? ` (${from.harness.git_commit.slice(0, 10)})` : ""}`;
  notes.push(`rescored without the model from ${from.file} (sha256 ${from.sha256.slice(0, 12)}…, written by ${writer})`);
  if (from.edited_samples) notes.push(`rescored from samples files edited after the run published them: ${from.edited_samples.join(", ")}`);
  doc.rakuten_eval.notes = notes;
  doc.rakuten_eval.rescored_from = from;
}
