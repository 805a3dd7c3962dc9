// `rakuten-eval parity DIR`: read lm-evaluation-harness v0.4 samples files
// (`samples_<task>_<datetime>.jsonl`) and check, doc by doc, that our tasks send the same requests:
// the same prompts, targets and arguments. No model is needed.

import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Task } from "../api/task.js";
import type { TaskRequest } from "../api/types.js";
import { DatasetError, UserError } from "../util/errors.js";
import { planTask } from "../evaluation/taskPlan.js";
import { findTask } from "../tasks/registry.js";

/** lm-eval v0.4 task names that differ from ours (its `mmlu_<subject>` and TruthfulQA's two tasks). */
export function ourTaskName(lmEvalTask: string): string {
  if (lmEvalTask.startsWith("mmlu_")) return `hendrycksTest-${lmEvalTask.slice("mmlu_".length)}`;
  if (lmEvalTask === "truthfulqa_mc1" || lmEvalTask === "truthfulqa_mc2") return "truthfulqa_mc";
  return lmEvalTask;
}

/** One request's arguments, as lm-eval logs them: a list (early v0.4) or `{gen_args_i: {arg_j}}` (current). */
export type LmEvalArguments = unknown[][] | Record<string, Record<string, unknown>>;

export interface LmEvalSample {
  doc_id: number;
  target?: unknown;
  arguments: LmEvalArguments;
}

/** The requests' argument tuples of a sample, in request order. */
export function argumentTuples(args: LmEvalArguments): unknown[][] {
  if (Array.isArray(args)) return args.map((a) => (Array.isArray(a) ? a : [a]));
  return Object.keys(args)
    .sort((a, b) => Number(a.replace(/\D/g, "")) - Number(b.replace(/\D/g, "")))
    .map((k) => {
      const tuple = args[k]!;
      return Object.keys(tuple)
        .sort((a, b) => Number(a.replace(/\D/g, "")) - Number(b.replace(/\D/g, "")))
        .map((j) => tuple[j]);
    });
}

/** Our request as an lm-eval argument tuple: (context, continuation) or (context, {until}). */
function ourTuple(r: TaskRequest): unknown[] {
  return r.type === "loglikelihood" ? [r.context, r.continuation] : [r.context, { until: r.until.map((u) => (typeof u === "string" ? u : "<EOS>")) }];
}

function sameTuple(theirs: unknown[], ours: unknown[]): boolean {
  if (theirs[0] !== ours[0]) return false;
  if (typeof ours[1] === "string") return theirs[1] === ours[1];
  // Generation: compare the literal stop strings; our EOS placeholder matches any string there.
  const until = (theirs[1] as { until?: unknown } | undefined)?.until;
  const want = (ours[1] as { until: string[] }).until;
  return Array.isArray(until) && until.length === want.length && want.every((u, i) => u === "<EOS>" || u === until[i]);
}

/** lm-eval's `target`: the gold index (multiple choice) or the target text. */
function sameTarget(theirs: unknown, described: Record<string, unknown>): boolean {
  if (theirs === undefined) return true;
  const { gold, target } = described;
  if (typeof theirs === "number") return gold === theirs || target === theirs;
  if (typeof theirs === "string") return target === theirs || (typeof target === "string" && target.trim() === theirs.trim()) || String(gold) === theirs;
  return JSON.stringify(theirs) === JSON.stringify(target);
}

export interface DocDifference {
  doc_id: number;
  what: "missing" | "prompt" | "target" | "arguments";
  lmEval: string;
  ours: string;
  diff: string[];
}

export interface TaskParity {
  lmEvalTask: string;
  task: string;
  file: string;
  shots: number;
  docs: number;
  matchedDocs: number;
  identicalPrompts: number;
  identicalTargets: number;
  identicalArguments: number;
  firstDifference: DocDifference | null;
}

