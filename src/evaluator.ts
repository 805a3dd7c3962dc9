// The evaluator joins tasks and a backend through plain request objects, as
// lm-evaluation-harness's `evaluate` does: build every request of every task,
// hand them to the backend in one go per request type, then score per doc.

import { createHash } from "node:crypto";
import type { ChatSettings } from "./api/chat.js";
import { sampleScaleOf, type Task } from "./api/task.js";
import { chatMessages, plainContextWithInstruction, withContext } from "./chatContext.js";
import type {
  Backend,
  GenerateRequest,
  LoglikelihoodRequest,
  MaxTokensRule,
  ResolvedGenerateRequest,
  StopSequence,
  TaskRequest,
  TaskResponse,
} from "./api/types.js";
import { DatasetError, UserError, UserErrors } from "./errors.js";
import { fewshotSampler } from "./fewshot.js";
import { loadSplit, type LoadedSplit } from "./datasets/loadSplit.js";
import { PyRandom } from "./random/pyRandom.js";
import { NumpyLegacyRandom } from "./random/numpyLegacy.js";
import { mean, sampleStderr } from "./metrics/stats.js";
import { rougeBootstrapMid } from "./metrics/bootstrap.js";
import type { TaskSelection } from "./tasks/registry.js";

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

/** A stable id of a request, for the samples file and caches. */
export function requestHash(request: TaskRequest | ResolvedGenerateRequest): string {
  return createHash("sha256").update(JSON.stringify(request)).digest("hex").slice(0, 16);
}

/** Resolve a generation cap and stop list against the model's tokenizer. */
export function resolveGenerate(
  request: GenerateRequest,
  tokenizer: { tokenize(text: string): number[]; eosText(): string },
): ResolvedGenerateRequest {
  return {
    context: request.context,
    until: request.until.map((u: StopSequence) => (typeof u === "string" ? u : tokenizer.eosText())),
    maxTokens: resolveMaxTokens(request.maxTokens, tokenizer),
  };
}

export function resolveMaxTokens(rule: MaxTokensRule, tokenizer: { tokenize(text: string): number[] }): number {
  if (rule.kind === "fixed") return rule.tokens;
  // JSQuAD/JAQKET: max(len(tokenizer.encode(a, add_special_tokens=False)) for a in answers); XLSum: + 10.
  let longest = 0;
  for (const t of rule.texts) longest = Math.max(longest, tokenizer.tokenize(t).length);
  return longest + rule.extra;
}

export interface SampleRecord {
  doc_id: number;
  shuffled_index: number;
  shot_ids: number[];
  doc: Record<string, unknown>;
  request_hashes: string[];
  requests: (LoglikelihoodRequest | ResolvedGenerateRequest)[];
  responses: TaskResponse[];
  /** The task's extracted answers (MGSM), when it extracts one (`Task.extractedAnswers`). */
  extracted_answers?: string[];
  metrics: Record<string, number>;
}

export interface MetricResult {
  value: number;
  stderr: number | null;
}

export interface TaskResult {
  task: Task<unknown>;
  group?: string;
  shots: number;
  requestedShots: number;
  shotsNote?: string;
  nOriginal: number;
  nEffective: number;
  metrics: Record<string, MetricResult>;
  samples: SampleRecord[];
  data: { eval: LoadedSplit; fewshot?: LoadedSplit };
}

export interface EvaluateHooks {
  onPhase?: (phase: string, total: number) => void;
  /** `task`: the task of a request just answered (absent when the backend does not say which). */
  onProgress?: (done: number, total: number, task?: string) => void;
}

