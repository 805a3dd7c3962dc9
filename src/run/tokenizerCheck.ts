// `rakuten-eval tokenizer-check`: per task, how many requests' token ids differ between two
// tokenizers (the GGUF's through llama.cpp, and the model's own Hugging Face tokenizer), with
// the first differences shown as pieces. The requests are the ones a run would send (same
// plan, same `--limit`), and a request's tokens are every sequence the reference derives from
// it (`referenceTokenParts`): context and continuation, a generation's prompt, stop and cap texts.

import type { TaskRequest, TextTokenizer } from "../api/types.js";
import { loadTokenizer } from "../backend/llama/index.js";
import type { TokenizerAgreementRecord } from "../results/types.js";
import type { PlannedTask } from "../evaluation/taskPlan.js";
import { referenceTokenParts, type TokenPart } from "../backend/tokenization.js";
import { planTasks, type PlanOptions } from "../evaluation/taskPlan.js";
import type { TaskSelection } from "../tasks/registry.js";

/** One request of a planned run. */
export interface PlannedRequest {
  task: string;
  docId: number;
  request: TaskRequest;
}

/** Every request the selected tasks send, in plan order; tasks whose data is missing are named in `skipped`. */
export async function plannedRequests(selections: TaskSelection[], options: PlanOptions): Promise<{ requests: PlannedRequest[]; skipped: string[] }> {
  const { planned, skipped } = await planTasks(selections, options);
  return { requests: requestsOfPlan(planned), skipped: skipped.map((s) => s.task.name) };
}

/** The requests of planned tasks, each with its task and doc. */
export function requestsOfPlan(planned: readonly PlannedTask[]): PlannedRequest[] {
  const requests: PlannedRequest[] = [];
  for (const task of planned) for (const doc of task.docs) for (const request of doc.requests) requests.push({ task: task.task.name, docId: doc.docId, request });
  return requests;
}

/** A request whose tokens differ, as pieces from the first differing token on. */
export interface TokenDifference {
  docId: number;
  part: TokenPart["part"];
  /** Text of that part, cut to a readable length. */
  text: string;
  /** Pieces of each tokenizer around the first difference. */
  a: string[];
  b: string[];
}

export interface TaskAgreement {
  task: string;
  requests: number;
  differing: number;
  examples: TokenDifference[];
}

export interface AgreementReport {
  tasks: TaskAgreement[];
  requests: number;
  differing: number;
}

/** The tokens of a request under one tokenizer, every part. */
export function requestTokenParts(request: TaskRequest, tokenizer: TextTokenizer): TokenPart[] {
  return referenceTokenParts(request, (text) => tokenizer.tokenize(text), tokenizer.eosId, tokenizer.eosText());
}

function partText(request: TaskRequest, part: TokenPart["part"]): string {
  if (request.type === "loglikelihood") return part === "continuation" ? request.continuation : request.context;
  return part === "prompt" ? request.context : "";
}

const SHOWN_PIECES = 8;

function firstDifference(a: number[], b: number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Compares two tokenizers on the requests; `examples` differences are kept per task. */
export function compareTokenizers(requests: readonly PlannedRequest[], a: TextTokenizer, b: TextTokenizer, examples = 3): AgreementReport {
  const byTask = new Map<string, TaskAgreement>();
  for (const { task, docId, request } of requests) {
    let row = byTask.get(task);
    if (row === undefined) byTask.set(task, (row = { task, requests: 0, differing: 0, examples: [] }));
    row.requests++;
    const partsA = requestTokenParts(request, a);
    const partsB = requestTokenParts(request, b);
    const index = partsA.findIndex((p, i) => !sameTokens(p.tokens, partsB[i]!.tokens));
    if (index < 0) continue;
    row.differing++;
    if (row.examples.length >= examples) continue;
    const ta = partsA[index]!.tokens;
    const tb = partsB[index]!.tokens;
    const at = Math.max(0, firstDifference(ta, tb) - 2);
    const text = partText(request, partsA[index]!.part);
    row.examples.push({
      docId,
      part: partsA[index]!.part,
      text: text.length > 80 ? `${text.slice(0, 77)}...` : text,
      a: ta.slice(at, at + SHOWN_PIECES).map((id) => a.pieceOf(id)),
      b: tb.slice(at, at + SHOWN_PIECES).map((id) => b.pieceOf(id)),
    });
  }
  const tasks = [...byTask.values()];
  return { tasks, requests: tasks.reduce((s, t) => s + t.requests, 0), differing: tasks.reduce((s, t) => s + t.differing, 0) };
}

function sameTokens(x: readonly number[], y: readonly number[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The lines `tokenizer-check` prints: one per task, then its first differences as pieces. */
export function agreementLines(report: AgreementReport, labels: { a: string; b: string }): string[] {
  const lines: string[] = [];
  const width = Math.max(4, ...report.tasks.map((t) => t.task.length));
  for (const t of report.tasks) {
    const agreeing = t.requests - t.differing;
    lines.push(`${t.task.padEnd(width)}  ${String(agreeing).padStart(6)} of ${String(t.requests).padStart(6)} requests agree  ${t.differing === 0 ? "" : `(${t.differing} differ)`}`.trimEnd());
    for (const e of t.examples) {
      lines.push(`  doc ${e.docId} ${e.part} ${JSON.stringify(e.text)}`);
      lines.push(`    ${labels.a}: ${e.a.map((p) => JSON.stringify(p)).join(" ")}`);
      lines.push(`    ${labels.b}: ${e.b.map((p) => JSON.stringify(p)).join(" ")}`);
    }
  }
  lines.push(`${"all".padEnd(width)}  ${String(report.requests - report.differing).padStart(6)} of ${String(report.requests).padStart(6)} requests agree`);
  return lines;
}

/**
 * `run --model X.gguf --hf-tokenizer DIR`: the agreement of the GGUF's own tokenizer (its
 * vocabulary loaded alone) with the model's, on the run's requests, as results record it.
 */
export async function ggufAgreementRecord(planned: readonly PlannedTask[], modelPath: string, own: TextTokenizer): Promise<TokenizerAgreementRecord> {
  const requests = requestsOfPlan(planned);
  const gguf = await loadTokenizer(modelPath);
  try {
    const report = compareTokenizers(requests, gguf, own, 0);
    const tasks: TokenizerAgreementRecord["tasks"] = {};
    for (const t of report.tasks) tasks[t.task] = { requests: t.requests, differing: t.differing };
    return { requests: report.requests, differing: report.differing, tasks };
  } finally {
    await gguf.dispose();
  }
}

/** The run summary's line for that agreement. */
export function tokenizerAgreementLine(record: TokenizerAgreementRecord): string {
  const agree = record.requests - record.differing;
  return record.differing === 0
    ? `tokenizer: ids from --hf-tokenizer; the GGUF's own tokenizer agrees on all ${record.requests} requests`
    : `tokenizer: ids from --hf-tokenizer; the GGUF's own tokenizer (llama.cpp) would have given other ids for ${record.differing} of ${record.requests} requests (agrees on ${agree}); see \`rakuten-eval tokenizer-check\``;
}
