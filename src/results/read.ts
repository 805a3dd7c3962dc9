// Reading what `compare` and `report` work from: a run's results file (ours, in either layout, or
// lm-evaluation-harness v0.4's) with its samples files beside it, or a published model of the paper's tables.

import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { LABEL_MAX_LENGTH, printable } from "../util/displayText.js";
import { UserError } from "../util/errors.js";
import { readJsonLines } from "./jsonLines.js";
import { notAFileKind } from "../util/files.js";
import { publishedAverage, publishedTables, type PublishedModel } from "../paper/published.js";
import { PAPER_AVERAGES, PAPER_SUITES, PUBLISHED_ALIASES, SUITE_IDS, type AverageId } from "../paper/suites.js";
import type { ResultsDocument } from "./document.js";
import { resultsFileOf } from "./layout.js";
import { publishedRefMeant } from "./publishedRef.js";
import { documentFromLmEval, isLmEvalResults, type SampleSource } from "./lmEvalRead.js";
import type { SampleRecord } from "../evaluation/evaluator.js";
import { pythonFloatStr } from "./sampleLines.js";
import { validateResults } from "./validate.js";

export type { SampleSource } from "./lmEvalRead.js";

/** One paper column (or extra task) of a run, 0-100. */
export interface ScoreRow {
  key: string;
  /** The task that produced it (for MMLU: "mmlu (57 subjects)"); the column key for published rows. */
  task: string;
  metric: string;
  /**
   * Multiply a per-doc value of `metric` (samples file) by this for the 0-100 scale; null when
   * not recorded (published figures; results files written before it was recorded).
   */
  sampleScale: 1 | 100 | null;
  score: number;
  /** Shots the score was obtained with (the paper's for published figures). */
  shots: number;
  /** 0-100; null when unknown (published figures, MMLU's macro mean). */
  stderr: number | null;
  /** Docs scored; null when unknown. */
  n: number | null;
}

export interface AverageScore {
  id: AverageId;
  label: string;
  /** Unrounded for runs, as printed for published figures; null when a column is missing. */
  value: number | null;
  columns: readonly string[];
}

/** What compare and report need of one side: a run or a published model. */
export interface RunScores {
  kind: "run" | "published";
  /** Short name for tables and legends. */
  label: string;
  /** The file or `published:<id>` it came from. */
  source: string;
  rows: ScoreRow[];
  averages: AverageScore[];
  /** The run's folder (samples live there) and document; absent for published models. */
  dir?: string;
  doc?: ResultsDocument;
  /** Whose file it is: ours, or lm-evaluation-harness's (read through src/results/lmEvalRead.ts). */
  origin?: "rakuten-eval" | "lm-eval";
  /** Per task, its samples file (absent for published models). */
  samples?: Map<string, SampleSource>;
  notes: string[];
}

export function isPublishedRef(ref: string): boolean {
  return ref.startsWith("published:");
}

/** Resolve `published:<id or alias>` to a row of results/published/paper-tables.json. */
export function publishedModelFor(ref: string): PublishedModel {
  const raw = ref.slice("published:".length).trim();
  const tables = publishedTables();
  const id = PUBLISHED_ALIASES[raw.toLowerCase()] ?? raw;
  const model = tables.models.find((m) => m.id === id) ?? tables.models.find((m) => m.id.toLowerCase() === id.toLowerCase());
  if (!model) {
    throw new UserError(
      "usage",
      `"${ref}" is not a model of the paper's tables; use published:<id> with one of: ${tables.models.map((m) => m.id).join(", ")} (or published:rakutenai-7b).`,
    );
  }
  return model;
}

