// The evaluator joins tasks and a backend through plain request objects, as
// lm-evaluation-harness's `evaluate` does: hand every planned request (taskPlan.ts) to the
// backend in one go per request type, then score per doc and aggregate.

import { createHash } from "node:crypto";
import { sampleScaleOf, type Task } from "../api/task.js";
import type {
  Backend,
  GenerateRequest,
  LoglikelihoodRequest,
  MaxTokensRule,
  ResolvedGenerateRequest,
  StopSequence,
  TaskRequest,
  TaskResponse,
} from "../api/types.js";
import type { LoadedSplit } from "../datasets/loadSplit.js";
import { NumpyLegacyRandom } from "../random/numpyLegacy.js";
import { mean, sampleStderr } from "../metrics/stats.js";
import { rougeBootstrapMid } from "../metrics/bootstrap.js";
import type { PlannedTask } from "./taskPlan.js";

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
  /** Before any work: the phases in order with their request counts (empty phases left out). */
  onPlan?: (phases: { phase: "loglikelihood" | "generate"; requests: number }[]) => void;
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
  hooks.onPlan?.([
    ...(llRequests.length > 0 ? [{ phase: "loglikelihood" as const, requests: llRequests.length }] : []),
    ...(genRequests.length > 0 ? [{ phase: "generate" as const, requests: genRequests.length }] : []),
  ]);
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