/** Run every planned task's requests through the backend and score them. */
export async function evaluate(planned: PlannedTask[], backend: Backend, hooks: EvaluateHooks = {}): Promise<TaskResult[]> {
  // Collect requests of every task, by type, remembering where each answer goes.
  const llRequests: LoglikelihoodRequest[] = [];
  const genRequests: ResolvedGenerateRequest[] = [];
  // The task of each request, by position, so that progress can name the task being computed.
  const llTasks: string[] = [];
  const genTasks: string[] = [];
  const slots: { kind: "ll" | "gen"; index: number }[][][] = planned.map((p) =>
    p.docs.map((d) =>
      d.requests.map((r) => {
        if (r.type === "loglikelihood") {
          llRequests.push(r);
          llTasks.push(p.task.name);
          return { kind: "ll" as const, index: llRequests.length - 1 };
        }
        genRequests.push(resolveGenerate(r, backend));
        genTasks.push(p.task.name);
        return { kind: "gen" as const, index: genRequests.length - 1 };
      }),
    ),
  );
  hooks.onPhase?.("loglikelihood", llRequests.length);
  const progressOf =
    (tasks: string[]) =>
    (done: number, total: number, latest?: number): void =>
      hooks.onProgress?.(done, total, latest === undefined ? undefined : tasks[latest]);
  const llResponses = llRequests.length ? await backend.loglikelihood(llRequests, progressOf(llTasks)) : [];
  hooks.onPhase?.("generate", genRequests.length);
  const genResponses = genRequests.length ? await backend.generate(genRequests, progressOf(genTasks)) : [];

  const tools = { tokenize: (text: string) => backend.tokenize(text) };
  const samplesOf: SampleRecord[][] = planned.map((p, ti) =>
    p.docs.map((d, di) => {
      const docSlots = slots[ti]![di]!;
      const responses: TaskResponse[] = docSlots.map((s) => (s.kind === "ll" ? llResponses[s.index]! : genResponses[s.index]!));
      const requests = docSlots.map((s) => (s.kind === "ll" ? llRequests[s.index]! : genRequests[s.index]!));
      return {
        doc_id: d.docId,
        shuffled_index: d.shuffledIndex,
        shot_ids: d.shotIds,
        doc: p.task.describeDoc ? p.task.describeDoc(d.doc) : {},
        request_hashes: requests.map(requestHash),
        requests,
        responses,
        ...(p.task.extractedAnswers ? { extracted_answers: p.task.extractedAnswers(responses) } : {}),
        metrics: p.task.processResults(d.doc, responses, tools),
      };
    }),
  );
  const metrics = aggregateTasks(planned.map((p, ti) => ({ task: p.task, samples: samplesOf[ti]! })));
  return planned.map((p, ti) => ({
    task: p.task,
    ...(p.group ? { group: p.group } : {}),
    shots: p.shots,
    requestedShots: p.requestedShots,
    ...(p.shotsNote ? { shotsNote: p.shotsNote } : {}),
    nOriginal: p.nOriginal,
    nEffective: p.docs.length,
    metrics: metrics[ti]!,
    samples: samplesOf[ti]!,
    data: p.data,
  }));
}

/**
 * Aggregate the per-doc records of every task of a run, tasks in evaluation order, as the
 * reference does: numpy's global RNG is seeded 1234 once by `simple_evaluate` and only XLSum's
 * ROUGE bootstrap draws from it, so a task's bootstrap depends on the tasks aggregated before
 * it. `evaluate` and `merge` (rebuilding a run from its shards' samples) both call this.
 */
export function aggregateTasks(tasks: readonly { task: Task<unknown>; samples: SampleRecord[] }[]): Record<string, MetricResult>[] {
  const numpyRng = new NumpyLegacyRandom(1234);
  return tasks.map((t) => aggregateMetrics(t.task, t.samples, numpyRng));
}

/** Aggregate per-doc metric values (in shuffled order) into task scores. */
export function aggregateMetrics(task: Task<unknown>, samples: SampleRecord[], numpyRng: NumpyLegacyRandom): Record<string, MetricResult> {
  const out: Record<string, MetricResult> = {};
  for (const [name, spec] of Object.entries(task.metrics)) {
    // Per-doc values are on the sample scale, the stored aggregate on the reported one (XLSum:
    // F 0-1 per doc, `mid.fmeasure * 100` reported); the spec says both, so convert here.
    const toStored = sampleScaleOf(spec) / spec.scale;
    if (spec.aggregation === "mean") {
      const values = samples.map((s) => s.metrics[name]).filter((v): v is number => typeof v === "number");
      if (values.length === 0) continue;
      out[name] = { value: mean(values) * toStored, stderr: values.length > 1 ? sampleStderr(values) * toStored : null };
    } else if (spec.aggregation === "rouge2_bootstrap_mid") {
      // rouge-score BootstrapAggregator over per-doc (P, R, F), reported as mid F.
      const rows = samples.map((s) => ({
        precision: s.metrics[`${name}_precision`] ?? 0,
        recall: s.metrics[`${name}_recall`] ?? 0,
        fmeasure: s.metrics[name] ?? 0,
      }));
      if (rows.length === 0) continue;
      // Rows are on rouge-score's 0-1 scale, as the bootstrap resamples them.
      const mid = rougeBootstrapMid(rows, numpyRng);
      const f = rows.map((r) => r.fmeasure);
      out[name] = { value: mid.fmeasure * toStored, stderr: f.length > 1 ? sampleStderr(f) * toStored : null };
    }
  }
  return out;
}