/** A published model as a RunScores: the paper's figures, with n from the suite's paper doc counts. */
export function publishedScores(ref: string): RunScores {
  const model = publishedModelFor(ref);
  const rows: ScoreRow[] = [];
  for (const suite of SUITE_IDS) {
    const part = model[suite];
    if (!part) continue;
    for (const column of PAPER_SUITES[suite].columns) {
      const score = part.tasks[column.key];
      if (score === undefined) continue;
      rows.push({ key: column.key, task: column.key, metric: column.metric, sampleScale: null, score, shots: column.shots, stderr: null, n: column.paperDocs });
    }
  }
  const averages: AverageScore[] = [];
  for (const a of PAPER_AVERAGES) {
    const value = publishedAverage(model, a);
    if (value === undefined) continue;
    averages.push({ id: a.id, label: a.label, value, columns: a.columns });
  }
  return { kind: "published", label: `${model.id} (paper)`, source: `published:${model.id}`, rows, averages, notes: [] };
}

/**
 * Where a results argument points (see `resultsFileOf` in ./layout.ts, the one place that
 * decides): a results file, a model folder, or an --output folder holding one model folder.
 */
export function resultsPathOf(arg: string): string {
  return resultsFileOf(arg);
}

/** A short label for a run: the one recorded at run time (`run --label`), else the model file's name, else the folder's. */
function runLabel(doc: ResultsDocument, file: string): string {
  const recorded = (doc.rakuten_eval as { label?: unknown }).label;
  // Shown in terminals and Markdown tables: control characters escaped, cut to a label's length.
  if (typeof recorded === "string" && recorded.trim() !== "") return printable(recorded.trim(), LABEL_MAX_LENGTH);
  const modelPath = doc.rakuten_eval.engine?.modelPath;
  if (typeof modelPath === "string" && modelPath !== "") return printable(path.basename(modelPath).replace(/\.gguf$/i, ""), LABEL_MAX_LENGTH);
  return printable(path.basename(path.dirname(path.resolve(file))), LABEL_MAX_LENGTH);
}

/** A results file as read: ours (validated), or an lm-eval one turned into ours (./lmEvalRead.ts). */
export interface LoadedResults {
  doc: ResultsDocument;
  file: string;
  origin: "rakuten-eval" | "lm-eval";
  /** Per task, its samples file and the key of each metric in it. */
  samples: Map<string, SampleSource>;
  notes: string[];
}

/** The samples files of one of our documents: recorded in `rakuten_eval.samples`, else (older files) `samples_<task>.jsonl`. */
function ourSamples(doc: ResultsDocument, dir: string): Map<string, SampleSource> {
  const out = new Map<string, SampleSource>();
  const identity = (task: string) => Object.fromEntries(Object.keys(doc.higher_is_better[task] ?? {}).map((m) => [m, m]));
  for (const [name, record] of Object.entries(doc.rakuten_eval.samples ?? {})) out.set(record.task, { file: path.join(dir, name), metricKeys: identity(record.task) });
  if (doc.rakuten_eval.samples === undefined) {
    for (const task of Object.keys(doc.results)) out.set(task, { file: path.join(dir, `samples_${task}.jsonl`), metricKeys: identity(task) });
  }
  return out;
}

/** Read a results file: ours (validated against results/schema) or lm-eval's. A bad file is the user's input: a UserError. */
export function loadResults(arg: string): LoadedResults {
  const file = resultsPathOf(arg);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    // A file that cannot be read (EACCES, EIO) is not a bad results file: say which it is.
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError("usage", `${file} cannot be read (${code ?? (err as Error).message}); give yourself read access to it (e.g. chmod u+r), or name another results file.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError("usage", `${file} is not valid JSON (${(err as Error).message}); give a results file written by \`rakuten-eval run\` or lm-evaluation-harness.`);
  }
  if (isLmEvalResults(parsed)) {
    const { doc, samples, notes } = documentFromLmEval(file, parsed);
    if (doc.rakuten_eval.summary.length === 0) {
      throw new UserError("usage", `${file} is an lm-evaluation-harness results file with no task rakuten-eval can compare (${Object.keys(parsed.results).slice(0, 5).join(", ")}); its tasks must be ours or their lm-eval names (arc_challenge, hellaswag, mmlu_<subject>, truthfulqa_mc1/mc2, see \`rakuten-eval tasks\`).`);
    }
    return { doc, file, origin: "lm-eval", samples, notes };
  }
  const problems = validateResults(parsed);
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).join("; ");
    throw new UserError("usage", `${file} is not a rakuten-eval or lm-evaluation-harness results document: ${shown}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}.`);
  }
  const doc = parsed as ResultsDocument;
  return { doc, file, origin: "rakuten-eval", samples: ourSamples(doc, path.dirname(file)), notes: [] };
}