/** A line diff of two texts: common leading and trailing lines kept as context (2 each side). */
export function lineDiff(theirs: string, ours: string): string[] {
  const a = theirs.split("\n");
  const b = ours.split("\n");
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const context = (lines: string[]) => lines.map((l) => `  ${l}`);
  return [
    ...context(a.slice(Math.max(0, head - 2), head)),
    ...a.slice(head, a.length - tail).map((l) => `- ${l}`),
    ...b.slice(head, b.length - tail).map((l) => `+ ${l}`),
    ...context(a.slice(a.length - tail, Math.min(a.length, a.length - tail + 2))),
  ];
}

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Compare one task's lm-eval samples with our requests for the same docs. */
export async function taskParity(
  file: string,
  lmEvalTask: string,
  samples: LmEvalSample[],
  options: { dataDir: string; shots?: number; allowDatasetMismatch?: boolean },
): Promise<TaskParity> {
  const task: Task = findTask(ourTaskName(lmEvalTask));
  const shots = options.shots ?? task.defaultShots;
  const plan = await planTask({ task, shots }, { dataDir: options.dataDir, ...(options.allowDatasetMismatch ? { allowDatasetMismatch: true } : {}) });
  const evalDocs = task.parseDocs("eval", plan.data.eval.records);
  const byId = new Map(plan.docs.map((d) => [d.docId, d]));
  const out: TaskParity = { lmEvalTask, task: task.name, file, shots: plan.shots, docs: samples.length, matchedDocs: 0, identicalPrompts: 0, identicalTargets: 0, identicalArguments: 0, firstDifference: null };
  const note = (d: DocDifference) => {
    if (out.firstDifference === null) out.firstDifference = d;
  };
  for (const sample of [...samples].sort((a, b) => a.doc_id - b.doc_id)) {
    const planned = byId.get(sample.doc_id);
    if (!planned) {
      note({ doc_id: sample.doc_id, what: "missing", lmEval: `doc_id ${sample.doc_id}`, ours: `no doc ${sample.doc_id} (the split has ${evalDocs.length})`, diff: [] });
      continue;
    }
    out.matchedDocs++;
    const theirs = argumentTuples(sample.arguments);
    const ours = planned.requests.map(ourTuple);
    const theirPrompt = show(theirs[0]?.[0]);
    if (theirPrompt === planned.context) out.identicalPrompts++;
    else note({ doc_id: sample.doc_id, what: "prompt", lmEval: theirPrompt, ours: planned.context, diff: lineDiff(theirPrompt, planned.context) });
    const described = task.describeDoc?.(evalDocs[sample.doc_id]) ?? {};
    if (sameTarget(sample.target, described)) out.identicalTargets++;
    else note({ doc_id: sample.doc_id, what: "target", lmEval: show(sample.target), ours: show(described.target ?? described.gold), diff: [`- ${show(sample.target)}`, `+ ${show(described.target ?? described.gold)}`] });
    if (theirs.length === ours.length && theirs.every((t, i) => sameTuple(t, ours[i]!))) out.identicalArguments++;
    else {
      const i = theirs.findIndex((t, k) => ours[k] === undefined || !sameTuple(t, ours[k]!));
      const at = i < 0 ? Math.min(theirs.length, ours.length) : i;
      const a = show(theirs[at] ?? "(no request)");
      const b = show(ours[at] ?? "(no request)");
      note({ doc_id: sample.doc_id, what: "arguments", lmEval: `request ${at} of ${theirs.length}: ${a}`, ours: `request ${at} of ${ours.length}: ${b}`, diff: lineDiff(a, b) });
    }
  }
  return out;
}

/** `samples_<task>_<datetime>.jsonl` → `<task>` (the datetime is lm-eval's `%Y-%m-%dT%H-%M-%S.%f`). */
export function taskOfSamplesFile(name: string): string | null {
  const m = /^samples_(.+?)(?:_\d{4}-\d{2}-\d{2}T[\d.:-]+)?\.jsonl$/.exec(name);
  return m ? m[1]! : null;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** `n-shot` of the lm-eval results files beside the samples (a later file wins). */
function shotsFromResults(files: string[]): Map<string, number> {
  const shots = new Map<string, number>();
  for (const f of files.filter((p) => /^results.*\.json$/.test(path.basename(p))).sort()) {
    try {
      const doc = JSON.parse(readFileSync(f, "utf8")) as { "n-shot"?: Record<string, unknown> };
      for (const [t, n] of Object.entries(doc["n-shot"] ?? {})) if (typeof n === "number") shots.set(t, n);
    } catch {
      // not a results file we can read: shots fall back to --shots or the task's default
    }
  }
  return shots;
}

export interface ParityOptions {
  dataDir: string;
  /** Shots when no results file beside the samples records them (default: each task's). */
  shots?: number;
  allowDatasetMismatch?: boolean;
}

/** Every samples file under `dir` (newest per task), compared with our tasks. Throws `UserError`. */
export async function parity(dir: string, options: ParityOptions): Promise<{ tasks: TaskParity[]; skipped: { file: string; reason: string }[] }> {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UserError("usage", `${dir} is not a folder; pass the folder lm-eval wrote its samples_<task>_<datetime>.jsonl files to (--output_path with --log_samples).`);
  const files = walk(dir);
  const latest = new Map<string, string>();
  for (const f of files.sort()) {
    const t = taskOfSamplesFile(path.basename(f));
    if (t) latest.set(t, f);
  }
  if (latest.size === 0) throw new UserError("usage", `No samples_<task>_<datetime>.jsonl files under ${dir}; run lm-eval with --log_samples and --output_path, and pass that folder.`);
  const shots = shotsFromResults(files);
  const tasks: TaskParity[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const [lmTask, file] of latest) {
    try {
      findTask(ourTaskName(lmTask));
    } catch {
      skipped.push({ file, reason: `no task of ours is lm-eval's ${lmTask}` });
      continue;
    }
    const samples = readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map((l, i) => {
      try {
        return JSON.parse(l) as LmEvalSample;
      } catch {
        throw new UserError("usage", `${file}:${i + 1}: not a JSON line; pass lm-eval's samples files unchanged.`);
      }
    });
    const k = shots.get(lmTask) ?? options.shots;
    try {
      tasks.push(await taskParity(file, lmTask, samples, { dataDir: options.dataDir, ...(k !== undefined ? { shots: k } : {}), ...(options.allowDatasetMismatch ? { allowDatasetMismatch: true } : {}) }));
    } catch (e) {
      if (e instanceof DatasetError && e.reason === "missing") skipped.push({ file, reason: e.message });
      else throw e;
    }
  }
  return { tasks, skipped };
}
