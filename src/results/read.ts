// Reading what `compare` and `report` work from: a run's results.json (with its
// samples_<task>.jsonl files beside it) or a published model of the paper's tables.

import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { notAFileKind } from "../util/files.js";
import { publishedAverage, publishedTables, type PublishedModel } from "../paper/published.js";
import { PAPER_AVERAGES, PAPER_SUITES, PUBLISHED_ALIASES, SUITE_IDS, type AverageId } from "../paper/suites.js";
import type { TokenizationRule } from "../api/types.js";
import type { ResultsDocument } from "./document.js";
import type { SampleRecord } from "../evaluator.js";
import { validateResults } from "./validate.js";

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

/** Where a results argument points: a results.json file or a folder holding one. */
export function resultsPathOf(arg: string): string {
  if (!existsSync(arg)) throw new UserError("usage", `${arg} does not exist; give a results.json written by \`rakuten-eval run\` or its folder.`);
  const file = statSync(arg).isDirectory() ? path.join(arg, "results.json") : arg;
  if (!existsSync(file)) throw new UserError("usage", `${arg} holds no results.json; give the --output folder of \`rakuten-eval run\` or the file itself.`);
  // Decided by stat alone: reading a FIFO would block (and ignore Ctrl-C).
  const kind = notAFileKind(statSync(file));
  if (kind !== null) throw new UserError("usage", `${file} is ${kind}, not a results file; give a results.json written by \`rakuten-eval run\` or its folder.`);
  return file;
}

/** A short label for a run: the one recorded at run time (`run --label`), else the model file's name, else the folder's. */
function runLabel(doc: ResultsDocument, file: string): string {
  const recorded = (doc.rakuten_eval as { label?: unknown }).label;
  if (typeof recorded === "string" && recorded.trim() !== "") return recorded.trim();
  const modelPath = doc.rakuten_eval.engine?.modelPath;
  if (typeof modelPath === "string" && modelPath !== "") return path.basename(modelPath).replace(/\.gguf$/i, "");
  return path.basename(path.dirname(path.resolve(file)));
}

/** Read and validate a results.json; a bad file is the user's input, so it is a UserError. */
export function loadResultsDocument(arg: string): { doc: ResultsDocument; file: string } {
  const file = resultsPathOf(arg);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserError("usage", `${file} is not valid JSON (${(err as Error).message}); give a results.json written by \`rakuten-eval run\`.`);
  }
  const problems = validateResults(parsed);
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).join("; ");
    throw new UserError("usage", `${file} is not a rakuten-eval results document: ${shown}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}.`);
  }
  return { doc: parsed as ResultsDocument, file };
}

export function runScores(arg: string): RunScores {
  const { doc, file } = loadResultsDocument(arg);
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
  const notes: string[] = [];
  if (doc.config.limit !== null && doc.config.limit !== undefined) notes.push(`run with --limit ${String(doc.config.limit)}`);
  if (doc.rakuten_eval.summary.some((r) => r.partialData)) notes.push("some scores use partial stand-in data");
  if (doc.rakuten_eval.complete === false) notes.push("incomplete run (rakuten_eval.complete is false)");
  const shard = doc.rakuten_eval.shard;
  if (shard) notes.push(`shard ${shard.index}/${shard.count} of a sharded run: a part, not a full run (merge the shards with \`rakuten-eval merge\`)`);
  return { kind: "run", label: runLabel(doc, file), source: file, rows, averages, dir: path.dirname(file), doc, notes };
}

/** `published:<id>` or a results path. */
export function loadScores(ref: string): RunScores {
  return isPublishedRef(ref) ? publishedScores(ref) : runScores(ref);
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

/** Per-doc values of one metric of one task, by doc_id; null when the run wrote no samples file. */
export function loadSampleMetric(dir: string, task: string, metric: string): Map<number, number> | null {
  const file = path.join(dir, `samples_${task}.jsonl`);
  if (!existsSync(file)) return null;
  const kind = notAFileKind(statSync(file));
  if (kind !== null) throw new UserError("usage", `${file} is ${kind}, not a samples file; remove it to compare unpaired, or rerun \`rakuten-eval run\`.`);
  const out = new Map<number, number>();
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new UserError("usage", `${file} line ${i + 1} is not JSON; the samples file is damaged (rerun \`rakuten-eval run\` or delete it to compare unpaired).`);
    }
    const r = rec as { doc_id?: unknown; metrics?: Record<string, unknown> };
    const value = r.metrics?.[metric];
    if (typeof r.doc_id !== "number" || typeof value !== "number") {
      throw new UserError("usage", `${file} line ${i + 1} lacks a numeric doc_id or metrics.${metric}; the samples file does not match its results.json.`);
    }
    if (out.has(r.doc_id)) throw new UserError("usage", `${file} has doc_id ${r.doc_id} twice (line ${i + 1}); the samples file is damaged.`);
    out.set(r.doc_id, value);
  }
  return out;
}