/** Read and validate a results file (ours or lm-eval's). */
export function loadResultsDocument(arg: string): { doc: ResultsDocument; file: string } {
  const { doc, file } = loadResults(arg);
  return { doc, file };
}

export function runScores(arg: string): RunScores {
  const { doc, file, samples, notes: loadNotes, origin } = loadResults(arg);
  const rows: ScoreRow[] = doc.rakuten_eval.summary.map((r) => ({
    key: r.key,
    task: r.task,
    metric: r.metric,
    // Absent in results files written before the scale was recorded.
    sampleScale: r.sampleScale ?? null,
    score: r.score,
    shots: r.shots,
    stderr: r.stderr,
    n: r.n,
  }));
  const averages: AverageScore[] = doc.rakuten_eval.averages.map((a) => ({ id: a.id, label: a.label, value: a.value, columns: a.tasks }));
  const notes: string[] = [...loadNotes];
  if (doc.config.limit !== null && doc.config.limit !== undefined) notes.push(`run with --limit ${String(doc.config.limit)}`);
  if (doc.rakuten_eval.summary.some((r) => r.partialData)) notes.push("some scores use partial stand-in data");
  if (doc.rakuten_eval.complete === false) notes.push("incomplete run (rakuten_eval.complete is false)");
  const from = doc.rakuten_eval.rescored_from;
  if (from) {
    const writer = `${from.harness.name} ${from.harness.version}${from.harness.git_commit ? ` (${from.harness.git_commit.slice(0, 10)})` : ""}`;
    notes.push(`rescored without the model from ${from.file} (sha256 ${from.sha256.slice(0, 12)}…, written by ${writer})${from.edited_samples ? `, samples edited after that run: ${from.edited_samples.join(", ")}` : ""}`);
  }
  const shard = doc.rakuten_eval.shard;
  if (shard) notes.push(`shard ${shard.index}/${shard.count} of a sharded run: a part, not a full run (merge the shards with \`rakuten-eval merge\`)`);
  return { kind: "run", origin, label: runLabel(doc, file), source: file, rows, averages, dir: path.dirname(file), doc, samples, notes };
}

/** `published:<id>` or a results path. */
export function loadScores(ref: string): RunScores {
  if (isPublishedRef(ref)) return publishedScores(ref);
  const meant = existsSync(ref) ? null : publishedRefMeant(ref);
  if (meant) throw new UserError("usage", `${ref} does not exist; did you mean ${meant}? (the paper's published figures: published:<model id>, e.g. published:rakutenai-7b)`);
  return runScores(ref);
}

/** Make labels unique (two runs of the same model file get their folder names added). */
export function distinctLabels(runs: RunScores[]): void {
  const seen = new Map<string, number>();
  for (const r of runs) seen.set(r.label, (seen.get(r.label) ?? 0) + 1);
  for (const r of runs) {
    if ((seen.get(r.label) ?? 0) > 1 && r.dir) r.label = `${r.label} (${path.basename(r.dir)})`;
  }
  const again = new Map<string, number>();
  for (const r of runs) {
    const k = again.get(r.label) ?? 0;
    again.set(r.label, k + 1);
    if (k > 0) r.label = `${r.label} #${k + 1}`;
  }
}

export { loadSampleChoices, loadSampleMetric, samplesSourceOf, type SampleChoices } from "./samplesRead.js";

