// Reading a run's samples files doc by doc, for the report's per-document explorer: the prompt,
// the choices scored (or the generation), the gold answer and the per-doc metrics. Every field
// name of a samples line is read here, so that a change of the samples layout stays in the
// results layer.

import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { UserError } from "../util/errors.js";
import { readJsonLines, UnusableLines } from "./jsonLines.js";
import { notAFileKind } from "../util/files.js";
import type { RunScores } from "./read.js";

/** One doc of a samples file, as the explorer shows it. */
export interface SampleDoc {
  docId: number;
  /** The context of the doc's first request: the prompt with its few-shot examples. */
  prompt: string;
  /** Loglikelihood continuations (the choices), in request order; empty for generation tasks. */
  choices: string[];
  /** Log-likelihood of each choice (natural log), same order. */
  logprobs: number[];
  /** The generated text (generation tasks); null for loglikelihood tasks. */
  generation: string | null;
  /** Index of the gold choice, when the task records one. */
  goldIndex: number | null;
  /** The gold answer as text (target or answers), when the task records one. */
  goldText: string | null;
  /**
   * How many leading choices form the answer set that `acc` picks from (TruthfulQA's mc1
   * choices come before its mc2 ones); null when every choice counts.
   */
  answerChoices: number | null;
  /** Per-doc metric values as the run stored them. */
  metrics: Record<string, number>;
}

/**
 * The samples file of `task` of a run: the one its results file records (lm-eval's layout,
 * samples_<task>_<date>.jsonl), else samples_<task>.jsonl beside it (older layout); null when none.
 */
export function samplesFileOf(run: RunScores, task: string): string | null {
  const recorded = run.samples?.get(task)?.file;
  const file = recorded ?? (run.dir ? path.join(run.dir, `samples_${task}.jsonl`) : null);
  if (file === null || !existsSync(file)) return null;
  const kind = notAFileKind(statSync(file));
  if (kind !== null) throw new UserError("usage", `${file} is ${kind}, not a samples file; remove it or rerun \`rakuten-eval run\`.`);
  return file;
}

/** Tasks of a run that have a samples file, in results order. */
export function sampleTasks(run: RunScores): string[] {
  if (!run.doc) return [];
  return Object.keys(run.doc.results).filter((task) => samplesFileOf(run, task) !== null);
}

/** The primary metric a run recorded for a task (configs[task].primary_metric), else the summary row's. */
export function primaryMetricOf(run: RunScores, task: string): string | null {
  const recorded = run.doc?.configs[task]?.primary_metric;
  if (typeof recorded === "string") return recorded;
  return run.doc?.rakuten_eval.summary.find((r) => r.task === task)?.metric ?? null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function goldOf(doc: Record<string, unknown>): { index: number | null; text: string | null } {
  const index = typeof doc.gold === "number" ? doc.gold : null;
  let text: string | null = null;
  if (typeof doc.target === "string") text = doc.target;
  else if (typeof doc.target === "number") text = String(doc.target);
  else if (typeof doc.answerNumber === "number" || typeof doc.answerNumber === "string") text = String(doc.answerNumber);
  if (Array.isArray(doc.answers) && doc.answers.every((a) => typeof a === "string")) {
    const others = [...new Set(doc.answers as string[])].filter((a) => a !== text);
    if (others.length > 0) text = [text, ...others].filter((a) => a !== null).join(" | ");
  }
  return { index, text };
}

function sampleDocOf(line: Record<string, unknown>): SampleDoc | null {
  // Ours in lm-eval's layout keep the request records under rakuten_eval; older files at the top.
  const rec = isRecord(line.rakuten_eval) && Array.isArray(line.rakuten_eval.requests) ? { ...line, ...line.rakuten_eval } : line;
  if (typeof rec.doc_id !== "number" || !Array.isArray(rec.requests) || !Array.isArray(rec.responses)) return null;
  const responses = rec.responses as unknown[];
  const choices: string[] = [];
  const logprobs: number[] = [];
  let generation: string | null = null;
  let prompt: string | null = null;
  rec.requests.forEach((q: unknown, k: number) => {
    if (!isRecord(q)) return;
    if (prompt === null && typeof q.context === "string") prompt = q.context;
    const res = responses[k];
    if (typeof q.continuation === "string" && isRecord(res) && typeof res.logprob === "number") {
      choices.push(q.continuation);
      logprobs.push(res.logprob);
    } else if (typeof res === "string" && generation === null) {
      generation = res;
    }
  });
  const doc = isRecord(rec.doc) ? rec.doc : {};
  const gold = goldOf(doc);
  const metrics: Record<string, number> = {};
  // lm-eval's layout: `metrics` lists the names and the values sit at the top level; older files: an object.
  if (Array.isArray(line.metrics)) {
    for (const k of line.metrics) if (typeof k === "string" && typeof line[k] === "number") metrics[k] = line[k] as number;
  } else if (isRecord(rec.metrics)) for (const [k, v] of Object.entries(rec.metrics)) if (typeof v === "number") metrics[k] = v;
  return {
    docId: rec.doc_id,
    prompt: prompt ?? "",
    choices,
    logprobs,
    generation,
    goldIndex: gold.index,
    goldText: gold.text,
    answerChoices: typeof doc.mc1Answers === "number" ? doc.mc1Answers : null,
    metrics,
  };
}

/** The docs of a run's samples file for `task`, in file order; null when the run wrote none. */
export function loadSampleDocs(run: RunScores, task: string): SampleDoc[] | null {
  const file = samplesFileOf(run, task);
  if (file === null) return null;
  const out: SampleDoc[] = [];
  const remedy = "the samples file is damaged (rerun `rakuten-eval run`).";
  const unusable = new UnusableLines(file, remedy);
  for (const { value: rec, lineNumber } of readJsonLines(file, remedy)) {
    const doc = isRecord(rec) ? sampleDocOf(rec) : null;
    if (doc) out.push(doc);
    // lm-eval's own records (arguments, resps) are valid but have no request records to show.
    else if (!(isRecord(rec) && typeof rec.doc_id === "number" && rec.arguments !== undefined && Array.isArray(rec.resps))) unusable.add(lineNumber);
  }
  unusable.throwIfAny("sample records (doc_id, requests, responses)");
  return out;
}
