// Planning: every selected task's docs, few-shot picks, prompts and requests, built before
// any model call (lm-evaluation-harness's `evaluate` builds all requests first too), so that
// every bad input file is reported before work starts. The evaluator (evaluator.ts) runs
// what this plans.

import type { ChatSettings } from "../api/chat.js";
import type { Task } from "../api/task.js";
import type { TaskRequest } from "../api/types.js";
import { chatMessages, plainContextWithInstruction, withContext } from "./chatContext.js";
import { DatasetError, UserError, UserErrors } from "../util/errors.js";
import { fewshotSampler } from "./fewshot.js";
import { loadSplit, type LoadedSplit } from "../datasets/loadSplit.js";
import { PyRandom } from "../random/pyRandom.js";
import type { TaskSelection } from "../tasks/registry.js";

/** One doc of a task, ready for the backend. */
export interface PlannedDoc {
  /** Index of the doc in dataset order (the reference's doc id after shuffling is its position; we keep both). */
  docId: number;
  /** Position in the seed-42 shuffled order. */
  shuffledIndex: number;
  doc: unknown;
  /** Indices of the few-shot docs in the few-shot split, in prompt order. */
  shotIds: number[];
  context: string;
  requests: TaskRequest[];
}

export interface PlannedTask {
  task: Task<unknown>;
  group?: string;
  requestedShots: number;
  shots: number;
  /** Why the shots differ from the request (a task without a few-shot pool keeps 0). */
  shotsNote?: string;
  /** Docs in the eval split before `--limit`. */
  nOriginal: number;
  docs: PlannedDoc[];
  data: { eval: LoadedSplit; fewshot?: LoadedSplit };
}

export interface SkippedTask {
  task: Task<unknown>;
  group?: string;
  shots: number;
  reason: string;
  /** The missing file and its source, when the reason is missing data (the reason names both). */
  file?: string;
  source?: { name: string; url: string };
}

export interface PlanOptions {
  dataDir: string;
  limit?: number;
  allowDatasetMismatch?: boolean;
  /** lm-eval v0.4's chat template, multi-turn shots and system instruction; absent: plain prompts. */
  chat?: ChatSettings;
}

/**
 * Build the requests of one task exactly as the reference evaluator orders them:
 * `rnd = Random(42)`, `rnd.shuffle(eval docs)`, the first `limit` docs, and for each
 * one `fewshot_context(doc, k, rnd)` then `construct_requests(doc, ctx)`.
 */
export async function planTask(selection: TaskSelection, options: PlanOptions): Promise<PlannedTask> {
  const { task } = selection;
  let shots = selection.shots;
  let shotsNote: string | undefined;
  if (task.fewshot.kind === "none" && shots !== 0) {
    shotsNote = `${task.name} has no few-shot pool; it keeps 0 shots (asked for ${shots})`;
    shots = 0;
  }
  const evalSplit = await loadSplit(options.dataDir, task.evalData, { allowMismatch: options.allowDatasetMismatch });
  const evalDocs = task.parseDocs("eval", evalSplit.records);
  let fewshotSplit: LoadedSplit | undefined;
  let pool: unknown[] = [];
  if (shots > 0) {
    if (!task.fewshotData) throw new UserError("usage", `${task.name} has no few-shot split; run it with --shots 0.`);
    fewshotSplit = await loadSplit(options.dataDir, task.fewshotData, { allowMismatch: options.allowDatasetMismatch });
    pool = task.parseDocs("fewshot", fewshotSplit.records);
    if (pool.length < shots) {
      throw new DatasetError(
        "count",
        fewshotSplit.path,
        `${task.name}: ${shots} shots asked but the few-shot split ${fewshotSplit.path} has only ${pool.length} docs; lower --shots.`,
      );
    }
  }
  const poolIndex = new Map<unknown, number>();
  pool.forEach((d, i) => poolIndex.set(d, i));
  // A stand-in pool that holds eval docs (JSQuAD's 74-question subset) is sampled the way the
  // reference samples a validation pool: k + 1 draws, the evaluated doc removed (`x != doc`).
  const excludeSelf = fewshotSplit?.partial?.overlapsEval === true;
  const poolKeyIndex = new Map<string, number>();
  if (excludeSelf) fewshotSplit!.records.forEach((r, i) => poolKeyIndex.set(JSON.stringify(r), i));

  const order = evalDocs.map((_, i) => i);
  const rnd = new PyRandom(42);
  rnd.shuffle(order);
  const limit = options.limit === undefined ? order.length : Math.min(options.limit, order.length);
  const docs: PlannedDoc[] = [];
  for (let s = 0; s < limit; s++) {
    const docId = order[s]!;
    const doc = evalDocs[docId];
    let shotDocs: unknown[];
    if (excludeSelf) {
      const self = poolKeyIndex.get(JSON.stringify(evalSplit.records[docId]));
      shotDocs = fewshotSampler(task, rnd, pool, shots + 1)
        .filter((d) => poolIndex.get(d) !== self)
        .slice(0, shots);
    } else shotDocs = fewshotSampler(task, rnd, pool, shots);
    const { context, requests } = docRequests(task, doc, shotDocs, options.chat);
    docs.push({
      docId,
      shuffledIndex: s,
      doc,
      shotIds: shotDocs.map((d) => poolIndex.get(d) ?? -1),
      context,
      requests,
    });
  }
  return {
    task,
    ...(selection.group ? { group: selection.group } : {}),
    requestedShots: selection.shots,
    shots,
    ...(shotsNote ? { shotsNote } : {}),
    nOriginal: evalDocs.length,
    docs,
    data: { eval: evalSplit, ...(fewshotSplit ? { fewshot: fewshotSplit } : {}) },
  };
}