/**
 * The samples file of `task` published with the results file `resultsFile`: the name recorded in
 * its `rakuten_eval.samples`, else the name runs have always used. With `resultsPathOf`, the one
 * place that knows where a run's files lie in its folder.
 */
export function samplesPathOf(resultsFile: string, doc: ResultsDocument, task: string): string {
  const recorded = Object.entries(doc.rakuten_eval.samples ?? {}).find(([, record]) => record.task === task)?.[0];
  return path.join(path.dirname(resultsFile), recorded ?? `samples_${task}.jsonl`);
}

/** A samples line's sanitized response, as src/results/sampleLines.ts writes it (to tell extracted answers apart). */
function sanitized(response: unknown): unknown {
  if (typeof response === "string") return response;
  const r = response as { logprob: number; isGreedy: boolean };
  return [pythonFloatStr(r.logprob), r.isGreedy ? "True" : "False"];
}

/**
 * A sample record from one samples line: lm-eval's layout (the record's request fields under
 * `rakuten_eval`, metric values at the top level, extracted answers as `filtered_resps`) or the
 * older one (the record itself plus `task`). Writing it back gives the same line.
 */
function sampleRecordOf(line: Record<string, unknown>): Partial<SampleRecord> {
  const ours = line.rakuten_eval as Record<string, unknown> | undefined;
  if (!ours || !Array.isArray(line.metrics)) {
    const { task: _task, ...record } = line;
    return record as Partial<SampleRecord>;
  }
  const responses = ours.responses as unknown[] | undefined;
  const metrics: Record<string, number> = {};
  for (const name of line.metrics as unknown[]) if (typeof name === "string" && typeof line[name] === "number") metrics[name] = line[name] as number;
  const plain = Array.isArray(responses) ? responses.map(sanitized) : [];
  const extracted = JSON.stringify(line.filtered_resps) === JSON.stringify(plain) ? undefined : (line.filtered_resps as string[]);
  return {
    doc_id: line.doc_id as number,
    shuffled_index: ours.shuffled_index as number,
    shot_ids: ours.shot_ids as number[],
    doc: line.doc as Record<string, unknown>,
    request_hashes: ours.request_hashes as string[],
    requests: ours.requests as SampleRecord["requests"],
    responses: responses as SampleRecord["responses"],
    ...(extracted !== undefined ? { extracted_answers: extracted } : {}),
    metrics,
  };
}

/**
 * The per-doc records of a samples file in file order, each without the `task` field its line
 * carries, keys in the order written (so writing them back gives the same bytes). `resultsFile`,
 * the results file that names it, is only for the message when it is missing.
 */
export function readSampleRecords(file: string, resultsFile?: string): SampleRecord[] {
  const namedBy = resultsFile === undefined ? "its results file" : path.basename(resultsFile);
  if (!existsSync(file)) throw new UserError("usage", `${file} is missing; ${namedBy} names it. Rerun the evaluation to publish its outputs again.`);
  const kind = notAFileKind(statSync(file));
  if (kind !== null) throw new UserError("usage", `${file} is ${kind}, not a samples file; rerun the evaluation to publish its outputs again.`);
  const out: SampleRecord[] = [];
  for (const { value: rec, lineNumber } of readJsonLines(file, "the samples file is damaged (rerun the evaluation).")) {
    const r = typeof rec === "object" && rec !== null ? sampleRecordOf(rec as Record<string, unknown>) : ({} as Partial<SampleRecord>);
    if (typeof r !== "object" || r === null || typeof r.doc_id !== "number" || typeof r.shuffled_index !== "number" || typeof r.metrics !== "object" || !Array.isArray(r.responses)) {
      throw new UserError("usage", `${file} line ${lineNumber} is not a sample record (doc_id, shuffled_index, responses, metrics); the samples file is damaged (rerun the evaluation).`);
    }
    out.push(r as SampleRecord);
  }
  return out;
}
