// One line of a samples file as lm-evaluation-harness v0.4 writes it (lm_eval/evaluator.py
// `evaluate`, then loggers/evaluation_tracker.py `save_results_samples`): doc_id, doc, target,
// arguments as {"gen_args_<i>": {"arg_0": ..., "arg_1": ...}}, resps and filtered_resps with
// every leaf a string (`sanitize_list`), filter, the metric names, the three sha256 hashes and
// each metric's value at the top level. What lm-eval has no key for (our request records, the
// shots drawn, the shuffled position) goes under `rakuten_eval`.

import { createHash } from "node:crypto";
import type { LoglikelihoodResponse, ResolvedGenerateRequest, LoglikelihoodRequest, TaskResponse } from "../api/types.js";
import type { SampleRecord } from "../evaluation/evaluator.js";
import { pythonFloat, pythonJson, type JsonPath } from "../util/pythonJson.js";

/** lm-eval's `hash_string`: sha256 of the UTF-8 text, hex. */
export function hashString(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Python's `str(float)`: shortest repr, `1.0` for integral values, exponents as `1e-05`. */
export function pythonFloatStr(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = value.toExponential().split("e") as [string, string];
    const sign = exponent.startsWith("-") ? "-" : "+";
    return `${mantissa}e${sign}${exponent.replace(/^[+-]/, "").padStart(2, "0")}`;
  }
  return pythonFloat(value);
}

/** The gold target as lm-eval's `str(doc_to_target(doc))`: the gold index for multiple choice, else the answer text. */
export function targetOf(doc: Record<string, unknown>): string {
  if (typeof doc.gold === "number") return String(doc.gold);
  if (doc.target !== undefined) return String(doc.target);
  if (doc.answerNumber !== undefined) return String(doc.answerNumber);
  return "";
}

type Request = LoglikelihoodRequest | ResolvedGenerateRequest;

function isLoglikelihood(r: Request): r is LoglikelihoodRequest {
  return "type" in r && r.type === "loglikelihood";
}

function argumentsOf(requests: readonly Request[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  requests.forEach((r, i) => {
    out[`gen_args_${i}`] = isLoglikelihood(r)
      ? { arg_0: r.context, arg_1: r.continuation }
      : { arg_0: r.context, arg_1: { until: r.until, max_gen_toks: r.maxTokens, do_sample: false } };
  });
  return out;
}

/** A response as `sanitize_list` leaves it: (logprob, is_greedy) as ["-1.5", "True"], a generation as its text. */
function sanitizedResponse(response: TaskResponse): string | string[] {
  if (typeof response === "string") return response;
  const r = response as LoglikelihoodResponse;
  return [pythonFloatStr(r.logprob), r.isGreedy ? "True" : "False"];
}

/** The lm-eval sample line of one doc (as a plain object; `samplesLine` writes it). */
export function lmEvalSample(task: string, sample: SampleRecord): Record<string, unknown> {
  const target = targetOf(sample.doc);
  const filtered = sample.extracted_answers ?? sample.responses.map(sanitizedResponse);
  const docText = pythonJson(sample.doc, () => false, 2);
  return {
    doc_id: sample.doc_id,
    doc: sample.doc,
    target,
    arguments: argumentsOf(sample.requests),
    // One repeat per request: resps[i] = [response_i].
    resps: sample.responses.map((r) => [sanitizedResponse(r)]),
    filtered_resps: filtered,
    filter: "none",
    metrics: Object.keys(sample.metrics),
    doc_hash: hashString(docText),
    prompt_hash: hashString(sample.requests[0]?.context ?? ""),
    target_hash: hashString(target),
    ...sample.metrics,
    rakuten_eval: {
      task,
      shuffled_index: sample.shuffled_index,
      shot_ids: sample.shot_ids,
      request_hashes: sample.request_hashes,
      requests: sample.requests,
      responses: sample.responses,
    },
  };
}

/** Floats of a sample line: the metric values at its top level. */
function sampleFloat(metrics: ReadonlySet<string>): (path: JsonPath) => boolean {
  return (path) => path.length === 1 && metrics.has(String(path[0]));
}

/** One JSONL line, as `json.dumps(sample, ensure_ascii=False)` writes it. */
export function samplesLine(line: Record<string, unknown>): string {
  const metrics = new Set((line.metrics as string[]) ?? []);
  return pythonJson(line, sampleFloat(metrics), 0);
}

/** lm-eval's task hash: sha256 over each sample's doc_hash + prompt_hash + target_hash, in order. */
export function taskHash(lines: readonly Record<string, unknown>[]): string {
  return hashString(lines.map((s) => `${String(s.doc_hash)}${String(s.prompt_hash)}${String(s.target_hash)}`).join(""));
}