/** `fewshot_context` then `construct_requests`, with a chat template or system instruction when asked. */
function docRequests(task: Task, doc: unknown, shots: unknown[], chat: ChatSettings | undefined): { context: string; requests: TaskRequest[] } {
  const plain = task.fewshotContext(doc, shots);
  const requests = task.constructRequests(doc, plain);
  if (chat?.renderer === undefined && chat?.systemInstruction === undefined) return { context: plain, requests };
  const parts = task.promptParts(doc, shots);
  if (chat.renderer) {
    const context = chat.renderer.render(chatMessages(parts, chat));
    return { context, requests: withContext(requests, plain, context, parts.targetDelimiter, task.name) };
  }
  const context = plainContextWithInstruction(parts, chat.systemInstruction!);
  return { context, requests: withContext(requests, plain, context, undefined, task.name) };
}

/**
 * Plan every selected task; a task whose data is missing is skipped with its one-line reason.
 * Every other input problem (a checksum, record count or parse error, in any task's eval or
 * few-shot file) is collected, and all of them are thrown together as `UserErrors`, so that a
 * bad file in the last task is reported before any model call, beside every other one.
 */
export async function planTasks(
  selections: TaskSelection[],
  options: PlanOptions,
): Promise<{ planned: PlannedTask[]; skipped: SkippedTask[] }> {
  const planned: PlannedTask[] = [];
  const skipped: SkippedTask[] = [];
  const problems = new Map<string, UserError>();
  const note = (e: UserError) => {
    for (const p of e instanceof UserErrors ? e.problems : [e]) if (!problems.has(p.message)) problems.set(p.message, p);
  };
  for (const sel of selections) {
    try {
      planned.push(await planTask(sel, options));
    } catch (e) {
      if (e instanceof DatasetError && e.reason === "missing") {
        skipped.push({
          task: sel.task,
          ...(sel.group ? { group: sel.group } : {}),
          shots: sel.shots,
          reason: e.message,
          file: e.file,
          ...(e.source ? { source: e.source } : {}),
        });
      } else if (e instanceof UserError) {
        note(e);
        // planTask stops at its first bad file: check the few-shot file too, so that both are
        // listed (when the first error was the few-shot file's, the same message is dropped).
        if (sel.shots > 0 && sel.task.fewshotData) {
          try {
            await loadSplit(options.dataDir, sel.task.fewshotData, { allowMismatch: options.allowDatasetMismatch });
          } catch (f) {
            if (f instanceof UserError && !(f instanceof DatasetError && f.reason === "missing")) note(f);
            else if (!(f instanceof UserError)) throw f;
          }
        }
      } else throw e;
    }
  }
  if (problems.size === 1) throw [...problems.values()][0]!;
  if (problems.size > 1) throw new UserErrors([...problems.values()]);
  return { planned, skipped };
}