/** One doc's loglikelihood requests of a samples file: the continuations scored and their log-likelihoods. */
export interface SampleChoices {
  continuations: string[];
  logprobs: number[];
  /** Each request's context and tokenization rule (null when the file does not record a known one). */
  contexts: string[];
  rules: (TokenizationRule | null)[];
}

/**
 * Per doc, the loglikelihood continuations and their log-likelihoods (request order); null when the
 * run wrote no samples file. Docs without loglikelihood requests (generation tasks) are left out.
 */
export function loadSampleChoices(dir: string, task: string): Map<number, SampleChoices> | null {
  const file = path.join(dir, `samples_${task}.jsonl`);
  if (!existsSync(file)) return null;
  const out = new Map<number, SampleChoices>();
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let rec: { doc_id?: unknown; requests?: unknown; responses?: unknown };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      throw new UserError("usage", `${file} line ${i + 1} is not JSON; the samples file is damaged.`);
    }
    if (typeof rec.doc_id !== "number" || !Array.isArray(rec.requests) || !Array.isArray(rec.responses)) continue;
    const continuations: string[] = [];
    const logprobs: number[] = [];
    const contexts: string[] = [];
    const rules: (TokenizationRule | null)[] = [];
    rec.requests.forEach((q: unknown, k: number) => {
      const req = q as { type?: unknown; context?: unknown; continuation?: unknown; tokenization?: unknown };
      const res = (rec.responses as unknown[])[k] as { logprob?: unknown } | undefined;
      if (req?.type === "loglikelihood" && typeof req.continuation === "string" && typeof res?.logprob === "number") {
        continuations.push(req.continuation);
        logprobs.push(res.logprob);
        contexts.push(typeof req.context === "string" ? req.context : "");
        rules.push(typeof req.context === "string" && (req.tokenization === "separate" || req.tokenization === "encode_pair") ? req.tokenization : null);
      }
    });
    if (logprobs.length > 0) out.set(rec.doc_id, { continuations, logprobs, contexts, rules });
  }
  return out;
}

/**
 * The samples file of `task` published with the results file `resultsFile`: the name recorded in
 * its `rakuten_eval.samples`, else the name runs have always used. With `resultsPathOf`, the one
 * place that knows where a run's files lie in its folder.
 */
export function samplesPathOf(resultsFile: string, doc: ResultsDocument, task: string): string {
  const recorded = Object.entries(doc.rakuten_eval.samples ?? {}).find(([, record]) => record.task === task)?.[0];
  return path.join(path.dirname(resultsFile), recorded ?? `samples_${task}.jsonl`);
}

/**
 * The per-doc records of a samples file in file order, each without the `task` field its line
 * carries, keys in the order written (so writing them back gives the same bytes).
 */
export function readSampleRecords(file: string): SampleRecord[] {
  if (!existsSync(file)) throw new UserError("usage", `${file} is missing; its results.json names it. Rerun the evaluation to publish its outputs again.`);
  const kind = notAFileKind(statSync(file));
  if (kind !== null) throw new UserError("usage", `${file} is ${kind}, not a samples file; rerun the evaluation to publish its outputs again.`);
  const out: SampleRecord[] = [];
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new UserError("usage", `${file} line ${i + 1} is not JSON; the samples file is damaged (rerun the evaluation).`);
    }
    const r = rec as Partial<SampleRecord> & { task?: unknown };
    if (typeof r !== "object" || r === null || typeof r.doc_id !== "number" || typeof r.shuffled_index !== "number" || typeof r.metrics !== "object" || !Array.isArray(r.responses)) {
      throw new UserError("usage", `${file} line ${i + 1} is not a sample record (doc_id, shuffled_index, responses, metrics); the samples file is damaged (rerun the evaluation).`);
    }
    const { task: _task, ...sample } = r;
    out.push(sample as SampleRecord);
  }
  return out;
}
